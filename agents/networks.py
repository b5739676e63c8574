"""Networks for policy-gradient agents: an MLP builder and the actor-critic pair.

Observations are encoded once for both networks: a Box vector as floats (optionally
normalized by running statistics), a Discrete state as a one-hot vector.
"""

from __future__ import annotations

import numpy as np
import torch
from gymnasium import spaces
from torch import nn

from agents.base import SpaceError
from agents.distributions import PolicyHead

ACTIVATIONS = {"tanh": nn.Tanh, "relu": nn.ReLU}


def mlp(
    n_inputs: int, hidden: tuple[int, ...], n_outputs: int, activation: str = "tanh", output_gain: float = 1.0
) -> nn.Sequential:
    """Linear layers with `activation` between them; orthogonal init (sqrt 2 gain, last `output_gain`)."""
    if activation not in ACTIVATIONS:
        raise ValueError(f"activation must be one of {sorted(ACTIVATIONS)}, got {activation!r}")
    sizes = (n_inputs, *hidden, n_outputs)
    layers: list[nn.Module] = []
    for i, (a, b) in enumerate(zip(sizes[:-1], sizes[1:], strict=True)):
        linear = nn.Linear(a, b)
        last = i == len(sizes) - 2
        nn.init.orthogonal_(linear.weight, output_gain if last else np.sqrt(2))
        nn.init.zeros_(linear.bias)
        layers.append(linear)
        if not last:
            layers.append(ACTIVATIONS[activation]())
    return nn.Sequential(*layers)


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
    """Separate policy and value MLPs over the encoded observation."""

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
        self.policy = mlp(n_inputs, hidden, self.head.n_outputs, activation, output_gain=0.01)
        self.value = mlp(n_inputs, hidden, 1, activation, output_gain=1.0)
        self.n_inputs = n_inputs

    def encode(self, obs: np.ndarray) -> torch.Tensor:
        if self.one_hot:
            return nn.functional.one_hot(torch.as_tensor(obs, dtype=torch.long), self.n_inputs).float()
        return torch.as_tensor(obs, dtype=torch.float32)

    def distribution(self, x: torch.Tensor):
        return self.head(self.policy(x))

    def values(self, x: torch.Tensor) -> torch.Tensor:
        return self.value(x).squeeze(-1)
