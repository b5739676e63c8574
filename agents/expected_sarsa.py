"""Expected SARSA (van Seijen et al. 2009; Sutton & Barto 2018, section 6.6).

    Q(S, A) <- Q(S, A) + alpha * [ R + gamma * sum_a pi(a | S') Q(S', a) - Q(S, A) ]

where pi is the epsilon-greedy policy of the current Q: probability epsilon / |A| for every
action, plus (1 - epsilon) shared by the greedy actions. Taking the expectation over A'
removes the variance SARSA has from sampling it.
"""

from __future__ import annotations

import numpy as np

from .base import Transitions
from .tabular import TabularAgent


class ExpectedSarsa(TabularAgent):
    """Tabular Expected SARSA; see :class:`rl_kit.agents.tabular.TabularAgent` for the arguments."""

    name = "expected_sarsa"

    def td_target(self, t: Transitions, gamma: float) -> np.ndarray:
        q_next = self.q[self.state_index(t.next_obs)]
        greedy = q_next == q_next.max(axis=1, keepdims=True)
        epsilon = self.epsilon
        policy = epsilon / self.n_actions + (1.0 - epsilon) * greedy / greedy.sum(axis=1, keepdims=True)
        return t.reward + gamma * self.continues(t) * (policy * q_next).sum(axis=1)
