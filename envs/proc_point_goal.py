"""ProcPointGoal: PointGoal's task in a family of worlds, each level with its own physics.

The split between training and held-out levels is not only about layouts. Here every level
is the same square and the same task (push a point mass to a goal drawn each episode; see
:mod:`rl_kit.envs.point_goal`), but its physics is a pure function of its level seed
(:func:`level_physics`):

- a wind, a constant push of up to ``MAX_WIND`` (0.6) in each axis;
- the damping, the share of its velocity the point keeps each step, from 0.7 to 0.95;
- the engine's gain, from 0.8 to 1.5 (a heavier or a lighter point), so that the weakest
  engine still out-pushes the strongest wind in each axis: every level can be solved.

None of them is observed: the observation is PointGoal's (position, velocity, the vector to
the goal). A policy must read the physics from how the point moves, and a policy trained on a
few worlds can instead learn their winds by heart: a push against the wind it always had is
wrong in a world where the wind blows the other way. Which levels an env plays is a
:class:`rl_kit.envs.levels.LevelSet` (Procgen's ``num_levels`` and ``start_level``, or
``levels``); ``level_hash(seed)`` identifies a level by its physics.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .batched import BatchedEnv, BatchedVectorEnv
from .levels import LevelSet, level_hash
from .point_goal import ACCELERATION, DT, VX, VY, PointGoalDynamics

FAMILY = "rl_kit/ProcPointGoal-v0"
LEVEL, WIND_X, WIND_Y, DAMPING, GAIN = range(9, 14)  # after PointGoal's state columns
MAX_WIND = 0.6
DAMPINGS, GAINS = (0.7, 0.95), (0.8, 1.5)


def level_physics(seed: int) -> np.ndarray:
    """The physics of level `seed`: (wind x, wind y, damping, gain), the same on every machine."""
    rng = np.random.default_rng([int(seed), 2])
    wind = rng.uniform(-MAX_WIND, MAX_WIND, size=2)
    return np.array([wind[0], wind[1], rng.uniform(*DAMPINGS), rng.uniform(*GAINS)])


class ProcPointGoalDynamics(PointGoalDynamics):
    """Args: num_levels, start_level, levels: the level set; goal_radius: PointGoal's."""

    title = "rl-kit ProcPointGoal"

    def __init__(
        self,
        num_levels: int = 0,
        start_level: int = 0,
        levels: list[int] | tuple[int, ...] | None = None,
        goal_radius: float = 0.1,
    ):
        super().__init__(goal_radius=goal_radius)
        self.level_set = LevelSet(num_levels, start_level, None if levels is None else tuple(levels))
        self.state_size = GAIN + 1

    def initial_states(self, n, rng):
        states = super().initial_states(n, rng)  # PointGoal's columns, then the level's
        seeds = [self.level_set.draw(rng) for _ in range(n)]
        states[:, LEVEL] = seeds  # below 2^31: exact in a float
        states[:, WIND_X:] = [level_physics(seed) for seed in seeds]
        return states

    def accelerate(self, states: np.ndarray, force: np.ndarray) -> np.ndarray:
        """v <- damping v + a dt (gain F + wind), with the level's damping, gain and wind."""
        push = states[:, GAIN, None] * force + states[:, [WIND_X, WIND_Y]]
        return states[:, DAMPING, None] * states[:, [VX, VY]] + ACCELERATION * DT * push

    def draw(self, surface, state):
        from .rendering import draw_arrow

        super().draw(surface, state)
        wind = state[[WIND_X, WIND_Y]]
        if np.hypot(*wind) > 1e-3:  # the level's wind, in the corner
            draw_arrow(surface, (40, 40), (wind[0], -wind[1]), 25 * np.hypot(*wind), (120, 170, 230), 2)


class LevelFamily:
    """What a level family's env offers (:func:`rl_kit.envs.levels.level_family` reads it)."""

    dynamics: Any

    @property
    def level_set(self) -> LevelSet:
        return self.dynamics.level_set

    def level_hash(self, seed: int) -> str:
        return level_hash({"family": FAMILY, "physics": level_physics(seed).tolist()})


class ProcPointGoalEnv(LevelFamily, BatchedEnv):
    __doc__ = __doc__
    dynamics_class = ProcPointGoalDynamics


class ProcPointGoalVectorEnv(LevelFamily, BatchedVectorEnv):
    dynamics_class = ProcPointGoalDynamics
