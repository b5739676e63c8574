"""What DDPG, TD3 and SAC share: a replay buffer, actions scaled to the env's bounds, and the
schedule of updates.

Every env step goes into DQN's replay buffer (:mod:`rl_kit.agents.replay`), its action stored
in the networks' scale [-1, 1]^n, where a = 2 (action - low) / (high - low) - 1. The first
``learning_starts`` steps act uniformly at random (stable-baselines3's warm-up, which fills the
buffer with actions that no untrained actor would pick); from then on, every ``train_freq``
vector steps, ``gradient_steps`` times, a minibatch of ``batch_size`` is sampled and the agent
takes one update (:meth:`OffPolicyAgent.update`, the algorithm's own). A terminated step does
not bootstrap; a truncated one does, from its true final observation.

The subclass says which networks it has (:meth:`OffPolicyAgent.networks`, saved and resumed
by name), how it acts and how it learns from a batch; nothing else.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np
from gymnasium import spaces

from .base import SpaceError, Transitions, describe
from .hyperparameters import AT_LEAST_ONE, NON_NEGATIVE, UNIT, Interval, NetworkHyperparameters
from .networks import Network, NonFiniteLossError, encode_observations, observation_size, single_threaded_blas
from .off_policy_networks import Critics, DeterministicActor, SquashedGaussianActor
from .policy_gradient import ARRAY_BACKENDS
from .replay import ReplayBuffer
from .schedules import Schedule
from .search_space import Choice, FloatRange, SearchSpace


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
        backend: "numpy" (gradients by hand) or "torch" (autograd's, on the same parameters).
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
    backend: str = "numpy"

    search_space: ClassVar[SearchSpace] = {
        "learning_rate": FloatRange(1e-5, 1e-2, log=True),
        "batch_size": Choice(64, 128, 256, 512),
        "gamma": Choice(0.9, 0.95, 0.98, 0.99, 0.995),
        "tau": Choice(0.001, 0.005, 0.01, 0.02),
        "train_freq": Choice(1, 4, 16, 64),
        "hidden_sizes": Choice("64,64", "256,256", "400,300"),
    }
    limits: ClassVar[dict[str, Interval]] = {
        "learning_rate": NON_NEGATIVE,
        "buffer_size": AT_LEAST_ONE,
        "learning_starts": NON_NEGATIVE,
        "batch_size": AT_LEAST_ONE,
        "tau": Interval(0.0, 1.0, low_open=True),
        "gamma": UNIT,
        "train_freq": AT_LEAST_ONE,
        "gradient_steps": AT_LEAST_ONE,
    }

    def __post_init__(self) -> None:
        super().__post_init__()
        if self.backend not in ARRAY_BACKENDS:
            raise ValueError(f"backend must be one of {list(ARRAY_BACKENDS)}, got {self.backend!r}")


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
    actor: DeterministicActor | SquashedGaussianActor
    critics: Critics

    def __init__(
        self, observation_space: spaces.Space, action_space: spaces.Space, *, seed: int | None = None, **hyperparameters
    ):
        self.observation_space, self.action_space = observation_space, action_space
        self.hyperparameters = hp = self.Hyperparameters.from_dict(hyperparameters, agent=self.name)
        self.low, self.high = box_bounds(action_space, self.name)
        self.n_inputs = observation_size(observation_space, self.name)
        self.n_actions = int(action_space.shape[0])
        seed = int(np.random.SeedSequence(seed).generate_state(1)[0]) if seed is None else int(seed)
        single_threaded_blas()
        self.dtype = np.dtype(np.float32)
        self.rng = np.random.default_rng(seed)
        self.replay = ReplayBuffer(hp.buffer_size)
        self.steps = 0  # env transitions observed
        self.calls = 0  # vector steps observed: the clock of train_freq
        self.updates = 0  # gradient steps taken
        self.build(seed)

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
        self.episodes_ended(np.asarray(t.terminated, dtype=bool) | np.asarray(t.truncated, dtype=bool))
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
        return {key: float(np.mean(v)) for key, v in metrics.items()} | {"learning_rate": self.learning_rate}

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
        return {**self.state_dict(), **buffer}, {"generator": self.rng.bit_generator.state, "replay": position}

    def load_training_state(self, arrays: dict[str, np.ndarray], rest: dict[str, Any]) -> None:
        self.load_state_dict({k: v for k, v in arrays.items() if not k.startswith("replay.")})
        self.replay.load_state(arrays, rest["replay"])
        self.rng.bit_generator.state = rest["generator"]
