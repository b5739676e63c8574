"""The exact reference on tabular envs: optimal value from ``P``, and a policy's exact value.

Works on any env that publishes Gymnasium's toy-text model ``P`` and its start distribution
(``initial_state_distrib``): ours, and Gymnasium's FrozenLake, CliffWalking and Taxi.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from rl_kit.agents.dynamic_programming import TabularModel, policy_evaluation, value_iteration
from rl_kit.core.capabilities import ModelEnv, TableAgent, unwrapped
from rl_kit.core.spec import EnvConfig
from rl_kit.errors import RLKitError


@dataclass
class TabularReference:
    """The model of one env, with its start distribution, ready for exact values."""

    model: TabularModel
    start_distribution: np.ndarray

    @classmethod
    def of(cls, env) -> TabularReference:
        base = unwrapped(env)
        if not isinstance(base, ModelEnv):
            raise RLKitError(f"{env} publishes no model P and initial_state_distrib: no exact optimum")
        return cls(TabularModel.from_P(base.P), np.asarray(base.initial_state_distrib, dtype=float))

    def optimal_value(self, gamma: float) -> float:
        """Expected optimal return from the start, sum_s d0(s) V*(s)."""
        return float(self.start_distribution @ value_iteration(self.model, gamma))

    def policy_value(self, policy: np.ndarray, gamma: float) -> float:
        """Expected return of a deterministic policy from the start, sum_s d0(s) V^pi(s)."""
        return float(self.start_distribution @ policy_evaluation(self.model, policy, gamma))

    def gap(self, policy: np.ndarray, gamma: float) -> float:
        """Relative shortfall of `policy` from the optimum: (V* - V^pi) / |V*|."""
        optimal = self.optimal_value(gamma)
        return (optimal - self.policy_value(policy, gamma)) / max(abs(optimal), 1e-12)


def compare_with_optimum(agent, env: EnvConfig) -> dict[str, float]:
    """The exact value of the agent's greedy policy beside the optimum, on envs that publish P.

    Empty for agents without a greedy policy or a discount below 1, and for envs without P.
    """
    gamma = getattr(agent.hyperparameters, "gamma", None)
    if gamma is None or not isinstance(agent, TableAgent) or gamma >= 1:
        return {}
    made = env.make()
    try:
        reference = TabularReference.of(made)
    except RLKitError:
        return {}
    finally:
        made.close()
    policy = agent.greedy_policy()
    return {
        "gamma": gamma,
        "policy_value": reference.policy_value(policy, gamma),
        "optimal_value": reference.optimal_value(gamma),
        "gap": reference.gap(policy, gamma),
    }
