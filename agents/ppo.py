"""Proximal Policy Optimization with the clipped surrogate (Schulman et al. 2017).

For each rollout, for ``n_epochs`` passes over shuffled minibatches, minimise

    L = - E[ min( rho * A,  clip(rho, 1 - eps, 1 + eps) * A ) ]        rho = pi(a|s) / pi_old(a|s)
        + vf_coef * E[ (V(s) - G)^2 ]  -  ent_coef * E[ H(pi(.|s)) ]

with A from GAE, normalised per minibatch. What it includes, following "The 37 implementation
details of PPO" (Huang et al. 2022): vectorized envs, orthogonal initialisation, Adam with
eps 1e-5, learning-rate and clip-range annealing (schedules), GAE, minibatch epochs,
advantage normalisation, clipped surrogate, entropy bonus, value loss, global gradient
clipping, and an optional early stop of the epochs when the approximate KL divergence
E[(rho - 1) - log rho] exceeds ``target_kl``.

The gradient of the policy term with respect to l_i = log pi(a_i|s_i), over a minibatch of B
(rho_i = exp(l_i - l_i^old), so d rho_i / d l_i = rho_i):

    dL_pi / dl_i = - rho_i A_i / B    where the unclipped term is the minimum, or rho_i is
                                      inside [1 - eps, 1 + eps] (the two terms are then equal)
                 = 0                  where the clipped term is the smaller: outside the range,
                                      clip(rho) is a constant and the sample pushes no further

The value and entropy terms' gradients are in :mod:`rl_kit.agents.objective`.

With ``augment="cutout"`` (image observations), each update first draws one augmented view of
every sample of the rollout (:mod:`rl_kit.agents.augmentation`) and recomputes pi_old(a|s) on it,
so that rho compares the new and the old policy on the same augmented input; the epochs then
learn from those views (RAD's recipe, Laskin et al. 2020). Acting, and so evaluation, sees the
observations as they are.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any, ClassVar

import numpy as np

from .augmentation import AUGMENTATIONS, cutout
from .hyperparameters import AT_LEAST_ONE, NON_NEGATIVE, Interval
from .networks import numbers
from .objective import Objective
from .policy_gradient import PolicyGradientAgent, PolicyGradientHyperparameters, normalized_advantages
from .rollout import Batch
from .schedules import Schedule
from .search_space import Choice, SearchSpace


@dataclass(frozen=True)
class PPOHyperparameters(PolicyGradientHyperparameters):
    """PPO's own, beside the shared ones.

    Attributes:
        n_epochs: passes over each rollout.
        batch_size: minibatch size (the rollout is n_steps * num_envs samples).
        clip_range: epsilon of the clipped surrogate; number or schedule.
        normalize_advantage: standardise advantages in each minibatch.
        target_kl: stop the epochs once the approximate KL passes this (0: never). The KL is
            measured with the log-probabilities before each minibatch's step and checked after the
            step, which is kept. stable-baselines3 checks the same estimate before the step, at
            1.5 x target_kl, and drops that minibatch's step: our 1.5 x t is its t, less one step.
        augment: "none", or "cutout": each update learns from the rollout's images with one random
            window of each hidden (see the module's docstring); image observations only.
    """

    n_steps: int = 128
    n_epochs: int = 10
    batch_size: int = 64
    clip_range: Schedule = Schedule("constant", 0.2)
    normalize_advantage: bool = True
    target_kl: float = 0.0
    augment: str = "none"

    search_space: ClassVar[SearchSpace] = {
        **PolicyGradientHyperparameters.search_space,
        "n_steps": Choice(16, 32, 64, 128, 256, 512),
        "n_epochs": Choice(1, 4, 10, 20),
        "batch_size": Choice(32, 64, 128, 256),
        "clip_range": Choice(0.1, 0.2, 0.3),
    }
    limits: ClassVar[dict[str, Interval]] = {
        **PolicyGradientHyperparameters.limits,
        "n_epochs": AT_LEAST_ONE,
        "batch_size": AT_LEAST_ONE,
        "clip_range": NON_NEGATIVE,
        "target_kl": NON_NEGATIVE,
    }

    def __post_init__(self) -> None:
        super().__post_init__()
        if self.augment not in AUGMENTATIONS:
            raise ValueError(f"augment must be one of {list(AUGMENTATIONS)}, got {self.augment!r}")


def clipped_surrogate_loss(xp, log_prob, old_log_prob, advantages, clip: float):
    """L_pi = - mean( min(rho A, clip(rho, 1 - eps, 1 + eps) A) ), in array module `xp`."""
    old_log_prob, advantages = xp.asarray(old_log_prob), xp.asarray(advantages)
    ratio = xp.exp(log_prob - old_log_prob)
    return -xp.minimum(ratio * advantages, xp.clip(ratio, 1 - clip, 1 + clip) * advantages).mean(-1)


def clipped_surrogate_gradient(log_prob, old_log_prob, advantages, clip: float) -> np.ndarray:
    """dL_pi / dlog pi(a_i|s_i), by hand (see the module's docstring)."""
    ratio = np.exp(log_prob - old_log_prob)
    unclipped, clipped = ratio * advantages, np.clip(ratio, 1 - clip, 1 + clip) * advantages
    flows = (unclipped < clipped) | ((ratio >= 1 - clip) & (ratio <= 1 + clip))
    return -np.where(flows, unclipped, 0.0) / log_prob.shape[-1]


def clipped_objective(
    mb: Batch,
    advantages,
    clip: float,
    vf_coef: float,
    ent_coef: float,
    loss=clipped_surrogate_loss,
    gradient=clipped_surrogate_gradient,
) -> Objective:
    """PPO's loss on minibatch `mb` (advantages already normalised), its policy term `loss`
    with the hand-derived `gradient`."""
    return Objective(
        policy_loss=lambda xp, log_prob: loss(xp, log_prob, mb.log_probs, advantages, clip),
        policy_loss_gradient=lambda log_prob: gradient(log_prob, mb.log_probs, advantages, clip),
        returns=mb.returns,
        vf_coef=vf_coef,
        ent_coef=ent_coef,
    )


class PPO(PolicyGradientAgent):
    """PPO-Clip; see :class:`rl_kit.agents.policy_gradient.PolicyGradientAgent` for the arguments."""

    name = "ppo"
    Hyperparameters = PPOHyperparameters
    # The policy term and its gradient, as functions: an exercise's agent puts the learner's here.
    policy_loss = staticmethod(clipped_surrogate_loss)
    policy_loss_gradient = staticmethod(clipped_surrogate_gradient)

    def __init__(self, observation_space, action_space, **kwargs):
        super().__init__(observation_space, action_space, **kwargs)
        if self.hyperparameters.augment != "none" and self.net.torso is None:
            raise ValueError(f"ppo: augment={self.hyperparameters.augment} hides parts of images: it needs image "
                             f"observations through a convolution torso, not {observation_space}")  # fmt: skip

    def augmented(self, batch: Batch) -> Batch:
        """`batch` with each image cut out once, and log pi_old(a|s) recomputed on the cut-out views."""
        rows = batch.obs.reshape(-1, batch.obs.shape[-1])  # a population's (K, B, inputs) as K B rows
        obs = cutout(rows, self.net.torso.image_shape, self.rng).reshape(batch.obs.shape)
        outputs, _ = self.net.forward(obs)
        log_probs = self.net.distribution(outputs).log_prob(batch.actions)
        return replace(batch, obs=obs, log_probs=np.asarray(log_probs, dtype=batch.log_probs.dtype))

    def update(self, batch: Batch) -> dict[str, float]:
        hp = self.hyperparameters
        clip = self.scheduled("clip_range")
        vf_coef, ent_coef = self.value("vf_coef"), self.value("ent_coef")
        totals: dict[str, Any] = {}
        count = 0
        if hp.augment == "cutout":
            batch = self.augmented(batch)
        for _ in range(hp.n_epochs):
            shuffled = batch.subset(self.minibatch_order(len(batch)))  # one gather per epoch
            for start in range(0, len(batch), hp.batch_size):
                mb = shuffled.slice(start, start + hp.batch_size)
                advantages = normalized_advantages(mb.advantages) if hp.normalize_advantage else mb.advantages
                objective = clipped_objective(
                    mb, advantages, clip, vf_coef, ent_coef, self.policy_loss, self.policy_loss_gradient
                )
                result = self.gradient_step(objective, mb)
                log_ratio = result.log_prob - mb.log_probs
                ratio = np.exp(log_ratio)
                approx_kl = numbers(((ratio - 1) - log_ratio).mean(-1))
                for key in ("policy_loss", "value_loss", "entropy"):
                    totals[key] = totals.get(key, 0.0) + result.losses[key]
                totals["approx_kl"] = totals.get("approx_kl", 0.0) + approx_kl
                totals["clip_fraction"] = totals.get("clip_fraction", 0.0) + numbers(
                    (np.abs(ratio - 1) > clip).mean(-1)
                )
                totals["grad_norm"] = totals.get("grad_norm", 0.0) + result.grad_norm
                count += 1
                if hp.target_kl and approx_kl > hp.target_kl:
                    return self.averaged(totals, count, clip)
        return self.averaged(totals, count, clip)

    @staticmethod
    def averaged(totals: dict[str, Any], count: int, clip: Any) -> dict[str, Any]:
        metrics = {key: value / count for key, value in totals.items()}
        metrics["clip_range"] = clip
        return metrics
