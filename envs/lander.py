"""Lander: land a 2D rocket on a pad, with physics in numpy (no Box2D).

The rocket starts high above the ground with a random push and tilt. Gravity pulls it down;
the main engine pushes along the rocket's axis, the two side engines turn it (and nudge it
sideways). It rests on two legs. Rewards follow Gymnasium's LunarLander: the change of

    shaping = -100 * distance to the pad - 100 * speed - 100 * |tilt| + 10 * (each leg down)

each step, minus fuel (0.3 per full main-engine step, 0.03 per side-engine step); a crash
(the hull touches the ground, a hard or tilted touchdown, or leaving the screen) ends the
episode with -100, coming to rest on both legs ends it with +100 (a success). A return of
200 counts as solved.

Actions, ``Lander-v0``: Discrete(4): 0 nothing, 1 left engine (turns right), 2 main engine,
3 right engine (turns left). ``LanderContinuous-v0``: Box(2) in [-1, 1]: main throttle
(off below 0, 50% to 100% from 0 to 1) and side engine (left below -0.5, right above 0.5).
Observation: x, y, vx, vy, tilt, angular velocity, left leg down, right leg down.
"""

from __future__ import annotations

import numpy as np
from gymnasium import spaces

from .batched import BatchedEnv, BatchedVectorEnv, Dynamics
from .labels import ENDED, FAILURE, SUCCESS, Outcome

X, Y, VX, VY, ANGLE, OMEGA, LEFT_LEG, RIGHT_LEG, SHAPING, MAIN, SIDE = range(11)
DT = 0.05
GRAVITY = 1.0  # world units / s^2
MAIN_POWER = 2.2  # acceleration at full throttle
SIDE_TURN, SIDE_PUSH = 4.0, 0.3  # angular and lateral acceleration of a side engine
LEG_OFFSETS = np.array([[-0.07, -0.07], [0.07, -0.07]])  # leg tips in the rocket's frame
HULL_BOTTOM = 0.035  # the hull touches the ground when its centre is this low
PAD_HALF_WIDTH = 0.2
MAX_TOUCHDOWN_SPEED, MAX_TOUCHDOWN_ANGLE = 0.6, 0.6


