"""Neural networks written from scratch in numpy: forward pass, backpropagation, initialisation.

A policy-gradient agent has two multilayer perceptrons of the same shape, the policy and the
value network, with separate weights. Layer k of an MLP computes

    z_k = h_{k-1} W_k + b_k,      h_k = f(z_k)          (h_0 = x, no f on the last layer)

with h a batch of rows (B, width). Backpropagation is the chain rule applied layer by layer
from the output down. Given the loss's gradient with respect to a layer's output, dL/dz_k
(a (B, width) array, one row per sample), the layer's gradients are

    dL/dW_k = h_{k-1}^T dL/dz_k           (the sum over the batch of outer products)
    dL/db_k = sum over rows of dL/dz_k
    dL/dh_{k-1} = dL/dz_k W_k^T
    dL/dz_{k-1} = dL/dh_{k-1} * f'(z_{k-1})   (elementwise)

with f' written through the layer's output h = f(z): tanh' = 1 - h^2, relu' = [h > 0]. Nothing
else is needed: the loss supplies dL/d(outputs) (see :mod:`rl_kit.agents.distributions` and
:mod:`rl_kit.agents.objective`) and the recursion does the rest. A finite-difference test and
torch's autograd check every line of it.

Both MLPs run as one (:class:`MLPStack`): layer k keeps both networks' weights in one array
(2, inputs, outputs), so each layer is one batched matrix product for the two. Initialisation is orthogonal (gain
sqrt 2 in hidden layers, 0.01 for the policy's output and 1 for the value's), biases zero, as in
PPO's reference implementation. Every parameter is a view into one flat vector, and every
gradient a view into another, so Adam and gradient clipping (:mod:`rl_kit.agents.optimizers`)
are a few vector operations.

The names and shapes of the parameters are those of the torch reference
(:mod:`rl_kit.agents.torch_networks`), so a saved agent loads into either.
"""

from __future__ import annotations

import numpy as np
from gymnasium import spaces

from .base import NonFiniteLossError, SpaceError, check_finite, describe  # noqa: F401  (NonFiniteLossError: here for callers)
from .distributions import Categorical, DiagonalGaussian, StateDependentGaussian
from .hyperparameters import DEFAULT_CONV_LAYERS, parse_conv_layers
from .optimizers import OPTIMIZERS, Adam, clip_global_norm
from .spaces import action_count, encode_one_hot, one_hot_size

ACTIVATIONS = ("tanh", "relu")
# Weight gradients h^T dz sum over the batch; OpenBLAS runs such products about 3x slower once
# the batch passes ~200 rows, so they are summed over blocks of at most this many rows.
ROWS_PER_PRODUCT = 128
# The torso in front of an image unless told otherwise (:class:`ImageTorso`): MinAtar's, one
# 3x3 convolution of 16 filters, stride 1, then ReLU.
IMAGE_LAYERS = parse_conv_layers(DEFAULT_CONV_LAYERS)


class FlatParameters:
    """Named arrays that are views into one flat vector, with gradients laid out the same way.

    Args:
        shapes: name -> shape, in order.
        dtype: float32 for speed, float64 for gradient checks.
        members: for a population of this many networks of the same shapes: the flat vector is
            then (members, size), one row per member, and each named array has the member axis
            first, ``(members, *shape)``, so a member's parameters are its row (its gradient
            norm is a row's norm) and a layer of all members is one batched array.
    """

    def __init__(self, shapes: dict[str, tuple[int, ...]], dtype=np.float32, members: int | None = None):
        sizes = [int(np.prod(shape)) for shape in shapes.values()]
        rows = () if members is None else (members,)
        self.members = members
        self.data = np.zeros((*rows, sum(sizes)), dtype=dtype)
        self.grad = np.zeros((*rows, sum(sizes)), dtype=dtype)
        self.shapes = dict(shapes)
        self.values: dict[str, np.ndarray] = {}
        self.grads: dict[str, np.ndarray] = {}
        offset = 0
        for (name, shape), size in zip(shapes.items(), sizes, strict=True):
            self.values[name] = self.data[..., offset : offset + size].reshape(*rows, *shape)
            self.grads[name] = self.grad[..., offset : offset + size].reshape(*rows, *shape)
            offset += size

    def __getitem__(self, name: str) -> np.ndarray:
        return self.values[name]


def orthogonal(rng: np.random.Generator, rows: int, cols: int, gain: float) -> np.ndarray:
    """A (rows, cols) matrix with orthonormal rows or columns (whichever are fewer), times `gain`.

    Saxe et al. (2014): the QR decomposition of a Gaussian matrix, signs fixed by R's diagonal so
    the result is uniformly distributed over orthogonal matrices.
    """
    a = rng.standard_normal((max(rows, cols), min(rows, cols)))
    q, r = np.linalg.qr(a)
    q *= np.sign(np.diag(r))
    return gain * (q if rows >= cols else q.T)


