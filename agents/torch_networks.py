"""The torch reference for :mod:`rl_kit.agents.networks`: the same actor-critic, differentiated by autograd.

A policy-gradient agent built with ``backend="torch"`` runs on this class; it has the numpy
:class:`rl_kit.agents.networks.ActorCritic`'s interface and parameter names, so the agent's code
is the same on both and a saved agent loads into either. It is the reference that the tests
hold the hand-written gradients to, and the way to a GPU for larger networks. Acting samples
from :mod:`rl_kit.agents.distributions` on the network's outputs, as the numpy agents do.
"""

from __future__ import annotations

import numpy as np
import torch
from gymnasium import spaces
from torch import nn

from .networks import (
    ACTIVATIONS,
    IMAGE_LAYERS,
    ActorCriticBase,
    ImageTorso,
    StepResult,
    check_finite,
    check_state_shapes,
)
from .torch_distributions import PolicyHead

TORCH_ACTIVATIONS = {"tanh": nn.Tanh, "relu": nn.ReLU}


class TwinMLP(nn.Module):
    """Two MLPs of the same shape (the policy and the value network) evaluated as one.

    Layer k holds both networks' weights in one tensor of shape (2, inputs, outputs), so each
    layer is a single batched matrix product (``torch.baddbmm``) for both networks. Each network
    is initialised on its own: orthogonal weights (gain sqrt 2 in hidden layers, ``output_gains``
    in the last), zero biases, as in PPO's reference implementation; or, with `orthogonal_init`
    False, weights and biases uniform in +-1/sqrt(fan_in), torch's default for a linear layer.
    """

    def __init__(
        self,
        n_inputs: int,
        hidden: tuple[int, ...],
        n_outputs: tuple[int, int],
        activation: str,
        output_gains: tuple[float, float],
        orthogonal_init: bool = True,
    ):
        super().__init__()
        if activation not in ACTIVATIONS:
            raise ValueError(f"activation must be one of {list(ACTIVATIONS)}, got {activation!r}")
        self.activation = TORCH_ACTIVATIONS[activation]()
        self.n_outputs = n_outputs
        sizes = (n_inputs, *hidden, max(n_outputs))
        self.weights = nn.ParameterList()
        self.biases = nn.ParameterList()
        for k, (a, b) in enumerate(zip(sizes[:-1], sizes[1:], strict=True)):
            last = k == len(sizes) - 2
            weight, bias = torch.zeros(2, a, b), torch.zeros(2, 1, b)
            for net in range(2):
                width = n_outputs[net] if last else b
                if orthogonal_init:
                    gain = output_gains[net] if last else np.sqrt(2)
                    weight[net, :, :width] = nn.init.orthogonal_(torch.empty(width, a), gain).T
                else:
                    bound = 1 / np.sqrt(a)
                    weight[net, :, :width] = nn.init.uniform_(torch.empty(a, width), -bound, bound)
                    bias[net, :, :width] = nn.init.uniform_(torch.empty(1, width), -bound, bound)
            self.weights.append(nn.Parameter(weight))
            self.biases.append(nn.Parameter(bias))

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        h = x.unsqueeze(0).expand(2, *x.shape)
        last = len(self.weights) - 1
        for k, (weight, bias) in enumerate(zip(self.weights, self.biases, strict=True)):
            h = torch.baddbmm(bias, h, weight)
            if k < last:
                h = self.activation(h)
        return h[0, :, : self.n_outputs[0]], h[1, :, : self.n_outputs[1]]


class TorchTorso(nn.ModuleList):
    """:class:`rl_kit.agents.networks.ImageTorso` in torch: ``conv2d`` and ReLU per layer, then
    flattening, on encoded rows (B, C H W); its parameters are ``{l}.weight`` and ``{l}.bias``, as ours."""

    def __init__(self, torso: ImageTorso, orthogonal_init: bool):
        super().__init__(
            nn.Conv2d(conv.in_channels, conv.out_channels, conv.kernel, conv.stride) for conv in torso.layers
        )
        self.image_shape = torso.image_shape
        if orthogonal_init:
            for conv in self:
                assert isinstance(conv, nn.Conv2d) and conv.bias is not None
                nn.init.orthogonal_(conv.weight, np.sqrt(2))
                nn.init.zeros_(conv.bias)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = x.reshape(len(x), *self.image_shape)
        for conv in self:
            h = torch.relu(conv(h))
        return h.flatten(1)


class TorchModule(nn.Module):
    """The parameters: ``head.log_std`` (Box actions), ``body`` and, for images, ``torso``, as
    the numpy network names them and in its order."""

    def __init__(
        self,
        n_inputs: int,
        action_space: spaces.Space,
        hidden: tuple[int, ...],
        activation: str,
        orthogonal_init: bool = True,
        torso: ImageTorso | None = None,
    ):
        super().__init__()
        self.head = PolicyHead(action_space)
        self.body = TwinMLP(
            n_inputs,
            hidden,
            (self.head.n_outputs, 1),
            activation,
            output_gains=(0.01, 1.0),
            orthogonal_init=orthogonal_init,
        )
        self.torso = None if torso is None else TorchTorso(torso, orthogonal_init)

    def features(self, x: torch.Tensor) -> torch.Tensor:
        """What the MLPs take: `x` itself, or an image's torso features."""
        return x if self.torso is None else self.torso(x)

    def forward(self, x: torch.Tensor):
        policy_outputs, values = self.body(self.features(x))
        return self.head(policy_outputs), values.squeeze(-1)


