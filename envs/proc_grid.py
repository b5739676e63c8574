"""ProcGrid: a family of grid worlds, one per level seed, seen through the agent's own eyes.

Each level is a ``size`` x ``size`` grid of floor, walls ``#`` and lava ``H`` (terminal, no
reward), with a start ``S`` and a goal ``G`` (terminal, reward 1), laid out by
:func:`generate_level` from its seed alone (a pure function: the same level on every machine),
and redrawn until the goal can be reached from the start. Which levels an env plays is a
:class:`rl_kit.envs.levels.LevelSet` (``num_levels``, ``start_level``, or ``levels``). The
dynamics are :class:`rl_kit.envs.grid_model.GridModel`'s, so each level has its exact model ``P``.

Observations:

- ``"view"`` (default): egocentric, the whole level as a (2 size - 1, 2 size - 1, 3) uint8 image
  centred on the agent, one channel per cell kind (walls, the outside of the grid counting as
  wall; lava; the goal), 255 where the kind is. The same situation looks the same on every
  level, so a network can learn what a wall in the way means and carry it to levels it never saw.
- ``"position"``: the cell index ``row * size + col``, as our other grid worlds give it. A table
  keyed on it can learn one level by heart and nothing about the next, where the same index is
  another place: the first lesson of generalization.

The episode's return is 1 when the goal is reached, else 0: the mean return over levels is the
fraction of them solved. ``info["level"]`` names the episode's level seed.
"""

from __future__ import annotations

from collections import OrderedDict, deque
from typing import Any

import gymnasium as gym
import numpy as np
from gymnasium import spaces

from .grid_model import GOAL, HOLE, MOVES, START, WALL, GridModel
from .grid_world import GridWorldEnv
from .levels import LevelSet, level_hash

OBSERVATIONS = ("view", "position")
CHANNELS = ("wall", "lava", "goal")
FAMILY = "rl_kit/ProcGrid-v0"
MAX_ATTEMPTS = 1000  # redraws before a density is declared unsolvable
CACHED_LEVELS = 4096  # compiled levels an env keeps


def generate_level(seed: int, size: int = 6, wall_density: float = 0.2, lava_density: float = 0.1) -> tuple[str, ...]:
    """The level of `seed`: rows of ``.``, ``#``, ``H``, one ``S`` and one ``G``, the goal reachable.

    Each cell is a wall with probability `wall_density`, lava with `lava_density`, floor
    otherwise; start and goal are two distinct floor cells; a layout whose goal cannot be
    reached from the start (through floor, not lava) is drawn again, from the same stream."""
    check_family(size, wall_density, lava_density)
    rng = np.random.default_rng([int(seed), size])
    for _ in range(MAX_ATTEMPTS):
        u = rng.random((size, size))
        kinds = np.where(u < wall_density, WALL, np.where(u < wall_density + lava_density, HOLE, "."))
        floor = np.flatnonzero(kinds.ravel() == ".")
        if len(floor) < 2:
            continue
        start, goal = rng.choice(floor, size=2, replace=False)
        kinds.flat[start], kinds.flat[goal] = START, GOAL
        if reachable(kinds, divmod(int(start), size), divmod(int(goal), size)):
            return tuple("".join(row) for row in kinds)
    raise ValueError(f"no solvable {size}x{size} level in {MAX_ATTEMPTS} draws at wall density {wall_density} "
                     f"and lava density {lava_density}: lower them")  # fmt: skip


def reachable(kinds: np.ndarray, start: tuple[int, int], goal: tuple[int, int]) -> bool:
    """Whether moves through non-wall, non-lava cells lead from `start` to `goal`."""
    size_r, size_c = kinds.shape
    seen, frontier = {start}, deque([start])
    while frontier:
        r, c = frontier.popleft()
        if (r, c) == goal:
            return True
        for dr, dc in MOVES:
            nr, nc = r + dr, c + dc
            if 0 <= nr < size_r and 0 <= nc < size_c and (nr, nc) not in seen and kinds[nr, nc] not in (WALL, HOLE):
                seen.add((nr, nc))
                frontier.append((nr, nc))
    return False


def check_family(size: int, wall_density: float, lava_density: float) -> None:
    if isinstance(size, bool) or not isinstance(size, (int, np.integer)) or not 2 <= size <= 32:
        raise ValueError(f"ProcGrid's size must be a whole number from 2 to 32, got {size!r}")
    if not (0 <= wall_density and 0 <= lava_density and wall_density + lava_density < 0.8):
        raise ValueError(f"ProcGrid's wall and lava densities must be at least 0 and sum below 0.8, got "
                         f"{wall_density} and {lava_density}")  # fmt: skip


def level_content(seed: int, size: int = 6, wall_density: float = 0.2, lava_density: float = 0.1) -> dict:
    """What identifies the level of `seed`: the family and its layout (the dynamics are fixed)."""
    return {"family": FAMILY, "rows": list(generate_level(seed, size, wall_density, lava_density))}