class LanderDynamics(Dynamics):
    """Args: continuous (Box(2) actions instead of Discrete(4))."""

    feature_names = ("x", "y", "vx", "vy", "angle", "angular_velocity", "left_leg", "right_leg")
    title = "rl-kit Lander"
    size = (600, 420)

    def __init__(self, continuous: bool = False):
        self.continuous = bool(continuous)
        self.state_size = 11
        high = np.array([1.5, 2.0, 5.0, 5.0, np.pi, 5.0, 1.0, 1.0], dtype=np.float32)
        low = -high
        low[6:] = 0.0
        self.observation_space: spaces.Box = spaces.Box(low, high, dtype=np.float32)
        self.action_space = (
            spaces.Box(-1.0, 1.0, shape=(2,), dtype=np.float32) if self.continuous else spaces.Discrete(4)
        )
        self.action_names = (
            ("main throttle", "side engine")
            if continuous
            else ("nothing", "left engine", "main engine", "right engine")
        )

    def initial_states(self, n, rng):
        states = np.zeros((n, self.state_size))
        states[:, X] = rng.uniform(-0.3, 0.3, size=n)
        states[:, Y] = 1.4
        states[:, VX] = rng.uniform(-0.3, 0.3, size=n)
        states[:, VY] = rng.uniform(-0.2, 0.0, size=n)
        states[:, ANGLE] = rng.uniform(-0.1, 0.1, size=n)
        states[:, OMEGA] = rng.uniform(-0.2, 0.2, size=n)
        states[:, SHAPING] = self.shaping(states)
        return states

    def engines(self, actions: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Main throttle in [0, 1] and side engine in {-1, 0, 1} (-1 left) per env."""
        if not self.continuous:
            actions = actions.astype(np.int64)
            return (actions == 2).astype(float), np.select([actions == 1, actions == 3], [-1.0, 1.0], 0.0)
        main = np.clip(actions[:, 0], -1.0, 1.0)
        lateral = np.clip(actions[:, 1], -1.0, 1.0)
        throttle = np.where(main > 0, 0.5 + 0.5 * main, 0.0)
        side = np.where(np.abs(lateral) > 0.5, np.sign(lateral) * (0.5 + (np.abs(lateral) - 0.5)), 0.0)
        return throttle, side

    @staticmethod
    def shaping(states: np.ndarray) -> np.ndarray:
        return (
            -100 * np.hypot(states[:, X], states[:, Y])
            - 100 * np.hypot(states[:, VX], states[:, VY])
            - 100 * np.abs(states[:, ANGLE])
            + 10 * states[:, LEFT_LEG]
            + 10 * states[:, RIGHT_LEG]
        )

    def step(self, states, actions, rng):
        s = states.copy()
        throttle, side = self.engines(actions)
        angle = s[:, ANGLE]
        up = np.stack([-np.sin(angle), np.cos(angle)], axis=1)
        # A left engine (side -1) turns the rocket clockwise and nudges it right, like LunarLander's.
        s[:, VX] += DT * (MAIN_POWER * throttle * up[:, 0] - SIDE_PUSH * side * up[:, 1])
        s[:, VY] += DT * (MAIN_POWER * throttle * up[:, 1] - GRAVITY)
        s[:, OMEGA] = 0.99 * s[:, OMEGA] + DT * SIDE_TURN * side
        s[:, X] += DT * s[:, VX]
        s[:, Y] += DT * s[:, VY]
        s[:, ANGLE] = (s[:, ANGLE] + DT * s[:, OMEGA] + np.pi) % (2 * np.pi) - np.pi
        s[:, MAIN], s[:, SIDE] = throttle, side

        # Ground contact: legs hold the rocket up; a fast or tilted touchdown, or the hull, crashes.
        cos, sin = np.cos(s[:, ANGLE]), np.sin(s[:, ANGLE])
        tips_y = s[:, Y, None] + LEG_OFFSETS[None, :, 0] * sin[:, None] + LEG_OFFSETS[None, :, 1] * cos[:, None]
        down = tips_y <= 0.0
        touching = down.any(axis=1)
        newly = touching & ~((states[:, LEFT_LEG] > 0) | (states[:, RIGHT_LEG] > 0))
        hard = newly & (
            (np.hypot(s[:, VX], s[:, VY]) > MAX_TOUCHDOWN_SPEED) | (np.abs(s[:, ANGLE]) > MAX_TOUCHDOWN_ANGLE)
        )
        s[:, Y] -= np.where(touching, np.minimum(tips_y.min(axis=1), 0.0), 0.0)
        s[:, VY] = np.where(touching, np.maximum(s[:, VY], 0.0), s[:, VY])
        s[:, VX] = np.where(touching, 0.8 * s[:, VX], s[:, VX])
        both = down.all(axis=1)
        one = touching & ~both
        # On one leg the rocket tips toward its other leg; on both it settles level.
        s[:, OMEGA] = np.where(one, s[:, OMEGA] + DT * 3.0 * np.where(down[:, 0], -1.0, 1.0), s[:, OMEGA])
        s[:, OMEGA] = np.where(both, 0.5 * s[:, OMEGA], s[:, OMEGA])
        s[:, ANGLE] = np.where(both, 0.8 * s[:, ANGLE], s[:, ANGLE])
        s[:, LEFT_LEG], s[:, RIGHT_LEG] = down[:, 0], down[:, 1]

        hull_down = s[:, Y] < HULL_BOTTOM
        crashed = (
            hard | hull_down | (np.abs(s[:, X]) > 1.0) | (s[:, Y] > 2.0) | (touching & (np.abs(s[:, ANGLE]) > 1.0))
        )
        at_rest = both & (np.hypot(s[:, VX], s[:, VY]) < 0.05) & (np.abs(s[:, OMEGA]) < 0.05) & ~crashed

        shaping = self.shaping(s)
        rewards = shaping - states[:, SHAPING] - 0.3 * throttle - 0.03 * np.abs(side)
        rewards = np.where(crashed, -100.0, np.where(at_rest, rewards + 100.0, rewards))
        s[:, SHAPING] = shaping
        s[:, LEFT_LEG] = np.where(crashed, 0.0, s[:, LEFT_LEG])  # a crash is no landing
        s[:, RIGHT_LEG] = np.where(crashed, 0.0, s[:, RIGHT_LEG])
        return s, rewards, crashed | at_rest

    def observations(self, states):
        return np.clip(states[:, :8], self.observation_space.low, self.observation_space.high).astype(np.float32)

    def is_success(self, states):
        return (states[:, LEFT_LEG] > 0) & (states[:, RIGHT_LEG] > 0)

    def outcome(self, state):
        if self.is_success(state[None])[0]:
            on_pad = abs(state[X]) <= PAD_HALF_WIDTH
            return Outcome("landed on the pad" if on_pad else "landed off the pad", SUCCESS if on_pad else ENDED)
        if abs(state[X]) > 1.0 or state[Y] > 2.0:
            return Outcome("flew off the screen", FAILURE)
        return Outcome("crashed", FAILURE)

    def draw(self, surface, state):
        import pygame

        from .rendering import AGENT, TILE_COLORS, night_sky

        w, h = self.size
        ground = h - 40
        scale = min((w - 40) / 2.0, (ground - 30) / 1.45)  # x in [-1, 1] and the start (y 1.4) in view
        to_px = lambda x, y: (w / 2 + x * scale, ground - y * scale)  # noqa: E731
        surface.blit(night_sky((w, ground)), (0, 0))
        pygame.draw.rect(surface, (84, 80, 92), pygame.Rect(0, ground, w, h - ground))
        pygame.draw.line(surface, (140, 136, 150), (0, ground), (w, ground), 2)
        left, right = to_px(-PAD_HALF_WIDTH, 0), to_px(PAD_HALF_WIDTH, 0)
        pygame.draw.rect(surface, (235, 200, 70), pygame.Rect(left[0], ground - 2, right[0] - left[0], 6))
        for base in (left, right):
            pygame.draw.line(surface, (220, 220, 220), base, (base[0], base[1] - 30), 2)
            pygame.draw.polygon(
                surface,
                TILE_COLORS["G"],
                [(base[0], base[1] - 30), (base[0] + 14, base[1] - 25), (base[0], base[1] - 20)],
            )
        angle = state[ANGLE]
        rotation = np.array([[np.cos(angle), -np.sin(angle)], [np.sin(angle), np.cos(angle)]])
        place = lambda points: [to_px(*(rotation @ p + state[[X, Y]])) for p in points]  # noqa: E731
        hull = np.array([[-0.05, -0.035], [0.05, -0.035], [0.04, 0.03], [0.0, 0.05], [-0.04, 0.03]])
        if state[MAIN] > 0:  # an outer orange flame around a white-hot core, as long as the throttle
            length = 0.035 + 0.09 * state[MAIN]
            pygame.draw.polygon(
                surface, (255, 150, 40), place(np.array([[-0.025, -0.035], [0.025, -0.035], [0.0, -length]]))
            )
            core = np.array([[-0.012, -0.035], [0.012, -0.035], [0.0, -0.035 - 0.5 * (length - 0.035)]])
            pygame.draw.polygon(surface, (255, 240, 200), place(core))
        if state[SIDE] != 0:
            sign = np.sign(state[SIDE])  # -1: the left engine, on the left side, fires outward (left)
            jet = np.array([[sign * 0.05, 0.02], [sign * 0.05, 0.0], [sign * 0.1, 0.01]])
            pygame.draw.polygon(surface, (255, 200, 60), place(jet))
        for i, offset in enumerate(LEG_OFFSETS):  # legs turn green while they touch the ground
            color = TILE_COLORS["G"] if state[LEFT_LEG + i] else (200, 200, 200)
            knee, foot = place([offset * [0.5, 0.3], offset])
            pygame.draw.line(surface, color, knee, foot, 3)
            pygame.draw.line(surface, color, (foot[0] - 4, foot[1]), (foot[0] + 4, foot[1]), 3)
        pygame.draw.polygon(surface, AGENT, place(hull))
        pygame.draw.polygon(surface, (120, 60, 0), place(hull), 2)
        window = place(np.array([[0.0, 0.012]]))[0]
        pygame.draw.circle(surface, (120, 190, 255), window, max(scale * 0.012, 3))


class LanderEnv(BatchedEnv):
    __doc__ = __doc__
    dynamics_class = LanderDynamics
    metadata = {**BatchedEnv.metadata, "render_fps": 20}


class LanderVectorEnv(BatchedVectorEnv):
    dynamics_class = LanderDynamics
    metadata = {**BatchedVectorEnv.metadata, "render_fps": 20}
