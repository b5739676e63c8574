"""Q-learning: off-policy TD control (Watkins 1989; Sutton & Barto 2018, section 6.5).

    Q(S, A) <- Q(S, A) + alpha * [ R + gamma * max_a Q(S', a) - Q(S, A) ]

The target bootstraps from the greedy action in S' whatever the behaviour policy does next,
so Q converges to the optimal q* while the agent explores epsilon-greedily. At a terminal S'
the target is R alone; at a truncated one (time limit) it still bootstraps.
"""

from __future__ import annotations

import numpy as np

from .base import Transitions
from .tabular import TabularAgent


class QLearning(TabularAgent):
    """Tabular Q-learning; see :class:`rl_kit.agents.tabular.TabularAgent` for the arguments."""

    name = "q_learning"

    def td_target(self, t: Transitions, gamma: float) -> np.ndarray:
        next_value = self.q[self.state_index(t.next_obs)].max(axis=1)
        return t.reward + gamma * self.continues(t) * next_value
