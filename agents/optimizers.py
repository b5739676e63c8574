"""Gradient descent by hand: global-norm clipping, Adam and RMSprop over one flat parameter vector.

Every parameter of a network lives in one flat array (its layers are views into it, see
:class:`rl_kit.agents.networks.FlatParameters`), and so does its gradient. An optimizer step
is then a handful of vector operations, whatever the number of layers.

**Clipping** (Pascanu et al. 2013): with g the whole gradient and c the limit,

    g <- g * min(1, c / (||g||_2 + 1e-6))

**Adam** (Kingma & Ba 2015), step t, learning rate alpha:

    m_t = beta1 m_{t-1} + (1 - beta1) g          (first moment)
    v_t = beta2 v_{t-1} + (1 - beta2) g^2        (second moment)
    theta <- theta - alpha / (1 - beta1^t) * m_t / ( sqrt(v_t / (1 - beta2^t)) + eps )

The bias corrections undo the zeros m and v start from. eps sits outside the square root,
as in torch's Adam (so the two agree to rounding; the tests hold them to it).

**AdamW** (Loshchilov & Hutter 2019) is Adam with weight decay lambda decoupled from the
gradient: before the step above,

    theta <- theta (1 - alpha lambda)

It is the gradient step of the L2 penalty (lambda / 2) ||theta||^2, whose gradient is
lambda theta, taken apart from Adam's scaling: folded into g instead (plain "L2 regularisation"
under Adam), a weight with large gradients would be decayed less, since Adam divides every
coordinate by its own sqrt(v). Decoupled, each weight shrinks by the same factor per step and
only what the loss keeps pushing up stays large: a pull towards simpler functions, which is
why it narrows a generalization gap. As torch's AdamW, it decays every parameter, biases too.

**RMSprop** (Tieleman & Hinton 2012), decay alpha, as torch runs it and stable-baselines3's
A2C uses it (the optimizer the RL Zoo's A2C entries were tuned with, alpha 0.99, eps 1e-5):

    v_t = alpha v_{t-1} + (1 - alpha) g^2
    theta <- theta - alpha_lr * g / ( sqrt(v_t) + eps )

No momentum and no bias correction: v starts at 0, so the first steps are about
1 / sqrt(1 - alpha) = 10 times the learning rate in each coordinate.

Each optimizer names its per-parameter state as torch does (``exp_avg``, ``exp_avg_sq``;
``square_avg``), so a saved agent carries it in torch's layout and resumes in either backend.
"""

from __future__ import annotations

import numpy as np


def clip_global_norm(gradient: np.ndarray, max_norm: float | np.ndarray) -> float | np.ndarray:
    """Scale `gradient` in place so its 2-norm is at most `max_norm`; returns the norm before.
    A population's gradient (members, size) is clipped row by row: one norm per member (and
    `max_norm` may be one per member)."""
    if gradient.ndim == 2:  # each row's dot product with itself, as np.dot computes one alone
        norms = np.sqrt(np.matmul(gradient[:, None, :], gradient[:, :, None]).reshape(-1).astype(np.float64))
        limits = np.broadcast_to(np.asarray(max_norm, dtype=np.float64), norms.shape)  # one per member, or one for all
        with np.errstate(divide="ignore"):
            scales = np.where(limits > 0, np.minimum(limits / (norms + 1e-6), 1.0), 1.0)
        gradient *= scales.astype(gradient.dtype)[:, None]
        return norms
    norm = float(np.sqrt(np.dot(gradient, gradient)))
    if max_norm > 0:
        scale = max_norm / (norm + 1e-6)
        if scale < 1.0:
            gradient *= gradient.dtype.type(scale)
    return norm


def decay_towards_square(average: np.ndarray, gradient: np.ndarray, decay: float, scratch: np.ndarray) -> None:
    """average <- decay * average + (1 - decay) * g^2, in place: the second moment of Adam and RMSprop."""
    average *= decay
    np.multiply(gradient, gradient, out=scratch)
    scratch *= 1 - decay
    average += scratch


# Moment estimates of parameters whose gradient is zero (a ReLU unit that never fires, an input
# pixel that is always 0) decay geometrically towards 0 and become subnormal floats, on which the
# CPU's arithmetic is 10-100x slower: a MinAtar DQN's Adam step went from 0.35 to 1.7 ms. Every
# FLUSH_EVERY steps, moments below SUBNORMAL_MARGIN times the smallest normal float are set to 0
# (m at beta1 0.9 needs over 170 steps to fall from there to subnormal). Such a moment moves a
# parameter by less than 1e-26 of a learning rate: no number that matters changes.
FLUSH_EVERY, SUBNORMAL_MARGIN = 100, 1e8


