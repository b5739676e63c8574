"""Exercise `convolution`: a 2-D convolution layer's forward pass and its gradients, by hand.

A convolution with F filters w (F, C, kh, kw), biases b (F,) and stride s maps a batch of
images x (B, C, H, W) to y (B, F, Ho, Wo), with Ho = (H - kh) // s + 1 and Wo likewise:

    y[n, f, i, j] = b[f] + sum_{c, u, v} w[f, c, u, v] * x[n, c, s i + u, s j + v]

Deep learning's "convolution" is this cross-correlation: the kernel is applied as it is, not
flipped (torch's conv2d computes the same). Every filter is applied at every position: the
weights are *shared* across the image. Read the sum one kernel offset (u, v) at a time: the
pixels under offset (u, v) at every position form the strided slice

    x[:, :, u : u + s Ho : s, v : v + s Wo : s]          (B, C, Ho, Wo)

so the whole convolution is kh * kw products of such a slice with the matrix w[:, :, u, v]
(F, C), summed. The gradients follow from the sum by the chain rule, given dL/dy (B, F, Ho, Wo):

    dL/dw[f, c, u, v] = sum_{n, i, j} dL/dy[n, f, i, j] * x[n, c, s i + u, s j + v]
    dL/db[f]          = sum_{n, i, j} dL/dy[n, f, i, j]
    dL/dx[n, c, p, q] = sum over every (f, i, j, u, v) with s i + u = p and s j + v = q
                        of dL/dy[n, f, i, j] * w[f, c, u, v]

A shared weight or bias sums its gradient over every position it was used at. A pixel read by
several receptive fields (where the stride is less than the kernel) receives the sum of their
gradients, and a pixel no field reads gets 0. Written as a correlation, dL/dx is the "full"
correlation of dL/dy (spread out by the stride) with the kernel rotated by 180 degrees and its
channels transposed; spreading each output's gradient back over the pixels it read, offset by
offset, computes the same without flipping anything.

Write the forward pass and the three gradients. ``rl-kit check convolution.py`` grades them
on hand-made inputs (strides 1 and 2, overlapping and disjoint receptive fields, a row that no
field reads), checks each gradient against finite differences of your own forward pass, then
trains DQN on rl-kit's Catch from pixels with your convolution in its torso.
"""

import numpy as np

from rl_kit.agents.convolution import Conv2d
from rl_kit.agents.dqn import DQN

EXERCISE = "convolution"


def conv2d(x, weight, bias, stride):
    """y (B, F, Ho, Wo): x (B, C, H, W), weight (F, C, kh, kw), bias (F,), stride an int >= 1."""
    # SOLUTION
    batch, _, height, width = x.shape
    filters, _, kh, kw = weight.shape
    out_h, out_w = (height - kh) // stride + 1, (width - kw) // stride + 1
    y = np.zeros((batch, filters, out_h, out_w), dtype=np.result_type(x, weight))
    for u in range(kh):
        for v in range(kw):
            seen = x[:, :, u : u + stride * out_h : stride, v : v + stride * out_w : stride]
            y += np.einsum("nchw,fc->nfhw", seen, weight[:, :, u, v])
    return y + bias[None, :, None, None]
    # END SOLUTION


def conv2d_weight_gradient(x, weight, d_out, stride):
    """dL/dweight (F, C, kh, kw), given dL/dy `d_out` (B, F, Ho, Wo)."""
    # SOLUTION
    _, _, kh, kw = weight.shape
    _, _, out_h, out_w = d_out.shape
    d_weight = np.zeros(weight.shape, dtype=np.result_type(x, d_out))
    for u in range(kh):
        for v in range(kw):
            under = x[:, :, u : u + stride * out_h : stride, v : v + stride * out_w : stride]
            d_weight[:, :, u, v] = np.einsum("nfhw,nchw->fc", d_out, under)
    return d_weight
    # END SOLUTION


def conv2d_bias_gradient(d_out):
    """dL/dbias (F,), given dL/dy `d_out` (B, F, Ho, Wo)."""
    # SOLUTION
    return d_out.sum(axis=(0, 2, 3))
    # END SOLUTION


def conv2d_input_gradient(x, weight, d_out, stride):
    """dL/dx, the shape of x (B, C, H, W), given dL/dy `d_out` (B, F, Ho, Wo)."""
    # SOLUTION
    _, _, kh, kw = weight.shape
    _, _, out_h, out_w = d_out.shape
    d_x = np.zeros(x.shape, dtype=np.result_type(weight, d_out))
    for u in range(kh):
        for v in range(kw):
            spread = np.einsum("nfhw,fc->nchw", d_out, weight[:, :, u, v])
            d_x[:, :, u : u + stride * out_h : stride, v : v + stride * out_w : stride] += spread
    return d_x
    # END SOLUTION


def probe_loss(x, weight, bias, stride, probe):
    """L = sum(y * probe): a loss whose dL/dy is `probe`, for checking the gradients numerically."""
    return float((np.asarray(conv2d(x, weight, bias, stride)) * probe).sum())


class YourConvolution(Conv2d):
    """rl-kit's convolution layer (no padding), computed by your four functions."""

    def forward(self, x, weight, bias, keep=False):
        if keep:
            self._x = x
        return np.asarray(conv2d(x, weight, bias, self.stride), dtype=x.dtype)

    def backward(self, d_out, weight, d_weight, d_bias, input_gradient=True):
        d_weight[...] = conv2d_weight_gradient(self._x, weight, d_out, self.stride)
        d_bias[...] = conv2d_bias_gradient(d_out)
        if not input_gradient:
            return None
        return np.asarray(conv2d_input_gradient(self._x, weight, d_out, self.stride), dtype=d_out.dtype)


class Agent(DQN):
    """rl-kit's DQN, its image torso's convolutions computed by your functions."""

    def __init__(self, observation_space, action_space, **kwargs):
        super().__init__(observation_space, action_space, **kwargs)
        for network in (self.q, self.target):
            if network.torso is not None:
                network.torso.layers = [YourConvolution(conv.in_channels, conv.out_channels, conv.kernel, conv.stride)
                                        for conv in network.torso.layers]  # fmt: skip
