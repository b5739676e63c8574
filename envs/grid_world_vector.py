"""GridWorldVectorEnv: ``num_envs`` grid worlds stepped together with numpy, no Python loop.

Registered as the ``vector_entry_point`` of every grid id, so
``gymnasium.make_vec(id, num_envs=N, vectorization_mode="vector_entry_point")`` returns it.
It samples from the same :class:`~rl_kit.envs.grid_model.GridModel` arrays with the same rule as
:class:`~rl_kit.envs.grid_world.GridWorldEnv` (one uniform draw per env per step, then one per reset),
so with ``num_envs=1`` and the same seed both produce the same trajectory.

Autoreset is Gymnasium's ``SAME_STEP`` mode: an env that ends is reset within the same ``step``;
the returned observation is the new episode's first, and ``info["final_obs"]`` (with the mask
``info["_final_obs"]``) holds the true last observation. The time limit ``max_episode_steps``
is applied here, since wrappers cannot be used with a vector entry point.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
from gymnasium import spaces
from gymnasium.vector import AutoresetMode, VectorEnv
from gymnasium.vector.utils import batch_space

from .batched import read_reset_mask
from .grid_maps import GRID_WORLD
from .grid_model import CLIFF, GridModel
from .grid_world import FELL_IN_HOLE, FELL_OFF_CLIFF, REACHED_GOAL, RESET_INFO
from .labels import FAILURE
from .vector_info import reset_infos, step_infos


class GridWorldVectorEnv(VectorEnv):
    """``num_envs`` copies of a :class:`~rl_kit.envs.grid_world.GridWorldEnv`.

    Args:
        num_envs: how many grid worlds to step together.
        map, **options: the map and dynamics, as for :class:`~rl_kit.envs.grid_world.GridWorldEnv`.
        max_episode_steps: truncate an episode after this many steps (None: never).
        render_mode: ``"rgb_array"`` (one frame per sub-env) or None.
    """

    metadata = {"render_modes": ["rgb_array"], "render_fps": 4, "autoreset_mode": AutoresetMode.SAME_STEP}

    def __init__(
        self,
        num_envs: int = 1,
        map: str | Sequence[str] = GRID_WORLD,
        *,
        max_episode_steps: int | None = None,
        render_mode: str | None = None,
        **options: Any,
    ):
        if int(num_envs) < 1:
            raise ValueError(f"num_envs must be at least 1, got {num_envs}")
        self.model = GridModel.from_map(map, **options)
        if render_mode not in (None, "rgb_array"):
            raise ValueError(f"render_mode {render_mode!r} is not supported by the vector env (use 'rgb_array')")
        self.num_envs = int(num_envs)
        self.render_mode = render_mode
        self.max_episode_steps = max_episode_steps
        self.single_observation_space = spaces.Discrete(self.model.n_states)
        self.single_action_space = spaces.Discrete(self.model.n_actions)
        self.observation_space = batch_space(self.single_observation_space, self.num_envs)
        self.action_space = batch_space(self.single_action_space, self.num_envs)

        m = self.model
        self._K = m.outcomes_per_action
        self._cum_prob = m.cum_prob.reshape(-1, self._K)  # rows indexed by s * 4 + a
        self._next_state = m.next_state.reshape(-1)
        self._reward = m.reward.reshape(-1)
        self._terminated = m.terminated.reshape(-1)
        self._prob = m.prob.reshape(-1)
        self._states = np.zeros(self.num_envs, dtype=np.int64)
        self._elapsed = np.zeros(self.num_envs, dtype=np.int64)
        self._renderer = None
        self._cliffs = bool(np.any([m.symbol(s) == CLIFF for s in range(m.n_states)]))

    def reset(self, *, seed: int | None = None, options: dict[str, Any] | None = None):
        super().reset(seed=seed)
        mask = read_reset_mask(options, self.num_envs)
        self._states[mask] = self.model.start_from_uniform(self.np_random.random(int(mask.sum())))
        self._elapsed[mask] = 0
        return self._states.copy(), reset_infos(RESET_INFO, mask)

    def step(self, actions):
        actions = np.asarray(actions)
        if (
            actions.shape != (self.num_envs,)
            or actions.dtype.kind not in "iu"
            or ((actions < 0) | (actions >= 4)).any()
        ):
            raise ValueError(
                f"actions must be {self.num_envs} integers in [0, 4) (0=left 1=down 2=right 3=up), got {actions!r}"
            )
        rows = self._states * 4 + actions
        u = self.np_random.random(self.num_envs)
        if self._K == 1:
            index = rows
        else:
            index = rows * self._K + (u[:, None] >= self._cum_prob[rows]).sum(axis=1)
        next_states = self._next_state[index]
        rewards = self._reward[index]
        terminated = self._terminated[index]
        self._elapsed += 1
        if self.max_episode_steps is None:
            truncated = np.zeros(self.num_envs, dtype=bool)
        else:
            truncated = (self._elapsed >= self.max_episode_steps) & ~terminated
        self._states = next_states
        done = terminated | truncated
        final_obs = None
        if done.any():
            final_obs = np.full(self.num_envs, None, dtype=object)
            final_obs[done] = list(next_states[done])
            self._states = next_states.copy()
            self._states[done] = self.model.start_from_uniform(self.np_random.random(int(done.sum())))
            self._elapsed[done] = 0
        infos = step_infos(self._step_info(index, next_states, rewards, terminated), done, RESET_INFO, final_obs)
        return self._states.copy(), rewards, terminated, truncated, infos

    def _step_info(self, index, next_states, rewards, terminated) -> dict[str, tuple[np.ndarray, np.ndarray]]:
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

    def training_state(self) -> tuple[dict[str, np.ndarray], dict]:
        """The sub-envs' states, step counters and generator: what resuming training exactly needs."""
        return {"states": self._states.copy(), "elapsed": self._elapsed.copy()}, {
            "rng": self.np_random.bit_generator.state
        }

    def load_training_state(self, arrays: dict[str, np.ndarray], rest: dict) -> None:
        self._states, self._elapsed = np.array(arrays["states"]), np.array(arrays["elapsed"])
        self.np_random.bit_generator.state = rest["rng"]

    def render(self):
        """Frames of every sub-env as a list of RGB arrays (like Gymnasium's vector envs)."""
        if self.render_mode is None:
            return None
        from .rendering import GridPainter, Renderer

        if self._renderer is None:
            self._painter = GridPainter(self.model)
            self._renderer = Renderer(self._painter.size, "rl-kit GridWorld", "rgb_array", self.metadata["render_fps"])
        frames = []
        for state in self._states:
            self._painter.draw(self._renderer.canvas, int(state))
            frames.append(self._renderer.present())
        return frames
