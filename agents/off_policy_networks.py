"""The networks of off-policy continuous control, with their gradients by hand: K critics
Q_k(s, a) run as one stack, a deterministic actor (DDPG, TD3) and a tanh-squashed Gaussian
actor (SAC).

Inside the networks an action lives in [-1, 1]^n; the agents scale it to the env's bounds.

**Critics.** Q_k(s, a) = MLP_k([x, a]) for k = 1..K (K = 2 for TD3's and SAC's twin critics),
the K networks in one :class:`rl_kit.agents.networks.MLPStack`: layer k holds all K weight
matrices in one (K, inputs, outputs) array, so each layer is one batched product for all of
them, never a Python loop over critics. Their TD loss and its gradient are

    L = c * sum_k 1/B sum_i (Q_k(s_i, a_i) - y_i)^2,      dL/dQ_k(s_i, a_i) = 2 c (Q_k(s_i, a_i) - y_i) / B

(c = 1 for DDPG and TD3, 1/2 for SAC, as stable-baselines3 writes them), with the target y
held fixed (:func:`td_loss`).

**The actor's gradient goes through a critic.** An actor's objective is a function of
Q(s_i, a_i) with a_i = a_theta(s_i); by the chain rule

    dJ/dtheta = sum_i dJ/dQ(s_i, a_i) * dQ/da (s_i, a_i) * da_i/dtheta

dQ/da is the critic's gradient with respect to its input, the last n columns of it
(:meth:`Critics.action_gradient`: the MLP's backward pass down to the input, without the
critic's weight gradients, which this objective must not change); da/dtheta is the actor's own
backward pass from there (:meth:`DeterministicActor.backward`).

**Deterministic actor** (DDPG, TD3): a = tanh(u), u = MLP(x), so da/du = 1 - a^2.

**Squashed Gaussian actor** (SAC): [m, l] = MLP(x) (the mean m and the log standard deviation
l, each n wide), l clipped to [-20, 2], sigma = exp(l), and the reparameterised sample

    u = m + sigma * eps,   eps ~ N(0, I),      a = tanh(u)

The sample is a differentiable function of the parameters given eps, which is what lets the
gradient of E[Q(s, a)] flow through a. Its log-probability comes from the change of variables
a = tanh(u): pi(a|s) = N(u; m, sigma) / |det da/du|, and da_j/du_j = 1 - tanh(u_j)^2, so

    log pi(a|s) = sum_j [ -eps_j^2 / 2 - l_j - log(2 pi) / 2 ]  -  sum_j log(1 - a_j^2 + delta)

(delta = 1e-6 keeps the correction finite where tanh saturates, as in stable-baselines3).
Forgetting the correction rewards actions at the bounds, where it is large. Given dL/da and
dL/dlog pi per sample, and eps held fixed,

    dL/du = dL/da (1 - a^2) + dL/dlog pi * 2 a (1 - a^2) / (1 - a^2 + delta)
    dL/dm = dL/du
    dL/dl = dL/du * sigma * eps - dL/dlog pi        (0 where the clip of l is active)

(the first Gaussian term, -eps^2/2, does not move with m or l once eps is fixed).

**State-dependent exploration** (gSDE, Raffin et al. 2022; SAC's ``use_sde``): the noise is a
linear function of the actor's last hidden features z(s) (h wide), with a random matrix theta
held for many steps, so the exploration is smooth in time and in state (what MountainCar's
sparse reward needs). With L the (h, n) matrix of log standard deviations, sigma = exp(L) (or
``use_expln``'s slower log(1 + L) + 1 above 0), and E ~ N(0, I) of shape (h, n):

    theta = sigma * E,      nu = z theta,      v = z^2 sigma^2 + epsilon       (nu, v: (B, n))
    u = m + nu,             a = tanh(u),       m = clip(MLP(x), -2, 2)

(z^2 and sigma^2 elementwise, epsilon = 1e-6; the mean clipped as stable-baselines3 clips it).
Given theta, u is Gaussian with mean m and variance v, so

    log pi(a|s) = sum_j [ -nu_j^2 / (2 v_j) - log(v_j) / 2 - log(2 pi) / 2 ]  -  sum_j log(1 - a_j^2 + delta)

The sample is reparameterised through theta (E fixed), and the features learn from both the
noise and the variance (stable-baselines3's SAC sets ``learn_features``). With dL/du as above,

    dL/dnu = dL/du - dL/dlog pi * nu / v
    dL/dv  = dL/dlog pi * (nu^2 / v - 1) / (2 v)
    dL/dm  = dL/du                                         (0 where the mean's clip is active)
    dL/dz  = dL/dm W^T  +  dL/dnu theta^T  +  2 z (dL/dv (sigma^2)^T)
    dL/dsigma = E * (z^T dL/dnu)  +  2 sigma * ((z^2)^T dL/dv),     dL/dL = dL/dsigma * dsigma/dL

(W the mean's output layer; the first term of dL/dz is the MLP's own backward pass, the other
two join it at the last hidden layer).

The torch reference (:mod:`rl_kit.agents.torch_off_policy_networks`) has the same classes with
autograd in place of these backward passes; tests hold each line here to it.
"""

