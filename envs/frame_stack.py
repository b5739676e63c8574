"""Frame stacking: the last k observations side by side, so that one observation shows motion.

One frame of a moving ball says where it is, not where it is going; two frames say both. This
wrapper concatenates the last `k` observations along their last axis, the channels of a
channels-last image (H, W, C) -> (H, W, k C), or the entries of a vector (d,) -> (k d), oldest
first, as stable-baselines3's ``VecFrameStack`` does for channels-last images. (Gymnasium's
``FrameStackObservation`` adds a new leading axis instead, (k, H, W, C), which is no longer an
image a convolution takes.) After a reset the stack holds the first observation k times.

rl-kit applies it through the run's env config (``frame_stack`` in an env's options, or
``--frame-stack K``), so both backends and every evaluation see the same stacked env.
"""

from __future__ import annotations

from typing import Any

import gymnasium as gym
import numpy as np
from gymnasium import spaces


class StackFrames(gym.ObservationWrapper):
    """Args: env, whose observation space is a Box; k: how many observations (at least 1)."""

    def __init__(self, env: gym.Env, k: int):
        super().__init__(env)
        space = env.observation_space
        if not isinstance(space, spaces.Box) or len(space.shape) not in (1, 3):
            raise ValueError(f"frame stacking takes a Box vector or a channels-last image, not {space}")
        if isinstance(k, bool) or not isinstance(k, int) or k < 1:
            raise ValueError(f"frame_stack must be a whole number of at least 1, got {k!r}")
        self.k = k
        self.observation_space = spaces.Box(
            np.concatenate([space.low] * k, axis=-1), np.concatenate([space.high] * k, axis=-1), dtype=space.dtype
        )
        self.frames: list[np.ndarray] = []

    def reset(self, *, seed: int | None = None, options: dict[str, Any] | None = None):
        obs, info = self.env.reset(seed=seed, options=options)
        self.frames = [obs] * self.k
        return self.stacked(), info

    def observation(self, observation):
        self.frames = [*self.frames[1:], observation]
        return self.stacked()

    def stacked(self) -> np.ndarray:
        return np.concatenate(self.frames, axis=-1)