class MLPStack:
    """MLPs of the same hidden shape (the policy and the value network; or one Q network),
    evaluated and differentiated as one.

    Args:
        parameters: holds ``{prefix}weights.k`` of shape (count, inputs, outputs) and
            ``{prefix}biases.k`` of shape (count, 1, outputs), see :meth:`shapes`; for a
            population (``parameters.members`` K), (K, count, inputs, outputs) and so on, and
            every array below then has the member axis first: inputs (K, B, inputs), outputs
            (K, B, outputs). The batched products are the same, one more axis broadcast.
        n_outputs: each network's outputs; a narrower one's last layer is padded with columns
            that stay zero.
        activation: "tanh" or "relu".
    """

    def __init__(
        self, parameters: FlatParameters, prefix: str, n_layers: int, n_outputs: tuple[int, ...], activation: str
    ):
        if activation not in ACTIVATIONS:
            raise ValueError(f"activation must be one of {list(ACTIVATIONS)}, got {activation!r}")
        self.parameters, self.activation, self.n_outputs = parameters, activation, tuple(n_outputs)
        self.weights = [parameters[f"{prefix}weights.{k}"] for k in range(n_layers)]
        self.biases = [parameters[f"{prefix}biases.{k}"] for k in range(n_layers)]
        self.weight_grads = [parameters.grads[f"{prefix}weights.{k}"] for k in range(n_layers)]
        self.bias_grads = [parameters.grads[f"{prefix}biases.{k}"] for k in range(n_layers)]
        self._inputs: np.ndarray | None = None
        self._hidden: list[np.ndarray] = []
        self._count = len(self.n_outputs)  # networks in the last forward(keep=True)
        self.population = parameters.members is not None
        self.last_hidden: np.ndarray | None = None  # (networks, B, width) of the last forward: gSDE's features

    @staticmethod
    def shapes(prefix: str, n_inputs: int, hidden: tuple[int, ...], n_outputs: tuple[int, ...]) -> dict:
        count, sizes = len(n_outputs), (n_inputs, *hidden, max(n_outputs))
        shapes = {
            f"{prefix}weights.{k}": (count, a, b) for k, (a, b) in enumerate(zip(sizes[:-1], sizes[1:], strict=True))
        }
        shapes.update({f"{prefix}biases.{k}": (count, 1, b) for k, b in enumerate(sizes[1:])})
        return shapes

    def initialise(
        self,
        rng: np.random.Generator,
        output_gains: tuple[float, ...],
        orthogonal_init: bool = True,
        member: int | None = None,
    ) -> None:
        """Orthogonal weights (gain sqrt 2, and `output_gains` on the last layer) and zero biases;
        or, with `orthogonal_init` False, torch's default for a linear layer (weights and biases
        uniform in +-1/sqrt(fan_in)), which the RL Zoo's ``ortho_init=False`` entries use. In a
        population, `member`'s networks alone, from its own `rng` (as if it ran alone)."""
        last = len(self.weights) - 1
        for k, (weight, bias) in enumerate(zip(self.weights, self.biases, strict=True)):
            if member is not None:
                weight, bias = weight[member], bias[member]
            weight[...] = 0.0
            bias[...] = 0.0
            for net in range(len(self.n_outputs)):
                width = self.n_outputs[net] if k == last else weight.shape[2]
                if orthogonal_init:
                    gain = output_gains[net] if k == last else np.sqrt(2)
                    weight[net, :, :width] = orthogonal(rng, width, weight.shape[1], gain).T
                else:
                    bound = 1 / np.sqrt(weight.shape[1])
                    weight[net, :, :width] = rng.uniform(-bound, bound, (weight.shape[1], width))
                    bias[net, :, :width] = rng.uniform(-bound, bound, (1, width))

    def forward(self, x: np.ndarray, keep: bool = False, networks: int | None = None) -> tuple[np.ndarray, ...]:
        """Every network's outputs for the batch `x` (B, inputs), or the first `networks` ones'
        alone (TD3's actor reads only the first critic); `keep` stores what backward needs."""
        count = len(self.n_outputs) if networks is None else networks
        networks_used = np.s_[..., :count, :, :]
        h = x[:, None] if self.population else x  # a member's inputs feed each of its networks
        hidden = []
        last = len(self.weights) - 1
        for k, (weight, bias) in enumerate(zip(self.weights, self.biases, strict=True)):
            z = np.matmul(h, weight[networks_used])  # (B, a) @ (count, a, b) broadcasts to (count, B, b)
            z += bias[networks_used]
            if k < last:
                np.tanh(z, out=z) if self.activation == "tanh" else np.maximum(z, 0, out=z)
                hidden.append(z)
            h = z
        if keep:
            self._inputs, self._hidden, self._count = x, hidden, count
        self.last_hidden = hidden[-1]
        return tuple(h[..., net, :, :n] for net, n in enumerate(self.n_outputs[:count]))

    def _ones(self, rows: int, dtype) -> np.ndarray:
        """A (1, rows) row of ones, kept."""
        ones = getattr(self, "_ones_row", None)
        if ones is None or ones.shape[1] != rows or ones.dtype != dtype:
            ones = self._ones_row = np.ones((1, rows), dtype=dtype)
        return ones

    def input_gradient(self, *d_outputs: np.ndarray) -> np.ndarray:
        """dL/dx for the last ``forward(keep=True)`` (summed over the networks), leaving the
        parameters' gradients as they were: the chain rule's dL/dh_{k-1} = dL/dz_k W_k^T alone,
        no weight products. An actor's gradient through a critic, dQ/da, is this."""
        dx = self.backward(*d_outputs, input_gradient=True, parameter_gradients=False)
        assert dx is not None
        return dx

    def backward(
        self,
        *d_outputs: np.ndarray,
        input_gradient: bool = False,
        parameter_gradients: bool = True,
        d_last_hidden: np.ndarray | None = None,
    ) -> np.ndarray | None:
        """Write dL/dW and dL/db into the parameters' gradients (unless not `parameter_gradients`),
        given dL/d(outputs) of each network for the last ``forward(keep=True)``; return dL/dx
        (summed over the networks) if `input_gradient`. `d_last_hidden` (networks, B, width) is
        a gradient the loss has on the last hidden layer's output directly, besides through the
        output layer (SAC's gSDE noise reads those features)."""
        x, hidden, count = self._inputs, self._hidden, self._count
        assert x is not None, "backward needs a forward(keep=True) first"
        last = len(self.weights) - 1
        used, left_out = np.s_[..., :count, :, :], np.s_[..., count:, :, :]
        dz = np.zeros((*x.shape[:-2], count, x.shape[-2], self.weights[last].shape[-1]), dtype=self.weights[last].dtype)
        for net, (d_out, n) in enumerate(zip(d_outputs, self.n_outputs[:count], strict=True)):
            dz[..., net, :, :n] = d_out
        for k in range(last, -1, -1):
            # x is shared by a member's networks: (B, a), or (K, 1, B, a) in a population
            below = hidden[k - 1] if k > 0 else (x[:, None] if self.population else x)
            if parameter_gradients:
                batch_product(below, dz, out=self.weight_grads[k][used])
                if self.population:  # the sum over rows as a product with ones: 5x faster at (K, 2, B, b)
                    np.matmul(self._ones(dz.shape[-2], dz.dtype), dz, out=self.bias_grads[k][used])
                else:
                    dz.sum(axis=-2, keepdims=True, out=self.bias_grads[k][used])
                self.weight_grads[k][left_out] = 0.0  # networks left out of the forward pass
                self.bias_grads[k][left_out] = 0.0
            if k == 0 and not input_gradient:
                return None
            dh = np.matmul(dz, np.swapaxes(self.weights[k][used], -1, -2))  # dL/dh_{k-1}
            if k == last and d_last_hidden is not None:
                dh += d_last_hidden
            if k == 0:
                return dh.sum(axis=-3)
            if self.activation == "tanh":
                dh *= 1 - below * below
            else:
                dh *= below > 0
            dz = dh
        return None


