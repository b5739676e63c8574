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
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

import torch

from .hyperparameters import AT_LEAST_ONE, NON_NEGATIVE, Interval
from .policy_gradient import PolicyGradientAgent, PolicyGradientHyperparameters
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
        target_kl: stop the epochs once the approximate KL passes this (0: never).
    """

    n_steps: int = 128
    n_epochs: int = 10
    batch_size: int = 64
    clip_range: Schedule = Schedule("constant", 0.2)
    normalize_advantage: bool = True
    target_kl: float = 0.0

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


class PPO(PolicyGradientAgent):
    """PPO-Clip; see :class:`rl_kit.agents.policy_gradient.PolicyGradientAgent` for the arguments."""

    name = "ppo"
    Hyperparameters = PPOHyperparameters

    def update(self, batch: Batch) -> dict[str, float]:
        hp = self.hyperparameters
        clip = hp.clip_range(self.steps)
        totals: dict[str, float] = {}
        count = 0
        stop = False
        for _ in range(hp.n_epochs):
            order = torch.randperm(len(batch), generator=self.generator)
            for start in range(0, len(batch), hp.batch_size):
                mb = batch.subset(order[start : start + hp.batch_size])
                distribution, values = self.net(mb.obs)
                log_ratio = distribution.log_prob(mb.actions) - mb.log_probs
                ratio = log_ratio.exp()
                advantages = mb.advantages
                if hp.normalize_advantage and len(advantages) > 1:
                    advantages = (advantages - advantages.mean()) / (advantages.std() + 1e-8)
                policy_loss = -torch.min(ratio * advantages, ratio.clamp(1 - clip, 1 + clip) * advantages).mean()
                value_loss = (values - mb.returns).pow(2).mean()
                entropy = distribution.entropy().mean()
                loss = policy_loss + hp.vf_coef * value_loss - hp.ent_coef * entropy
                grad_norm = self.gradient_step(loss, {"policy_loss": policy_loss, "value_loss": value_loss})
                with torch.no_grad():
                    approx_kl = ((ratio - 1) - log_ratio).mean()
                    clip_fraction = ((ratio - 1).abs() > clip).float().mean()
                for key, value in (
                    ("policy_loss", policy_loss),
                    ("value_loss", value_loss),
                    ("entropy", entropy),
                    ("approx_kl", approx_kl),
                    ("clip_fraction", clip_fraction),
                    ("grad_norm", grad_norm),
                ):
                    totals[key] = totals.get(key, 0.0) + (float(value.detach()) if torch.is_tensor(value) else value)
                count += 1
                if hp.target_kl and float(approx_kl) > hp.target_kl:
                    stop = True
                    break
            if stop:
                break
        metrics = {key: value / count for key, value in totals.items()}
        metrics["clip_range"] = clip
        return metrics
