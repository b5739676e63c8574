"""Value iteration: the exact optimum from the model (Bellman 1957; Sutton & Barto 2018, 4.4).

    V_{k+1}(s) = max_a sum_{s', r} p(s', r | s, a) [ r + gamma * V_k(s') ]

iterated to a fixed point V*, then pi*(s) = argmax_a of the same expression. It needs the
env's model ``P`` (Gymnasium toy-text style), given to :meth:`plan`; it learns nothing from
experience, so ``observe`` does nothing. It is the reference the learning agents are held to.
"""

from __future__ import annotations

import numpy as np

from .dynamic_programming import TabularModel, value_iteration
from .planner import Planner, PlannerHyperparameters

ValueIterationHyperparameters = PlannerHyperparameters  # gamma and tol


class ValueIteration(Planner):
    """Plans the optimal policy from ``P``, then acts greedily on Q* (exploring or not).

    Args: as :class:`rl_kit.agents.tabular.TabularAgent`, with ``PlannerHyperparameters``.
    """

    name = "value_iteration"

    def solve(self, model: TabularModel) -> np.ndarray:
        gamma = self.hyperparameters.gamma
        return model.q_values(value_iteration(model, gamma, self.hyperparameters.tol), gamma)