def single_threaded_blas() -> None:
    """Matrix products of a small network on one thread: faster than splitting them, and the same
    numbers on one core and on many."""
    from threadpoolctl import threadpool_limits

    threadpool_limits(1, user_api="blas")


def keep_freed_memory() -> None:
    """Ask glibc's allocator to keep freed memory for reuse (Linux; elsewhere nothing happens).

    A population's layers make temporaries of about a megabyte (K members x 2 networks x 256
    rows x 64 floats). By default glibc serves such sizes with fresh pages and returns them to
    the system when freed, so every temporary is paid again in page faults: 40% of a
    population update's time on the development machine. Raising the thresholds keeps them in
    the heap. It changes where memory comes from, never a number that is computed."""
    import ctypes
    import sys

    if not sys.platform.startswith("linux"):
        return
    try:
        libc = ctypes.CDLL("libc.so.6")
    except OSError:  # another C library (musl): its allocator has no such setting
        return
    mallopt = getattr(libc, "mallopt", None)
    if mallopt is not None:
        M_TRIM_THRESHOLD, M_MMAP_THRESHOLD = -1, -3
        mallopt(M_MMAP_THRESHOLD, 64 << 20)
        mallopt(M_TRIM_THRESHOLD, 256 << 20)


def batch_product(h: np.ndarray, dz: np.ndarray, out: np.ndarray) -> None:
    """out = h^T dz, summed over the batch axis (-2), in blocks of :data:`ROWS_PER_PRODUCT` rows."""
    rows = h.shape[-2]
    np.matmul(np.swapaxes(h[..., :ROWS_PER_PRODUCT, :], -1, -2), dz[..., :ROWS_PER_PRODUCT, :], out=out)
    for start in range(ROWS_PER_PRODUCT, rows, ROWS_PER_PRODUCT):
        block = slice(start, start + ROWS_PER_PRODUCT)
        out += np.matmul(np.swapaxes(h[..., block, :], -1, -2), dz[..., block, :])


def check_state_shapes(state: dict, expected: dict[str, tuple[int, ...]], prefix: str, agent: str) -> None:
    """Every parameter of `expected` is in `state` (as ``{prefix}.{name}``) with its shape, or a
    ValueError naming the first that is not (a file saved for other spaces or hidden sizes)."""
    for name, shape in expected.items():
        saved = state.get(f"{prefix}.{name}")
        if saved is None or tuple(saved.shape) != tuple(shape):
            got = None if saved is None else tuple(saved.shape)
            raise ValueError(
                f"{agent} state {prefix}.{name} has shape {got}, expected {tuple(shape)} (other spaces or hidden sizes?)"
            )


def observation_size(space: spaces.Space, agent: str) -> int:
    """Inputs of the network for `space`: a Box vector's length, or the one-hot blocks of a
    finite space (Discrete, Tuple/Dict of Discrete, MultiDiscrete, MultiBinary)."""
    if isinstance(space, spaces.Box) and len(space.shape) == 1:
        return int(space.shape[0])
    finite = one_hot_size(space)
    if finite is not None:
        return finite
    if isinstance(space, spaces.Box) and len(space.shape) >= 2:
        raise SpaceError(
            f"{agent} takes vector observations, or images of three axes (H, W, C) or (C, H, W) where it is dqn, "
            f"ppo, a2c or reinforce (a convolution torso); {describe(space)} has {len(space.shape)}: flatten it "
            "with gymnasium.wrappers.FlattenObservation, or give an image a channel axis"
        )
    raise SpaceError(
        f"{agent} needs a Box vector or a finite (Discrete, Tuple/Dict of Discrete, MultiDiscrete) "
        f"observation space, but got {describe(space)}"
    )


def check_action_space(space: spaces.Space, agent: str) -> None:
    if isinstance(space, spaces.Discrete) and int(space.start) == 0:
        return
    if isinstance(space, spaces.Box) and len(space.shape) == 1:
        return
    raise SpaceError(f"{agent} needs a Discrete (from 0) or Box vector action space, but got {describe(space)}")


def encode_observations(space: spaces.Space, obs: np.ndarray, dtype=np.float32) -> np.ndarray:
    """The network's input: a Box vector as floats; a finite state as one one-hot block per part."""
    if isinstance(space, spaces.Box):
        return np.asarray(obs, dtype=dtype)
    return encode_one_hot(space, obs, dtype)


def numbers(value) -> float | np.ndarray:
    """A loss as a float, or one float per member (a population's losses)."""
    return float(value) if np.ndim(value) == 0 else np.asarray(value, dtype=np.float64)


class StepResult:
    """What one gradient step reports: the loss terms, log pi(a|s) before the step, the norm."""

    def __init__(self, losses: dict[str, float | np.ndarray], log_prob: np.ndarray, grad_norm: float | np.ndarray):
        self.losses, self.log_prob, self.grad_norm = losses, log_prob, grad_norm


