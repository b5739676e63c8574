"""Action distributions in numpy, with the gradients of their log-probability and entropy.

A policy network outputs one vector per state; a distribution turns it into pi(.|s). The
losses of REINFORCE, A2C and PPO depend on the network only through ``log pi(a|s)`` and the
entropy ``H(pi(.|s))``, so backpropagation starts here: :meth:`gradient` takes dL/dlog pi and
dL/dH for each sample and returns dL/d(network output) (and dL/dlog sigma for the Gaussian).

**Categorical** over n actions, from logits z (Discrete(n) action spaces):

    log pi(a) = z_a - log sum_j exp z_j                     (log-softmax)
    d log pi(a) / d z_j = [j = a] - pi(j)
    H = - sum_j pi(j) log pi(j)
    d H / d z_j = - pi(j) (log pi(j) + H)

(the last from d pi(k)/d z_j = pi(k) ([k = j] - pi(j)), summed over k).

**Diagonal Gaussian** N(mu, diag sigma^2) with a learned, state-independent log sigma (Box
action spaces, as in PPO's MuJoCo setup); with z_i = (a_i - mu_i) / sigma_i:

    log pi(a) = -1/2 sum_i [ z_i^2 + 2 log sigma_i + log 2 pi ]
    d log pi / d mu_i        = z_i / sigma_i
    d log pi / d log sigma_i = z_i^2 - 1
    H = sum_i [ log sigma_i + 1/2 log(2 pi e) ],   d H / d log sigma_i = 1

**State-dependent exploration** (gSDE, Raffin, Kober & Stulp 2022): instead of fresh noise at
every step, the noise is a linear function of the policy's last hidden features z(s), with
weights theta drawn once per env and held (for a rollout, or ``sde_sample_freq`` steps):

    a = mu(s) + z(s) theta,      theta_ij ~ N(0, sigma_ij^2),   sigma = exp(log sigma), (h, d)

so nearby states get nearby actions and the exploration is smooth in time, which matters on
envs such as Pendulum where white noise at 20 Hz averages itself out. Given s, a is Gaussian
with variance v_j = sum_i z_i^2 sigma_ij^2 (+ 1e-6); z is treated as a constant (no gradient
flows into the features through the noise, as in stable-baselines3). With u_j = (a_j - mu_j)^2 / v_j:

    log pi(a) = -1/2 sum_j [ u_j + log v_j + log 2 pi ]
    d log pi / d mu_j          = (a_j - mu_j) / v_j
    d log pi / d v_j           = (u_j - 1) / (2 v_j),     d H / d v_j = 1 / (2 v_j)
    d v_j / d log sigma_ij     = 2 z_i^2 sigma_ij^2
    H = sum_j 1/2 [ log v_j + log(2 pi e) ]

A population (K members, see :class:`rl_kit.agents.networks.FlatParameters`) adds a leading
member axis to every array: logits (K, B, n), log sigma (K, 1, d); the formulas are per sample
and do not change.

Sampled Gaussian actions are unbounded; the agent clips them to the space's bounds only when
handing them to the env and learns from the unclipped sample, whose log-probability is exact.
"""

from __future__ import annotations

import math

import numpy as np

LOG_2PI = math.log(2 * math.pi)


def taken(values: np.ndarray, actions: np.ndarray) -> np.ndarray:
    """values[..., b, actions[..., b]]: each sample's entry for its action."""
    if actions.ndim == 1:
        return values[np.arange(len(actions)), actions]
    rows = values.reshape(-1, values.shape[-1])  # a population's (K, B, n) as K * B rows
    return rows[np.arange(len(rows)), actions.reshape(-1)].reshape(actions.shape)


def add_taken(values: np.ndarray, actions: np.ndarray, amounts: np.ndarray) -> None:
    """values[..., b, actions[..., b]] += amounts[..., b], in place (`values` contiguous)."""
    if actions.ndim == 1:
        values[np.arange(len(actions)), actions] += amounts
    else:
        rows = values.reshape(-1, values.shape[-1])
        assert np.shares_memory(rows, values)
        rows[np.arange(len(rows)), actions.reshape(-1)] += amounts.reshape(-1)