def flush_tiny(*arrays: np.ndarray) -> None:
    """Set entries of magnitude below SUBNORMAL_MARGIN * (the dtype's smallest normal float) to 0, in place."""
    for array in arrays:
        array[np.abs(array) < np.finfo(array.dtype).tiny * SUBNORMAL_MARGIN] = 0.0


def per_row(factor: float | np.ndarray, rows: np.ndarray) -> float | np.ndarray:
    """A step's factor as `rows` takes it: a number as it is, one per member as a column in their dtype
    (rounded as a number would be: numpy rounds a Python float to the array's dtype first)."""
    if np.ndim(factor) == 0:
        return float(factor)
    return np.asarray(factor, dtype=rows.dtype).reshape(-1, 1)


class Adam:
    """Adam on a flat parameter vector, updated in place.

    Args:
        parameters: the flat parameter vector (a view is fine; it is changed in place).
        betas: decay rates of the first and second moment estimates.
        eps: added to the denominator; 1e-5 as in PPO's reference implementation.
        weight_decay: lambda of AdamW's decoupled decay (0: plain Adam).
    """

    def __init__(
        self,
        parameters: np.ndarray,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-5,
        weight_decay: float = 0.0,
    ):
        if weight_decay < 0:
            raise ValueError(f"weight_decay must be at least 0, got {weight_decay}")
        self.parameters = parameters
        self.beta1, self.beta2 = betas
        self.eps = eps
        self.weight_decay = weight_decay
        self.m = np.zeros_like(parameters)
        self.v = np.zeros_like(parameters)
        self.t = 0
        self._scratch = np.zeros_like(parameters)

    def moments(self) -> dict[str, np.ndarray]:
        """The per-parameter state by torch's names (flat, changed in place when loaded into)."""
        return {"exp_avg": self.m, "exp_avg_sq": self.v}

    def step(self, gradient: np.ndarray, learning_rate: float | np.ndarray) -> None:
        """One step; a population's `learning_rate` may be one per member (its row of the vector)."""
        self.t += 1
        if self.weight_decay:
            self.parameters *= 1 - per_row(learning_rate * self.weight_decay, self.parameters)
        m, v, d = self.m, self.v, self._scratch
        m *= self.beta1
        m += (1 - self.beta1) * gradient
        decay_towards_square(v, gradient, self.beta2, d)
        bias1, bias2 = 1 - self.beta1**self.t, 1 - self.beta2**self.t
        np.sqrt(v, out=d)
        d *= 1 / np.sqrt(bias2)
        d += self.eps
        np.divide(m, d, out=d)
        d *= per_row(learning_rate / bias1, d)
        self.parameters -= d
        if self.t % FLUSH_EVERY == 0:
            flush_tiny(m, v)


class RMSprop:
    """RMSprop on a flat parameter vector, updated in place (torch's, without momentum).

    Args:
        parameters: the flat parameter vector (a view is fine; it is changed in place).
        alpha: decay rate of the running mean of squared gradients.
        eps: added to the denominator; 1e-5 as stable-baselines3's A2C sets it.
    """

    def __init__(self, parameters: np.ndarray, alpha: float = 0.99, eps: float = 1e-5, weight_decay: float = 0.0):
        if weight_decay:
            raise ValueError("weight_decay is AdamW's (optimizer: adam); RMSprop here has none")
        self.parameters = parameters
        self.alpha, self.eps = alpha, eps
        self.v = np.zeros_like(parameters)
        self.t = 0
        self._scratch = np.zeros_like(parameters)

    def moments(self) -> dict[str, np.ndarray]:
        return {"square_avg": self.v}

    def step(self, gradient: np.ndarray, learning_rate: float | np.ndarray) -> None:
        self.t += 1
        v, d = self.v, self._scratch
        decay_towards_square(v, gradient, self.alpha, d)
        np.sqrt(v, out=d)
        d += self.eps
        np.divide(gradient, d, out=d)
        d *= per_row(learning_rate, d)
        self.parameters -= d
        if self.t % FLUSH_EVERY == 0:
            flush_tiny(v)


OPTIMIZERS = {"adam": Adam, "rmsprop": RMSprop}