class ActorCriticBase:
    """What the numpy actor-critic and its torch reference share: the spaces, the input
    encoding, the policy's distribution and V. Subclasses give ``forward``, ``log_std`` and ``step``."""

    def __init__(
        self,
        observation_space: spaces.Space,
        action_space: spaces.Space,
        agent: str,
        dtype,
        conv_layers: tuple[tuple[int, int, int], ...] = IMAGE_LAYERS,
        members: int | None = None,
    ):
        check_action_space(action_space, agent)
        self.observation_space, self.dtype = observation_space, np.dtype(dtype)
        # an image goes through a convolution torso that the policy and the value share (as
        # SB3's CnnPolicy shares its features extractor); n_inputs is then the MLPs' input width
        self.torso = (
            ImageTorso(observation_space, conv_layers, "torso.", agent, members)
            if is_image(observation_space)
            else None
        )
        self.n_inputs = observation_size(observation_space, agent) if self.torso is None else self.torso.features
        self.discrete = isinstance(action_space, spaces.Discrete)
        self.n_actions = action_count(action_space)
        self.use_sde = False
        self.latent: np.ndarray | None = None  # the policy's last hidden features, with gSDE

    def encode(self, obs: np.ndarray) -> np.ndarray:
        """The network's input rows (B, inputs): an image flattened channels first, in [0, 1]."""
        if self.torso is not None:
            return self.torso.encode(obs, self.dtype)
        return encode_observations(self.observation_space, obs, self.dtype)

    def forward(self, x: np.ndarray, keep: bool = False) -> tuple[np.ndarray, np.ndarray]:
        raise NotImplementedError

    def log_std(self) -> np.ndarray:
        raise NotImplementedError

    def distribution(self, outputs: np.ndarray) -> Categorical | DiagonalGaussian | StateDependentGaussian:
        """pi(.|s) for the policy outputs of the last :meth:`forward` (gSDE also reads its features)."""
        if self.discrete:
            return Categorical(outputs)
        if self.use_sde:
            assert self.latent is not None, "gSDE reads the features of the last forward"
            return StateDependentGaussian(outputs, self.log_std(), self.latent)
        return DiagonalGaussian(outputs, self.log_std())

    def values(self, x: np.ndarray) -> np.ndarray:
        return self.forward(x)[1]


