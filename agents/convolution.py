"""A 2-D convolution layer written from scratch in numpy: forward by im2col, backward by hand.

A convolution with F filters of size (C, kh, kw), stride s and zero padding p maps a batch of
images x (B, C, H, W) to y (B, F, Ho, Wo), Ho = (H + 2p - kh) // s + 1 (and Wo likewise):

    y[b, f, i, j] = b_f + sum_{c, u, v} w[f, c, u, v] * xp[b, c, s i + u, s j + v]

with xp the padded input. Every filter is applied at every position: the weights are shared
across the image, which is why a small filter can find a pattern wherever it appears, with few
parameters.

**im2col.** Gather every receptive field into a row: cols (B * Ho * Wo, C * kh * kw), row
(b, i, j) holding xp[b, :, s i : s i + kh, s j : s j + kw] flattened. The convolution is then
one matrix product, y_rows = cols @ W^T + b with W = w.reshape(F, C * kh * kw), so it runs at
the speed of a product, and its backward pass is that of a linear layer:

    dL/dW = dL/dy_rows^T @ cols                    (F, C kh kw)
    dL/db = sum over rows of dL/dy_rows           (F,)
    dL/dcols = dL/dy_rows @ W                     (B Ho Wo, C kh kw)

and dL/dxp is dL/dcols put back where each entry came from (col2im): an input pixel that sits
in several receptive fields (where the stride is less than the kernel) receives the sum of
their gradients. The loop that does it runs over the kh * kw kernel offsets, not over pixels:
offset (u, v) of every receptive field is the strided slice xp[:, :, u : u + s Ho : s,
v : v + s Wo : s]. Cutting the padding off gives dL/dx. No kernel is flipped: this is
cross-correlation, as torch's conv2d computes it, and the gradient with respect to the input is
the "full" correlation with the flipped kernel, which col2im computes without flipping anything.

Images in channels-last layout (B, H, W, C), as Gymnasium's image spaces give them, are
transposed once to channels-first at the input (:func:`channels_first`).
"""

from __future__ import annotations

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view


def output_size(size: int, kernel: int, stride: int, padding: int) -> int:
    """Positions of a kernel along one axis: (size + 2 padding - kernel) // stride + 1."""
    return (size + 2 * padding - kernel) // stride + 1


def channels_first(images: np.ndarray) -> np.ndarray:
    """(B, H, W, C) images as (B, C, H, W), contiguous."""
    return np.ascontiguousarray(np.moveaxis(images, -1, -3))


class Conv2d:
    """One convolution layer's function and gradients, on parameters it is given.

    Args:
        in_channels: C. out_channels: F. kernel: (kh, kw) or one size for both.
        stride: the step between receptive fields (both axes). padding: zeros added on each side.
    """

    def __init__(
        self, in_channels: int, out_channels: int, kernel: int | tuple[int, int], stride: int = 1, padding: int = 0
    ):
        self.in_channels, self.out_channels = in_channels, out_channels
        self.kernel: tuple[int, int] = (kernel, kernel) if isinstance(kernel, int) else (int(kernel[0]), int(kernel[1]))
        if stride < 1 or padding < 0 or min(self.kernel) < 1:
            raise ValueError(f"a convolution needs kernel and stride at least 1 and padding at least 0, got "
                             f"kernel {self.kernel}, stride {stride}, padding {padding}")  # fmt: skip
        self.stride, self.padding = stride, padding
        self._cols: np.ndarray | None = None
        self._input_shape: tuple[int, ...] | None = None

    @property
    def weight_shape(self) -> tuple[int, int, int, int]:
        return (self.out_channels, self.in_channels, *self.kernel)

    def output_shape(self, height: int, width: int) -> tuple[int, int, int]:
        """(F, Ho, Wo) for inputs of (C, height, width)."""
        (kh, kw), s, p = self.kernel, self.stride, self.padding
        return self.out_channels, output_size(height, kh, s, p), output_size(width, kw, s, p)

    def padded(self, x: np.ndarray) -> np.ndarray:
        p = self.padding
        return x if p == 0 else np.pad(x, ((0, 0), (0, 0), (p, p), (p, p)))

    def columns(self, x: np.ndarray) -> np.ndarray:
        """im2col: the receptive fields of `x` (B, C, H, W) as rows (B * Ho * Wo, C * kh * kw)."""
        (kh, kw), s = self.kernel, self.stride
        windows = sliding_window_view(self.padded(x), (kh, kw), axis=(2, 3))[:, :, ::s, ::s]  # (B, C, Ho, Wo, kh, kw)
        batch, channels, out_h, out_w = windows.shape[:4]
        return windows.transpose(0, 2, 3, 1, 4, 5).reshape(batch * out_h * out_w, channels * kh * kw)

    def forward(self, x: np.ndarray, weight: np.ndarray, bias: np.ndarray, keep: bool = False) -> np.ndarray:
        """y (B, F, Ho, Wo) for x (B, C, H, W), weight (F, C, kh, kw), bias (F,); `keep`
        stores the columns the backward pass needs."""
        if x.ndim != 4 or x.shape[1] != self.in_channels:
            raise ValueError(
                f"a convolution of {self.in_channels} channels takes (B, {self.in_channels}, H, W), got {x.shape}"
            )
        _, out_h, out_w = self.output_shape(x.shape[2], x.shape[3])
        if out_h < 1 or out_w < 1:
            raise ValueError(
                f"a {self.kernel} kernel does not fit an image of {x.shape[2:]} with padding {self.padding}"
            )
        cols = self.columns(x)
        rows = cols @ weight.reshape(self.out_channels, -1).T
        rows += bias
        if keep:
            self._cols, self._input_shape = cols, x.shape
        return rows.reshape(x.shape[0], out_h, out_w, self.out_channels).transpose(0, 3, 1, 2)

    def backward(
        self,
        d_out: np.ndarray,
        weight: np.ndarray,
        d_weight: np.ndarray,
        d_bias: np.ndarray,
        input_gradient: bool = True,
    ) -> np.ndarray | None:
        """Write dL/dweight and dL/dbias (into `d_weight`, `d_bias`) for the last
        ``forward(keep=True)``, given dL/dy (B, F, Ho, Wo); return dL/dx if `input_gradient`."""
        assert self._cols is not None and self._input_shape is not None, "backward needs a forward(keep=True) first"
        batch, channels, height, width = self._input_shape
        _, out_h, out_w = d_out.shape[1:]
        d_rows = d_out.transpose(0, 2, 3, 1).reshape(batch * out_h * out_w, self.out_channels)
        np.matmul(d_rows.T, self._cols, out=d_weight.reshape(self.out_channels, -1))
        d_bias[...] = d_rows.sum(axis=0)
        if not input_gradient:
            return None
        (kh, kw), s, p = self.kernel, self.stride, self.padding
        d_cols = (d_rows @ weight.reshape(self.out_channels, -1)).reshape(batch, out_h, out_w, channels, kh, kw)
        d_padded = np.zeros((batch, channels, height + 2 * p, width + 2 * p), dtype=d_out.dtype)
        for u in range(kh):  # col2im: each kernel offset's entries back onto the pixels they read
            for v in range(kw):
                d_padded[:, :, u : u + s * out_h : s, v : v + s * out_w : s] += d_cols[:, :, :, :, u, v].transpose(
                    0, 3, 1, 2
                )
        return d_padded[:, :, p : p + height, p : p + width] if p else d_padded
