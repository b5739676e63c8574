"""Rollout storage and advantage estimation, shared by the policy-gradient agents.

Generalized advantage estimation (Schulman et al. 2016), over a rollout of T steps of N envs:

    delta_t = r_t + gamma * V(s_{t+1}) * (1 - done_t) - V(s_t)
    A_t     = delta_t + gamma * lambda * (1 - done_t) * A_{t+1}
    G_t     = A_t + V(s_t)             (the value target)

lambda = 1 gives Monte Carlo returns-to-go minus the baseline (REINFORCE), lambda = 0 the
one-step TD error. ``done_t`` cuts the sum at the end of every episode. A *truncated* episode
is not over in the MDP's eyes, so its reward has gamma * V(final observation) added before it
is stored; a *terminated* one has no future value.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np


def generalized_advantages(
    rewards: np.ndarray,
    values: np.ndarray,
    dones: np.ndarray,
    next_values: np.ndarray,
    gamma: float,
    lam: float,
) -> tuple[np.ndarray, np.ndarray]:
    """Advantages and value targets, shapes (T, N), from rewards, values, dones (T, N) and V(s_T) (N,)."""
    advantages = np.zeros_like(rewards)
    last = np.zeros_like(next_values)
    for t in reversed(range(rewards.shape[0])):
        following = next_values if t == rewards.shape[0] - 1 else values[t + 1]
        continues = 1.0 - dones[t]
        delta = rewards[t] + gamma * following * continues - values[t]
        last = delta + gamma * lam * continues * last
        advantages[t] = last
    return advantages, advantages + values


@dataclass
class Batch:
    """A finished rollout flattened to (T * N, ...), ready for the loss (a population's to
    (K, T * N, ...): each member's own samples in the order its run alone would have them)."""

    obs: np.ndarray
    actions: np.ndarray
    log_probs: np.ndarray
    values: np.ndarray
    advantages: np.ndarray
    returns: np.ndarray

    def __len__(self) -> int:
        """Samples (of each member, in a population)."""
        return self.log_probs.shape[-1]

    def slice(self, start: int, stop: int) -> Batch:
        """Samples `start` to `stop` (of each member, in a population): views, no copy."""
        samples = (slice(None),) * (self.log_probs.ndim - 1) + (slice(start, stop),)  # the sample axis
        return Batch(
            *(getattr(self, f)[samples] for f in ("obs", "actions", "log_probs", "values", "advantages", "returns"))
        )

    def subset(self, index: np.ndarray) -> Batch:
        """The samples at `index` (B,); in a population `index` is (K, B), a row per member."""
        where: Any = (np.arange(len(index))[:, None], index) if index.ndim == 2 else index
        return Batch(
            *(getattr(self, f)[where] for f in ("obs", "actions", "log_probs", "values", "advantages", "returns"))
        )


class Rollout:
    """T steps of N envs: encoded observations, actions, log-probabilities, values, rewards, dones."""

    FIELDS = ("obs", "actions", "log_probs", "values", "rewards", "dones", "valid")

    def __init__(
        self, n_steps: int, num_envs: int, obs_size: int, action_shape: tuple[int, ...], action_dtype, dtype=np.float32
    ):
        self.n_steps, self.num_envs = n_steps, num_envs
        self.obs = np.zeros((n_steps, num_envs, obs_size), dtype=dtype)
        self.actions = np.zeros((n_steps, num_envs, *action_shape), dtype=action_dtype)
        self.log_probs = np.zeros((n_steps, num_envs), dtype=dtype)
        self.values = np.zeros((n_steps, num_envs), dtype=dtype)
        self.rewards = np.zeros((n_steps, num_envs), dtype=dtype)
        self.dones = np.zeros((n_steps, num_envs), dtype=dtype)
        self.valid = np.ones((n_steps, num_envs), dtype=bool)
        self.t = 0

    @property
    def full(self) -> bool:
        return self.t == self.n_steps

    def add(self, obs, actions, log_probs, values, rewards, dones, valid=None) -> None:
        """One step; rows where `valid` is False (reset steps) cut the returns and are left out."""
        t = self.t
        self.obs[t], self.actions[t], self.log_probs[t] = obs, actions, log_probs
        self.values[t], self.rewards[t], self.dones[t] = values, rewards, dones
        self.valid[t] = True if valid is None else valid
        if valid is not None:
            self.dones[t] = np.maximum(self.dones[t], ~valid)
        self.t += 1

    def batch(
        self,
        next_values: np.ndarray,
        gamma: float,
        lam: float,
        estimator=generalized_advantages,
        members: int | None = None,
    ) -> Batch:
        """The rollout flattened, with advantages and returns by `estimator` (GAE). With
        `members` K, its envs are K members' blocks of N = num_envs / K, and each member's
        samples come out in a row of their own, (K, T * N, ...)."""
        advantages, returns = estimator(self.rewards, self.values, self.dones, next_values, gamma, lam)
        self.t = 0
        if members is None:
            flat = lambda x: x.reshape(self.n_steps * self.num_envs, *x.shape[2:])  # noqa: E731
        else:
            per_member = self.num_envs // members

            def flat(x):  # (T, K * N, ...) -> (K, T * N, ...)
                x = x.reshape(self.n_steps, members, per_member, *x.shape[2:])
                return np.swapaxes(x, 0, 1).reshape(members, self.n_steps * per_member, *x.shape[3:])

        return Batch(
            flat(self.obs), flat(self.actions), flat(self.log_probs), flat(self.values), flat(advantages), flat(returns)
        )