class ActorCritic(ActorCriticBase):
    """A policy network and a value network (separate weights), a policy head, and its optimizer.

    Args:
        observation_space: Box vector or Discrete (one-hot encoded).
        action_space: Discrete from 0 (categorical policy) or a Box vector (diagonal Gaussian
            with a learned log std, starting at 0).
        hidden: hidden layer widths.
        activation: "tanh" or "relu".
        agent: the agent's name, for error messages.
        seed: seeds the initial weights; a tuple of K seeds makes a population of K members
            (each initialised from its own seed as it would be alone; see :class:`FlatParameters`):
            inputs are then (K, B, inputs), outputs (K, B, ...), losses and norms one per member.
        dtype: np.float32 (fast) or np.float64 (gradient checks).
        log_std_init: the Gaussian's initial log standard deviation.
        optimizer: "adam" or "rmsprop" (:mod:`rl_kit.agents.optimizers`).
        weight_decay: AdamW's decoupled weight decay (0: none; adam only).
        use_sde: Box actions explored by gSDE (:class:`rl_kit.agents.distributions.StateDependentGaussian`):
            log sigma is a (last hidden width, actions) matrix.
        orthogonal_init: orthogonal initialisation (True) or torch's default for linear layers.
        conv_layers: for image observations, the shared torso's (filters, kernel, stride) per
            convolution (:class:`ImageTorso`, parameters ``torso.*`` after the MLPs'; in a
            population, each member's convolved with its own layers, one member after another).
    """

    def __init__(
        self,
        observation_space: spaces.Space,
        action_space: spaces.Space,
        hidden: tuple[int, ...],
        activation: str,
        agent: str,
        seed: int | tuple[int, ...],
        dtype=np.float32,
        log_std_init: float = 0.0,
        optimizer: str = "adam",
        use_sde: bool = False,
        orthogonal_init: bool = True,
        conv_layers: tuple[tuple[int, int, int], ...] = IMAGE_LAYERS,
        weight_decay: float = 0.0,
    ):
        self.members = len(seed) if isinstance(seed, tuple) else None
        super().__init__(observation_space, action_space, agent, dtype, conv_layers, self.members)
        n_actions = self.n_actions
        self.use_sde = use_sde and not self.discrete
        if self.members is not None and self.use_sde:
            raise ValueError(f"{agent}: a population does not run gSDE (use_sde); its members run apart")
        if self.members is not None:
            keep_freed_memory()
        shapes: dict[str, tuple[int, ...]] = {}
        if not self.discrete:
            shapes["head.log_std"] = (hidden[-1], n_actions) if self.use_sde else (n_actions,)
        shapes.update(MLPStack.shapes("body.", self.n_inputs, hidden, (n_actions, 1)))
        shapes.update({} if self.torso is None else self.torso.shapes)
        self.parameters = FlatParameters(shapes, dtype, self.members)
        self.body = MLPStack(self.parameters, "body.", len(hidden) + 1, (n_actions, 1), activation)
        for member, member_seed in enumerate(seed if isinstance(seed, tuple) else (seed,)):
            own = None if self.members is None else member  # a member starts as its run alone would
            self.body.initialise(np.random.default_rng(member_seed), (0.01, 1.0), orthogonal_init, own)
            if self.torso is not None:
                self.torso.initialise(self.parameters, member_seed, orthogonal_init, own)
        if not self.discrete:
            self.parameters["head.log_std"][...] = log_std_init
        self.optimizer = OPTIMIZERS[optimizer](self.parameters.data, weight_decay=weight_decay)

    # --- the function -------------------------------------------------------------------------
    def forward(self, x: np.ndarray, keep: bool = False) -> tuple[np.ndarray, np.ndarray]:
        """Policy outputs (logits or means) and values V(s) for encoded observations `x`."""
        if self.torso is not None:
            x = self.torso.forward(self.parameters, x, keep)
        outputs, values = self.body.forward(x, keep)
        if self.use_sde and self.body.last_hidden is not None:
            self.latent = self.body.last_hidden[0]
        return outputs, values[..., 0]

    def log_std(self) -> np.ndarray:
        """log sigma: (actions,), or (K, 1, actions) in a population (one row per member, broadcast over its batch)."""
        log_std = self.parameters["head.log_std"]
        return log_std if self.members is None else log_std[:, None, :]

    def log_prob_input_gradient(self, x: np.ndarray, actions: np.ndarray) -> np.ndarray:
        """d log pi(a|x) / dx for each row of `x` (explain's attributions); parameters unchanged."""
        outputs, _ = self.forward(x, keep=True)
        distribution = self.distribution(outputs)
        d_outputs, _ = distribution.gradient(actions, np.ones(len(x), dtype=self.dtype), 0.0)
        return self.input_gradient(d_outputs, np.zeros((len(x), 1), dtype=self.dtype))

    def input_gradient(self, d_outputs: np.ndarray, d_values: np.ndarray) -> np.ndarray:
        """dL/dx for the last ``forward(keep=True)``, given dL/d(policy outputs) and dL/dV (B, 1),
        through the torso if there is one (whose parameters' gradients are then overwritten)."""
        if self.torso is None:
            return self.body.input_gradient(d_outputs, d_values)
        d_features = self.body.input_gradient(d_outputs, d_values)
        dx = self.torso.backward(self.parameters, d_features, input_gradient=True)
        assert dx is not None
        return dx

    def mean_input_gradient(self, x: np.ndarray) -> np.ndarray:
        """d mu_j(x) / dx for each action j of a Gaussian policy, (actions, B, inputs); parameters unchanged."""
        self.forward(x, keep=True)
        zeros, gradients = np.zeros((len(x), 1), dtype=self.dtype), []
        for j in range(self.n_actions):
            unit = np.zeros((len(x), self.n_actions), dtype=self.dtype)
            unit[:, j] = 1.0
            gradients.append(self.input_gradient(unit, zeros))
        return np.stack(gradients)

    # --- learning -----------------------------------------------------------------------------
    def step(
        self,
        objective,
        obs: np.ndarray,
        actions: np.ndarray,
        learning_rate: float | np.ndarray,
        max_grad_norm: float | np.ndarray,
        agent: str = "agent",
        at_step: int = 0,
    ) -> StepResult:
        """One gradient step on `objective` (see :class:`rl_kit.agents.objective.Objective`).

        The forward pass keeps its activations; the objective gives dL/dlog pi, dL/dH and dL/dV;
        the distribution turns the first two into dL/d(policy outputs); the MLPs backpropagate;
        the gradient is clipped to `max_grad_norm` (0: not clipped) and the optimizer steps. A non-finite
        loss or gradient raises :class:`NonFiniteLossError` before anything changes.
        """
        outputs, values = self.forward(obs, keep=True)
        distribution = self.distribution(outputs)
        log_prob, entropy = distribution.log_prob(actions), distribution.entropy()
        losses = objective.losses(np, log_prob, entropy, values)
        check_finite(agent, at_step, policy_loss=losses["policy_loss"], value_loss=losses["value_loss"])
        d_log_prob, d_entropy, d_values = objective.gradients(log_prob, entropy, values)
        d_outputs, d_log_std = distribution.gradient(actions, d_log_prob, d_entropy)
        d_features = self.body.backward(d_outputs, d_values[..., None], input_gradient=self.torso is not None)
        if self.torso is not None:  # both networks' dL/dfeatures, summed, into the shared torso
            assert d_features is not None
            self.torso.backward(self.parameters, d_features, input_gradient=False)
        if d_log_std is not None:
            self.parameters.grads["head.log_std"][...] = d_log_std
        norm = clip_global_norm(self.parameters.grad, max_grad_norm)
        check_finite(agent, at_step, **{"gradient norm": norm})
        self.optimizer.step(self.parameters.grad, learning_rate)
        return StepResult({k: numbers(v) for k, v in losses.items()}, log_prob, norm)

    # --- saving: the names and layout of the torch reference -----------------------------------
    def state_dict(self, member: int | None = None) -> dict[str, np.ndarray]:
        """Parameters and optimizer state by the torch reference's names; in a population,
        `member`'s alone, as if it had run alone."""
        values = self.parameters.values
        if member is not None:
            values = {name: value[member] for name, value in values.items()}
        state = {f"net.{name}": value.copy() for name, value in values.items()}
        if self.optimizer.t:
            offset = 0
            for i, value in enumerate(values.values()):
                size = value.size
                state[f"optimizer.{i}.step"] = np.array([self.optimizer.t], dtype=np.float32)
                for key, moment in self.optimizer.moments().items():
                    rows = moment if member is None else moment[member]
                    state[f"optimizer.{i}.{key}"] = rows[offset : offset + size].reshape(value.shape).copy()
                offset += size
        return state

    def load_state_dict(self, state: dict[str, np.ndarray], agent: str = "agent", member: int | None = None) -> None:
        """The inverse of :meth:`state_dict`: in a population, into `member`'s row."""
        check_state_shapes(state, self.parameters.shapes, "net", agent)
        for name, value in self.parameters.values.items():
            (value if member is None else value[member])[...] = state[f"net.{name}"]
        if "optimizer.0.step" in state:
            moments = self.optimizer.moments()
            missing = sorted({key for key in moments if f"optimizer.0.{key}" not in state})
            if missing:
                raise ValueError(
                    f"{agent}: the saved optimizer state has no {', '.join(missing)}: it was saved with another "
                    "optimizer (the hyperparameter 'optimizer')"
                )
            offset = 0
            for i, shape in enumerate(self.parameters.shapes.values()):
                size = int(np.prod(shape))
                for key, moment in moments.items():
                    rows = moment if member is None else moment[member]
                    rows[offset : offset + size] = np.asarray(state[f"optimizer.{i}.{key}"]).reshape(-1)
                offset += size
            self.optimizer.t = int(np.asarray(state["optimizer.0.step"]).reshape(-1)[0])


