"""GridWorld: one Gymnasium env for every grid world, driven by a text map.

The dynamics live in :class:`rl_kit.envs.grid_model.GridModel`; this class adds the Gymnasium API,
seeding through ``self.np_random`` and rendering. Like Gymnasium's toy-text envs it publishes
the exact model ``P[s][a] = [(prob, next_state, reward, terminated), ...]``.
"""

from __future__ import annotations

import operator
from bisect import bisect_right
from collections import deque
from collections.abc import Sequence
from typing import Any

import gymnasium as gym
import numpy as np
from gymnasium import spaces

from .grid_maps import GRID_WORLD
from .grid_model import ACTION_NAMES, CLIFF, GridModel
from .labels import FAILURE, SUCCESS, Outcome

REACHED_GOAL = Outcome("reached the goal", SUCCESS)
FELL_IN_HOLE = Outcome("fell in a hole", FAILURE)
FELL_OFF_CLIFF = Outcome("fell off the cliff: back to the start", FAILURE)
RESET_INFO = {"prob": 1.0}  # what reset's info holds: the start is drawn, not a transition


def check_action(action: Any, n_actions: int) -> int:
    """Return `action` as an int, or raise a ValueError that names the action space."""
    try:
        a = operator.index(action)
    except TypeError:
        a = None
    if a is None or not 0 <= a < n_actions:
        raise ValueError(
            f"action {action!r} is not in the action space Discrete({n_actions}) "
            f"({', '.join(f'{i}={name}' for i, name in enumerate(ACTION_NAMES))})"
        )
    return a


