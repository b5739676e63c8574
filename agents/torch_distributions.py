"""Action distributions in torch, for the autograd reference networks (:mod:`rl_kit.agents.torch_networks`).

The numpy agents use :mod:`rl_kit.agents.distributions`, which states the same math with its
gradients written out; these are differentiated by autograd, and the tests hold the two equal.

- Discrete(n): a categorical over n actions from n logits, pi(a|s) = softmax(logits)_a.
- Box(d): a diagonal Gaussian N(mu(s), diag(sigma^2)) with a learned, state-independent
  log sigma (one parameter per action dimension), as in PPO's original MuJoCo setup:

      log pi(a|s) = -1/2 sum_i [ ((a_i - mu_i) / sigma_i)^2 + 2 log sigma_i + log 2 pi ]

"""

from __future__ import annotations

import math

import torch
from gymnasium import spaces
from torch import nn

from .spaces import action_count


class Categorical:
    def __init__(self, logits: torch.Tensor):
        self.logits = logits - logits.logsumexp(dim=-1, keepdim=True)  # normalized log-probabilities

    @property
    def probs(self) -> torch.Tensor:
        return self.logits.exp()

    def mode(self) -> torch.Tensor:
        return self.logits.argmax(dim=-1)

    def log_prob(self, actions: torch.Tensor) -> torch.Tensor:
        return self.logits.gather(-1, actions.long().unsqueeze(-1)).squeeze(-1)

    def entropy(self) -> torch.Tensor:
        return -(self.probs * self.logits).sum(dim=-1)


class DiagonalGaussian:
    def __init__(self, mean: torch.Tensor, log_std: torch.Tensor):
        self.mean, self.log_std = mean, log_std.expand_as(mean)

    def mode(self) -> torch.Tensor:
        return self.mean

    def log_prob(self, actions: torch.Tensor) -> torch.Tensor:
        z = (actions - self.mean) / self.log_std.exp()
        return -0.5 * (z**2 + 2 * self.log_std + math.log(2 * math.pi)).sum(dim=-1)

    def entropy(self) -> torch.Tensor:
        return (self.log_std + 0.5 * math.log(2 * math.pi * math.e)).sum(dim=-1)


class PolicyHead(nn.Module):
    """Maps the policy network's output to a distribution for `action_space`."""

    def __init__(self, action_space: spaces.Space, initial_log_std: float = 0.0):
        super().__init__()
        self.discrete = isinstance(action_space, spaces.Discrete)
        self.n_outputs = action_count(action_space)
        if not self.discrete:
            self.log_std = nn.Parameter(torch.full((self.n_outputs,), float(initial_log_std)))

    def forward(self, outputs: torch.Tensor) -> Categorical | DiagonalGaussian:
        return Categorical(outputs) if self.discrete else DiagonalGaussian(outputs, self.log_std)
