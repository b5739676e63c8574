"""Policy iteration: evaluate a policy exactly, improve it greedily, repeat (Sutton & Barto 2018, 4.3).

    evaluation:   V^pi = R_pi + gamma * T_pi V^pi          (a linear system, solved exactly)
    improvement:  pi'(s) = argmax_a [ R(s, a) + gamma * sum_s' T(s, a, s') V^pi(s') ]

Each improvement is at least as good as the policy before it (the policy improvement
theorem), and there are finitely many deterministic policies, so it stops at a policy that is
greedy with respect to its own value: an optimal one, in a few rounds (9 on FrozenLake 8x8,
21 on FourRooms). Beside value iteration, which sweeps the Bellman optimality backup until the
values settle, it shows the other way dynamic programming reaches the same pi*.
"""

from __future__ import annotations

import numpy as np

from .dynamic_programming import TabularModel, policy_iteration
from .planner import Planner


class PolicyIteration(Planner):
    """Plans pi* from ``P`` by policy iteration, then acts greedily on Q^pi* (exploring or not).

    Args: as :class:`rl_kit.agents.tabular.TabularAgent`, with ``PlannerHyperparameters`` (gamma).
    After :meth:`plan`, ``iterations`` is the number of evaluate-improve rounds it took.
    """

    name = "policy_iteration"

    def solve(self, model: TabularModel) -> np.ndarray:
        gamma = self.hyperparameters.gamma
        v, _, self.iterations = policy_iteration(model, gamma)
        return model.q_values(v, gamma)
