"""Double Q-learning (van Hasselt 2010; Sutton & Barto 2018, section 6.7).

Two tables; for each transition a fair coin picks which one learns::

    Q1(S, A) <- Q1(S, A) + alpha * [ R + gamma * Q2(S', argmax_a Q1(S', a)) - Q1(S, A) ]

(or the same with 1 and 2 swapped). One table chooses the action and the other values it,
which removes the maximisation bias of Q-learning. The agent acts epsilon-greedily on
Q1 + Q2; its value estimate is (Q1 + Q2) / 2.
"""

from __future__ import annotations

import numpy as np

from .base import Transitions
from .tabular import TabularAgent


class DoubleQLearning(TabularAgent):
    """Tabular Double Q-learning; see :class:`rl_kit.agents.tabular.TabularAgent` for the arguments."""

    name = "double_q_learning"

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.q2 = self.q.copy()  # self.q is Q1
        self._first = np.zeros(0, dtype=bool)

    def action_values(self, obs: np.ndarray) -> np.ndarray:
        return (self.q[obs] + self.q2[obs]) / 2

    def observe(self, transitions: Transitions) -> dict[str, float]:
        # The coin decides, per transition, which table the shared update step changes.
        self._first = self.rng.random(len(transitions.reward)) < 0.5
        return super().observe(transitions)

    def td_error(self, t: Transitions, gamma: float, obs: np.ndarray, action: np.ndarray) -> np.ndarray:
        next_obs = self.state_index(t.next_obs)
        first = self._first[:, None]
        chooser = np.where(first, self.q[next_obs], self.q2[next_obs])  # picks A* = argmax
        valuer = np.where(first, self.q2[next_obs], self.q[next_obs])  # values A*
        best = chooser.argmax(axis=1)
        target = t.reward + gamma * self.continues(t) * valuer[np.arange(len(best)), best]
        return target - np.where(self._first, self.q[obs, action], self.q2[obs, action])

    def update(self, obs: np.ndarray, action: np.ndarray, delta: np.ndarray, table=None) -> None:
        first = self._first
        super().update(obs[first], action[first], delta[first], self.q)
        super().update(obs[~first], action[~first], delta[~first], self.q2)

    def state_dict(self) -> dict[str, np.ndarray]:
        return {**super().state_dict(), "q2": self.q2.copy()}

    def _load(self, state: dict[str, np.ndarray]) -> None:
        super()._load(state)
        self.q2[...] = state["q2"]
