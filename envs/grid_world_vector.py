"""GridWorldVectorEnv: ``num_envs`` grid worlds stepped together with numpy, no Python loop.

Registered as the ``vector_entry_point`` of every grid id, so
``gymnasium.make_vec(id, num_envs=N, vectorization_mode="vector_entry_point")`` returns it.
It samples from the same :class:`~rl_kit.envs.grid_model.GridModel` arrays with the same rule as
:class:`~rl_kit.envs.grid_world.GridWorldEnv` (one uniform draw per env per step, then one per reset),
so with ``num_envs=1`` and the same seed both produce the same trajectory.

Autoreset (Gymnasium's ``SAME_STEP``), the time limit, ``info["final_obs"]`` with its masks, the
training state and the frames are :class:`~rl_kit.envs.vector_base.ArrayVectorEnv`'s, as for every
native vector env; this module says only how grid worlds step.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
from gymnasium import spaces

from .grid_maps import GRID_WORLD
from .grid_model import CLIFF, GridModel
from .grid_world import FELL_IN_HOLE, FELL_OFF_CLIFF, REACHED_GOAL, RESET_INFO
from .labels import FAILURE
from .vector_base import ArrayVectorEnv, StepInfo


class GridWorldVectorEnv(ArrayVectorEnv):
    """``num_envs`` copies of a :class:`~rl_kit.envs.grid_world.GridWorldEnv`.

    Args:
        num_envs: how many grid worlds to step together.
        map, **options: the map and dynamics, as for :class:`~rl_kit.envs.grid_world.GridWorldEnv`.
        max_episode_steps: truncate an episode after this many steps (None: never).
        render_mode: ``"rgb_array"`` (one frame per sub-env) or None.
    """

    metadata = {**ArrayVectorEnv.metadata, "render_fps": 4}
    reset_info = RESET_INFO
    title = "rl-kit GridWorld"

    def __init__(
        self,
        num_envs: int = 1,
        map: str | Sequence[str] = GRID_WORLD,
        *,
        max_episode_steps: int | None = None,
        render_mode: str | None = None,
        **options: Any,
    ):
        self.model = m = GridModel.from_map(map, **options)
        super().__init__(
            num_envs,
            spaces.Discrete(m.n_states),
            spaces.Discrete(m.n_actions),
            np.zeros(max(int(num_envs), 1), dtype=np.int64),
            max_episode_steps=max_episode_steps,
            render_mode=render_mode,
        )
        # the model's arrays with rows indexed by s * 4 + a, for one fancy index per step
        self._K = m.outcomes_per_action
        self._cum_prob = m.cum_prob.reshape(-1, self._K)
        self._next_state = m.next_state.reshape(-1)
        self._reward = m.reward.reshape(-1)
        self._terminated = m.terminated.reshape(-1)
        self._prob = m.prob.reshape(-1)
        self._cliffs = bool(np.any([m.symbol(s) == CLIFF for s in range(m.n_states)]))
        self._painter: Any = None  # a rendering.GridPainter, made at the first frame

    def initial_states(self, n: int) -> np.ndarray:
        return self.model.start_from_uniform(self.np_random.random(n))

    def check_actions(self, actions) -> np.ndarray:
        actions = np.asarray(actions)
        if (
            actions.shape != (self.num_envs,)
            or actions.dtype.kind not in "iu"
            or ((actions < 0) | (actions >= 4)).any()
        ):
            raise ValueError(
                f"actions must be {self.num_envs} integers in [0, 4) (0=left 1=down 2=right 3=up), got {actions!r}"
            )
        return actions

    def transition(self, states, actions):
        rows = states * 4 + actions
        u = self.np_random.random(self.num_envs)
        index = rows if self._K == 1 else rows * self._K + (u[:, None] >= self._cum_prob[rows]).sum(axis=1)
        next_states, rewards, terminated = self._next_state[index], self._reward[index], self._terminated[index]
        return next_states, rewards, terminated, self._step_info(index, next_states, rewards, terminated)

    def observations(self, states: np.ndarray) -> np.ndarray:
        return states.copy()

    def _step_info(self, index, next_states, rewards, terminated) -> StepInfo:
        """What each sub-env's single env would put in its step info, with where it would."""
        everywhere = np.ones(self.num_envs, dtype=bool)
        success = terminated & self.model.goal_states[next_states]
        step = {"prob": (self._prob[index], everywhere), "is_success": (success, everywhere)}
        fell = np.zeros(self.num_envs, dtype=bool)
        if self._cliffs:
            fell = ~terminated & (rewards == self.model.cliff_reward) & (next_states == self.model.start_states[0])
        told = terminated | fell
        if told.any():
            outcome = np.where(success, REACHED_GOAL.text, np.where(terminated, FELL_IN_HOLE.text, FELL_OFF_CLIFF.text))
            kind = np.where(success, REACHED_GOAL.kind, FAILURE)
            step["outcome"], step["outcome_kind"] = (outcome.astype(object), told), (kind.astype(object), told)
        return step

    @property
    def frame_size(self) -> tuple[int, int]:
        return self.painter.size

    @property
    def painter(self):
        from .rendering import GridPainter

        if self._painter is None:
            self._painter = GridPainter(self.model)
        return self._painter

    def draw(self, surface, state) -> None:
        self.painter.draw(surface, int(state))
