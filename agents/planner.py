"""What the dynamic-programming agents share: they plan from the model ``P`` instead of learning.

A planner is given the env's model ``P[s][a] = [(prob, next_state, reward, terminated), ...]``
(Gymnasium toy-text style) through :meth:`Planner.plan`, computes Q from it, and then acts
greedily on Q whether exploring or not; ``observe`` learns nothing. Each algorithm's module
holds only its ``solve``: how it gets from the model to Q.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

import numpy as np

from .base import Transitions
from .dynamic_programming import TabularModel
from .hyperparameters import POSITIVE, UNIT, Hyperparameters, Interval
from .tabular import TabularAgent


@dataclass(frozen=True)
class PlannerHyperparameters(Hyperparameters):
    """Attributes:
    gamma: discount factor in [0, 1).
    tol: value iteration stops when no state value moves more than this.
    """

    gamma: float = 0.99
    tol: float = 1e-10

    limits: ClassVar[dict[str, Interval]] = {"gamma": UNIT, "tol": POSITIVE}


class Planner(TabularAgent):
    """Base of the planners; arguments as :class:`rl_kit.agents.tabular.TabularAgent`."""

    Hyperparameters = PlannerHyperparameters
    needs_model: ClassVar[bool] = True

    def plan(self, P: dict) -> None:
        """Compute Q from the model ``P``; `self.sweeps` says how much work it took."""
        if len(P) != self.n_states or len(P[0]) != self.n_actions:
            raise ValueError(
                f"P has {len(P)} states and {len(P[0])} actions, but the spaces have "
                f"{self.n_states} and {self.n_actions}"
            )
        self.q = self.solve(TabularModel.from_P(P))

    def solve(self, model: TabularModel) -> np.ndarray:
        raise NotImplementedError

    def act(self, obs, *, explore: bool = True) -> np.ndarray:
        return super().act(obs, explore=False)

    def observe(self, transitions: Transitions) -> dict[str, float]:
        return {}
