"""Control envs written once, as batched numpy dynamics, served as a single and a vector env.

An env's physics is a :class:`Dynamics`: it acts on a float array of states, one row per env,
so the same code steps 1 env (:class:`BatchedEnv`, a ``gymnasium.Env``) or thousands
(:class:`BatchedVectorEnv`, a ``gymnasium.vector.VectorEnv``, ``SAME_STEP`` autoreset). Both
draw their random numbers in the same order from their ``np_random``, so with one env and the
same seed they produce the same trajectory.
"""

from __future__ import annotations

from typing import Any, ClassVar

import gymnasium as gym
import numpy as np
from gymnasium import spaces
from gymnasium.vector import AutoresetMode, VectorEnv
from gymnasium.vector.utils import batch_space

from .labels import SUCCESS, Outcome
from .vector_info import step_infos


class Dynamics:
    """The physics of one kind of env over a batch of states (subclasses fill these in)."""

    observation_space: spaces.Box
    action_space: spaces.Space
    state_size: int
    size: tuple[int, int] = (400, 400)  # pixels of a frame
    title: str = "rl-kit"
    action_names: tuple[str, ...] | None = None  # one per discrete action or Box dimension

    def initial_states(self, n: int, rng: np.random.Generator) -> np.ndarray:
        raise NotImplementedError

    def step(
        self, states: np.ndarray, actions: np.ndarray, rng: np.random.Generator
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """New states, rewards and terminated flags (arrays of n)."""
        raise NotImplementedError

    def observe(self, states: np.ndarray) -> np.ndarray:
        raise NotImplementedError

    def is_success(self, states: np.ndarray) -> np.ndarray:
        return np.zeros(len(states), dtype=bool)

    def outcome(self, state: np.ndarray) -> Outcome:
        """How an episode that terminated in `state` ended, in words."""
        return Outcome("reached the goal", SUCCESS) if self.is_success(state[None])[0] else Outcome("episode ended")

    def draw(self, surface, state: np.ndarray) -> None:
        raise NotImplementedError

    def check_actions(self, actions, n: int) -> np.ndarray:
        """Actions as an array of n, or a ValueError that names the action space."""
        space = self.action_space
        actions = np.asarray(actions)
        if isinstance(space, spaces.Discrete):
            ok = actions.shape == (n,) and actions.dtype.kind in "iu" and ((actions >= 0) & (actions < space.n)).all()
        else:
            ok = actions.shape == (n, *space.shape) and actions.dtype.kind == "f" and np.isfinite(actions).all()
        if not ok:
            raise ValueError(f"action(s) {actions!r} are not in the action space {space}")
        return actions if isinstance(space, spaces.Discrete) else actions.astype(np.float64)


class BatchedEnv(gym.Env):
    """One env from a :class:`Dynamics` (subclasses set ``dynamics_class``)."""

    dynamics_class: ClassVar[type[Dynamics]]
    metadata = {"render_modes": ["human", "rgb_array"], "render_fps": 30}

    def __init__(self, render_mode: str | None = None, **options: Any):
        self.dynamics = self.dynamics_class(**options)
        if render_mode is not None and render_mode not in self.metadata["render_modes"]:
            raise ValueError(f"render_mode {render_mode!r} is not one of {self.metadata['render_modes']}")
        self.render_mode = render_mode
        self.observation_space = self.dynamics.observation_space
        self.action_space = self.dynamics.action_space
        self.state = self.dynamics.initial_states(1, np.random.default_rng(0))
        self._renderer = None
        self.last_action = None

    @property
    def action_names(self) -> tuple[str, ...] | None:
        return self.dynamics.action_names

    @property
    def feature_names(self) -> tuple[str, ...] | None:
        return getattr(self.dynamics, "feature_names", None)

    def reset(self, *, seed: int | None = None, options: dict[str, Any] | None = None):
        super().reset(seed=seed)
        if options:
            raise ValueError(f"unknown reset options {sorted(options)}: {type(self).__name__} takes none")
        self.state = self.dynamics.initial_states(1, self.np_random)
        if self.render_mode == "human":
            self.render()
        return self.dynamics.observe(self.state)[0], {}

    def step(self, action):
        if isinstance(self.action_space, spaces.Discrete):
            try:
                action = np.array([int(np.asarray(action).item())])
            except (TypeError, ValueError):
                raise ValueError(f"action {action!r} is not in the action space {self.action_space}") from None
        else:
            action = np.asarray(action, dtype=np.float64)[None]
        actions = self.dynamics.check_actions(action, 1)
        self.state, reward, terminated = self.dynamics.step(self.state, actions, self.np_random)
        self.last_action = actions[0]
        info = {"is_success": bool(terminated[0] and self.dynamics.is_success(self.state)[0])}
        if terminated[0]:
            info.update(self.dynamics.outcome(self.state[0]).as_info())
        if self.render_mode == "human":
            self.render()
        return self.dynamics.observe(self.state)[0], float(reward[0]), bool(terminated[0]), False, info

    def render(self):
        if self.render_mode is None:
            gym.logger.warn('render() was called without a render_mode; pass render_mode="rgb_array" or "human"')
            return None
        from .rendering import Renderer

        if self._renderer is None:
            self._renderer = Renderer(
                self.dynamics.size, self.dynamics.title, self.render_mode, self.metadata["render_fps"]
            )
        self.dynamics.draw(self._renderer.canvas, self.state[0])
        return self._renderer.present()

    def close(self):
        if self._renderer is not None:
            self._renderer.close()
            self._renderer = None


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


class BatchedVectorEnv(VectorEnv):
    """``num_envs`` envs from a :class:`Dynamics`, stepped together (``SAME_STEP`` autoreset).

    Args:
        num_envs: how many envs.
        max_episode_steps: truncate episodes after this many steps (None: never).
        render_mode: ``"rgb_array"`` (a frame per env) or None.
        **options: the env's own options.
    """

    dynamics_class: ClassVar[type[Dynamics]]
    metadata = {"render_modes": ["rgb_array"], "render_fps": 30, "autoreset_mode": AutoresetMode.SAME_STEP}

    def __init__(
        self, num_envs: int = 1, *, max_episode_steps: int | None = None, render_mode: str | None = None, **options: Any
    ):
        if int(num_envs) < 1:
            raise ValueError(f"num_envs must be at least 1, got {num_envs}")
        if render_mode not in (None, "rgb_array"):
            raise ValueError(f"render_mode {render_mode!r} is not supported by the vector env (use 'rgb_array')")
        self.dynamics = self.dynamics_class(**options)
        self.num_envs = int(num_envs)
        self.max_episode_steps = max_episode_steps
        self.render_mode = render_mode
        self.single_observation_space = self.dynamics.observation_space
        self.single_action_space = self.dynamics.action_space
        self.observation_space = batch_space(self.single_observation_space, self.num_envs)
        self.action_space = batch_space(self.single_action_space, self.num_envs)
        self.states = self.dynamics.initial_states(self.num_envs, np.random.default_rng(0))
        self.elapsed = np.zeros(self.num_envs, dtype=np.int64)
        self._renderer = None

    def reset(self, *, seed: int | None = None, options: dict[str, Any] | None = None):
        super().reset(seed=seed)
        mask = read_reset_mask(options, self.num_envs)
        self.states[mask] = self.dynamics.initial_states(int(mask.sum()), self.np_random)
        self.elapsed[mask] = 0
        return self.dynamics.observe(self.states), {}

    def step(self, actions):
        actions = self.dynamics.check_actions(actions, self.num_envs)
        self.states, rewards, terminated = self.dynamics.step(self.states, actions, self.np_random)
        self.elapsed += 1
        truncated = np.zeros(self.num_envs, dtype=bool)
        if self.max_episode_steps is not None:
            truncated = (self.elapsed >= self.max_episode_steps) & ~terminated
        obs = self.dynamics.observe(self.states)
        done = terminated | truncated
        everywhere = np.ones(self.num_envs, dtype=bool)
        step = {"is_success": (terminated & self.dynamics.is_success(self.states), everywhere)}
        if terminated.any():  # the single env tells how it ended in words, from its last state
            ended = np.flatnonzero(terminated)
            outcomes = {i: self.dynamics.outcome(self.states[i]) for i in ended}
            texts, kinds = np.full(self.num_envs, None, dtype=object), np.full(self.num_envs, None, dtype=object)
            for i, outcome in outcomes.items():
                texts[i], kinds[i] = outcome.text, outcome.kind
            step["outcome"], step["outcome_kind"] = (texts, terminated), (kinds, terminated)
        final_obs = None
        if done.any():
            final_obs = np.full(self.num_envs, None, dtype=object)
            for i in np.flatnonzero(done):  # element by element: numpy would stack equal-shaped rows
                final_obs[i] = obs[i]
            self.states[done] = self.dynamics.initial_states(int(done.sum()), self.np_random)
            self.elapsed[done] = 0
            obs = obs.copy()
            obs[done] = self.dynamics.observe(self.states[done])
        return obs, rewards, terminated, truncated, step_infos(step, done, {}, final_obs)

    def training_state(self) -> tuple[dict[str, np.ndarray], dict]:
        """The sub-envs' states, step counters and generator: what resuming training exactly needs."""
        return {"states": self.states.copy(), "elapsed": self.elapsed.copy()}, {
            "rng": self.np_random.bit_generator.state
        }

    def load_training_state(self, arrays: dict[str, np.ndarray], rest: dict) -> None:
        self.states, self.elapsed = np.array(arrays["states"]), np.array(arrays["elapsed"])
        self.np_random.bit_generator.state = rest["rng"]

    def render(self):
        if self.render_mode is None:
            return None
        from .rendering import Renderer

        if self._renderer is None:
            self._renderer = Renderer(self.dynamics.size, self.dynamics.title, "rgb_array", self.metadata["render_fps"])
        frames = []
        for state in self.states:
            self.dynamics.draw(self._renderer.canvas, state)
            frames.append(self._renderer.present())
        return frames
