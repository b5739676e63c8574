"""The loss an actor-critic minimises on one batch, and its gradient with respect to the network's outputs.

REINFORCE, A2C and PPO all minimise, over a batch of B samples,

    L = L_pi(log pi(a_i|s_i))  +  vf_coef * 1/B sum_i (V(s_i) - G_i)^2  -  ent_coef * 1/B sum_i H(pi(.|s_i))

and differ only in the policy term L_pi, which each algorithm's module defines twice: as an
expression (``policy_loss(xp, log_prob)``, written once for numpy and torch alike, ``xp`` being
the array module), and as its gradient dL_pi/dlog pi(a_i|s_i), derived by hand. The other two
terms' gradients are the same for all three:

    dL/dV(s_i) = 2 vf_coef (V(s_i) - G_i) / B,        dL/dH_i = - ent_coef / B

The numpy networks backpropagate these three per-sample gradients
(:meth:`rl_kit.agents.networks.ActorCritic.step`); the torch reference differentiates
:meth:`Objective.losses` with autograd instead, and the tests hold the two equal.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np


def per_sample(coefficient):
    """A coefficient as the per-sample gradients take it: a number, or a population's one per member as a column."""
    return coefficient if np.ndim(coefficient) == 0 else np.asarray(coefficient)[:, None]


@dataclass
class Objective:
    """One batch's loss.

    Attributes:
        policy_loss: ``(xp, log_prob) -> L_pi``, an expression in the array module ``xp``.
        policy_loss_gradient: ``log_prob -> dL_pi/dlog_prob`` (numpy, shape (B,)).
        returns: the value targets G_i (B,).
        vf_coef: weight of the value loss (in a population, a number or one per member, (K,)).
        ent_coef: weight of the entropy bonus (the same).
    """

    policy_loss: Callable
    policy_loss_gradient: Callable[[np.ndarray], np.ndarray]
    returns: np.ndarray
    vf_coef: float | np.ndarray
    ent_coef: float | np.ndarray

    def losses(self, xp, log_prob, entropy, values) -> dict:
        """The loss and its terms, as arrays of `xp` (numpy or torch, differentiable in torch)."""
        policy_loss = self.policy_loss(xp, log_prob)
        value_loss = ((values - xp.asarray(self.returns)) ** 2).mean(-1)  # per member in a population
        mean_entropy = entropy.mean(-1)
        loss = policy_loss + self.vf_coef * value_loss - self.ent_coef * mean_entropy
        return {"loss": loss, "policy_loss": policy_loss, "value_loss": value_loss, "entropy": mean_entropy}

    def gradients(self, log_prob: np.ndarray, entropy: np.ndarray, values: np.ndarray):
        """(dL/dlog pi, dL/dH, dL/dV), each per sample, shape (B,) (or (K, B) in a population)."""
        n = log_prob.shape[-1]  # samples (of each member, in a population)
        d_log_prob = self.policy_loss_gradient(log_prob).astype(log_prob.dtype, copy=False)
        ent_coef, vf_coef = per_sample(self.ent_coef), per_sample(self.vf_coef)
        d_entropy = np.full(log_prob.shape, -ent_coef / n, dtype=log_prob.dtype)
        d_values = (2 * vf_coef / n) * (values - self.returns)
        return d_log_prob, d_entropy, d_values.astype(values.dtype, copy=False)
