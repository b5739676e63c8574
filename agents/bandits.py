"""Multi-armed bandit agents (Sutton & Barto, chapter 2): learning to act with no states at all.

A bandit agent estimates the value of each action from the rewards it gets, and must balance
exploiting its best estimate with exploring the others. With ``num_envs`` envs it learns each
env's problem separately (a row of estimates per env): that is the k-armed testbed, where a
method's curve is averaged over thousands of independent problems. When an env's episode ends,
a new problem starts there, and its row starts afresh.

**Estimates** (section 2.4-2.5). After reward R for action A::

    N(A) <- N(A) + 1
    Q(A) <- Q(A) + alpha_n * [R - Q(A)],   alpha_n = 1 / N(A)  (sample average)  or  alpha  (constant)

Sample averages converge to q*(a) on stationary problems; a constant step size weights recent
rewards more (exponential recency-weighted average) and so tracks problems that drift.

**Epsilon-greedy** (2.2): the greedy action argmax_a Q(a) (ties at random), or with probability
epsilon a uniformly random one. **Optimistic initial values** (2.6): start every Q(a) at q_init
above any plausible value (5 on the testbed); even a greedy agent (epsilon 0) then tries every
arm, "disappointed" by each in turn.

**Upper confidence bound** (2.7)::

    A_t = argmax_a [ Q(a) + c * sqrt( ln t / N(a) ) ],   an arm never tried counts as maximal

**Gradient bandit** (2.8): preferences H(a), a softmax policy pi(a) = e^H(a) / sum_b e^H(b), and
stochastic gradient ascent on the expected reward::

    H(A) <- H(A) + alpha * (R - Rbar) * (1 - pi(A))
    H(a) <- H(a) - alpha * (R - Rbar) * pi(a)        for a != A

with Rbar the average of the rewards before this one (Rbar_1 = R_1): the baseline. Without it,
learning suffers when rewards are far from 0, as in Figure 2.5.

Greedy evaluation without learning tells little here: every episode is a new problem. Bandit
agents are measured while they learn, by the average reward and the fraction of optimal
actions at each step (``rl_kit.experiments.testbed.testbed``, ``rl-kit bandit``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

import numpy as np
from gymnasium import spaces

from .base import SpaceError, Transitions, discrete_size
from .hyperparameters import NON_NEGATIVE, POSITIVE, UNIT, Hyperparameters, Interval
from .schedules import Schedule


@dataclass(frozen=True)
class EstimateHyperparameters(Hyperparameters):
    """How action values are estimated, shared by the value-based bandit agents.

    Attributes:
        alpha: step size; 0 means the sample average (alpha = 1/N(a)).
        q_init: initial estimate of every arm; above the true values is optimistic.
    """

    alpha: float = 0.0
    q_init: float = 0.0

    limits: ClassVar[dict[str, Interval]] = {"alpha": UNIT}


@dataclass(frozen=True)
class EpsilonGreedyBanditHyperparameters(EstimateHyperparameters):
    """Attributes: epsilon: probability of a uniformly random arm; a number, or a schedule over
    the pulls of each problem (``linear(1, 0.01, 500)``); alpha and q_init as in
    :class:`EstimateHyperparameters`."""

    epsilon: Schedule = Schedule("constant", 0.1)

    limits: ClassVar[dict[str, Interval]] = {**EstimateHyperparameters.limits, "epsilon": UNIT}


@dataclass(frozen=True)
class UCBBanditHyperparameters(EstimateHyperparameters):
    """Attributes: c: the weight of the exploration bonus; alpha and q_init as for the estimates."""

    c: float = 2.0

    limits: ClassVar[dict[str, Interval]] = {**EstimateHyperparameters.limits, "c": NON_NEGATIVE}


@dataclass(frozen=True)
class GradientBanditHyperparameters(Hyperparameters):
    """Attributes: alpha: step size of the preference update; baseline: subtract the average reward."""

    alpha: float = 0.1
    baseline: bool = True

    limits: ClassVar[dict[str, Interval]] = {"alpha": POSITIVE}


class BanditAgent:
    """What the bandit agents share: one row of statistics per env, reset when its problem ends.

    Args:
        observation_space: a space of one value (``Discrete(1)``, as ``rl_kit/Bandit-v0`` has): a
            bandit has no state. An env with more states is refused: these agents would ignore
            them, learning one value per arm where each state needs its own.
        action_space: a ``Discrete`` space: the arms.
        seed: seed of the agent's generator (exploration, ties).
        **hyperparameters: fields of the agent's ``Hyperparameters``.
    """

    name: ClassVar[str]
    Hyperparameters: ClassVar[type[Hyperparameters]]
    # Row i of a batch is env i's own problem: evaluation must not batch episodes (a second row
    # would be an agent that has learned nothing).
    rows_are_separate_problems: ClassVar[bool] = True

    def __init__(
        self, observation_space: spaces.Space, action_space: spaces.Space, *, seed: int | None = None, **hyperparameters
    ):
        self.k = discrete_size(action_space, "action", self.name)
        if not (isinstance(observation_space, spaces.Discrete) and observation_space.n == 1):
            raise SpaceError(
                f"{self.name} is a bandit agent: it has no states, but this env observes {observation_space}. "
                "Use it on a bandit env (rl_kit/Bandit-v0), and a tabular agent (q_learning, sarsa, ...) here"
            )
        self.observation_space, self.action_space = observation_space, action_space
        self.hyperparameters = self.Hyperparameters.from_dict(hyperparameters, agent=self.name)
        self.rng = np.random.default_rng(seed)
        self.steps = 0  # pulls observed over all envs: the clock of schedules
        self.rows = {name: np.zeros((0, *shape)) for name, shape in self.row_shapes().items()}

    # --- one row of statistics per env ---------------------------------------------------------
    def row_shapes(self) -> dict[str, tuple[int, ...]]:
        """Per-env arrays: estimates q and counts n of each arm, and the step t of its problem."""
        return {"q": (self.k,), "n": (self.k,), "t": ()}

    def initial_rows(self, count: int) -> dict[str, np.ndarray]:
        return {
            "q": np.full((count, self.k), getattr(self.hyperparameters, "q_init", 0.0)),
            "n": np.zeros((count, self.k)),
            "t": np.zeros(count),
        }

    def ensure_rows(self, count: int) -> None:
        """Grow the statistics to `count` envs (new rows start afresh)."""
        have = len(self.rows["t"])
        if count > have:
            fresh = self.initial_rows(count - have)
            self.rows = {name: np.concatenate([self.rows[name], fresh[name]]) for name in self.rows}

    def reset_rows(self, which: np.ndarray) -> None:
        """A new problem started in these envs: forget what was learned there."""
        fresh = self.initial_rows(int(which.sum()))
        for name, array in self.rows.items():
            array[which] = fresh[name]

    # --- acting ---------------------------------------------------------------------------------
    def scores(self, rows: slice) -> np.ndarray:
        """What the agent maximizes greedily, shape (envs, k)."""
        return self.rows["q"][rows]

    def argmax_random_ties(self, values: np.ndarray) -> np.ndarray:
        best = values == values.max(axis=1, keepdims=True)
        return (best * self.rng.random(values.shape)).argmax(axis=1)

    def act(self, obs, *, explore: bool = True) -> np.ndarray:
        count = len(np.atleast_1d(obs))
        self.ensure_rows(count)
        return self.choose(slice(0, count), explore)

    def choose(self, rows: slice, explore: bool) -> np.ndarray:
        return self.argmax_random_ties(self.scores(rows))

    # --- learning -------------------------------------------------------------------------------
    def observe(self, transitions: Transitions) -> dict[str, float]:
        t = transitions
        action = np.asarray(t.action, dtype=np.int64)
        reward = np.asarray(t.reward, dtype=np.float64)
        count = len(action)
        self.ensure_rows(count)
        learn = np.ones(count, dtype=bool) if t.valid is None else np.asarray(t.valid, dtype=bool)
        rows = np.flatnonzero(learn)
        self.rows["t"][rows] += 1
        self.update(rows, action[rows], reward[rows])
        self.steps += len(rows)
        ended = np.asarray(t.terminated) | np.asarray(t.truncated)
        if ended.any():
            self.reset_rows(np.concatenate([ended, np.zeros(len(self.rows["t"]) - count, dtype=bool)]))
        return {"reward": float(reward[rows].mean()) if len(rows) else 0.0}

    def update(self, rows: np.ndarray, action: np.ndarray, reward: np.ndarray) -> None:
        """The incremental estimate: Q(A) += step * (R - Q(A)), step 1/N(A) or alpha."""
        n, q = self.rows["n"], self.rows["q"]
        n[rows, action] += 1
        alpha = self.hyperparameters.alpha
        step = 1.0 / n[rows, action] if alpha == 0.0 else alpha
        q[rows, action] += step * (reward - q[rows, action])

    # --- saving and resuming --------------------------------------------------------------------
    def state_dict(self) -> dict[str, np.ndarray]:
        return {**{name: array.copy() for name, array in self.rows.items()}, "steps": np.array([self.steps])}

    def load_state_dict(self, state: dict[str, np.ndarray]) -> None:
        shapes = self.row_shapes()
        missing = [name for name in (*shapes, "steps") if name not in state]
        if missing:
            raise ValueError(f"{self.name} state is missing {missing}")
        count = len(np.asarray(state["t"]))
        for name, shape in shapes.items():
            array = np.asarray(state[name])
            if array.shape != (count, *shape) or array.dtype.kind != "f":
                raise ValueError(
                    f"{self.name} state {name!r} has shape {array.shape} and dtype {array.dtype}, expected "
                    f"float {(count, *shape)} (saved for {self.k} arms?)"
                )
        self.rows = {name: np.array(state[name], dtype=np.float64) for name in shapes}
        self.steps = int(np.asarray(state["steps"]).reshape(-1)[0])

    def training_state(self) -> tuple[dict[str, np.ndarray], dict]:
        return self.state_dict(), {"rng": self.rng.bit_generator.state}

    def load_training_state(self, arrays: dict[str, np.ndarray], rest: dict) -> None:
        self.load_state_dict(arrays)
        self.rng.bit_generator.state = rest["rng"]


class EpsilonGreedyBandit(BanditAgent):
    """Epsilon-greedy on sample-average or constant-step estimates; optimistic with q_init > 0."""

    name = "epsilon_greedy_bandit"
    Hyperparameters = EpsilonGreedyBanditHyperparameters

    def choose(self, rows: slice, explore: bool) -> np.ndarray:
        greedy = self.argmax_random_ties(self.scores(rows))
        if not explore:
            return greedy
        schedule = self.hyperparameters.epsilon
        if schedule.kind == "constant":
            epsilon = schedule.start
        else:  # each problem's own pulls; few distinct values, since the envs step together
            pulls, which = np.unique(self.rows["t"][rows], return_inverse=True)
            epsilon = np.array([schedule(p) for p in pulls])[which]
        random_arm = self.rng.random(len(greedy)) < epsilon
        return np.where(random_arm, self.rng.integers(self.k, size=len(greedy)), greedy)


class UCBBandit(BanditAgent):
    """Upper-confidence-bound action selection on sample-average or constant-step estimates."""

    name = "ucb_bandit"
    Hyperparameters = UCBBanditHyperparameters

    def scores(self, rows: slice) -> np.ndarray:
        q, n, t = self.rows["q"][rows], self.rows["n"][rows], self.rows["t"][rows]
        with np.errstate(divide="ignore", invalid="ignore"):
            bonus = self.hyperparameters.c * np.sqrt(np.log(np.maximum(t, 1.0))[:, None] / n)
        return np.where(n == 0, np.inf, q + bonus)  # an arm never tried is maximal

    def choose(self, rows: slice, explore: bool) -> np.ndarray:
        values = self.scores(rows) if explore else self.rows["q"][rows]
        return self.argmax_random_ties(values)


class GradientBandit(BanditAgent):
    """Softmax over learned preferences, updated by stochastic gradient ascent (with a baseline)."""

    name = "gradient_bandit"
    Hyperparameters = GradientBanditHyperparameters

    def row_shapes(self) -> dict[str, tuple[int, ...]]:
        """Preferences h of each arm, the average reward r_bar, and the step t."""
        return {"h": (self.k,), "r_bar": (), "t": ()}

    def initial_rows(self, count: int) -> dict[str, np.ndarray]:
        return {"h": np.zeros((count, self.k)), "r_bar": np.zeros(count), "t": np.zeros(count)}

    def policy(self, rows) -> np.ndarray:
        h = self.rows["h"][rows]
        e = np.exp(h - h.max(axis=1, keepdims=True))
        return e / e.sum(axis=1, keepdims=True)

    def scores(self, rows: slice) -> np.ndarray:
        return self.rows["h"][rows]

    def choose(self, rows: slice, explore: bool) -> np.ndarray:
        if not explore:
            return self.argmax_random_ties(self.scores(rows))
        pi = self.policy(rows)
        u = self.rng.random((len(pi), 1))
        return np.minimum((pi.cumsum(axis=1) < u).sum(axis=1), self.k - 1)  # a draw from each row's pi

    def update(self, rows: np.ndarray, action: np.ndarray, reward: np.ndarray) -> None:
        hp = self.hyperparameters
        r_bar = self.rows["r_bar"]
        first = self.rows["t"][rows] == 1
        baseline = np.where(first, reward, r_bar[rows]) if hp.baseline else 0.0
        pi = self.policy(rows)
        chosen = np.zeros_like(pi)
        chosen[np.arange(len(rows)), action] = 1.0
        self.rows["h"][rows] += hp.alpha * (reward - baseline)[:, None] * (chosen - pi)
        r_bar[rows] += (reward - r_bar[rows]) / self.rows["t"][rows]  # t already counts this reward


BANDIT_AGENT_CLASSES = (EpsilonGreedyBandit, UCBBandit, GradientBandit)
