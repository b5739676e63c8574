"""The one base of our native vector envs: ``num_envs`` envs whose states are one numpy array.

:class:`ArrayVectorEnv` owns what every native vector env does the same way, written once:
Gymnasium's ``SAME_STEP`` autoreset (an env that ends is reset within the same ``step``; the
returned observation is the new episode's first), the time limit ``max_episode_steps`` (wrappers
cannot be used with a vector entry point), ``info["final_obs"]`` and the ``_key`` masks of
Gymnasium's vector info (:mod:`.vector_info`), ``reset_mask``, the training state that resuming
needs, and rendering a frame per env. A subclass says only what its envs are:

- :meth:`ArrayVectorEnv.initial_states`: ``n`` fresh states, drawn from ``self.np_random``;
- :meth:`ArrayVectorEnv.transition`: next states, rewards, terminated flags and the step info;
- :meth:`ArrayVectorEnv.observations`: what the agent sees of states;
- :meth:`ArrayVectorEnv.check_actions`, :meth:`ArrayVectorEnv.draw`, ``frame_size``, ``title``.

The random numbers are drawn in one order, the transition's first and then the resets', so a
vector env of one and its single env, seeded alike, step through the same trajectory.
"""

from __future__ import annotations

from typing import Any, ClassVar

import numpy as np
from gymnasium import spaces
from gymnasium.vector import AutoresetMode, VectorEnv
from gymnasium.vector.utils import batch_space

from .vector_info import reset_infos, step_infos

StepInfo = dict[str, tuple[Any, np.ndarray]]  # per key: values for every env, and where they hold


def read_reset_mask(options: dict[str, Any] | None, num_envs: int) -> np.ndarray:
    """The sub-envs a vector reset applies to: ``options["reset_mask"]`` (Gymnasium's
    convention), or all; any other option is an error that names it."""
    options = dict(options or {})
    mask = options.pop("reset_mask", None)
    if options:
        raise ValueError(f"unknown reset options {sorted(options)}: only 'reset_mask' is accepted")
    if mask is None:
        return np.ones(num_envs, dtype=bool)
    if np.shape(mask) != (num_envs,) or np.asarray(mask).dtype != np.bool_:
        raise ValueError(f"options['reset_mask'] must be a bool array of shape ({num_envs},)")
    return np.asarray(mask)


class ArrayVectorEnv(VectorEnv):
    """``num_envs`` envs stepped together, their states one array with a row per env.

    Args:
        num_envs: how many envs.
        observation_space, action_space: one env's spaces.
        states: the states before the first reset (their shape and dtype are kept).
        max_episode_steps: truncate episodes after this many steps (None: never).
        render_mode: ``"rgb_array"`` (a frame per env) or None.
    """

    metadata: dict[str, Any] = {
        "render_modes": ["rgb_array"],
        "render_fps": 30,
        "autoreset_mode": AutoresetMode.SAME_STEP,
    }
    reset_info: ClassVar[dict[str, Any]] = {}  # what one env's reset puts in its info
    title: str = "rl-kit"

    def __init__(
        self,
        num_envs: int,
        observation_space: spaces.Space,
        action_space: spaces.Space,
        states: np.ndarray,
        *,
        max_episode_steps: int | None = None,
        render_mode: str | None = None,
    ):
        if int(num_envs) < 1:
            raise ValueError(f"num_envs must be at least 1, got {num_envs}")
        if render_mode not in (None, "rgb_array"):
            raise ValueError(f"render_mode {render_mode!r} is not supported by the vector env (use 'rgb_array')")
        self.num_envs = int(num_envs)
        self.max_episode_steps = max_episode_steps
        self.render_mode = render_mode
        self.single_observation_space, self.single_action_space = observation_space, action_space
        self.observation_space = batch_space(observation_space, self.num_envs)
        self.action_space = batch_space(action_space, self.num_envs)
        self.states = states
        self.elapsed = np.zeros(self.num_envs, dtype=np.int64)
        self._renderer: Any = None  # a rendering.Renderer, made at the first frame (pygame loads then)

    # What a subclass says about its envs.

    def initial_states(self, n: int) -> np.ndarray:
        """`n` fresh states, drawn from ``self.np_random``."""
        raise NotImplementedError

    def transition(
        self, states: np.ndarray, actions: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray, StepInfo]:
        """One step of every env: next states, rewards, terminated flags, and what each env's
        single version would put in its step info (per key: values and where they hold)."""
        raise NotImplementedError

    def observations(self, states: np.ndarray) -> np.ndarray:
        """What the agent sees of `states`, one row per env."""
        raise NotImplementedError

    def check_actions(self, actions: Any) -> np.ndarray:
        """`actions` as an array of ``num_envs``, or a ValueError that names the action space."""
        return np.asarray(actions)

    @property
    def frame_size(self) -> tuple[int, int]:
        """Pixels of one env's frame."""
        raise NotImplementedError

    def draw(self, surface, state: np.ndarray) -> None:
        """Paint one env's `state` on a pygame surface of :attr:`frame_size`."""
        raise NotImplementedError

    # What every native vector env does alike.

    def reset(self, *, seed: int | None = None, options: dict[str, Any] | None = None):
        super().reset(seed=seed)
        mask = read_reset_mask(options, self.num_envs)
        self.states[mask] = self.initial_states(int(mask.sum()))
        self.elapsed[mask] = 0
        return self.observations(self.states), reset_infos(self.reset_info, mask)

    def step(self, actions):
        actions = self.check_actions(actions)
        self.states, rewards, terminated, info = self.transition(self.states, actions)
        self.elapsed += 1
        truncated = np.zeros(self.num_envs, dtype=bool)
        if self.max_episode_steps is not None:
            truncated = (self.elapsed >= self.max_episode_steps) & ~terminated
        obs = self.observations(self.states)
        done = terminated | truncated
        final_obs = None
        if done.any():
            final_obs = np.full(self.num_envs, None, dtype=object)
            for i in np.flatnonzero(done):  # element by element: numpy would stack equal-shaped rows
                final_obs[i] = obs[i]
            self.states = self.states.copy()  # the transition's array may be a table's
            self.states[done] = self.initial_states(int(done.sum()))
            self.elapsed[done] = 0
            obs = obs.copy()
            obs[done] = self.observations(self.states[done])
        return obs, rewards, terminated, truncated, step_infos(info, done, self.reset_info, final_obs)

    def training_state(self) -> tuple[dict[str, np.ndarray], dict]:
        """The sub-envs' states, step counters and generator: what resuming training exactly needs."""
        arrays = {"states": self.states.copy(), "elapsed": self.elapsed.copy()}
        return arrays, {"rng": self.np_random.bit_generator.state}

    def load_training_state(self, arrays: dict[str, np.ndarray], rest: dict) -> None:
        self.states, self.elapsed = np.array(arrays["states"]), np.array(arrays["elapsed"])
        self.np_random.bit_generator.state = rest["rng"]

    def render(self):
        """Frames of every sub-env as a list of RGB arrays (like Gymnasium's vector envs)."""
        if self.render_mode is None:
            return None
        from .rendering import Renderer

        if self._renderer is None:
            self._renderer = Renderer(self.frame_size, self.title, "rgb_array", self.metadata["render_fps"])
        frames = []
        for state in self.states:
            self.draw(self._renderer.canvas, state)
            frames.append(self._renderer.present())
        return frames

    def close_extras(self, **kwargs: Any) -> None:
        if self._renderer is not None:
            self._renderer.close()
            self._renderer = None