class TorchActorCritic(ActorCriticBase):
    """:class:`rl_kit.agents.networks.ActorCritic`'s interface on torch and autograd (same arguments)."""

    def __init__(
        self,
        observation_space: spaces.Space,
        action_space: spaces.Space,
        hidden: tuple[int, ...],
        activation: str,
        agent: str,
        seed: int,
        dtype=np.float32,
        log_std_init: float = 0.0,
        optimizer: str = "adam",
        use_sde: bool = False,
        orthogonal_init: bool = True,
        conv_layers: tuple[tuple[int, int, int], ...] = IMAGE_LAYERS,
        weight_decay: float = 0.0,
    ):
        super().__init__(observation_space, action_space, agent, dtype, conv_layers)
        if use_sde:
            raise ValueError(f"{agent}: use_sde runs on the numpy networks only (backend: numpy)")
        # Small networks run on one thread: faster than splitting a 64x64 product, and the same
        # seed gives the same numbers on one core and on many.
        torch.set_num_threads(1)
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(seed)
            self.module = TorchModule(self.n_inputs, action_space, hidden, activation, orthogonal_init, self.torso)
            if not self.discrete:
                nn.init.constant_(self.module.head.log_std, log_std_init)
        if self.dtype == np.float64:
            self.module.double()
        self.optimizer: torch.optim.Optimizer
        if optimizer == "rmsprop":  # stable-baselines3's A2C settings, as agents/optimizers.RMSprop
            if weight_decay:
                raise ValueError("weight_decay is AdamW's (optimizer: adam); RMSprop here has none")
            self.optimizer = torch.optim.RMSprop(self.module.parameters(), lr=0.0, alpha=0.99, eps=1e-5)
        elif weight_decay:
            self.optimizer = torch.optim.AdamW(self.module.parameters(), lr=0.0, eps=1e-5, weight_decay=weight_decay)
        else:
            self.optimizer = torch.optim.Adam(self.module.parameters(), lr=0.0, eps=1e-5)

    @torch.no_grad()
    def forward(self, x: np.ndarray, keep: bool = False) -> tuple[np.ndarray, np.ndarray]:
        outputs, values = self.module.body(self.module.features(torch.as_tensor(x)))
        return outputs.numpy(), values[:, 0].numpy()

    def log_std(self) -> np.ndarray:
        return self.module.head.log_std.detach().numpy()

    def log_prob_input_gradient(self, x: np.ndarray, actions: np.ndarray) -> np.ndarray:
        inputs = torch.as_tensor(x).clone().requires_grad_(True)
        distribution, _ = self.module(inputs)
        (gradient,) = torch.autograd.grad(distribution.log_prob(torch.as_tensor(actions)).sum(), inputs)
        return gradient.numpy()

    def mean_input_gradient(self, x: np.ndarray) -> np.ndarray:
        inputs = torch.as_tensor(x).clone().requires_grad_(True)
        means, _ = self.module.body(self.module.features(inputs))
        rows = [torch.autograd.grad(means[:, j].sum(), inputs, retain_graph=True)[0] for j in range(self.n_actions)]
        return torch.stack(rows).numpy()

    def step(
        self,
        objective,
        obs: np.ndarray,
        actions: np.ndarray,
        learning_rate: float,
        max_grad_norm: float,
        agent: str = "agent",
        at_step: int = 0,
    ) -> StepResult:
        """One gradient step on ``objective.losses(torch, ...)``, differentiated by autograd."""
        distribution, values = self.module(torch.as_tensor(obs))
        log_prob = distribution.log_prob(torch.as_tensor(actions))
        losses = objective.losses(torch, log_prob, distribution.entropy(), values)
        check_finite(agent, at_step, policy_loss=losses["policy_loss"], value_loss=losses["value_loss"])
        self.optimizer.zero_grad()
        losses["loss"].backward()
        norm = float(
            nn.utils.clip_grad_norm_(self.module.parameters(), max_grad_norm if max_grad_norm > 0 else float("inf"))
        )
        check_finite(agent, at_step, **{"gradient norm": norm})
        for group in self.optimizer.param_groups:
            group["lr"] = learning_rate
        self.optimizer.step()
        return StepResult({k: float(v.detach()) for k, v in losses.items()}, log_prob.detach().numpy(), norm)

    def state_dict(self) -> dict[str, np.ndarray]:
        state = {f"net.{k}": v.detach().numpy().copy() for k, v in self.module.state_dict().items()}
        for i, entry in self.optimizer.state_dict()["state"].items():
            for key, value in entry.items():
                value = torch.as_tensor(value).detach()
                state[f"optimizer.{i}.{key}"] = value.numpy().copy().reshape(value.shape or (1,))
        return state

    def load_state_dict(self, state: dict[str, np.ndarray], agent: str = "agent") -> None:
        own = self.module.state_dict()
        check_state_shapes(state, {key: tuple(value.shape) for key, value in own.items()}, "net", agent)
        self.module.load_state_dict({k: torch.as_tensor(state[f"net.{k}"]).to(v.dtype) for k, v in own.items()})
        optimizer_state: dict[int, dict[str, torch.Tensor]] = {}
        for key, value in state.items():
            if key.startswith("optimizer."):
                _, index, name = key.split(".", 2)
                tensor = torch.as_tensor(value)
                optimizer_state.setdefault(int(index), {})[name] = (
                    tensor.reshape(()).float() if name == "step" else tensor
                )
        if optimizer_state:
            self.optimizer.load_state_dict(
                {"state": optimizer_state, "param_groups": self.optimizer.state_dict()["param_groups"]}
            )
