"""MinAtar's five games (Young & Tian 2019) as Gymnasium envs of ours: Atari at CPU scale.

MinAtar (the ``minatar`` package, an extra: ``pip install 'rl-kit[minatar]'``) plays
miniature Asterix, Breakout, Freeway, Seaquest and Space Invaders on a 10x10 board, observed as
a (10, 10, C) image of 0s and 1s, one channel per kind of object (Breakout's: paddle, ball,
trail, brick; a "trail" channel marks where a moving object was, so one frame shows motion).
Its own Gymnasium wrapper seeds MinAtar's RandomState but not Gymnasium's ``np_random``, and
draws with seaborn; this one draws every seed from ``np_random`` (the same seed, the same
game), returns uint8 images, and draws the board with pygame, large.

The games keep the paper's settings: sticky actions (the last action repeats with probability
0.1), difficulty that ramps up, and the minimal action set (Breakout's: stay, left, right).
Registered as ``rl_kit/MinAtar-<Game>-v0``, with a cap of 10,000 steps (the paper has none;
a good agent's Seaquest would otherwise never end).
"""

from __future__ import annotations

from typing import Any

import gymnasium as gym
import numpy as np
from gymnasium import spaces
from gymnasium.error import DependencyNotInstalled

GAMES = {
    "Asterix": "asterix",
    "Breakout": "breakout",
    "Freeway": "freeway",
    "Seaquest": "seaquest",
    "SpaceInvaders": "space_invaders",
}
EXTRA = "pip install 'rl-kit[minatar]'"
CELL = 32  # pixels a board cell is drawn in
# one color per channel, in channel order (Seaquest has 10 channels)
COLORS = [(239, 83, 80), (102, 187, 106), (66, 165, 245), (255, 202, 40), (171, 71, 188),
          (38, 198, 218), (255, 112, 67), (141, 110, 99), (236, 64, 122), (189, 189, 189)]  # fmt: skip
BACKGROUND = (20, 20, 28)
ACTION_NAMES = ("stay", "left", "up", "right", "down", "fire")  # MinAtar's six actions, by index


def load_minatar(game: str):
    """MinAtar's ``Environment`` class, or a one-line error naming the extra."""
    try:
        from minatar import Environment
    except ImportError:
        raise DependencyNotInstalled(
            f"MinAtar's {game} needs the minatar package, an extra of rl-kit: {EXTRA}"
        ) from None
    return Environment


class MinAtarEnv(gym.Env):
    """One MinAtar game.

    Args:
        game: a key of :data:`GAMES` ("Breakout", ...).
        render_mode: "human" or "rgb_array".
        sticky_action_prob: the chance that the previous action repeats (the paper's 0.1).
        difficulty_ramping: whether the game speeds up as it goes (the paper's True).
    """

    metadata = {"render_modes": ["human", "rgb_array"], "render_fps": 15}

    def __init__(
        self,
        game: str,
        render_mode: str | None = None,
        sticky_action_prob: float = 0.1,
        difficulty_ramping: bool = True,
    ):
        if game not in GAMES:
            raise ValueError(f"MinAtar's games are {list(GAMES)}, got {game!r}")
        if render_mode is not None and render_mode not in self.metadata["render_modes"]:
            raise ValueError(f"render_mode {render_mode!r} is not one of {self.metadata['render_modes']}")
        if not 0.0 <= float(sticky_action_prob) <= 1.0:
            raise ValueError(f"sticky_action_prob is a probability, got {sticky_action_prob!r}")
        self.game_name, self.render_mode = game, render_mode
        self.game = load_minatar(game)(GAMES[game], float(sticky_action_prob), bool(difficulty_ramping))
        self.actions = list(self.game.minimal_action_set())
        self.action_space = spaces.Discrete(len(self.actions))
        self.action_names = tuple(ACTION_NAMES[a] for a in self.actions)
        self.observation_space = spaces.Box(0, 1, tuple(self.game.state_shape()), dtype=np.uint8)
        channels: dict[str, int] = dict(getattr(self.game.env, "channels", {}))
        self.channel_names = tuple(sorted(channels, key=lambda name: channels[name])) if channels else None
        self._renderer: Any = None

    def observation(self) -> np.ndarray:
        return np.asarray(self.game.state(), dtype=np.uint8)

    def reset(self, *, seed: int | None = None, options: dict[str, Any] | None = None):
        super().reset(seed=seed)
        if options:
            raise ValueError(f"unknown reset options {sorted(options)}: MinAtar's games take none")
        self.game.seed(int(self.np_random.integers(2**31 - 1)))  # MinAtar's RandomState, from ours
        self.game.reset()
        if self.render_mode == "human":
            self.render()
        return self.observation(), {}

    def step(self, action):
        if not self.action_space.contains(np.int64(np.asarray(action).item())):
            raise ValueError(f"action {action!r} is not in the action space {self.action_space}")
        reward, terminated = self.game.act(self.actions[int(np.asarray(action).item())])
        if self.render_mode == "human":
            self.render()
        return self.observation(), float(reward), bool(terminated), False, {}

    def render(self):
        if self.render_mode is None:
            gym.logger.warn('render() was called without a render_mode; pass render_mode="rgb_array" or "human"')
            return None
        import pygame

        from .rendering import Renderer

        board = self.observation()
        height, width, channels = board.shape
        if self._renderer is None:
            self._renderer = Renderer((width * CELL, height * CELL), f"MinAtar {self.game_name}", self.render_mode,
                                      self.metadata["render_fps"])  # fmt: skip
        canvas = self._renderer.canvas
        canvas.fill(BACKGROUND)
        for channel in range(channels):  # later channels drawn over earlier ones
            for row, column in zip(*np.nonzero(board[:, :, channel]), strict=True):
                cell = pygame.Rect(int(column) * CELL + 1, int(row) * CELL + 1, CELL - 2, CELL - 2)
                pygame.draw.rect(canvas, COLORS[channel % len(COLORS)], cell, border_radius=4)
        return self._renderer.present()

    def close(self):
        if self._renderer is not None:
            self._renderer.close()
            self._renderer = None