class Network:
    """An MLP stack on one flat parameter vector with its Adam: what DQN's Q network and the
    off-policy actors and critics (:mod:`rl_kit.agents.off_policy_networks`) share, including the
    target network's Polyak averaging and saving under a prefix.

    Args:
        prefix: the parameters' names start with it ("q.", "critic.", "actor.").
        n_inputs: the input width. hidden: hidden layer widths. n_outputs: each network's outputs.
        activation: "tanh" or "relu". seed: seeds the initial weights; a tuple of K seeds makes
            a population of K members (:class:`FlatParameters`' member axis), member k
            initialised as its network alone from seed k.
        dtype: np.float32 (fast) or np.float64 (gradient checks).
        adam_eps: Adam's epsilon. orthogonal_init: orthogonal (gain 1 on the outputs) or
            torch's default for a linear layer (SB3's for its off-policy networks).
        extra_shapes: parameters besides the MLP's, name -> shape, after it in the flat vector
            (gSDE's log sigma matrix), initialised to zero; Adam and Polyak averaging cover them.
    """

    def __init__(
        self,
        prefix: str,
        n_inputs: int,
        hidden: tuple[int, ...],
        n_outputs: tuple[int, ...],
        activation: str,
        seed: int | tuple[int, ...],
        dtype=np.float32,
        adam_eps: float = 1e-8,
        orthogonal_init: bool = True,
        extra_shapes: dict[str, tuple[int, ...]] | None = None,
    ):
        self.dtype, self.n_inputs = np.dtype(dtype), n_inputs
        self.members = len(seed) if isinstance(seed, tuple) else None
        shapes = {**MLPStack.shapes(prefix, n_inputs, hidden, n_outputs), **(extra_shapes or {})}
        self.parameters = FlatParameters(shapes, dtype, self.members)
        self.body = MLPStack(self.parameters, prefix, len(hidden) + 1, n_outputs, activation)
        gains = (1.0,) * len(n_outputs)
        if isinstance(seed, tuple):
            for k, member_seed in enumerate(seed):
                self.body.initialise(np.random.default_rng(member_seed), gains, orthogonal_init, member=k)
        else:
            self.body.initialise(np.random.default_rng(seed), gains, orthogonal_init)
        self.optimizer = Adam(self.parameters.data, eps=adam_eps)

    def apply_gradient(self, learning_rate: float | np.ndarray, max_grad_norm: float | np.ndarray = 0.0):
        """One Adam step on the gradient in ``parameters.grad``, clipped to `max_grad_norm` (0:
        not clipped); returns the norm before clipping (one per member in a population, whose
        learning rate and limit may be one per member too), or raises :class:`NonFiniteLossError`."""
        norm = numbers(clip_global_norm(self.parameters.grad, max_grad_norm))
        if not np.all(np.isfinite(norm)):
            raise NonFiniteLossError(f"the gradient norm is {norm}")
        self.optimizer.step(self.parameters.grad, learning_rate)
        return norm

    def copy_from(self, other: Network, tau: float = 1.0, members: np.ndarray | None = None) -> None:
        """theta <- tau * theta_other + (1 - tau) * theta (tau 1: a copy; Polyak averaging below
        1); in a population, for the `members` (a mask) alone where given."""
        if members is not None:
            rows = self.parameters.data[members]
            if tau >= 1.0:
                rows[...] = other.parameters.data[members]
            else:
                rows *= 1.0 - tau
                rows += tau * other.parameters.data[members]
            self.parameters.data[members] = rows
        elif tau >= 1.0:
            self.parameters.data[...] = other.parameters.data
        else:
            self.parameters.data *= 1.0 - tau
            self.parameters.data += tau * other.parameters.data

    def state_dict(self, prefix: str, member: int | None = None) -> dict[str, np.ndarray]:
        """The parameters and Adam's moments under `prefix`; in a population, member `member`'s,
        as its network alone would save them."""
        row = np.s_[...] if member is None else np.s_[member]
        state = {f"{prefix}.{name}": value[row].copy() for name, value in self.parameters.values.items()}
        if self.optimizer.t:
            state[f"{prefix}.adam.m"] = self.optimizer.m[row].copy()
            state[f"{prefix}.adam.v"] = self.optimizer.v[row].copy()
            state[f"{prefix}.adam.t"] = np.array([self.optimizer.t], dtype=np.int64)
        return state

    def load_state_dict(
        self, state: dict[str, np.ndarray], prefix: str, agent: str = "agent", member: int | None = None
    ) -> None:
        """The inverse of :meth:`state_dict` (into member `member`'s row in a population)."""
        check_state_shapes(state, self.parameters.shapes, prefix, agent)
        row = np.s_[...] if member is None else np.s_[member]
        for name, value in self.parameters.values.items():
            value[row] = state[f"{prefix}.{name}"]
        if f"{prefix}.adam.t" in state:
            self.optimizer.m[row] = state[f"{prefix}.adam.m"]
            self.optimizer.v[row] = state[f"{prefix}.adam.v"]
            self.optimizer.t = int(np.asarray(state[f"{prefix}.adam.t"]).reshape(-1)[0])


