"""Deep Q-Network (Mnih et al. 2015), with Double DQN as an option (van Hasselt et al. 2016).

Q-learning (Sutton & Barto 6.5) with a network Q_theta in place of the table. Transitions go
into a replay buffer (:mod:`rl_kit.agents.replay`); every ``train_freq`` steps of the envs,
``gradient_steps`` times, a minibatch of B is sampled and theta takes one Adam step on

    L(theta) = 1/B sum_i Huber( Q_theta(s_i, a_i) - y_i )
    y_i = r_i + gamma * (1 - terminated_i) * max_a' Q_target(s'_i, a')                (DQN)
    y_i = r_i + gamma * (1 - terminated_i) * Q_target(s'_i, argmax_a' Q_theta(s'_i, a'))  (Double DQN)

The target y is held fixed (no gradient flows through it); it comes from a *target network*,
a copy of theta updated every ``target_update_interval`` env steps, by a hard copy (tau = 1) or
Polyak averaging theta_target <- tau theta + (1 - tau) theta_target. Double DQN picks the next
action with the online network and values it with the target one, curbing the overestimation
of max over noisy estimates.

Huber loss with delta 1: h(d) = d^2 / 2 for |d| <= 1, |d| - 1/2 beyond, so its gradient, the
only one the network needs, is

    dL / dQ_theta(s_i, a_i) = clip(Q_theta(s_i, a_i) - y_i, -1, 1) / B

and zero for every other action's output: a squared error whose gradient is clipped, so one
surprising transition cannot throw the network far. Acting is epsilon-greedy with epsilon a
schedule over env steps (e.g. ``linear(1.0, 0.05, 10000)``), and nothing is learned before
``learning_starts`` transitions are stored. A truncated transition bootstraps from its next
state; a terminated one does not.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np
from gymnasium import spaces

from .base import Transitions, discrete_size
from .hyperparameters import AT_LEAST_ONE, POSITIVE, UNIT, ImageNetworkHyperparameters, Interval
from .networks import NonFiniteLossError, QNetwork, numbers, single_threaded_blas
from .optimizers import per_row
from .population import PopulationMembers
from .replay import REPLAY_LIMITS, MemberReplayBuffers, ReplayBuffer
from .schedules import Schedule
from .search_space import Choice, FloatRange, SearchSpace


@dataclass(frozen=True)
class DQNHyperparameters(ImageNetworkHyperparameters):
    """DQN's hyperparameters (defaults as stable-baselines3's, but a smaller buffer).

    Attributes:
        learning_rate: Adam step size; number or schedule over env steps.
        buffer_size: transitions the replay buffer keeps.
        learning_starts: transitions stored before the first update.
        batch_size: transitions per gradient step.
        tau: target update rate (1: a hard copy).
        gamma: discount factor.
        train_freq: env steps (of all envs together, one per vector step) between updates.
        gradient_steps: gradient steps per update.
        target_update_interval: env transitions between target-network updates.
        epsilon: exploration rate; number or schedule over env transitions.
        max_grad_norm: clip the gradient's global norm to this.
        double_q: Double DQN targets.
        activation: "relu" (SB3's for DQN) or "tanh"; hidden_sizes and backend as for every network agent
            (backend torch: :class:`rl_kit.agents.torch_off_policy_networks.TorchQNetwork`).
    """

    learning_rate: Schedule = Schedule("constant", 1e-4)
    buffer_size: int = 100_000
    learning_starts: int = 100
    batch_size: int = 32
    tau: float = 1.0
    gamma: float = 0.99
    train_freq: int = 4
    gradient_steps: int = 1
    target_update_interval: int = 10_000
    epsilon: Schedule = Schedule("linear", 1.0, 0.05, 10_000)
    max_grad_norm: float = 10.0
    double_q: bool = False
    activation: str = "relu"

    search_space: ClassVar[SearchSpace] = {
        "learning_rate": FloatRange(1e-5, 1e-2, log=True),
        "batch_size": Choice(32, 64, 128, 256),
        "gamma": Choice(0.95, 0.98, 0.99, 0.995),
        "train_freq": Choice(1, 4, 8, 16, 128, 256),
        "gradient_steps": Choice(1, 4, 16, 64, 128),
        "target_update_interval": Choice(10, 100, 1000, 5000, 10000),
        "hidden_sizes": Choice("64", "64,64", "256,256"),
        "double_q": Choice(False, True),
    }
    limits: ClassVar[dict[str, Interval]] = {
        **REPLAY_LIMITS,
        "target_update_interval": AT_LEAST_ONE,
        "epsilon": UNIT,
        "max_grad_norm": POSITIVE,
    }


def huber_loss(xp, q_taken, targets):
    """1/B sum_i Huber(Q(s_i, a_i) - y_i), delta 1, in array module `xp`."""
    error = q_taken - xp.asarray(targets)
    absolute = abs(error)
    return xp.where(absolute <= 1.0, 0.5 * error**2, absolute - 0.5).mean(-1)  # a population's: one per member


def huber_loss_gradient(q_taken: np.ndarray, targets: np.ndarray) -> np.ndarray:
    """dL / dQ(s_i, a_i) = clip(Q(s_i, a_i) - y_i, -1, 1) / B (B the last axis: a population's (K, B))."""
    return np.clip(q_taken - targets, -1.0, 1.0) / q_taken.shape[-1]


class DQN(PopulationMembers):
    """DQN for Discrete actions, on Box-vector, image or finite observations.

    A population (``seed`` a tuple of K seeds, :mod:`rl_kit.agents.population`) is K runs that
    differ in seed and in ``MEMBER_VALUES``: each member has its own Q and target networks
    (rows of one stacked network), its own replay buffer (:class:`MemberReplayBuffers`), its own
    env steps, exploration rate and target-network schedule, and they take their gradient
    steps together, every minibatch (K, B) one computation. The update below is written once
    for both: per-sample arrays have the member axis first, reductions are over the last axis.
    A member's networks start as its run alone would; one generator samples for all, so a
    member's run is a draw from the same distribution as its run alone, not the same numbers.
    Where an env resets in the next step (Gymnasium's vector CartPole), members count different
    steps; they learn once every member has ``learning_starts`` transitions.

    Args:
        observation_space: a Box vector, a Box image ((H, W, C) or (C, H, W): a convolution
            torso in front, :class:`rl_kit.agents.networks.ImageTorso`), or a finite space
            (one-hot encoded).
        action_space: Discrete from 0.
        seed: seeds the network, exploration and replay sampling; a tuple of K seeds makes a
            population of K members (numpy backend).
        member_values: for a population, one mapping per member of its own values of
            ``MEMBER_VALUES``, over `hyperparameters`.
        **hyperparameters: fields of :class:`DQNHyperparameters`.
    """

    name = "dqn"
    Hyperparameters = DQNHyperparameters
    MEMBER_VALUES = ("learning_rate", "gamma", "max_grad_norm", "epsilon", "target_update_interval")
    discrete = True  # actions
    # The loss of Q(s, a) against its target and the loss's gradient: an exercise's agent puts
    # the learner's here.
    td_loss = staticmethod(huber_loss)
    td_loss_gradient = staticmethod(huber_loss_gradient)

    def __init__(
        self,
        observation_space: spaces.Space,
        action_space: spaces.Space,
        *,
        seed: int | tuple[int, ...] | None = None,
        member_values: Sequence[Mapping[str, Any]] | None = None,
        **hyperparameters,
    ):
        self.observation_space, self.action_space = observation_space, action_space
        self.hyperparameters = hp = self.Hyperparameters.from_dict(hyperparameters, agent=self.name)
        self.n_actions = discrete_size(action_space, "action", self.name)
        self.seed = seed = self.join_population(seed, member_values, hyperparameters)
        single_threaded_blas()
        shape = (observation_space, self.n_actions, hp.hidden(), hp.activation, self.name, seed)
        network: type = QNetwork
        if hp.backend == "torch":  # the same parameters, autograd's gradients
            from .torch_off_policy_networks import TORCH_CLASSES

            network = TORCH_CLASSES[QNetwork]
        self.q = network(*shape, conv_layers=hp.convolutions())  # an image: a convolution torso first
        self.target = network(*shape, conv_layers=hp.convolutions())
        self.target.copy_from(self.q)
        self.rng = np.random.default_rng(list(seed) if isinstance(seed, tuple) else seed)
        self.calls = 0  # vector steps observed: the clock of train_freq
        self.updates = 0  # gradient steps taken
        self.replay: ReplayBuffer | MemberReplayBuffers
        self.steps: Any  # env transitions observed (each member's)
        self.target_updates: Any
        if self.members is None:
            self.replay = ReplayBuffer(hp.buffer_size)
            self.steps = self.target_updates = 0
        else:
            self.replay = MemberReplayBuffers(hp.buffer_size, self.members)
            self.steps = np.zeros(self.members, dtype=np.int64)
            self.target_updates = np.zeros(self.members, dtype=np.int64)

    # --- acting -------------------------------------------------------------------------------
    @property
    def epsilon(self) -> Any:
        """The exploration rate now (a population's: one per member, a column (K, 1))."""
        return self.scheduled("epsilon")

    def action_values(self, obs) -> np.ndarray:
        """Q(s, .) for a batch of observations, shape (batch, n_actions) (a population's K x N rows)."""
        q = self.q.forward(self.q.encode(obs))
        return q if self.members is None else q.reshape(-1, self.n_actions)

    def act(self, obs, *, explore: bool = True) -> np.ndarray:
        greedy = self.action_values(obs).argmax(axis=1)
        if not explore:
            return greedy
        epsilon = self.epsilon if self.members is None else self.per_env(self.epsilon.reshape(-1), len(greedy))
        random = self.rng.random(len(greedy)) < epsilon
        return np.where(random, self.rng.integers(self.n_actions, size=len(greedy)), greedy)

    def policy_outputs(self, obs) -> dict[str, np.ndarray]:
        """For display: Q(s, .) and V(s) = max_a Q(s, a)."""
        q = self.action_values(obs)
        return {"q": q, "value": q.max(axis=1)}

    def choice_gradient(self, obs) -> tuple[np.ndarray, np.ndarray]:
        """(x, dQ(s, greedy a)/dx): the encoded observations and how the chosen action's value moves with them."""
        x = self.q.encode(obs)
        return x, self.q.input_gradient(x, self.q.forward(x).argmax(axis=1))

    # --- learning -----------------------------------------------------------------------------
    def observe(self, transitions: Transitions) -> dict[str, Any]:
        t, hp = transitions, self.hyperparameters
        valid = None if t.valid is None else np.asarray(t.valid, dtype=bool)
        fields = [np.asarray(a) for a in (t.obs, t.action, t.reward, t.next_obs)]
        fields.append(np.asarray(t.terminated, dtype=np.float32))
        before = self.steps
        if self.members is None:
            keep = slice(None) if valid is None else valid
            self.replay.add(*(field[keep] for field in fields))
            self.steps = self.steps + len(fields[-1][keep])
        else:  # each member's envs into its own buffer
            assert isinstance(self.replay, MemberReplayBuffers)
            own_valid = None if valid is None else self.by_member(valid)
            obs, actions, rewards, next_obs, terminated = (self.by_member(field) for field in fields)
            self.replay.add(obs, actions, rewards, next_obs, terminated, valid=own_valid)
            self.steps = self.steps + (len(fields[-1]) // self.members if own_valid is None else own_valid.sum(axis=1))
        self.calls += 1
        due = self.target_update_due(before, self.steps)
        if np.any(due):
            self.target.copy_from(self.q, hp.tau, members=None if self.members is None else due)
            self.target_updates = self.target_updates + due
        if np.min(self.steps) < hp.learning_starts or self.calls % hp.train_freq or np.min(self.replay.size) == 0:
            return {}
        losses, q_means = [], []
        for _ in range(hp.gradient_steps):
            loss, q_taken = self.gradient_step()
            losses.append(loss)
            q_means.append(np.asarray(q_taken.mean(axis=-1), dtype=np.float64))
        return {
            "loss": numbers(np.mean(losses, axis=0)),
            "q_mean": numbers(np.mean(q_means, axis=0)),
            "epsilon": numbers(self.epsilon),
            "learning_rate": numbers(self.scheduled("learning_rate")),
        }

    def target_update_due(self, before, after):
        """Whether the env steps from `before` to `after` crossed a multiple of the interval (a
        population's: per member)."""
        interval = self.value("target_update_interval")
        return after // interval > before // interval

    def targets(self, batch: dict[str, np.ndarray]) -> np.ndarray:
        """y = r + gamma (1 - terminated) Q_target(s', a*), a* by the target (DQN) or online (Double DQN) network."""
        hp = self.hyperparameters
        next_x = self.target.encode(self.flat(batch["next_obs"]))
        next_q = self.target.forward(next_x)
        chooser = self.q.forward(next_x) if hp.double_q else next_q
        best = np.take_along_axis(next_q, chooser.argmax(axis=-1)[..., None], axis=-1)[..., 0]
        gamma = per_row(self.value("gamma"), best)  # a member's discount on its rows
        return (batch["rewards"] + gamma * (1.0 - batch["terminated"]) * best).astype(self.q.dtype)

    def gradient_step(self) -> tuple[Any, np.ndarray]:
        hp = self.hyperparameters
        batch = self.replay.sample(hp.batch_size, self.rng)
        targets = self.targets(batch)
        try:
            loss, q_taken, _ = self.q.step(
                self.q.encode(self.flat(batch["obs"])),
                batch["actions"].astype(np.int64),
                lambda xp, q_taken: self.td_loss(xp, q_taken, targets),
                lambda q_taken: self.td_loss_gradient(q_taken, targets),
                self.scheduled("learning_rate"),
                self.value("max_grad_norm"),
            )
        except NonFiniteLossError as error:
            at = int(np.max(self.steps))
            raise NonFiniteLossError(f"{self.name}: {error} at env step {at}; training stopped") from None
        self.updates += 1
        return loss, q_taken

    # --- saving and resuming ------------------------------------------------------------------
    def state_dict(self) -> dict[str, np.ndarray]:
        if self.members is not None:
            raise ValueError(f"{self.name}: a population saves its members (member_state)")
        state = {**self.q.state_dict("q"), **self.target.state_dict("target")}
        state["counters"] = np.array([self.steps, self.calls, self.updates, self.target_updates], dtype=np.int64)
        return state

    def load_state_dict(self, state: dict[str, np.ndarray]) -> None:
        self.q.load_state_dict(state, "q", self.name)
        self.target.load_state_dict(state, "target", self.name)
        counters = np.asarray(state["counters"]).reshape(-1)
        self.steps, self.calls, self.updates, self.target_updates = (int(x) for x in counters[:4])

    def training_state(self) -> tuple[dict[str, np.ndarray], dict]:
        """`state_dict`, the replay buffer, and the generator: a resumed run equals an uninterrupted one."""
        assert isinstance(self.replay, ReplayBuffer)
        buffer, position = self.replay.state()
        return {**self.state_dict(), **buffer}, {"generator": self.rng.bit_generator.state, "replay": position}

    def load_training_state(self, arrays: dict[str, np.ndarray], rest: dict) -> None:
        assert isinstance(self.replay, ReplayBuffer)
        self.load_state_dict({k: v for k, v in arrays.items() if not k.startswith("replay.")})
        self.replay.load_state(arrays, rest["replay"])
        self.rng.bit_generator.state = rest["generator"]

    # --- a population -------------------------------------------------------------------------
    def member_state(self, k: int) -> dict[str, np.ndarray]:
        """Member `k`'s :meth:`state_dict`, as its run alone would save it."""
        state = {**self.q.state_dict("q", member=k), **self.target.state_dict("target", member=k)}
        counters = [self.steps[k], self.calls, self.updates, self.target_updates[k]]
        state["counters"] = np.array(counters, dtype=np.int64)
        return state

    def member_training_state(self, k: int) -> tuple[dict[str, np.ndarray], dict]:
        """Member `k`'s :meth:`training_state`: its state, its replay buffer, and the population's generator."""
        assert isinstance(self.replay, MemberReplayBuffers)
        buffer, position = self.replay.member_state(k)
        return {**self.member_state(k), **buffer}, {"generator": self.rng.bit_generator.state, "replay": position}

    def load_member_training_states(self, states: list[tuple[dict[str, np.ndarray], dict]]) -> None:
        """The inverse of :meth:`member_training_state` for every member at once (a resumed population)."""
        assert isinstance(self.replay, MemberReplayBuffers) and len(states) == self.members
        for k, (arrays, _) in enumerate(states):
            self.q.load_state_dict(arrays, "q", self.name, member=k)
            self.target.load_state_dict(arrays, "target", self.name, member=k)
            counters = [int(x) for x in np.asarray(arrays["counters"]).reshape(-1)[:4]]
            self.steps[k], self.calls, self.updates, self.target_updates[k] = counters
        self.replay.load_member_states([(arrays, rest["replay"]) for arrays, rest in states])
        self.rng.bit_generator.state = states[0][1]["generator"]
