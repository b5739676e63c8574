"""Catch: a paddle at the bottom catches balls falling from the top (after bsuite's Catch).

A ball appears in a random column of the top row and falls one row a step; the paddle moves
left, stays or moves right (actions 0, 1, 2). When the ball reaches the bottom row the agent
gets +1 if the paddle is under it, else -1, and the next ball appears. The episode ends after
``n_balls`` balls, so returns lie in [-n_balls, n_balls]; catching every ball is always
possible. Observation: ball column, ball row, paddle column (each scaled to [0, 1]) and the
fraction of balls still to come. The smoke test for every policy-gradient agent.

With ``observation="pixels"`` (``gymnasium.make("rl_kit/Catch-v0", observation="pixels")``)
the agent sees the board instead, as an image: a uint8 Box of shape (rows, columns, 2),
channels last as Gymnasium's image spaces are, 255 where the ball is (channel 0) and where the
paddle is (channel 1), 0 elsewhere: the smallest pixel experiment, with no extra package.

With ``drift=True`` each ball also moves one column sideways a step, left or right at random,
bouncing off the walls. One observation then shows where the ball is but not which way it is
going; two frames (an env option of rl-kit's runs, ``frame_stack: 2``) show both. (A policy
that sees one frame can still learn it: where it has put the paddle remembers where the ball
was, a memory the policy writes for itself.)
"""

from __future__ import annotations

import numpy as np
from gymnasium import spaces

from .batched import BatchedEnv, BatchedVectorEnv, Dynamics
from .labels import ENDED, FAILURE, SUCCESS, Outcome

BALL_X, BALL_Y, PADDLE_X, BALLS_LEFT, CAUGHT, BALL_DX = range(6)
OBSERVATIONS = ("features", "pixels")


class CatchDynamics(Dynamics):
    """Args: columns, rows of the board; n_balls per episode; observation "features" (the four
    numbers) or "pixels" (the board as a (rows, columns, 2) uint8 image); drift: balls also
    move sideways, one column a step, bouncing off the walls."""

    feature_names: tuple[str, ...] | None = ("ball_x", "ball_y", "paddle_x", "balls_left")
    action_names = ("left", "stay", "right")
    title = "rl-kit Catch"

    def __init__(
        self, columns: int = 5, rows: int = 10, n_balls: int = 10, observation: str = "features", drift: bool = False
    ):
        if columns < 2 or rows < 2 or n_balls < 1:
            raise ValueError(f"Catch needs columns >= 2, rows >= 2 and n_balls >= 1, got {columns}, {rows}, {n_balls}")
        if observation not in OBSERVATIONS:
            raise ValueError(f"Catch's observation is one of {list(OBSERVATIONS)}, got {observation!r}")
        self.columns, self.rows, self.n_balls = int(columns), int(rows), int(n_balls)
        if not isinstance(drift, (bool, np.bool_)):
            raise ValueError(f"Catch's drift is True or False, got {drift!r}")
        self.drift = bool(drift)
        self.state_size = 6
        self.pixels = observation == "pixels"
        if self.pixels:
            self.observation_space = spaces.Box(0, 255, shape=(self.rows, self.columns, 2), dtype=np.uint8)
            self.feature_names = None  # an image has no named features
            self.channel_names = ("ball", "paddle")
        else:
            self.observation_space = spaces.Box(0.0, 1.0, shape=(4,), dtype=np.float32)
        self.action_space = spaces.Discrete(3)
        self.cell = 48
        self.size = (self.columns * self.cell, self.rows * self.cell)

    def initial_states(self, n, rng):
        states = np.zeros((n, self.state_size))
        states[:, BALL_X] = rng.integers(self.columns, size=n)
        states[:, PADDLE_X] = self.columns // 2
        states[:, BALLS_LEFT] = self.n_balls
        if self.drift:
            states[:, BALL_DX] = rng.choice([-1.0, 1.0], size=n)
        return states

    def step(self, states, actions, rng):
        states = states.copy()
        states[:, PADDLE_X] = np.clip(states[:, PADDLE_X] + actions - 1, 0, self.columns - 1)
        states[:, BALL_Y] += 1
        if self.drift:  # sideways, turning back at a wall
            moved = states[:, BALL_X] + states[:, BALL_DX]
            outside = (moved < 0) | (moved > self.columns - 1)
            states[outside, BALL_DX] *= -1
            states[:, BALL_X] += states[:, BALL_DX]
        landed = states[:, BALL_Y] >= self.rows - 1
        caught = landed & (states[:, PADDLE_X] == states[:, BALL_X])
        rewards = np.where(landed, np.where(caught, 1.0, -1.0), 0.0)
        states[:, CAUGHT] += caught
        states[:, BALLS_LEFT] -= landed
        terminated = states[:, BALLS_LEFT] <= 0
        new_ball = landed & ~terminated
        states[new_ball, BALL_Y] = 0
        states[new_ball, BALL_X] = rng.integers(self.columns, size=int(new_ball.sum()))
        if self.drift:
            states[new_ball, BALL_DX] = rng.choice([-1.0, 1.0], size=int(new_ball.sum()))
        return states, rewards, terminated

    def observations(self, states):
        if self.pixels:
            return self.images(states)
        scale = np.array([self.columns - 1, self.rows - 1, self.columns - 1, self.n_balls], dtype=np.float64)
        return (states[:, :4] / scale).astype(np.float32)

    def images(self, states):
        """The boards (n, rows, columns, 2): the ball in channel 0, the paddle in channel 1."""
        n = len(states)
        images = np.zeros((n, self.rows, self.columns, 2), dtype=np.uint8)
        rows = np.arange(n)
        images[rows, states[:, BALL_Y].astype(int), states[:, BALL_X].astype(int), 0] = 255
        images[rows, self.rows - 1, states[:, PADDLE_X].astype(int), 1] = 255
        return images

    def is_success(self, states):
        return states[:, CAUGHT] >= self.n_balls

    def outcome(self, state):
        kind = SUCCESS if state[CAUGHT] >= self.n_balls else FAILURE if state[CAUGHT] < self.n_balls / 2 else ENDED
        return Outcome(f"caught {int(state[CAUGHT])} of {self.n_balls}", kind)

    def draw(self, surface, state):
        import pygame

        from .rendering import AGENT, BACKGROUND, TEXT, draw_text

        c = self.cell
        surface.fill(BACKGROUND)
        for x in range(self.columns):
            pygame.draw.line(surface, (45, 45, 55), (x * c, 0), (x * c, self.size[1]))
        ball = (int(state[BALL_X] * c + c / 2), int(state[BALL_Y] * c + c / 2))
        pygame.draw.circle(surface, (102, 187, 106), ball, c * 0.35)
        paddle = pygame.Rect(int(state[PADDLE_X] * c + 3), (self.rows - 1) * c + c // 3, c - 6, c // 3)
        pygame.draw.rect(surface, AGENT, paddle, border_radius=4)
        draw_text(surface, f"caught {int(state[CAUGHT])}  left {int(state[BALLS_LEFT])}", (6, 6), 18, TEXT)


class CatchEnv(BatchedEnv):
    __doc__ = __doc__
    dynamics_class = CatchDynamics
    metadata = {**BatchedEnv.metadata, "render_fps": 10}


class CatchVectorEnv(BatchedVectorEnv):
    dynamics_class = CatchDynamics
    metadata = {**BatchedVectorEnv.metadata, "render_fps": 10}