class QNetwork(Network):
    """An action-value network Q(s, .) (one MLP, one output per action) and its Adam; for an
    image, a convolution torso (:class:`ImageTorso`) in front of the MLP, its parameters in the
    same flat vector (``q.conv.*``), so Adam, the target's copies and saving cover them.

    A population's (seed a tuple of K seeds) inputs are (K, B, inputs) and its outputs
    (K, B, n_actions); every method below takes either, the member axis first.

    Args:
        observation_space: Box vector, Box image ((H, W, C) or (C, H, W)), or a finite space (one-hot encoded).
        n_actions: outputs, one per action.
        hidden: hidden layer widths. activation: "tanh" or "relu".
        agent: the agent's name, for error messages. seed: seeds the initial weights (a tuple: a population).
        dtype: np.float32 (fast) or np.float64 (gradient checks).
        adam_eps: Adam's epsilon.
        conv_layers: an image torso's (filters, kernel, stride) per convolution.
    """

    def __init__(
        self,
        observation_space: spaces.Space,
        n_actions: int,
        hidden: tuple[int, ...],
        activation: str,
        agent: str,
        seed: int | tuple[int, ...],
        dtype=np.float32,
        adam_eps: float = 1e-8,
        conv_layers: tuple[tuple[int, int, int], ...] = IMAGE_LAYERS,
    ):
        self.observation_space = observation_space
        members = len(seed) if isinstance(seed, tuple) else None
        self.torso = (
            ImageTorso(observation_space, conv_layers, "q.conv.", agent, members)
            if is_image(observation_space)
            else None
        )
        n_inputs = observation_size(observation_space, agent) if self.torso is None else self.torso.features
        extra = None if self.torso is None else self.torso.shapes
        super().__init__("q.", n_inputs, hidden, (n_actions,), activation, seed, dtype, adam_eps, extra_shapes=extra)
        if self.torso is not None:
            seeds = seed if isinstance(seed, tuple) else (seed,)
            for k, member_seed in enumerate(seeds):
                member = None if members is None else k
                self.torso.initialise(self.parameters, member_seed, orthogonal_init=False, member=member)

    def encode(self, obs: np.ndarray) -> np.ndarray:
        """The network's input rows (B, inputs): an image flattened channels first, in [0, 1]; a
        population's K x N observations (K * N, ...) as (K, N, inputs)."""
        if self.torso is not None:
            x = self.torso.encode(obs, self.dtype)
        else:
            x = encode_observations(self.observation_space, obs, self.dtype)
        return x if self.members is None else x.reshape(self.members, -1, x.shape[-1])

    def forward(self, x: np.ndarray, keep: bool = False) -> np.ndarray:
        """Q(s, a) for every action, shape (B, n_actions) (a population's (K, B, n_actions)), at encoded observations `x`."""
        if self.torso is not None:
            x = self.torso.forward(self.parameters, x, keep)
        return self.body.forward(x, keep)[0]

    def step(self, x: np.ndarray, actions: np.ndarray, loss, loss_gradient, learning_rate, max_grad_norm):
        """One gradient step on ``loss(np, Q(s_i, a_i))``, whose gradient with respect to each
        Q(s_i, a_i) is ``loss_gradient(Q(s_i, a_i))``; the other actions' outputs get none.
        Returns the loss, the Q(s_i, a_i) before the step, and the gradient norm before clipping
        (a population's: one loss and norm per member, Q (K, B); its learning rate and limit
        may be one per member)."""
        q = self.forward(x, keep=True)
        chosen = actions[..., None]
        taken = np.take_along_axis(q, chosen, axis=-1)[..., 0]
        value = numbers(loss(np, taken))
        if not np.all(np.isfinite(value)):
            raise NonFiniteLossError(f"the TD loss is {value}")
        d_q = np.zeros_like(q)
        np.put_along_axis(d_q, chosen, loss_gradient(taken)[..., None], axis=-1)
        self.backward(d_q)
        norm = self.apply_gradient(learning_rate, max_grad_norm)
        return value, taken, norm

    def backward(self, d_q: np.ndarray, input_gradient: bool = False) -> np.ndarray | None:
        """dL/dparameters, into their gradients, given dL/dQ(s, .) for the last ``forward(keep=True)``
        (and dL/dx, if `input_gradient`): through the MLP, then through the torso if there is one."""
        if self.torso is None:
            return self.body.backward(d_q, input_gradient=input_gradient)
        d_features = self.body.backward(d_q, input_gradient=True)
        assert d_features is not None
        return self.torso.backward(self.parameters, d_features, input_gradient)

    def input_gradient(self, x: np.ndarray, actions: np.ndarray) -> np.ndarray:
        """d Q(x, a) / dx for each row (explain's attributions; an image's saliency map). The
        parameters are unchanged; their gradients are overwritten where there is a torso."""
        q = self.forward(x, keep=True)
        d_q = np.zeros_like(q)
        d_q[np.arange(len(actions)), actions] = 1.0
        if self.torso is None:
            return self.body.input_gradient(d_q)
        dx = self.backward(d_q, input_gradient=True)
        assert dx is not None
        return dx


def is_image(space: spaces.Space) -> bool:
    """A Box of three axes: an image, (H, W, C) or (C, H, W)."""
    return isinstance(space, spaces.Box) and len(space.shape) == 3


def image_layout(space: spaces.Box) -> tuple[int, int, int, bool]:
    """(channels, height, width, channels_last): channels first only where the first axis is
    strictly the shortest and the last is not (Gymnasium's images are channels last)."""
    a, b, c = space.shape
    if a < b and a < c and c >= a:
        return a, b, c, False
    return c, a, b, True


