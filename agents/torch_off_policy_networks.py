"""The torch reference for :mod:`rl_kit.agents.off_policy_networks` and for DQN's
:class:`rl_kit.agents.networks.QNetwork`: the same networks, differentiated by autograd.

Each class is its numpy counterpart with the forward pass written in torch over the very same
flat parameter vector (``torch.from_numpy`` shares its memory) and every backward pass left to
autograd: ``loss.backward`` for the parameters' gradients, ``torch.autograd.grad`` for dQ/da.
The gradients land in the same ``parameters.grad``, and the same Adam steps on them, so an
agent built with ``backend="torch"`` runs the same code on autograd's gradients; the tests hold
the hand-written ones to these.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import torch

from .distributions import SDE_EPSILON
from .networks import MLPStack, Network, QNetwork
from .off_policy_networks import (
    LOG_STD_MAX,
    LOG_STD_MIN,
    MEAN_CLIP,
    TANH_EPS,
    Critics,
    DeterministicActor,
    SquashedGaussianActor,
    StateDependentSquashedActor,
)


class TorchGraph:
    """One forward pass of a :class:`Network` in torch, kept for autograd: its image torso where
    it has one (``conv2d`` and ReLU per layer, on the torso's weights in the same flat vector),
    then its MLP stack.

    Args:
        network: whose parameters and layout are used (views into its flat vector).
        x: the input batch (B, inputs); `input_grad` makes dL/dx available.
    """

    def __init__(self, network: Network, x: np.ndarray, input_grad: bool = False):
        body: MLPStack = network.body
        self.network = network
        self.leaf = torch.from_numpy(network.parameters.data).requires_grad_(True)
        self.x = torch.from_numpy(np.ascontiguousarray(x)).requires_grad_(input_grad)
        views: dict[str, torch.Tensor] = {}
        offset = 0
        for name, shape in network.parameters.shapes.items():
            size = int(np.prod(shape))
            views[name] = self.leaf[offset : offset + size].view(shape)
            offset += size
        self.views = views
        prefix = next(iter(network.parameters.shapes)).split("weights.")[0]
        h, last = self.x, len(body.weights) - 1
        torso = getattr(network, "torso", None)
        if torso is not None and torso.layers:
            h = h.reshape(len(x), *torso.image_shape)
            for conv, weight, bias in zip(torso.layers, torso.names[::2], torso.names[1::2], strict=True):
                h = torch.relu(torch.nn.functional.conv2d(h, views[weight], views[bias], conv.stride, conv.padding))
            h = h.flatten(1)
        self.last_hidden = self.x  # the last hidden layer's output, (count, B, width), after the loop
        for k in range(last + 1):
            z = torch.matmul(h, views[f"{prefix}weights.{k}"]) + views[f"{prefix}biases.{k}"]
            if k < last:
                h = self.last_hidden = torch.tanh(z) if body.activation == "tanh" else torch.relu(z)
        self.outputs = z  # (count, B, width)

    def backward(self, loss: torch.Tensor) -> None:
        """dloss/d(parameters) into the network's ``parameters.grad``."""
        (grad,) = torch.autograd.grad(loss, self.leaf, retain_graph=True, allow_unused=True)
        self.network.parameters.grad[...] = 0.0 if grad is None else grad.numpy()

    def input_gradient(self, loss: torch.Tensor) -> np.ndarray:
        (grad,) = torch.autograd.grad(loss, self.x, retain_graph=True)
        return grad.numpy()


class TorchQNetwork(QNetwork):
    """:class:`QNetwork` (DQN's) with autograd's gradients, its torso included."""

    def forward(self, x: np.ndarray, keep: bool = False) -> np.ndarray:
        with torch.set_grad_enabled(keep):
            graph = TorchGraph(self, x, input_grad=keep)
        if keep:
            self._graph = graph
        return graph.outputs[0].detach().numpy().copy()

    def backward(self, d_q: np.ndarray, input_gradient: bool = False) -> np.ndarray | None:
        loss = (self._graph.outputs[0] * torch.from_numpy(np.asarray(d_q, dtype=self.dtype))).sum()
        self._graph.backward(loss)
        return self._graph.input_gradient(loss) if input_gradient else None

    def input_gradient(self, x: np.ndarray, actions: np.ndarray) -> np.ndarray:
        q = self.forward(x, keep=True)
        d_q = np.zeros_like(q)
        d_q[np.arange(len(actions)), actions] = 1.0
        dx = self.backward(d_q, input_gradient=True)
        assert dx is not None
        return dx


class TorchCritics(Critics):
    """:class:`Critics` with autograd's gradients."""

    def forward(self, x: np.ndarray, actions: np.ndarray, keep: bool = False, critics: int | None = None) -> np.ndarray:
        z = np.concatenate([x, actions.astype(self.dtype, copy=False)], axis=1)
        with torch.set_grad_enabled(keep):
            graph = TorchGraph(self, z, input_grad=keep)
        count = self.n_critics if critics is None else critics
        if keep:
            self._graph, self._count = graph, count
        return graph.outputs[:count, :, 0].detach().numpy().copy()

    def _loss(self, d_q: np.ndarray) -> torch.Tensor:
        q = self._graph.outputs[: self._count, :, 0]
        return (q * torch.from_numpy(np.asarray(d_q, dtype=self.dtype))).sum()

    def backward(self, d_q: np.ndarray) -> None:
        self._graph.backward(self._loss(d_q))

    def action_gradient(self, d_q: np.ndarray) -> np.ndarray:
        return self._graph.input_gradient(self._loss(d_q))[:, self.n_observation :]


class TorchDeterministicActor(DeterministicActor):
    """:class:`DeterministicActor` with autograd's gradients."""

    def forward(self, x: np.ndarray, keep: bool = False) -> np.ndarray:
        with torch.set_grad_enabled(keep):
            graph = TorchGraph(self, x)
            actions = torch.tanh(graph.outputs[0])
        if keep:
            self._graph, self._torch_actions = graph, actions
        return actions.detach().numpy().copy()

    def backward(self, d_actions: np.ndarray) -> None:
        d = torch.from_numpy(np.asarray(d_actions, dtype=self.dtype))
        self._graph.backward((self._torch_actions * d).sum())


class AutogradSampleBackward:
    """backward from dL/da and dL/dlog pi through the graph of the last ``sample(keep=True)``."""

    dtype: np.dtype
    _graph: TorchGraph
    _torch: tuple[torch.Tensor, torch.Tensor]

    def backward(self, d_actions: np.ndarray, d_log_prob: np.ndarray) -> None:
        actions, log_prob = self._torch
        d_a = torch.from_numpy(np.asarray(d_actions, dtype=self.dtype))
        d_l = torch.from_numpy(np.asarray(d_log_prob, dtype=self.dtype))
        self._graph.backward((actions * d_a).sum() + (log_prob * d_l).sum())


class TorchSquashedGaussianActor(AutogradSampleBackward, SquashedGaussianActor):
    """:class:`SquashedGaussianActor` with autograd's gradients."""

    def sample(self, x: np.ndarray, noise: np.ndarray, keep: bool = False) -> tuple[np.ndarray, np.ndarray]:
        with torch.set_grad_enabled(keep):
            graph = TorchGraph(self, x)
            out = graph.outputs[0]
            mean, log_std = out[:, : self.n_actions], out[:, self.n_actions :].clamp(LOG_STD_MIN, LOG_STD_MAX)
            eps = torch.from_numpy(np.asarray(noise, dtype=self.dtype))
            std = log_std.exp()
            u = mean + std * eps
            normal = torch.distributions.Normal(mean, std, validate_args=False)  # autograd through u as well
            actions = torch.tanh(u)
            log_prob = normal.log_prob(u).sum(dim=1) - torch.log(1 - actions**2 + TANH_EPS).sum(dim=1)
        if keep:
            self._graph, self._torch = graph, (actions, log_prob)
        return actions.detach().numpy().copy(), log_prob.detach().numpy().copy()


class TorchStateDependentSquashedActor(AutogradSampleBackward, StateDependentSquashedActor):
    """:class:`StateDependentSquashedActor` with autograd's gradients (through the features too)."""

    def sample(self, x: np.ndarray, noise: np.ndarray, keep: bool = False) -> tuple[np.ndarray, np.ndarray]:
        with torch.set_grad_enabled(keep):
            graph = TorchGraph(self, x)
            z, mean = graph.last_hidden[0], torch.nn.functional.hardtanh(graph.outputs[0], -MEAN_CLIP, MEAN_CLIP)
            log_std = graph.views["actor.log_std"]
            sigma = log_std.exp()
            if self.use_expln:  # written as stable-baselines3 writes it
                above = (log_std > 0).to(log_std.dtype)
                sigma = sigma * (1 - above) + (torch.log1p(log_std * above + SDE_EPSILON) + 1.0) * above
            theta = sigma * torch.from_numpy(np.asarray(noise, dtype=self.dtype))
            nu = torch.matmul(z[:, None, :], theta)[:, 0]
            scale = torch.sqrt((z * z) @ sigma**2 + SDE_EPSILON)
            u = mean + nu
            actions = torch.tanh(u)
            normal = torch.distributions.Normal(mean, scale, validate_args=False)
            log_prob = normal.log_prob(u).sum(dim=1) - torch.log(1 - actions**2 + TANH_EPS).sum(dim=1)
        if keep:
            self._graph, self._torch = graph, (actions, log_prob)
        return actions.detach().numpy().copy(), log_prob.detach().numpy().copy()


TORCH_CLASSES: dict[type, Any] = {Critics: TorchCritics, DeterministicActor: TorchDeterministicActor,
                 SquashedGaussianActor: TorchSquashedGaussianActor,
                 StateDependentSquashedActor: TorchStateDependentSquashedActor, QNetwork: TorchQNetwork}  # fmt: skip
