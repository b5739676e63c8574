"""PointGoal: push a point mass to a random goal with a continuous force (Box(2) actions).

The point lives in the square [-1, 1]^2; each step the force ``a`` (clipped to [-1, 1]^2)
accelerates it, velocity decays by ``damping``, and walls stop it. A new goal is drawn each
episode. The reward is shaped by progress, ``10 * (previous distance - distance)``, minus
``0.01 * |a|^2`` for effort; coming within ``goal_radius`` of the goal pays +5 and ends the
episode (a success). Observation: position, velocity and the vector to the goal.
The smoke test for continuous actions.
"""

from __future__ import annotations

import numpy as np
from gymnasium import spaces

from .batched import BatchedEnv, BatchedVectorEnv, Dynamics

PX, PY, VX, VY, GX, GY, DIST, FX, FY = range(9)
DT, ACCELERATION, MAX_SPEED = 0.1, 2.0, 3.0


class PointGoalDynamics(Dynamics):
    """Args: goal_radius (success distance), damping (velocity kept per step)."""

    feature_names = ("x", "y", "vx", "vy", "goal_dx", "goal_dy")
    action_names = ("force x", "force y")
    title = "rl-kit PointGoal"
    size = (400, 400)

    def __init__(self, goal_radius: float = 0.1, damping: float = 0.9):
        if not 0 < goal_radius < 1 or not 0 <= damping <= 1:
            raise ValueError(f"PointGoal needs 0 < goal_radius < 1 and 0 <= damping <= 1, got {goal_radius}, {damping}")
        self.goal_radius, self.damping = float(goal_radius), float(damping)
        self.state_size = 9
        high = np.array([1, 1, MAX_SPEED, MAX_SPEED, 2, 2], dtype=np.float32)
        self.observation_space = spaces.Box(-high, high, dtype=np.float32)
        self.action_space = spaces.Box(-1.0, 1.0, shape=(2,), dtype=np.float32)

    def initial_states(self, n, rng):
        states = np.zeros((n, self.state_size))
        states[:, [PX, PY]] = rng.uniform(-0.9, 0.9, size=(n, 2))
        states[:, [GX, GY]] = rng.uniform(-0.8, 0.8, size=(n, 2))
        states[:, DIST] = np.hypot(states[:, GX] - states[:, PX], states[:, GY] - states[:, PY])
        return states

    def step(self, states, actions, rng):
        states = states.copy()
        force = np.clip(actions, -1.0, 1.0)
        velocity = np.clip(self.accelerate(states, force), -MAX_SPEED, MAX_SPEED)
        position = states[:, [PX, PY]] + DT * velocity
        hit_wall = np.abs(position) > 1.0
        velocity[hit_wall] = 0.0
        states[:, [PX, PY]] = np.clip(position, -1.0, 1.0)
        states[:, [VX, VY]] = velocity
        states[:, [FX, FY]] = force
        distance = np.hypot(states[:, GX] - states[:, PX], states[:, GY] - states[:, PY])
        reached = distance < self.goal_radius
        rewards = 10.0 * (states[:, DIST] - distance) - 0.01 * (force**2).sum(axis=1) + 5.0 * reached
        states[:, DIST] = distance
        return states, rewards, reached

    def accelerate(self, states: np.ndarray, force: np.ndarray) -> np.ndarray:
        """The velocities after one step of `force`, before the speed limit: v <- damping v + a dt F."""
        return self.damping * states[:, [VX, VY]] + ACCELERATION * DT * force

    def observations(self, states):
        to_goal = states[:, [GX, GY]] - states[:, [PX, PY]]
        return np.concatenate([states[:, [PX, PY, VX, VY]], to_goal], axis=1).astype(np.float32)

    def is_success(self, states):
        return states[:, DIST] < self.goal_radius

    def draw(self, surface, state):
        import pygame

        from .rendering import AGENT, BACKGROUND, TILE_COLORS, draw_arrow

        w, h = self.size
        to_px = lambda x, y: (int((x + 1) / 2 * (w - 20) + 10), int((1 - (y + 1) / 2) * (h - 20) + 10))  # noqa: E731
        surface.fill(BACKGROUND)
        pygame.draw.rect(surface, (60, 60, 72), pygame.Rect(10, 10, w - 20, h - 20), 2)
        goal = to_px(state[GX], state[GY])
        pygame.draw.circle(surface, TILE_COLORS["G"], goal, max(int(self.goal_radius / 2 * (w - 20)), 4))
        point = to_px(state[PX], state[PY])
        pygame.draw.circle(surface, AGENT, point, 9)
        if abs(state[FX]) + abs(state[FY]) > 1e-3:
            draw_arrow(
                surface,
                (point[0] + state[FX] * 20, point[1] - state[FY] * 20),
                (state[FX], -state[FY]),
                40 * np.hypot(state[FX], state[FY]),
                (230, 230, 230),
                2,
            )


class PointGoalEnv(BatchedEnv):
    __doc__ = __doc__
    dynamics_class = PointGoalDynamics


class PointGoalVectorEnv(BatchedVectorEnv):
    dynamics_class = PointGoalDynamics
