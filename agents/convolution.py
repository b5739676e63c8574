"""A 2-D convolution layer written from scratch in numpy: forward by im2col, backward by hand.

A convolution with F filters of size (C, kh, kw), stride s and zero padding p maps a batch of
images x (B, C, H, W) to y (B, F, Ho, Wo), Ho = (H + 2p - kh) // s + 1 (and Wo likewise):

    y[b, f, i, j] = b_f + sum_{c, u, v} w[f, c, u, v] * xp[b, c, s i + u, s j + v]

with xp the padded input. Every filter is applied at every position: the weights are shared
across the image, which is why a small filter can find a pattern wherever it appears, with few
parameters.

**im2col.** Gather every receptive field into a column: cols (C * kh * kw, B * Ho * Wo),
column (b, i, j) holding xp[b, :, s i : s i + kh, s j : s j + kw] flattened. The convolution is
then one matrix product, Y = W @ cols + b with W = w.reshape(F, C * kh * kw), so it runs at the
speed of a product, and its backward pass is that of a linear layer:

    dL/dW = dL/dY @ cols^T                          (F, C kh kw)
    dL/db = sum over the columns of dL/dY           (F,)
    dL/dcols = W^T @ dL/dY                          (C kh kw, B Ho Wo)

and dL/dxp is dL/dcols put back where each entry came from (col2im): an input pixel that sits
in several receptive fields (where the stride is less than the kernel) receives the sum of
their gradients. Cutting the padding off gives dL/dx. No kernel is flipped: this is
cross-correlation, as torch's conv2d computes it, and the gradient with respect to the input is
the "full" correlation with the flipped kernel, which col2im computes without flipping anything.

**Wide rows**, for speed: gathering receptive fields one by one copies a few floats at a time
(MinAtar's 3x3 fields: 342 us a minibatch, more than the product). So the loops run over the
kh * kw kernel offsets instead, and each offset's row of cols is one strided slice of the
flattened image: with the padded image flat, xf[b, c, r Wp + q] = xp[b, c, r, q] (Wp its padded
width), pixel (s i + u, s j + v) is xf[b, c, (u Wp + v) + s (i Wp + j)]. Taking j over the whole
padded width, not only the Wo valid positions, makes offset (u, v)'s entries the evenly spaced
run xf[b, c, u Wp + v :: s] of Ho * Wp of them: one slice copy per offset and channel block.
Columns with j >= Wo straddle a row's end; their outputs are computed and dropped, and their
gradient is zero, so they add nothing to dL/dW and dL/dx. The cost is Wp / Wo of the exact
product (10 / 8 on MinAtar's frames; about s for a stride s). The flat image carries zeros after
its end, so the last run stays inside it.

Images in channels-last layout (B, H, W, C), as Gymnasium's image spaces give them, are
transposed once to channels-first at the input (:func:`channels_first`).
"""

from __future__ import annotations

import numpy as np


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

    def flat_length(self, height: int, width: int) -> int:
        """Entries of a flat padded image (:meth:`flat_padded`): Hp Wp, and the zeros after them
        that the last wide run reads, for inputs of (height, width)."""
        (kh, kw), s, p = self.kernel, self.stride, self.padding
        padded_h, padded_w = height + 2 * p, width + 2 * p
        out_h = output_size(height, kh, s, p)
        return max(padded_h * padded_w, (kh - 1) * padded_w + kw + s * (out_h * padded_w - 1))

    def padded_view(self, flat: np.ndarray, height: int, width: int) -> np.ndarray:
        """The padded image (B, C, Hp, Wp) inside a flat one (a view, not a copy)."""
        padded_h, padded_w = height + 2 * self.padding, width + 2 * self.padding
        return flat[:, :, : padded_h * padded_w].reshape(*flat.shape[:2], padded_h, padded_w)

    def flat_padded(self, x: np.ndarray) -> np.ndarray:
        """xf (B, C, flat_length): `x` (B, C, H, W) zero-padded and flattened, zeros after it."""
        batch, channels, height, width = x.shape
        flat = np.zeros((batch, channels, self.flat_length(height, width)), dtype=x.dtype)
        p = self.padding
        self.padded_view(flat, height, width)[:, :, p : p + height, p : p + width] = x
        return flat

    def wide_runs(self, padded_w: int, out_h: int):
        """(u, v, slice): kernel offset (u, v)'s entries of the flat image, one per wide column."""
        (kh, kw), s = self.kernel, self.stride
        length = out_h * padded_w
        for u in range(kh):
            for v in range(kw):
                start = u * padded_w + v
                yield u, v, slice(start, start + s * (length - 1) + 1, s)

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
        batch, channels, padded_w = x.shape[0], x.shape[1], x.shape[3] + 2 * self.padding
        flat = self.flat_padded(x)
        cols = np.empty((channels, *self.kernel, batch, out_h * padded_w), dtype=flat.dtype)  # im2col, wide
        for u, v, run in self.wide_runs(padded_w, out_h):
            cols[:, u, v] = flat[:, :, run].transpose(1, 0, 2)
        rows = weight.reshape(self.out_channels, -1) @ cols.reshape(-1, batch * out_h * padded_w)  # (F, B Ho Wp)
        rows += bias[:, None]
        if keep:
            self._cols, self._input_shape = cols, x.shape
        wide = rows.reshape(self.out_channels, batch, out_h, padded_w)
        return wide[..., :out_w].transpose(1, 0, 2, 3)  # the valid columns, (B, F, Ho, Wo)

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
        out_h, out_w = d_out.shape[2:]
        padded_w = width + 2 * self.padding
        d_wide = np.zeros((self.out_channels, batch, out_h, padded_w), dtype=d_out.dtype)
        d_wide[..., :out_w] = d_out.transpose(1, 0, 2, 3)  # the dropped columns' gradient is 0
        d_rows = d_wide.reshape(self.out_channels, -1)
        np.matmul(d_rows, self._cols.reshape(-1, d_rows.shape[1]).T, out=d_weight.reshape(self.out_channels, -1))
        d_bias[...] = d_rows.sum(axis=1)
        if not input_gradient:
            return None
        d_cols = (weight.reshape(self.out_channels, -1).T @ d_rows).reshape(self._cols.shape)
        d_flat = np.zeros((batch, channels, self.flat_length(height, width)), dtype=d_out.dtype)
        for u, v, run in self.wide_runs(padded_w, out_h):  # col2im: each offset's entries back onto their pixels
            d_flat[:, :, run] += d_cols[:, u, v].transpose(1, 0, 2)
        p = self.padding
        return self.padded_view(d_flat, height, width)[:, :, p : p + height, p : p + width]
