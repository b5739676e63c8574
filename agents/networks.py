"""Networks for policy-gradient agents: the MLPs of the policy and value, and the actor-critic.

Observations are encoded once for both networks: a Box vector as floats (optionally
normalized by running statistics), a Discrete state as a one-hot vector.
"""

from __future__ import annotations

import numpy as np
import torch
from gymnasium import spaces
from torch import nn

from .base import SpaceError
from .distributions import PolicyHead

ACTIVATIONS = {"tanh": nn.Tanh, "relu": nn.ReLU}


class TwinMLP(nn.Module):
    """Two MLPs of the same shape (the policy and the value network) evaluated as one.

    Layer k holds both networks' weights in one tensor of shape (2, inputs, outputs), so each
    layer is a single batched matrix product (``torch.baddbmm``) for both networks: half the
    operations per forward and backward pass of two separate MLPs, and the same function.
    Each network is initialised on its own: orthogonal weights (gain sqrt 2 in hidden layers,
    ``output_gains`` in the last), zero biases, as in PPO's reference implementation.
    """

    def __init__(
        self,
        n_inputs: int,
        hidden: tuple[int, ...],
        n_outputs: tuple[int, int],
        activation: str,
        output_gains: tuple[float, float],
    ):
        super().__init__()
        if activation not in ACTIVATIONS:
            raise ValueError(f"activation must be one of {sorted(ACTIVATIONS)}, got {activation!r}")
        self.activation = ACTIVATIONS[activation]()
        self.n_outputs = n_outputs
        sizes = (n_inputs, *hidden, max(n_outputs))
        self.weights = nn.ParameterList()
        self.biases = nn.ParameterList()
        for k, (a, b) in enumerate(zip(sizes[:-1], sizes[1:], strict=True)):
            last = k == len(sizes) - 2
            weight = torch.zeros(2, a, b)
            for net in range(2):
                width = n_outputs[net] if last else b
                gain = output_gains[net] if last else np.sqrt(2)
                weight[net, :, :width] = nn.init.orthogonal_(torch.empty(width, a), gain).T
            self.weights.append(nn.Parameter(weight))
            self.biases.append(nn.Parameter(torch.zeros(2, 1, b)))

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        h = x.unsqueeze(0).expand(2, *x.shape)
        last = len(self.weights) - 1
        for k, (weight, bias) in enumerate(zip(self.weights, self.biases, strict=True)):
            h = torch.baddbmm(bias, h, weight)
            if k < last:
                h = self.activation(h)
        return h[0, :, : self.n_outputs[0]], h[1, :, : self.n_outputs[1]]


def observation_size(space: spaces.Space, agent: str) -> int:
    if isinstance(space, spaces.Discrete):
        return int(space.n)
    if isinstance(space, spaces.Box) and len(space.shape) == 1:
        return int(space.shape[0])
    raise SpaceError(f"{agent} needs a Box vector or Discrete observation space, but got {space}")


def check_action_space(space: spaces.Space, agent: str) -> None:
    if isinstance(space, spaces.Discrete) and int(space.start) == 0:
        return
    if isinstance(space, spaces.Box) and len(space.shape) == 1:
        return
    raise SpaceError(f"{agent} needs a Discrete (from 0) or Box vector action space, but got {space}")


class ActorCritic(nn.Module):
    """A policy network and a value network (separate weights) over the encoded observation."""

    def __init__(
        self,
        observation_space: spaces.Space,
        action_space: spaces.Space,
        hidden: tuple[int, ...],
        activation: str,
        agent: str,
    ):
        super().__init__()
        check_action_space(action_space, agent)
        self.one_hot = isinstance(observation_space, spaces.Discrete)
        n_inputs = observation_size(observation_space, agent)
        self.head = PolicyHead(action_space)
        self.body = TwinMLP(n_inputs, hidden, (self.head.n_outputs, 1), activation, output_gains=(0.01, 1.0))
        self.n_inputs = n_inputs

    def encode(self, obs: np.ndarray) -> torch.Tensor:
        if self.one_hot:
            return nn.functional.one_hot(torch.as_tensor(obs, dtype=torch.long), self.n_inputs).float()
        return torch.as_tensor(obs, dtype=torch.float32)

    def forward(self, x: torch.Tensor):
        """The policy's distribution and the value estimate at encoded observations `x`."""
        policy_outputs, values = self.body(x)
        return self.head(policy_outputs), values.squeeze(-1)

    def distribution(self, x: torch.Tensor):
        return self(x)[0]

    def values(self, x: torch.Tensor) -> torch.Tensor:
        return self(x)[1]
