"""What DDPG, TD3 and SAC share: a replay buffer, actions scaled to the env's bounds, and the
schedule of updates.

Every env step goes into DQN's replay buffer (:mod:`rl_kit.agents.replay`), its action stored
in the networks' scale [-1, 1]^n, where a = 2 (action - low) / (high - low) - 1. The first
``learning_starts`` steps act uniformly at random (stable-baselines3's warm-up, which fills the
buffer with actions that no untrained actor would pick); from then on, every ``train_freq``
vector steps, ``gradient_steps`` times, a minibatch of ``batch_size`` is sampled and the agent
takes one update (:meth:`OffPolicyAgent.update`, the algorithm's own). A terminated step does
not bootstrap; a truncated one does, from its true final observation.

For diagnosis the agent also follows its critic against what it obtains: at each episode's
first step it notes Q_1(s_0, a_0), and when the episode ends, the discounted return
sum_t gamma^t r_t that followed; the means over the last 20 episodes are reported with every
update (``q_start``, ``discounted_return``), and a critic that overestimates shows as the first
above the second (Fujimoto et al. 2018, Figure 1, measure it so). The subclass says which networks it has (:meth:`OffPolicyAgent.networks`, saved and resumed
by name), how it acts and how it learns from a batch; nothing else.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np
from gymnasium import spaces

from .base import SpaceError, Transitions, describe
from .hyperparameters import Interval, NetworkHyperparameters
from .networks import Network, NonFiniteLossError, encode_observations, observation_size, single_threaded_blas
from .off_policy_networks import Critics, DeterministicActor, SquashedGaussianActor, StateDependentSquashedActor
from .replay import REPLAY_LIMITS, ReplayBuffer
from .schedules import Schedule
from .search_space import Choice, FloatRange, SearchSpace

SATURATED = 0.99  # |a| above this, in [-1, 1]: the actor's tanh at its bound (diagnose reads the fraction)


@dataclass(frozen=True)
class OffPolicyHyperparameters(NetworkHyperparameters):
    """The hyperparameters DDPG, TD3 and SAC share (stable-baselines3's names and defaults).

    Attributes:
        learning_rate: Adam's step size for every network; number or schedule over env steps.
        buffer_size: transitions the replay buffer keeps.
        learning_starts: env steps of uniformly random actions before the first update.
        batch_size: transitions per gradient step.
        tau: Polyak rate of the target networks, theta' <- tau theta + (1 - tau) theta'.
        gamma: discount factor.
        train_freq: vector steps between updates.
        gradient_steps: gradient steps per update.
        hidden_sizes: the actor's and each critic's hidden widths. activation: "relu" (SB3's).
        backend: as every network agent's: "numpy" (gradients by hand) or "torch" (autograd's).
    """

    learning_rate: Schedule = Schedule("constant", 1e-3)
    buffer_size: int = 1_000_000
    learning_starts: int = 100
    batch_size: int = 256
    tau: float = 0.005
    gamma: float = 0.99
    train_freq: int = 1
    gradient_steps: int = 1
    hidden_sizes: str = "400,300"
    activation: str = "relu"

    search_space: ClassVar[SearchSpace] = {
        "learning_rate": FloatRange(1e-5, 1e-2, log=True),
        "batch_size": Choice(64, 128, 256, 512),
        "gamma": Choice(0.9, 0.95, 0.98, 0.99, 0.995),
        "tau": Choice(0.001, 0.005, 0.01, 0.02),
        "train_freq": Choice(1, 4, 16, 64),
        "hidden_sizes": Choice("64,64", "256,256", "400,300"),
    }
    limits: ClassVar[dict[str, Interval]] = REPLAY_LIMITS


def box_bounds(space: spaces.Space, agent: str) -> tuple[np.ndarray, np.ndarray]:
    """A Box vector action space's finite bounds, or a SpaceError naming what is wrong."""
    if not isinstance(space, spaces.Box) or len(space.shape) != 1:
        raise SpaceError(f"{agent} needs a Box vector action space (continuous actions), but got {describe(space)}")
    low, high = np.asarray(space.low, dtype=np.float64), np.asarray(space.high, dtype=np.float64)
    if not (np.isfinite(low).all() and np.isfinite(high).all()):
        raise SpaceError(f"{agent} squashes its actions into the bounds, which must be finite: got {describe(space)}")
    return low, high


class OffPolicyAgent:
    """The shared part of DDPG, TD3 and SAC; see the module's docstring.

    Args:
        observation_space: a Box vector or a finite space (one-hot encoded).
        action_space: a Box vector with finite bounds.
        seed: seeds the networks, the exploration and the replay sampling.
        **hyperparameters: fields of the agent's hyperparameter class.
    """

    name: ClassVar[str]
    Hyperparameters: ClassVar[type[OffPolicyHyperparameters]]
    discrete = False  # actions
    actor: DeterministicActor | SquashedGaussianActor | StateDependentSquashedActor
    critics: Critics

    def __init__(
        self, observation_space: spaces.Space, action_space: spaces.Space, *, seed: int | None = None, **hyperparameters
    ):
        self.observation_space, self.action_space = observation_space, action_space
        self.hyperparameters = hp = self.Hyperparameters.from_dict(hyperparameters, agent=self.name)
        self.low, self.high = box_bounds(action_space, self.name)
        self.n_inputs = observation_size(observation_space, self.name)
        self.n_actions = len(self.low)
        seed = int(np.random.SeedSequence(seed).generate_state(1)[0]) if seed is None else int(seed)
        single_threaded_blas()
        self.dtype = np.dtype(np.float32)
        self.rng = np.random.default_rng(seed)
        self.replay = ReplayBuffer(hp.buffer_size)
        self.steps = 0  # env transitions observed
        self.calls = 0  # vector steps observed: the clock of train_freq
        self.updates = 0  # gradient steps taken
        self.build(seed)
        self.episode_start_q = np.zeros(0)  # per env: Q_1(s_0, a_0) of its episode, and the return so far
        self.episode_return = np.zeros(0)
        self.episode_discount = np.zeros(0)
        self.finished: deque[tuple[float, float]] = deque(maxlen=20)

    def network_factories(
        self, actor: type, seed: int, **actor_options: Any
    ) -> tuple[Callable[[], Any], Callable[[int], Any]]:
        """Makers of the actor (class `actor`, with `actor_options`) and of K critics, on the
        chosen backend (with ``backend: torch`` the autograd twins of
        :mod:`rl_kit.agents.torch_off_policy_networks`), seeded from `seed`: a network and its
        target, made by two calls, start equal."""
        hp = self.hyperparameters
        sizes = (self.n_inputs, self.n_actions, hp.hidden(), hp.activation)
        actor_seed, critic_seed = (int(s) for s in np.random.SeedSequence(seed).generate_state(2))
        actor_class, critic_class = actor, Critics
        if hp.backend == "torch":
            from .torch_off_policy_networks import TORCH_CLASSES

            actor_class, critic_class = TORCH_CLASSES[actor], TORCH_CLASSES[Critics]
        return (lambda: actor_class(*sizes, actor_seed, **actor_options)), (
            lambda count: critic_class(*sizes, count, critic_seed)
        )

    # --- what a subclass says -----------------------------------------------------------------
    def build(self, seed: int) -> None:
        """Make the networks."""
        raise NotImplementedError

    def networks(self) -> dict[str, Network]:
        """The networks by the prefix of their saved names."""
        raise NotImplementedError

    def policy(self, x: np.ndarray, explore: bool) -> np.ndarray:
        """Actions in [-1, 1]^n for encoded observations x: exploring, or the greedy ones."""
        raise NotImplementedError

    def update(self, batch: dict[str, np.ndarray]) -> dict[str, float]:
        """One gradient step on a minibatch (obs, actions in [-1, 1], rewards, next_obs, terminated)."""
        raise NotImplementedError

    def episodes_ended(self, ended: np.ndarray) -> None:
        """Called with the envs whose episode ended at this step (exploration noise with memory resets)."""

    def extra_state(self) -> dict[str, np.ndarray]:
        """Arrays besides the networks that ``state_dict`` keeps (SAC's temperature)."""
        return {}

    def load_extra_state(self, state: dict[str, np.ndarray]) -> None:
        pass

    # --- acting -------------------------------------------------------------------------------
    def encode(self, obs) -> np.ndarray:
        return encode_observations(self.observation_space, obs, self.dtype)

    def to_env(self, scaled: np.ndarray) -> np.ndarray:
        """[-1, 1]^n to the env's bounds."""
        return (self.low + (np.asarray(scaled, dtype=np.float64) + 1.0) * 0.5 * (self.high - self.low)).astype(
            self.action_space.dtype
        )

    def from_env(self, actions: np.ndarray) -> np.ndarray:
        """The env's bounds to [-1, 1]^n."""
        scaled = 2.0 * (np.asarray(actions, dtype=np.float64) - self.low) / (self.high - self.low) - 1.0
        return np.clip(scaled, -1.0, 1.0).astype(self.dtype)

    def act(self, obs, *, explore: bool = True) -> np.ndarray:
        x = self.encode(obs)
        if explore and self.steps < self.hyperparameters.learning_starts:
            return self.to_env(self.rng.uniform(-1.0, 1.0, (len(x), self.n_actions)))
        return self.to_env(self.policy(x, explore))

    # --- learning -----------------------------------------------------------------------------
    def observe(self, transitions: Transitions) -> dict[str, float]:
        t, hp = transitions, self.hyperparameters
        keep = slice(None) if t.valid is None else np.asarray(t.valid, dtype=bool)
        terminated = np.asarray(t.terminated, dtype=np.float32)[keep]
        self.replay.add(
            np.asarray(t.obs)[keep],
            self.from_env(np.asarray(t.action)[keep]),
            np.asarray(t.reward, dtype=np.float32)[keep],
            np.asarray(t.next_obs)[keep],
            terminated,
        )
        ended = np.asarray(t.terminated, dtype=bool) | np.asarray(t.truncated, dtype=bool)
        self.episodes_ended(ended)
        self.follow_episodes(t, ended)
        self.steps += len(terminated)
        self.calls += 1
        if self.steps < hp.learning_starts or self.calls % hp.train_freq or self.replay.size == 0:
            return {}
        metrics: dict[str, list[float]] = {}
        for _ in range(hp.gradient_steps):
            batch = self.replay.sample(hp.batch_size, self.rng)
            try:
                values = self.update(batch)
            except NonFiniteLossError as error:
                raise NonFiniteLossError(f"{self.name}: {error} at env step {self.steps}; training stopped") from None
            self.updates += 1
            for key, value in values.items():
                metrics.setdefault(key, []).append(value)
        followed = np.array(self.finished).reshape(-1, 2).mean(axis=0) if self.finished else (np.nan, np.nan)
        return {key: float(np.mean(v)) for key, v in metrics.items()} | {
            "learning_rate": self.learning_rate,
            "q_start": float(followed[0]),
            "discounted_return": float(followed[1]),
        }

    def follow_episodes(self, t: Transitions, ended: np.ndarray) -> None:
        """Q_1(s_0, a_0) at each episode's start and the discounted return that followed (see the module)."""
        n = len(ended)
        if self.episode_start_q.shape[0] != n:
            self.episode_start_q, self.episode_return = np.full(n, np.nan), np.zeros(n)
            self.episode_discount = np.ones(n)
        valid = np.ones(n, dtype=bool) if t.valid is None else np.asarray(t.valid, dtype=bool)
        starting = valid & np.isnan(self.episode_start_q)
        if starting.any():
            x, actions = self.encode(np.asarray(t.obs)[starting]), self.from_env(np.asarray(t.action)[starting])
            self.episode_start_q[starting] = self.critics.forward(x, actions)[0]
        reward = np.where(valid, np.asarray(t.reward, dtype=np.float64), 0.0)
        self.episode_return += self.episode_discount * reward
        self.episode_discount = np.where(
            valid, self.episode_discount * self.hyperparameters.gamma, self.episode_discount
        )
        for i in np.flatnonzero(ended & valid):
            self.finished.append((float(self.episode_start_q[i]), float(self.episode_return[i])))
            self.episode_start_q[i], self.episode_return[i], self.episode_discount[i] = np.nan, 0.0, 1.0

    @property
    def learning_rate(self) -> float:
        return self.hyperparameters.learning_rate(self.steps)

    def bootstrap(self, batch: dict[str, np.ndarray], next_values: np.ndarray) -> np.ndarray:
        """y = r + gamma (1 - terminated) V(s'): the TD target, no future past a terminated step."""
        y = batch["rewards"] + self.hyperparameters.gamma * (1.0 - batch["terminated"]) * next_values
        return y.astype(self.dtype)

    # --- for watch and explain ----------------------------------------------------------------
    def policy_outputs(self, obs) -> dict[str, np.ndarray]:
        """The greedy action (in the env's bounds) and the critics' Q(s, a) of it (their minimum)."""
        x = self.encode(obs)
        scaled = self.policy(x, explore=False)
        q = self.critics.forward(x, scaled).min(axis=0)
        return {"mean": self.to_env(scaled), "value": q}

    def action_value_grid(self, obs, actions: np.ndarray) -> np.ndarray:
        """min_k Q_k(s_i, a_ig), (B, G), for observations (B, ...) and G actions each (B, G, n) in
        the env's bounds: the critic's landscape along the actions (explain draws it)."""
        x, (count, grid) = self.encode(obs), actions.shape[:2]
        scaled = self.from_env(actions.reshape(count * grid, -1))
        return self.critics.forward(np.repeat(x, grid, axis=0), scaled).min(axis=0).reshape(count, grid)

    def choice_gradient(self, obs) -> tuple[np.ndarray, np.ndarray]:
        """(x, ||d a / dx||): the encoded observations, and how far the greedy action moves with
        each input (the components' gradients summed in quadrature)."""
        x = self.encode(obs)
        return x, np.sqrt((self.actor.greedy_input_gradient(x) ** 2).sum(axis=0))

    # --- saving and resuming ------------------------------------------------------------------
    def state_dict(self) -> dict[str, np.ndarray]:
        state: dict[str, np.ndarray] = {}
        for prefix, network in self.networks().items():
            state.update(network.state_dict(prefix))
        state.update(self.extra_state())
        state["counters"] = np.array([self.steps, self.calls, self.updates], dtype=np.int64)
        return state

    def load_state_dict(self, state: dict[str, np.ndarray]) -> None:
        for prefix, network in self.networks().items():
            network.load_state_dict(state, prefix, self.name)
        self.load_extra_state(state)
        self.steps, self.calls, self.updates = (int(x) for x in np.asarray(state["counters"]).reshape(-1)[:3])

    def training_state(self) -> tuple[dict[str, np.ndarray], dict[str, Any]]:
        """`state_dict`, the replay buffer and the generator: a resumed run equals an uninterrupted one."""
        buffer, position = self.replay.state()
        followed = {"start_q": [None if np.isnan(q) else float(q) for q in self.episode_start_q],
                    "return": self.episode_return.tolist(), "discount": self.episode_discount.tolist(),
                    "finished": [list(pair) for pair in self.finished]}  # fmt: skip
        rest = {"generator": self.rng.bit_generator.state, "replay": position, "followed": followed}
        return {**self.state_dict(), **buffer}, rest

    def load_training_state(self, arrays: dict[str, np.ndarray], rest: dict[str, Any]) -> None:
        self.load_state_dict({k: v for k, v in arrays.items() if not k.startswith("replay.")})
        self.replay.load_state(arrays, rest["replay"])
        self.rng.bit_generator.state = rest["generator"]
        followed = rest.get("followed", {})
        self.episode_start_q = np.array([np.nan if q is None else q for q in followed.get("start_q", [])], dtype=float)
        self.episode_return = np.array(followed.get("return", []), dtype=float)
        self.episode_discount = np.array(followed.get("discount", []), dtype=float)
        self.finished = deque((tuple(pair) for pair in followed.get("finished", [])), maxlen=20)