def content_hash(seed: int, size: int = 6, wall_density: float = 0.2, lava_density: float = 0.1) -> str:
    return level_hash(level_content(seed, size, wall_density, lava_density))


class ProcGridEnv(GridWorldEnv):
    """A ProcGrid level drawn each episode from a level set (see the module docstring).

    Args:
        num_levels: how many consecutive level seeds from `start_level` to draw from (0: unlimited).
        start_level: the first level seed.
        levels: the level seeds themselves, in place of the two above (a held-out test set).
        size: the grid's side. wall_density, lava_density: each cell's chance of being one.
        observation: ``"view"`` (egocentric image) or ``"position"`` (the cell index).
        render_mode: ``"human"``, ``"rgb_array"``, ``"ansi"`` or None.

    Actions: ``Discrete(4)``: 0 left, 1 down, 2 right, 3 up.
    """

    metadata = {"render_modes": ["human", "rgb_array", "ansi"], "render_fps": 4}
    channel_names = CHANNELS

    def __init__(
        self,
        *,
        num_levels: int = 0,
        start_level: int = 0,
        levels: list[int] | tuple[int, ...] | None = None,
        size: int = 6,
        wall_density: float = 0.2,
        lava_density: float = 0.1,
        observation: str = "view",
        render_mode: str | None = None,
    ):
        if observation not in OBSERVATIONS:
            raise ValueError(f"ProcGrid's observation is one of {list(OBSERVATIONS)}, got {observation!r}")
        self.level_set = LevelSet(num_levels, start_level, None if levels is None else tuple(levels))
        self.family = (int(size), float(wall_density), float(lava_density))
        self._levels: OrderedDict[int, tuple[GridModel, np.ndarray]] = OrderedDict()
        first = self.level_set.levels[0] if self.level_set.levels else self.level_set.start_level
        model, _ = self._level(first)
        super().__init__(list(model.rows), render_mode=render_mode)
        self._enter(first)
        self.observation = observation
        side = 2 * int(size) - 1
        self.observation_space: spaces.Space = (
            spaces.Box(0, 255, (side, side, len(CHANNELS)), np.uint8)
            if observation == "view"
            else spaces.Discrete(int(size) ** 2)
        )

    @property
    def observer_pixel(self) -> tuple[int, int] | None:
        """Where the agent sits in its own view (row, column): the view's centre; None for positions."""
        return (self.family[0] - 1, self.family[0] - 1) if self.observation == "view" else None

    def level_hash(self, seed: int) -> str:
        """The identity of this family's level `seed`, by its content (:func:`content_hash`)."""
        return content_hash(seed, *self.family)

    def _level(self, seed: int) -> tuple[GridModel, np.ndarray]:
        """The compiled level of `seed` and its padded view planes (kept for the next episodes)."""
        if seed in self._levels:
            self._levels.move_to_end(seed)
            return self._levels[seed]
        model = GridModel.from_map(list(generate_level(seed, *self.family)))
        size = self.family[0]
        planes = np.zeros((3 * size - 2, 3 * size - 2, len(CHANNELS)), dtype=np.uint8)
        planes[..., 0] = 255  # outside the grid counts as wall
        kinds = np.array([list(row) for row in model.rows])
        inner = planes[size - 1 : 2 * size - 1, size - 1 : 2 * size - 1]
        inner[..., 0] = np.where(kinds == WALL, 255, 0)
        inner[..., 1] = np.where(kinds == HOLE, 255, 0)
        inner[..., 2] = np.where(kinds == GOAL, 255, 0)
        planes.setflags(write=False)
        self._levels[seed] = (model, planes)
        if len(self._levels) > CACHED_LEVELS:
            self._levels.popitem(last=False)
        return model, planes

    def _enter(self, seed: int) -> None:
        self.level_seed = seed
        self.model, self._planes = self._level(seed)
        self.P = self.model.P
        self.initial_state_distrib = self.model.initial_state_distribution
        if self._renderer is not None:
            from .rendering import GridPainter

            self._painter = GridPainter(self.model)

    def observe(self, state: int):
        """The observation of the agent at cell index `state` of the current level."""
        if self.observation == "position":
            return int(state)
        r, c = self.model.cell(state)
        side = 2 * self.family[0] - 1
        return self._planes[r : r + side, c : c + side].copy()

    def reset(self, *, seed: int | None = None, options: dict[str, Any] | None = None):
        if seed is not None:
            gym.Env.reset(self, seed=seed)
        self._enter(self.level_set.draw(self.np_random))
        state, info = super().reset(options=options)
        return self.observe(state), {**info, "level": self.level_seed}

    def step(self, action):
        state, reward, terminated, truncated, info = super().step(action)
        return self.observe(state), reward, terminated, truncated, {**info, "level": self.level_seed}
