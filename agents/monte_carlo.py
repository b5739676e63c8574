"""On-policy first-visit Monte Carlo control for epsilon-soft policies (Sutton & Barto 2018, 5.4).

Monte Carlo methods learn from whole episodes: no model and no bootstrapping. When an
episode S_0, A_0, R_1, ..., S_{T-1}, A_{T-1}, R_T ends, the returns are computed backwards::

    G <- gamma * G + R_{t+1}                         for t = T-1, ..., 0
    if (S_t, A_t) does not appear earlier in the episode (first visit):
        N(S_t, A_t) <- N(S_t, A_t) + 1
        Q(S_t, A_t) <- Q(S_t, A_t) + alpha_n * [ G - Q(S_t, A_t) ],  alpha_n = 1/N (the average) or alpha

and the policy is epsilon-greedy with respect to Q: epsilon-soft, so every pair keeps being
tried. Q converges to the value of the best epsilon-soft policy, and its greedy policy to an
optimal one as epsilon shrinks. Nothing is learned until an episode ends, and each return
carries the noise of a whole episode: compare it with the TD agents, which learn every step.

A truncated episode (a time limit, not part of the task) is completed by the estimate of its
last state under the current policy, instead of pretending the future is worth 0.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .base import Transitions
from .schedules import Schedule
from .tabular import TabularAgent, TabularHyperparameters


@dataclass(frozen=True)
class MonteCarloHyperparameters(TabularHyperparameters):
    """As :class:`rl_kit.agents.tabular.TabularHyperparameters`, but ``alpha`` 0 (the default) means the
    sample average of the returns (alpha = 1/N(s, a)), as in the book; a number or schedule gives
    constant-alpha Monte Carlo."""

    alpha: Schedule = Schedule("constant", 0.0)


class MonteCarloControl(TabularAgent):
    """First-visit MC control; arguments as :class:`rl_kit.agents.tabular.TabularAgent`. With ``num_envs``
    envs it keeps one episode in progress per env, and learns from each as it ends."""

    name = "monte_carlo_control"
    Hyperparameters = MonteCarloHyperparameters

    def __init__(self, observation_space, action_space, *, seed: int | None = None, **hyperparameters):
        super().__init__(observation_space, action_space, seed=seed, **hyperparameters)
        self.n = np.zeros_like(self.q)  # first visits counted per pair
        self.episodes: list[list[tuple[int, int, float]]] = []  # per env: (S_t, A_t, R_{t+1}) so far

    def observe(self, transitions: Transitions) -> dict[str, float]:
        t = transitions
        obs, action = self.state_index(t.obs), np.asarray(t.action, dtype=np.int64)
        reward = np.asarray(t.reward, dtype=np.float64)
        while len(self.episodes) < len(obs):
            self.episodes.append([])
        valid = np.ones(len(obs), dtype=bool) if t.valid is None else np.asarray(t.valid, dtype=bool)
        errors = []
        for i in np.flatnonzero(valid):
            self.episodes[i].append((int(obs[i]), int(action[i]), float(reward[i])))
            if t.terminated[i] or t.truncated[i]:
                tail = 0.0 if t.terminated[i] else self.policy_value(int(self.state_index(t.next_obs[i : i + 1])[0]))
                errors.extend(self.learn_from_episode(self.episodes[i], tail))
                self.episodes[i] = []
        self.steps += int(valid.sum())
        metrics = {"epsilon": self.epsilon}
        if errors:
            metrics["return_error"] = float(np.mean(np.abs(errors)))
        return metrics

    def policy_value(self, state: int) -> float:
        """The value of `state` under the epsilon-greedy policy: what a truncated episode would have gone on to get."""
        q = self.q[state]
        return float((1 - self.epsilon) * q.max() + self.epsilon * q.mean())

    def learn_from_episode(self, episode: list[tuple[int, int, float]], tail: float) -> list[float]:
        """The first-visit update of every pair in one finished episode; returns the errors G - Q."""
        gamma = self.hyperparameters.gamma
        alpha = self.hyperparameters.alpha(self.steps)
        first_visit: dict[tuple[int, int], int] = {}
        for index, (state, action, _) in enumerate(episode):
            first_visit.setdefault((state, action), index)
        g, errors = tail, []
        for index in range(len(episode) - 1, -1, -1):
            state, action, reward = episode[index]
            g = gamma * g + reward
            if first_visit[(state, action)] == index:
                self.n[state, action] += 1
                step = 1.0 / self.n[state, action] if alpha == 0.0 else alpha
                error = g - self.q[state, action]
                self.q[state, action] += step * error
                errors.append(error)
        return errors

    # --- saving and resuming: the counts are learned state; the episodes in progress are training state
    def state_dict(self) -> dict[str, np.ndarray]:
        return {**super().state_dict(), "n": self.n.copy()}

    def _load(self, state: dict[str, np.ndarray]) -> None:
        super()._load(state)
        self.n[...] = state["n"]

    def training_state(self) -> tuple[dict[str, np.ndarray], dict]:
        arrays, rest = super().training_state()
        rows = [(i, s, a, r) for i, episode in enumerate(self.episodes) for s, a, r in episode]
        table = np.array(rows, dtype=np.float64).reshape(-1, 4)
        return {**arrays, "episodes_in_progress": table}, {**rest, "num_episodes": len(self.episodes)}

    def load_training_state(self, arrays: dict[str, np.ndarray], rest: dict) -> None:
        arrays = dict(arrays)
        table = arrays.pop("episodes_in_progress", np.zeros((0, 4)))
        super().load_training_state(arrays, rest)
        self.episodes = [[] for _ in range(rest.get("num_episodes", 0))]
        for i, s, a, r in table:
            self.episodes[int(i)].append((int(s), int(a), float(r)))
