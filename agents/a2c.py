"""Advantage Actor-Critic, the synchronous version of A3C (Mnih et al. 2016).

Every ``n_steps`` steps of every env, one gradient step on

    L = - E[ log pi(a|s) * A ]  +  vf_coef * E[ (V(s) - G)^2 ]  -  ent_coef * E[ H(pi(.|s)) ]

where G is the n-step return bootstrapped from V at the rollout's end, and A = G - V(s)
(with ``gae_lambda`` < 1, the GAE advantage instead). The policy term's gradient with
respect to l_i = log pi(a_i|s_i), over a batch of B samples, is simply

    dL_pi / dl_i = - A_i / B

the score-function estimator: raise the log-probability of actions that did better than V
said, lower it for the others. The value and entropy terms' gradients are in
:mod:`rl_kit.agents.objective`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

import numpy as np

from .objective import Objective
from .policy_gradient import PolicyGradientAgent, PolicyGradientHyperparameters, normalized_advantages
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
        "optimizer": Choice("adam", "rmsprop"),
    }


def policy_gradient_loss(xp, log_prob, advantages):
    """L_pi = - mean( log pi(a|s) A ), in array module `xp`."""
    return -(log_prob * xp.asarray(advantages)).mean(-1)


def policy_gradient_loss_gradient(log_prob, advantages) -> np.ndarray:
    """dL_pi / dlog pi(a_i|s_i) = - A_i / B."""
    return -np.asarray(advantages) / log_prob.shape[-1]


class A2C(PolicyGradientAgent):
    """A2C; see :class:`rl_kit.agents.policy_gradient.PolicyGradientAgent` for the arguments."""

    name = "a2c"
    Hyperparameters: ClassVar[type[PolicyGradientHyperparameters]] = A2CHyperparameters
    # The policy term and its gradient, as functions: an exercise's agent puts the learner's here.
    policy_loss = staticmethod(policy_gradient_loss)
    policy_loss_gradient = staticmethod(policy_gradient_loss_gradient)

    def update(self, batch: Batch) -> dict[str, float]:
        hp = self.hyperparameters
        advantages = normalized_advantages(batch.advantages) if hp.normalize_advantage else batch.advantages
        objective = Objective(
            policy_loss=lambda xp, log_prob: self.policy_loss(xp, log_prob, advantages),
            policy_loss_gradient=lambda log_prob: self.policy_loss_gradient(log_prob, advantages),
            returns=batch.returns,
            vf_coef=self.value("vf_coef"),
            ent_coef=self.value("ent_coef"),
        )
        result = self.gradient_step(objective, batch)
        metrics = {key: result.losses[key] for key in ("policy_loss", "value_loss", "entropy")}
        metrics["grad_norm"] = result.grad_norm
        return metrics