from __future__ import annotations

import numpy as np

from .distributions import SDE_EPSILON
from .networks import Network

LOG_STD_MIN, LOG_STD_MAX = -20.0, 2.0  # SAC's clip of the log standard deviation (SB3's)
TANH_EPS = 1e-6  # delta in log(1 - a^2 + delta)
MEAN_CLIP = 2.0  # gSDE's clip of the pre-tanh mean (SB3's clip_mean)
LOG_2PI = float(np.log(2 * np.pi))


def td_loss(q: np.ndarray, targets: np.ndarray, scale: float) -> tuple[float, np.ndarray]:
    """L = scale * sum_k mean_i (Q_k(s_i, a_i) - y_i)^2 and dL/dQ, for q of shape (K, B)."""
    error = q - targets
    loss = scale * float((error * error).mean(axis=1).sum())
    return loss, (2.0 * scale / q.shape[1]) * error


def unit_columns(like: np.ndarray, j: int) -> np.ndarray:
    """An array shaped as `like`, 1 in column j and 0 elsewhere."""
    unit = np.zeros_like(like)
    unit[:, j] = 1.0
    return unit


class Critics(Network):
    """K action-value networks Q_k(s, a) of the same shape, evaluated and differentiated as one.

    Args:
        n_inputs: the encoded observation's width. n_actions: the action's width.
        hidden: hidden widths. activation: "relu" (SB3's) or "tanh".
        n_critics: K (1 for DDPG, 2 for TD3 and SAC). seed: the initial weights.
        dtype: np.float32, or np.float64 for gradient checks.
    """

    def __init__(
        self, n_inputs: int, n_actions: int, hidden: tuple[int, ...], activation: str, n_critics: int, seed: int,
        dtype=np.float32,
    ):  # fmt: skip
        super().__init__("critic.", n_inputs + n_actions, hidden, (1,) * n_critics, activation, seed, dtype,
                         orthogonal_init=False)  # fmt: skip
        self.n_critics, self.n_observation = n_critics, n_inputs

    def forward(self, x: np.ndarray, actions: np.ndarray, keep: bool = False, critics: int | None = None) -> np.ndarray:
        """Q_k(s_i, a_i), shape (K, B), for encoded observations x (B, n_inputs) and actions (B,
        n); with `critics`, the first that many alone (the rest are not computed)."""
        z = np.concatenate([x, actions.astype(self.dtype, copy=False)], axis=1)
        return np.stack([q[:, 0] for q in self.body.forward(z, keep, critics)])

    def backward(self, d_q: np.ndarray) -> None:
        """dL/d(parameters) into ``parameters.grad``, given dL/dQ (K, B) for the last ``forward(keep=True)``."""
        self.body.backward(*(d[:, None] for d in d_q))

    def action_gradient(self, d_q: np.ndarray) -> np.ndarray:
        """dL/da (B, n) = sum_k dL/dQ_k * dQ_k/da for the last ``forward(keep=True)``; the
        parameters' gradients are left as they were."""
        return self.body.input_gradient(*(d[:, None] for d in d_q))[:, self.n_observation :]


class DeterministicActor(Network):
    """a = tanh(MLP(x)) in [-1, 1]^n: DDPG's and TD3's policy mu_theta(s).

    Args: as :class:`Critics`, less `n_critics`.
    """

    def __init__(self, n_inputs: int, n_actions: int, hidden: tuple[int, ...], activation: str, seed: int,
                 dtype=np.float32):  # fmt: skip
        super().__init__("actor.", n_inputs, hidden, (n_actions,), activation, seed, dtype, orthogonal_init=False)
        self._actions: np.ndarray | None = None

    def forward(self, x: np.ndarray, keep: bool = False) -> np.ndarray:
        """The actions (B, n) for encoded observations x."""
        actions = np.tanh(self.body.forward(x, keep)[0])
        if keep:
            self._actions = actions
        return actions

    def greedy_input_gradient(self, x: np.ndarray) -> np.ndarray:
        """d a_j / dx for each action component j, (n, B, inputs) (explain's attributions);
        the parameters' gradients are left as they were."""
        a = np.tanh(self.body.forward(x, keep=True)[0])
        return np.stack([self.body.input_gradient(unit_columns(a, j) * (1.0 - a * a)) for j in range(a.shape[1])])

    def backward(self, d_actions: np.ndarray) -> None:
        """dL/d(parameters) into ``parameters.grad`` from dL/da (B, n) of the last ``forward(keep=True)``."""
        a = self._actions
        assert a is not None, "backward needs a forward(keep=True) first"
        self.body.backward(d_actions * (1.0 - a * a))


