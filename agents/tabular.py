"""What the tabular TD agents share: the Q table, epsilon-greedy acting and the update step.

Every one-step TD control method updates the value of the pair it just tried toward a target::

    Q(S, A) <- Q(S, A) + alpha * [ target - Q(S, A) ]

and the methods differ only in the target (Sutton & Barto, chapter 6). So each algorithm's
module holds just its ``td_target``; this class holds the rest once. With ``num_envs`` envs
the update is applied to all their transitions at once, every error computed from the table
before the step; a pair that several envs tried in the same step moves by alpha times the mean
of their errors (summing them would step too far and diverge with many envs). With one env
it is exactly the textbook update.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

import numpy as np
from gymnasium import spaces

from .base import Transitions, check_finite, discrete_size
from .hyperparameters import UNIT, Hyperparameters, Interval
from .schedules import Schedule
from .search_space import Choice, FloatRange, SearchSpace
from .spaces import StateIndex


@dataclass(frozen=True)
class TabularHyperparameters(Hyperparameters):
    """Hyperparameters of the tabular TD agents, named as in Sutton & Barto.

    Attributes:
        alpha: step size of the update, a number or a schedule (``"linear(0.5, 0.01, 100000)"``).
        gamma: discount factor in [0, 1].
        epsilon: probability of a uniformly random action while exploring; number or schedule.
        q_init: initial value of every Q(s, a); optimistic values encourage exploration.
    """

    alpha: Schedule = Schedule("constant", 0.1)
    gamma: float = 0.99
    epsilon: Schedule = Schedule("constant", 0.1)
    q_init: float = 0.0

    search_space: ClassVar[SearchSpace] = {
        "alpha": FloatRange(0.01, 1.0, log=True),
        "epsilon": FloatRange(0.01, 0.5, log=True),
        "gamma": Choice(0.9, 0.95, 0.99, 0.999),
        "q_init": Choice(0.0, 1.0),
    }

    limits: ClassVar[dict[str, Interval]] = {"alpha": UNIT, "gamma": UNIT, "epsilon": UNIT}


class TabularAgent:
    """Base of the tabular agents: a Q table over Discrete observations and actions.

    Args:
        observation_space: any finite space (``Discrete``, a ``Tuple`` or ``Dict`` of
            ``Discrete``, ``MultiDiscrete``): its states are numbered 0..n-1
            (:class:`rl_kit.agents.spaces.StateIndex`), one row of the table each.
        action_space: a ``Discrete`` space (the actions).
        seed: seed of the agent's own random generator (exploration, tie-breaking).
        **hyperparameters: fields of ``TabularHyperparameters``.
    """

    name: ClassVar[str]
    Hyperparameters: ClassVar[type[Hyperparameters]] = TabularHyperparameters

    def __init__(
        self, observation_space: spaces.Space, action_space: spaces.Space, *, seed: int | None = None, **hyperparameters
    ):
        self.state_index = StateIndex(observation_space, self.name)
        self.n_states = self.state_index.n
        self.n_actions = discrete_size(action_space, "action", self.name)
        self.observation_space, self.action_space = observation_space, action_space
        self.hyperparameters = self.Hyperparameters.from_dict(hyperparameters, agent=self.name)
        self.rng = np.random.default_rng(seed)
        q_init = getattr(self.hyperparameters, "q_init", 0.0)
        self.q = np.full((self.n_states, self.n_actions), q_init, dtype=np.float64)
        self.steps = 0  # transitions observed: the clock of the schedules

    # --- acting -----------------------------------------------------------------------------
    def action_values(self, obs: np.ndarray) -> np.ndarray:
        """Q(s, .) for a batch of states, shape (batch, n_actions)."""
        return self.q[obs]

    @property
    def epsilon(self) -> float:
        return self.hyperparameters.epsilon(self.steps)

    def act(self, obs, *, explore: bool = True) -> np.ndarray:
        """Epsilon-greedy actions for a batch of states; greedy (first best) if not exploring."""
        q = self.action_values(self.state_index(obs))
        if not explore:
            return q.argmax(axis=1)
        return self.epsilon_greedy(q)

    def epsilon_greedy(self, q: np.ndarray) -> np.ndarray:
        """With probability epsilon a uniform action, else a greedy one, ties broken at random."""
        best = q == q.max(axis=1, keepdims=True)
        greedy = (best * self.rng.random(q.shape)).argmax(axis=1)
        explore = self.rng.random(len(q)) < self.epsilon
        return np.where(explore, self.rng.integers(self.n_actions, size=len(q)), greedy)

    def greedy_policy(self) -> np.ndarray:
        """The greedy action of every state, shape (n_states,)."""
        return self.action_values(np.arange(self.n_states)).argmax(axis=1)

    def state_values(self) -> np.ndarray:
        """max_a Q(s, a) for every state, shape (n_states,)."""
        return self.action_values(np.arange(self.n_states)).max(axis=1)

    # --- learning ---------------------------------------------------------------------------
    def td_target(self, t: Transitions, gamma: float) -> np.ndarray:
        """The target of the update for each transition: the algorithm itself."""
        raise NotImplementedError

    def td_error(self, t: Transitions, gamma: float, obs: np.ndarray, action: np.ndarray) -> np.ndarray:
        return self.td_target(t, gamma) - self.q[obs, action]

    def observe(self, transitions: Transitions) -> dict[str, float]:
        t = transitions
        hp = self.hyperparameters
        alpha = hp.alpha(self.steps)
        obs, action = self.state_index(t.obs), np.asarray(t.action, dtype=np.int64)
        td_error = self.td_error(t, hp.gamma, obs, action)
        if t.valid is not None:  # reset steps of NEXT_STEP vector envs teach nothing
            td_error = td_error * t.valid
        # a NaN reward would spread through the table (as an all-NaN greedy policy, action 0 everywhere)
        check_finite(self.name, self.steps, **{"the TD error (a reward or value is not finite)": td_error})
        self.update(obs, action, alpha * td_error)
        self.steps += len(obs) if t.valid is None else int(np.count_nonzero(t.valid))
        return {"td_error": float(np.abs(td_error).mean()), "alpha": alpha, "epsilon": self.epsilon}

    def update(self, obs: np.ndarray, action: np.ndarray, delta: np.ndarray, table: np.ndarray | None = None) -> None:
        """Add `delta` to the table's (obs, action) entries, averaging where pairs repeat."""
        table = self.q if table is None else table
        if len(obs) == 1:
            table[obs[0], action[0]] += delta[0]
            return
        pair = obs * self.n_actions + action
        size = table.size
        counts = np.bincount(pair, minlength=size)
        sums = np.bincount(pair, weights=delta, minlength=size)
        touched = counts > 0
        table.reshape(-1)[touched] += sums[touched] / counts[touched]

    @staticmethod
    def continues(t: Transitions) -> np.ndarray:
        """1 where the future counts (not terminated; truncation bootstraps), else 0."""
        return 1.0 - np.asarray(t.terminated, dtype=np.float64)

    # --- checkpoints (resuming training exactly) -----------------------------------------------
    def training_state(self) -> tuple[dict[str, np.ndarray], dict]:
        """What `state_dict` holds plus what training needs to go on exactly: the generator."""
        return self.state_dict(), {"rng": self.rng.bit_generator.state}

    def load_training_state(self, arrays: dict[str, np.ndarray], rest: dict) -> None:
        self.load_state_dict(arrays)
        self.rng.bit_generator.state = rest["rng"]

    # --- saving -----------------------------------------------------------------------------
    def state_dict(self) -> dict[str, np.ndarray]:
        return {"q": self.q.copy(), "steps": np.array([self.steps], dtype=np.int64)}

    def load_state_dict(self, state: dict[str, np.ndarray]) -> None:
        expected = self.state_dict()
        for key, value in expected.items():
            if key not in state:
                raise ValueError(f"{self.name} state is missing {key!r}")
            if np.asarray(state[key]).dtype.kind != value.dtype.kind:
                raise ValueError(
                    f"{self.name} state {key!r} has dtype {np.asarray(state[key]).dtype}, expected {value.dtype}"
                )
            if np.shape(state[key]) != value.shape:
                raise ValueError(
                    f"{self.name} state {key!r} has shape {np.shape(state[key])}, expected {value.shape} "
                    "(was it saved for an env with other spaces?)"
                )
        self._load(state)

    def _load(self, state: dict[str, np.ndarray]) -> None:
        self.q[...] = state["q"]
        self.steps = int(np.asarray(state["steps"]).reshape(-1)[0])