# Reductions over a short last axis (a handful of actions) are slow in numpy: it loops over
# the rows with an inner loop of n. Folding the columns, or a product with a column of ones
# (one BLAS call), does the same in a few calls whatever the rows: 4-25x faster here.
FOLD_COLUMNS = 16


def row_max(x: np.ndarray) -> np.ndarray:
    """max over the last axis, keeping it: (..., n) -> (..., 1)."""
    n = x.shape[-1]
    if n > FOLD_COLUMNS:
        return x.max(axis=-1, keepdims=True)
    largest = x[..., :1].copy()
    for j in range(1, n):
        np.maximum(largest, x[..., j : j + 1], out=largest)
    return largest


def row_sum(x: np.ndarray) -> np.ndarray:
    """sum over the last axis, keeping it: (..., n) -> (..., 1), as a product with ones."""
    return x @ ones_matrix(x.shape[-1], 1, x.dtype)


def ones_matrix(rows: int, cols: int, dtype, upper: bool = False) -> np.ndarray:
    """A (rows, cols) matrix of ones (the upper triangle alone if `upper`), made once per shape."""
    key = (rows, cols, np.dtype(dtype).str, upper)
    matrix = ONES.get(key)
    if matrix is None:
        matrix = ONES[key] = np.triu(np.ones((rows, cols), dtype=dtype)) if upper else np.ones((rows, cols), dtype)
    return matrix


ONES: dict[tuple, np.ndarray] = {}


class Categorical:
    """pi(.|s) = softmax(logits), for a batch of logits of shape (B, n) (or (K, B, n))."""

    def __init__(self, logits: np.ndarray):
        shifted = logits - row_max(logits)  # exp cannot overflow
        self.log_probs_all = shifted - np.log(row_sum(np.exp(shifted)))
        self.probs = np.exp(self.log_probs_all)
        self._entropy: np.ndarray | None = None

    def sample(self, rng: np.random.Generator) -> np.ndarray:
        """One action per row by inverting the cumulative distribution at a uniform draw: the
        number of cumulative sums below it (the sums as one product with an upper triangle of ones)."""
        u = rng.random((*self.probs.shape[:-1], 1), dtype=self.probs.dtype)
        n = self.probs.shape[-1]
        cumulative = self.probs @ ones_matrix(n, n, self.probs.dtype, upper=True)
        actions = row_sum((cumulative < u).astype(self.probs.dtype))[..., 0].astype(np.int64)
        return np.minimum(actions, n - 1)  # a rounding of the last sum below u

    def mode(self) -> np.ndarray:
        return self.probs.argmax(axis=-1)

    def log_prob(self, actions: np.ndarray) -> np.ndarray:
        return taken(self.log_probs_all, actions)

    def entropy(self) -> np.ndarray:
        if self._entropy is None:
            self._entropy = -row_sum(self.probs * self.log_probs_all)[..., 0]
        return self._entropy

    def gradient(
        self, actions: np.ndarray, d_log_prob: np.ndarray, d_entropy: np.ndarray | float
    ) -> tuple[np.ndarray, None]:
        """dL/dlogits from dL/dlog pi(a) and dL/dH, each of shape (B,)."""
        d_logits = -self.probs * d_log_prob[..., None]
        add_taken(d_logits, actions, d_log_prob)
        d_entropy = np.broadcast_to(d_entropy, d_log_prob.shape)
        d_logits -= self.probs * (self.log_probs_all + self.entropy()[..., None]) * d_entropy[..., None]
        return d_logits, None