class GridWorldEnv(gym.Env):
    """A grid world from a text map (see :mod:`rl_kit.envs.grid_model` for the symbols and dynamics).

    Args:
        map: the map as text, a list of rows, or the path of a text file.
        render_mode: ``"human"``, ``"rgb_array"``, ``"ansi"`` or None.
        **options: the dynamics, passed to :class:`~rl_kit.envs.grid_model.GridModel`:
        slip: probability that a move goes to one of the two perpendicular directions instead.
        wind: per column, how many cells the wind pushes the agent up (negative: down).
        step_reward: reward of an ordinary move.
        goal_reward: reward for entering a goal ``G`` (terminal).
        hole_reward: reward for entering a hole ``H`` (terminal).
        cliff_reward: reward for entering a cliff ``C`` (back to the start).

    Observation: ``Discrete(rows * cols)``, the index ``row * cols + col``.
    Actions: ``Discrete(4)``: 0 left, 1 down, 2 right, 3 up.
    Info: ``prob`` of the sampled outcome and ``is_success`` (True on entering a goal); on the
    step that ends an episode, and on a fall off a cliff, ``outcome`` says what happened in words
    and ``outcome_kind`` whether it went well (:class:`~rl_kit.envs.labels.Outcome`).
    """

    metadata = {"render_modes": ["human", "rgb_array", "ansi"], "render_fps": 4}
    action_names = ACTION_NAMES

    def __init__(
        self,
        map: str | Sequence[str] = GRID_WORLD,
        *,
        render_mode: str | None = None,
        **options: Any,
    ):
        self.model = GridModel.from_map(map, **options)
        if render_mode is not None and render_mode not in self.metadata["render_modes"]:
            raise ValueError(f"render_mode {render_mode!r} is not one of {self.metadata['render_modes']}")
        self.render_mode = render_mode
        self.P = self.model.P
        self.initial_state_distrib = self.model.initial_state_distribution  # as toy-text envs name it
        self.observation_space = spaces.Discrete(self.model.n_states)
        self.action_space = spaces.Discrete(self.model.n_actions)
        self.s = int(self.model.start_states[0])
        self.last_action: int | None = None
        self.overlay_values: np.ndarray | None = None
        self.overlay_actions: np.ndarray | None = None
        self.overlay_range: tuple[float, float] | None = None
        self.trail: deque[int] = deque(maxlen=0)  # the cells visited last, drawn fading (show_trail)
        self._cliffs = bool(np.any([self.model.symbol(s) == CLIFF for s in range(self.model.n_states)]))
        self._renderer: Any = None  # a rendering.Renderer, made at the first frame (pygame loads then)

    def reset(self, *, seed: int | None = None, options: dict[str, Any] | None = None):
        super().reset(seed=seed)
        if options:
            raise ValueError(f"unknown reset options {sorted(options)}: GridWorld takes none")
        self.s = int(self.model.start_from_uniform(self.np_random.random()))
        self.last_action = None
        self.trail.clear()
        if self.render_mode == "human":
            self.render()
        return self.s, dict(RESET_INFO)

    def step(self, action):
        a = check_action(action, 4)
        cum_prob, outcomes = self.model.step_table[self.s][a]
        # One uniform draw per step, always: the vector env draws the same, so they replay alike.
        k = bisect_right(cum_prob, self.np_random.random())
        if self.trail.maxlen:
            self.trail.append(self.s)
        prob, self.s, reward, terminated = outcomes[k]
        self.last_action = a
        success = bool(terminated and self.model.goal_states[self.s])
        info: dict[str, Any] = {"prob": prob, "is_success": success}
        if terminated:
            info.update((REACHED_GOAL if success else FELL_IN_HOLE).as_info())
        elif self._cliffs and reward == self.model.cliff_reward and self.s == self.model.start_states[0]:
            info.update(FELL_OFF_CLIFF.as_info())
        if self.render_mode == "human":
            self.render()
        return self.s, reward, terminated, False, info

    # --- rendering --------------------------------------------------------------------------
    def set_overlay(
        self,
        values: np.ndarray | None = None,
        actions: np.ndarray | None = None,
        value_range: tuple[float, float] | None = None,
    ) -> None:
        """Draw per-state `values` as a heat map over `value_range` (default: their range on open
        cells) and greedy `actions` as arrows (None clears)."""
        n = self.model.n_states
        for name, array in (("values", values), ("actions", actions)):
            if array is not None and np.shape(array) != (n,):
                raise ValueError(f"overlay {name} must have shape ({n},), got {np.shape(array)}")
        self.overlay_values = None if values is None else np.asarray(values, dtype=float)
        self.overlay_actions = None if actions is None else np.asarray(actions, dtype=int)
        self.overlay_range = value_range

    def show_trail(self, length: int) -> None:
        """Draw the last `length` cells the agent left, fading with age (0: no trail)."""
        self.trail = deque(self.trail, maxlen=max(int(length), 0))

    def render(self):
        if self.render_mode is None:
            gym.logger.warn(
                "render() was called without a render_mode; "
                'pass render_mode="rgb_array", "human" or "ansi" to gymnasium.make'
            )
            return None
        if self.render_mode == "ansi":
            return self._render_text()
        from .rendering import GridPainter, Renderer

        if self._renderer is None:
            painter = GridPainter(self.model)
            self._renderer = Renderer(painter.size, "rl-kit GridWorld", self.render_mode, self.metadata["render_fps"])
            self._painter = painter
        self._painter.draw(
            self._renderer.canvas,
            self.s,
            self.last_action,
            values=self.overlay_values,
            actions=self.overlay_actions,
            value_range=self.overlay_range,
            trail=self.trail,
        )
        return self._renderer.present()

    def _render_text(self) -> str:
        r0, c0 = self.model.cell(self.s)
        lines = [
            "".join("@" if (r, c) == (r0, c0) else ch for c, ch in enumerate(row))
            for r, row in enumerate(self.model.rows)
        ]
        if self.last_action is not None:
            lines.append(f"({ACTION_NAMES[self.last_action]})")
        return "\n".join(lines) + "\n"

    def close(self):
        if self._renderer is not None:
            self._renderer.close()
            self._renderer = None