class SquashedGaussianActor(Network):
    """SAC's policy: a = tanh(m + sigma * eps), with m and log sigma from one MLP (2n outputs).

    Args: as :class:`DeterministicActor`.
    """

    def __init__(self, n_inputs: int, n_actions: int, hidden: tuple[int, ...], activation: str, seed: int,
                 dtype=np.float32):  # fmt: skip
        super().__init__("actor.", n_inputs, hidden, (2 * n_actions,), activation, seed, dtype, orthogonal_init=False)
        self.n_actions = n_actions
        self._kept: tuple[np.ndarray, ...] | None = None

    def mean_and_log_std(self, x: np.ndarray, keep: bool = False) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(m, l clipped, l before the clip) for encoded observations x."""
        out = self.body.forward(x, keep)[0]
        mean, raw = out[:, : self.n_actions], out[:, self.n_actions :]
        return mean, np.clip(raw, LOG_STD_MIN, LOG_STD_MAX), raw

    def deterministic(self, x: np.ndarray) -> np.ndarray:
        """tanh(m): the action SAC takes when it does not explore."""
        return np.tanh(self.mean_and_log_std(x)[0])

    def greedy_input_gradient(self, x: np.ndarray) -> np.ndarray:
        """d tanh(m_j) / dx for each action component j, (n, B, inputs); gradients left as they were."""
        out = self.body.forward(x, keep=True)[0]
        slope = 1.0 - np.tanh(out[:, : self.n_actions]) ** 2
        return np.stack([self.body.input_gradient(unit_columns(out, j) * np.pad(slope, ((0, 0), (0, self.n_actions))))
                         for j in range(self.n_actions)])  # fmt: skip

    def draw_noise(self, rng: np.random.Generator, batch: int) -> np.ndarray:
        """eps ~ N(0, I), (batch, n): one draw per sample."""
        return rng.standard_normal((batch, self.n_actions))

    def sample(self, x: np.ndarray, noise: np.ndarray, keep: bool = False) -> tuple[np.ndarray, np.ndarray]:
        """(a, log pi(a|s)) for the standard normal `noise` eps (B, n): the reparameterised sample."""
        mean, log_std, raw = self.mean_and_log_std(x, keep)
        std = np.exp(log_std)
        actions = np.tanh(mean + std * noise)
        gaussian = -0.5 * noise * noise - log_std - 0.5 * np.log(2 * np.pi)
        log_prob = gaussian.sum(axis=1) - np.log(1.0 - actions * actions + TANH_EPS).sum(axis=1)
        if keep:
            self._kept = (actions, std, noise, (raw >= LOG_STD_MIN) & (raw <= LOG_STD_MAX))
        return actions, log_prob.astype(self.dtype, copy=False)

    def backward(self, d_actions: np.ndarray, d_log_prob: np.ndarray) -> None:
        """dL/d(parameters) from dL/da (B, n) and dL/dlog pi (B,) of the last ``sample(keep=True)``."""
        assert self._kept is not None, "backward needs a sample(keep=True) first"
        a, std, noise, inside = self._kept
        d_u = squash_gradient(d_actions, d_log_prob, a)
        d_log_std = (d_u * std * noise - d_log_prob[:, None]) * inside
        self.body.backward(np.concatenate([d_u, d_log_std], axis=1))


def squash_gradient(d_actions: np.ndarray, d_log_prob: np.ndarray, actions: np.ndarray) -> np.ndarray:
    """dL/du for a = tanh(u), through a and through the correction -log(1 - a^2 + delta) of log pi."""
    slope = 1.0 - actions * actions
    return d_actions * slope + d_log_prob[:, None] * (2.0 * actions * slope / (slope + TANH_EPS))


class StateDependentSquashedActor(Network):
    """SAC's policy with gSDE: a = tanh(m(s) + z(s) theta), theta = sigma(L) * E held by the caller.

    Args: as :class:`DeterministicActor`, and
        log_std_init: the initial value of every entry of L (stable-baselines3's default -3).
        use_expln: sigma(L) = exp(L) for L <= 0 and log(1 + L) + 1 above, which grows slower
            than exp (the gSDE paper's, the Zoo's MountainCar entry); plain exp otherwise.
    """

    def __init__(self, n_inputs: int, n_actions: int, hidden: tuple[int, ...], activation: str, seed: int,
                 dtype=np.float32, log_std_init: float = -3.0, use_expln: bool = False):  # fmt: skip
        super().__init__("actor.", n_inputs, hidden, (n_actions,), activation, seed, dtype, orthogonal_init=False,
                         extra_shapes={"actor.log_std": (hidden[-1], n_actions)})  # fmt: skip
        self.n_actions, self.use_expln = n_actions, use_expln
        self.log_std = self.parameters["actor.log_std"]
        self.log_std[...] = log_std_init
        self._kept: tuple[np.ndarray, ...] | None = None

    def sigma(self) -> tuple[np.ndarray, np.ndarray]:
        """(sigma(L), d sigma / dL), each (h, n)."""
        log_std = self.log_std
        if not self.use_expln:
            sigma = np.exp(log_std)
            return sigma, sigma
        above = log_std > 0
        safe = np.where(above, log_std, 0.0) + SDE_EPSILON  # log1p never sees the other branch's values
        sigma = np.where(above, np.log1p(safe) + 1.0, np.exp(np.minimum(log_std, 0.0)))
        return sigma.astype(self.dtype), np.where(above, 1.0 / (1.0 + safe), sigma).astype(self.dtype)

    def features_and_mean(self, x: np.ndarray, keep: bool = False) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(z, m clipped, m before the clip) for encoded observations x."""
        raw = self.body.forward(x, keep)[0]
        assert self.body.last_hidden is not None
        return self.body.last_hidden[0], np.clip(raw, -MEAN_CLIP, MEAN_CLIP), raw

    def deterministic(self, x: np.ndarray) -> np.ndarray:
        """tanh(m): the action without exploration."""
        return np.tanh(self.features_and_mean(x)[1])

    def greedy_input_gradient(self, x: np.ndarray) -> np.ndarray:
        """d tanh(m_j) / dx for each action component j, (n, B, inputs); gradients left as they were."""
        _, mean, raw = self.features_and_mean(x, keep=True)
        slope = (1.0 - np.tanh(mean) ** 2) * (np.abs(raw) <= MEAN_CLIP)
        return np.stack([self.body.input_gradient(unit_columns(raw, j) * slope) for j in range(self.n_actions)])

    def draw_noise(self, rng: np.random.Generator, batch: int) -> np.ndarray:
        """E ~ N(0, I), (h, n): one exploration matrix for the whole batch."""
        return rng.standard_normal(self.log_std.shape)

    def sample(self, x: np.ndarray, noise: np.ndarray, keep: bool = False) -> tuple[np.ndarray, np.ndarray]:
        """(a, log pi(a|s)) for the exploration matrix E = `noise`: one (h, n) for the batch, or
        one per row (B, h, n) when acting in B envs; see the module's docstring."""
        z, mean, raw = self.features_and_mean(x, keep)
        sigma, sigma_slope = self.sigma()
        noise = noise.astype(self.dtype, copy=False)
        theta = sigma * noise
        assert not (keep and theta.ndim == 3), "learning draws one exploration matrix per batch"
        nu = np.matmul(z[:, None, :], theta)[:, 0]
        variance = (z * z) @ (sigma * sigma) + self.dtype.type(SDE_EPSILON)
        actions = np.tanh(mean + nu)
        gaussian = -0.5 * (nu * nu / variance + np.log(variance) + LOG_2PI)
        log_prob = gaussian.sum(axis=1) - np.log(1.0 - actions * actions + TANH_EPS).sum(axis=1)
        if keep:
            self._kept = (actions, z, noise, sigma, sigma_slope, nu, variance, np.abs(raw) <= MEAN_CLIP)
        return actions, log_prob.astype(self.dtype, copy=False)

    def backward(self, d_actions: np.ndarray, d_log_prob: np.ndarray) -> None:
        """dL/d(parameters) from dL/da (B, n) and dL/dlog pi (B,) of the last ``sample(keep=True)``."""
        assert self._kept is not None, "backward needs a sample(keep=True) first"
        a, z, noise, sigma, sigma_slope, nu, variance, inside = self._kept
        d_u = squash_gradient(d_actions, d_log_prob, a)
        g = d_log_prob[:, None]
        d_nu = d_u - g * nu / variance
        d_variance = g * (nu * nu / variance - 1.0) / (2.0 * variance)
        d_features = d_nu @ (sigma * noise).T + 2.0 * z * (d_variance @ (sigma * sigma).T)
        self.body.backward(d_u * inside, d_last_hidden=d_features[None])
        d_sigma = noise * (z.T @ d_nu) + 2.0 * sigma * ((z * z).T @ d_variance)
        self.parameters.grads["actor.log_std"][...] = d_sigma * sigma_slope
