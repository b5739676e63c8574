"""Value iteration: the exact optimum from the model (Bellman 1957; Sutton & Barto 2018, 4.4).

    V_{k+1}(s) = max_a sum_{s', r} p(s', r | s, a) [ r + gamma * V_k(s') ]

iterated to a fixed point V*, then pi*(s) = argmax_a of the same expression. It needs the
env's model ``P`` (Gymnasium toy-text style), given to :meth:`plan`; it learns nothing from
experience, so ``observe`` does nothing. It is the reference the learning agents are held to.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

import numpy as np

from agents.base import Transitions
from agents.dynamic_programming import TabularModel, value_iteration
from agents.hyperparameters import Hyperparameters
from agents.tabular import TabularAgent


@dataclass(frozen=True)
class ValueIterationHyperparameters(Hyperparameters):
    """Attributes:
    gamma: discount factor in [0, 1).
    tol: stop when no state value moves more than this.
    """

    gamma: float = 0.99
    tol: float = 1e-10


class ValueIteration(TabularAgent):
    """Plans the optimal policy from ``P``, then acts greedily on Q* (exploring or not).

    Args: as :class:`agents.tabular.TabularAgent`, with ``ValueIterationHyperparameters``.
    """

    name = "value_iteration"
    Hyperparameters = ValueIterationHyperparameters
    needs_model: ClassVar[bool] = True

    def plan(self, P: dict) -> None:
        """Compute Q* from the model ``P[s][a] = [(prob, next_state, reward, terminated)]``."""
        if len(P) != self.n_states or len(P[0]) != self.n_actions:
            raise ValueError(
                f"P has {len(P)} states and {len(P[0])} actions, but the spaces have "
                f"{self.n_states} and {self.n_actions}"
            )
        model = TabularModel.from_P(P)
        gamma = self.hyperparameters.gamma
        self.q = model.q_values(value_iteration(model, gamma, self.hyperparameters.tol), gamma)

    def act(self, obs, *, explore: bool = True) -> np.ndarray:
        return super().act(obs, explore=False)

    def observe(self, transitions: Transitions) -> dict[str, float]:
        return {}