class ImageTorso:
    """Convolutions, each followed by ReLU, then flattening: what stands between an image and an MLP.

    With h_0 the image (C, H, W) scaled to [0, 1] by the space's high bound, layer l computes
    z_l = conv_l(h_{l-1}) (:class:`rl_kit.agents.convolution.Conv2d`) and h_l = relu(z_l); the
    MLP takes h_L flattened. Backward, from the MLP's input gradient dL/dh_L:

        dL/dz_l = dL/dh_l * [h_l > 0]             (ReLU's derivative, read off its output)
        dL/dW_l, dL/db_l, dL/dh_{l-1}            (:meth:`Conv2d.backward`)

    The torso holds the layout, never the parameters: they live in the owner's flat vector
    (:class:`FlatParameters`) under ``{prefix}{l}.weight`` (F, C, k, k) and ``{prefix}{l}.bias``
    (F,), torch's ``Conv2d`` names and shapes. Encoded observations are rows (B, C H W): a
    rollout or a replay stores them as it stores vectors.

    Args:
        space: a Box image, (H, W, C) or (C, H, W) (:func:`image_layout`).
        layers: (filters, kernel, stride) per convolution; none: the pixels themselves are the features.
        prefix: the parameters' names start with it.
        agent: the agent's name, for errors.
    """

    def __init__(
        self,
        space: spaces.Space,
        layers: tuple[tuple[int, int, int], ...],
        prefix: str,
        agent: str,
        members: int | None = None,
    ):
        import copy

        from .convolution import Conv2d

        assert isinstance(space, spaces.Box) and is_image(space)
        channels, height, width, self.channels_last = image_layout(space)
        self.image_shape = (channels, height, width)
        self.layers: list = []
        self.shapes: dict[str, tuple[int, ...]] = {}
        shape = self.image_shape
        for index, (filters, kernel, stride) in enumerate(layers):
            conv = Conv2d(shape[0], filters, kernel, stride)
            shape = conv.output_shape(shape[1], shape[2])
            if shape[1] < 1 or shape[2] < 1:
                raise SpaceError(
                    f"{agent}: convolution {index + 1} ({filters} filters of {kernel}x{kernel}, stride {stride}) does "
                    f"not fit the {height}x{width} image (conv_layers)"
                )
            self.layers.append(conv)
            self.shapes[f"{prefix}{index}.weight"] = conv.weight_shape
            self.shapes[f"{prefix}{index}.bias"] = (filters,)
        self.names = list(self.shapes)
        self.output_shape = shape
        self.features = int(np.prod(shape))  # the MLP's input width
        high = float(np.max(space.high))
        self.scale = 1.0 / high if np.isfinite(high) and high > 0 else 1.0
        # A population's members convolve one after another, each with layers of its own (a
        # layer keeps its last forward pass's columns for the backward pass); its MLP is batched.
        self.members = members
        self.member_layers = [self.layers] + [copy.deepcopy(self.layers) for _ in range((members or 1) - 1)]
        self._outputs: list[list[np.ndarray]] = []

    def parameter_count(self) -> int:
        return sum(int(np.prod(shape)) for shape in self.shapes.values())

    def member_parameters(self, arrays: dict[str, np.ndarray], k: int | None) -> dict[str, np.ndarray]:
        """The torso's arrays of `arrays` (values or gradients), member `k`'s rows in a population."""
        return {name: arrays[name] if k is None else arrays[name][k] for name in self.names}

    def initialise(
        self, parameters: FlatParameters, seed: int, orthogonal_init: bool, member: int | None = None
    ) -> None:
        """From a stream of its own (the MLP starts as it would alone): orthogonal weights of
        gain sqrt 2 on each filter's (C k k) fan-in and zero biases, as SB3's CNN policies; or
        torch's default for a convolution, weight and bias uniform in +-1/sqrt(fan in). In a
        population, `member`'s rows alone, as it would start alone."""
        rng = np.random.default_rng([seed, 1])
        own = self.member_parameters(parameters.values, member)
        for conv, weight_name, bias_name in zip(self.layers, self.names[::2], self.names[1::2], strict=True):
            weight, bias = own[weight_name], own[bias_name]
            fan_in = int(np.prod(weight.shape[1:]))
            if orthogonal_init:
                weight[...] = orthogonal(rng, conv.out_channels, fan_in, np.sqrt(2)).reshape(weight.shape)
                bias[...] = 0.0
            else:
                bound = 1 / np.sqrt(fan_in)
                weight[...] = rng.uniform(-bound, bound, weight.shape)
                bias[...] = rng.uniform(-bound, bound, bias.shape)

    def encode(self, obs: np.ndarray, dtype) -> np.ndarray:
        """Images (B, H, W, C) or (B, C, H, W) as rows (B, C H W) of floats in [0, 1], channels first."""
        from .convolution import channels_first

        dtype = np.dtype(dtype)
        x = np.asarray(obs, dtype=dtype) * dtype.type(self.scale)
        if x.ndim == 3:  # one image
            x = x[None]
        if self.channels_last:
            x = channels_first(x)
        return x.reshape(len(x), -1)

    def images(self, x: np.ndarray) -> np.ndarray:
        """Encoded rows (B, C H W) as images (B, C, H, W): where a saliency map is drawn."""
        return x.reshape(len(x), *self.image_shape)

    def forward(self, parameters: FlatParameters, x: np.ndarray, keep: bool = False) -> np.ndarray:
        """The features (B, F Ho Wo) of encoded images `x` (B, C H W); a population's (K, B, ...)."""
        if not self.layers:
            return x
        if self.members is None:
            return self._forward(self.layers, parameters.values, x, keep, 0)
        own = [self.member_parameters(parameters.values, k) for k in range(self.members)]
        return np.stack([self._forward(self.member_layers[k], own[k], x[k], keep, k) for k in range(self.members)])

    def _forward(self, layers: list, own: dict[str, np.ndarray], x: np.ndarray, keep: bool, k: int) -> np.ndarray:
        h = self.images(x)
        outputs = []
        for conv, weight_name, bias_name in zip(layers, self.names[::2], self.names[1::2], strict=True):
            h = conv.forward(h, own[weight_name], own[bias_name], keep)
            np.maximum(h, 0, out=h)
            outputs.append(h)
        if keep:
            self._outputs[k:] = [outputs]  # member k's, after members 0 .. k-1's of this pass
        return h.reshape(len(x), -1)

    def backward(self, parameters: FlatParameters, d_features: np.ndarray, input_gradient: bool) -> np.ndarray | None:
        """Each convolution's weight and bias gradients into ``parameters.grads``, given dL/dfeatures
        (B, F Ho Wo) for the last ``forward(keep=True)``; dL/dx (B, C H W) if `input_gradient`
        (a population's: (K, B, ...) both)."""
        if not self.layers:  # "none": the features are the pixels
            return d_features if input_gradient else None
        assert self._outputs, "backward needs a forward(keep=True) first"
        if self.members is None:
            return self._backward(self.layers, parameters, None, d_features, input_gradient)
        members = range(self.members)
        d = [self._backward(self.member_layers[k], parameters, k, d_features[k], input_gradient) for k in members]
        return np.stack([dk for dk in d if dk is not None]) if input_gradient else None

    def _backward(
        self, layers: list, parameters: FlatParameters, k: int | None, d_features: np.ndarray, input_gradient: bool
    ) -> np.ndarray | None:
        outputs = self._outputs[0 if k is None else k]
        own, grads = self.member_parameters(parameters.values, k), self.member_parameters(parameters.grads, k)
        d = d_features.reshape(outputs[-1].shape)
        for index in range(len(layers) - 1, -1, -1):
            d = d * (outputs[index] > 0)
            weight_name, bias_name = self.names[2 * index], self.names[2 * index + 1]
            below = index > 0 or input_gradient
            d = layers[index].backward(d, own[weight_name], grads[weight_name], grads[bias_name], below)
            if not below:
                return None
        return d.reshape(len(d), -1)
