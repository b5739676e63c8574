"""Observation augmentation: the same situation shown a little differently, so that a network
cannot lean on details that happen to repeat in its few training levels.

**Cutout** (DeVries & Taylor 2017; in RL, Laskin et al. 2020's RAD and Raileanu et al. 2021's
DrAC, on Procgen): each image loses one ``size`` x ``size`` window, every channel of it set to 0,
at a place drawn uniformly (the window may hang over the edge, so each pixel is as likely to be
hidden as any other). A policy that must act well whichever part of its view is hidden cannot
memorise one level's exact picture; it has to read what several parts of the view say.

Images arrive as the network takes them: rows of ``C * H * W`` numbers, channels first (see
:class:`rl_kit.agents.networks.ImageTorso`).
"""

from __future__ import annotations

import numpy as np

AUGMENTATIONS = ("none", "cutout")


def cutout_size(height: int, width: int) -> int:
    """The hidden window's side: a quarter of the image's shorter side, at least one pixel."""
    return max(1, round(min(height, width) / 4))


def cutout(x: np.ndarray, image_shape: tuple[int, int, int], rng: np.random.Generator) -> np.ndarray:
    """A copy of the flat images `x` (B, C * H * W), each with one random window set to 0.

    Args:
        x: the network's input rows, channels first.
        image_shape: (C, H, W).
        rng: draws each image's window: its top row and left column, uniformly from
            ``-(size - 1)`` to ``H - 1`` (and ``W - 1``), so that every pixel is hidden equally often.
    """
    channels, height, width = image_shape
    size = cutout_size(height, width)
    top = rng.integers(-(size - 1), height, size=len(x))
    left = rng.integers(-(size - 1), width, size=len(x))
    rows, columns = np.arange(height), np.arange(width)
    in_rows = (rows >= top[:, None]) & (rows < top[:, None] + size)  # (B, H)
    in_columns = (columns >= left[:, None]) & (columns < left[:, None] + size)  # (B, W)
    hidden = in_rows[:, :, None] & in_columns[:, None, :]  # (B, H, W)
    images = x.reshape(len(x), channels, height, width) * ~hidden[:, None]
    return images.reshape(x.shape).astype(x.dtype, copy=False)