class DiagonalGaussian:
    """N(mean, diag(exp(log_std))^2) for a batch of means (B, d) and one log_std (d,)
    (or means (K, B, d) and log_std (K, 1, d))."""

    def __init__(self, mean: np.ndarray, log_std: np.ndarray):
        self.mean, self.log_std = mean, log_std
        self.std = np.exp(log_std)

    def sample(self, rng: np.random.Generator) -> np.ndarray:
        return self.mean + self.std * rng.standard_normal(self.mean.shape, dtype=self.mean.dtype)

    def mode(self) -> np.ndarray:
        return self.mean

    def log_prob(self, actions: np.ndarray) -> np.ndarray:
        z = (actions - self.mean) / self.std
        return -0.5 * (z**2 + 2 * self.log_std + LOG_2PI).sum(axis=-1)

    def entropy(self) -> np.ndarray:
        per_sample = (self.log_std + 0.5 * (LOG_2PI + 1.0)).sum(axis=-1)
        if np.ndim(per_sample) == 0:
            return np.full(self.mean.shape[0], per_sample, dtype=self.mean.dtype)
        return np.broadcast_to(per_sample, self.mean.shape[:-1]).astype(self.mean.dtype)

    def gradient(
        self, actions: np.ndarray, d_log_prob: np.ndarray, d_entropy: np.ndarray | float
    ) -> tuple[np.ndarray, np.ndarray]:
        """(dL/dmean of shape (B, d), dL/dlog_std of shape (d,)) from dL/dlog pi and dL/dH (B,)
        (in a population (K, B, d) and (K, d))."""
        z = (actions - self.mean) / self.std
        d_mean = d_log_prob[..., None] * z / self.std
        d_entropy_total = np.broadcast_to(d_entropy, d_log_prob.shape).sum(axis=-1)
        d_log_std = (d_log_prob[..., None] * (z**2 - 1)).sum(axis=-2) + np.asarray(d_entropy_total)[..., None]
        return d_mean, d_log_std.astype(self.mean.dtype)


SDE_EPSILON = 1e-6  # added to the variance, as stable-baselines3 does: a zero feature vector stays finite


class StateDependentGaussian:
    """gSDE's pi(.|s): N(mean, diag v) with v = z^2 sigma^2, for means (B, d), log_std (h, d) and
    the policy's features z (B, h)."""

    def __init__(self, mean: np.ndarray, log_std: np.ndarray, latent: np.ndarray):
        self.mean, self.log_std, self.latent = mean, log_std, latent
        self.variance_weights = np.exp(2 * log_std)  # sigma^2, (h, d)
        self.latent_sq = latent * latent
        self.variance = self.latent_sq @ self.variance_weights + mean.dtype.type(SDE_EPSILON)

    def exploration_matrices(self, rng: np.random.Generator, count: int) -> np.ndarray:
        """`count` draws of theta ~ N(0, sigma^2), (count, h, d): one per env, held by the agent."""
        noise = rng.standard_normal((count, *self.log_std.shape), dtype=self.mean.dtype)
        return noise * np.exp(self.log_std)

    def sample(self, exploration: np.ndarray) -> np.ndarray:
        """mu(s) + z(s) theta, with row b's own theta (exploration of shape (B, h, d))."""
        return self.mean + np.einsum("bi,bij->bj", self.latent, exploration)

    def mode(self) -> np.ndarray:
        return self.mean

    def log_prob(self, actions: np.ndarray) -> np.ndarray:
        u = (actions - self.mean) ** 2 / self.variance
        return -0.5 * (u + np.log(self.variance) + LOG_2PI).sum(axis=-1)

    def entropy(self) -> np.ndarray:
        return 0.5 * (np.log(self.variance) + LOG_2PI + 1.0).sum(axis=-1)

    def gradient(
        self, actions: np.ndarray, d_log_prob: np.ndarray, d_entropy: np.ndarray | float
    ) -> tuple[np.ndarray, np.ndarray]:
        """(dL/dmean (B, d), dL/dlog_std (h, d)) from dL/dlog pi and dL/dH (B,)."""
        diff = actions - self.mean
        d_mean = d_log_prob[:, None] * diff / self.variance
        d_entropy = np.broadcast_to(d_entropy, d_log_prob.shape)
        d_variance = (d_log_prob[:, None] * (diff**2 / self.variance - 1) + d_entropy[:, None]) / (2 * self.variance)
        d_log_std = 2 * self.variance_weights * (self.latent_sq.T @ d_variance)
        return d_mean, d_log_std.astype(self.mean.dtype)
