"""Advantage Actor-Critic, the synchronous version of A3C (Mnih et al. 2016).

Every ``n_steps`` steps of every env, one gradient step on

    L = - E[ log pi(a|s) * A ]  +  vf_coef * E[ (V(s) - G)^2 ]  -  ent_coef * E[ H(pi(.|s)) ]

where G is the n-step return bootstrapped from V at the rollout's end, and A = G - V(s)
(with ``gae_lambda`` < 1, the GAE advantage instead).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from .policy_gradient import PolicyGradientAgent, PolicyGradientHyperparameters
from .rollout import Batch
from .schedules import Schedule
from .search_space import Choice, SearchSpace


@dataclass(frozen=True)
class A2CHyperparameters(PolicyGradientHyperparameters):
    """A2C's defaults: short rollouts, n-step returns (gae_lambda 1)."""

    n_steps: int = 5
    gae_lambda: float = 1.0
    learning_rate: Schedule = Schedule("constant", 7e-4)
    normalize_advantage: bool = False

    search_space: ClassVar[SearchSpace] = {
        **PolicyGradientHyperparameters.search_space,
        "n_steps": Choice(5, 8, 16, 32, 64),
        "normalize_advantage": Choice(False, True),
    }


class A2C(PolicyGradientAgent):
    """A2C; see :class:`rl_kit.agents.policy_gradient.PolicyGradientAgent` for the arguments."""

    name = "a2c"
    Hyperparameters = A2CHyperparameters

    def update(self, batch: Batch) -> dict[str, float]:
        hp = self.hyperparameters
        distribution, values = self.net(batch.obs)
        advantages = batch.advantages
        if hp.normalize_advantage and len(advantages) > 1:
            advantages = (advantages - advantages.mean()) / (advantages.std() + 1e-8)
        policy_loss = -(distribution.log_prob(batch.actions) * advantages).mean()
        value_loss = (values - batch.returns).pow(2).mean()
        entropy = distribution.entropy().mean()
        loss = policy_loss + hp.vf_coef * value_loss - hp.ent_coef * entropy
        grad_norm = self.gradient_step(loss, {"policy_loss": policy_loss, "value_loss": value_loss})
        return {
            "policy_loss": float(policy_loss.detach()),
            "value_loss": float(value_loss.detach()),
            "entropy": float(entropy.detach()),
            "grad_norm": grad_norm,
        }
