"""Control envs written once, as batched numpy dynamics, served as a single and a vector env.

An env's physics is a :class:`Dynamics`: it acts on a float array of states, one row per env,
so the same code steps 1 env (:class:`BatchedEnv`, a ``gymnasium.Env``) or thousands
(:class:`BatchedVectorEnv`, a ``gymnasium.vector.VectorEnv`` on :class:`~.vector_base.ArrayVectorEnv`,
``SAME_STEP`` autoreset). Both
draw their random numbers in the same order from their ``np_random``, so with one env and the
same seed they produce the same trajectory.
"""

from __future__ import annotations

from typing import Any, ClassVar

import gymnasium as gym
import numpy as np
from gymnasium import spaces

from .labels import SUCCESS, Outcome
from .vector_base import ArrayVectorEnv, StepInfo


class Dynamics:
    """The physics of one kind of env over a batch of states (subclasses fill these in)."""

    observation_space: spaces.Space
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

    def observations(self, states: np.ndarray) -> np.ndarray:
        """What the agent sees of `states`, one row per state."""
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
            ok = actions.shape == (n, *(space.shape or ())) and actions.dtype.kind == "f" and np.isfinite(actions).all()
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
        self._renderer: Any = None  # a rendering.Renderer, made at the first frame (pygame loads then)
        self.last_action = None

    @property
    def action_names(self) -> tuple[str, ...] | None:
        return self.dynamics.action_names

    @property
    def feature_names(self) -> tuple[str, ...] | None:
        return getattr(self.dynamics, "feature_names", None)

    @property
    def channel_names(self) -> tuple[str, ...] | None:
        """What each channel of an image observation shows, where the env says."""
        return getattr(self.dynamics, "channel_names", None)

    def reset(self, *, seed: int | None = None, options: dict[str, Any] | None = None):
        super().reset(seed=seed)
        if options:
            raise ValueError(f"unknown reset options {sorted(options)}: {type(self).__name__} takes none")
        self.state = self.dynamics.initial_states(1, self.np_random)
        if self.render_mode == "human":
            self.render()
        return self.dynamics.observations(self.state)[0], {}

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
        info: dict[str, Any] = {"is_success": bool(terminated[0] and self.dynamics.is_success(self.state)[0])}
        if terminated[0]:
            info.update(self.dynamics.outcome(self.state[0]).as_info())
        if self.render_mode == "human":
            self.render()
        return self.dynamics.observations(self.state)[0], float(reward[0]), bool(terminated[0]), False, info

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


class BatchedVectorEnv(ArrayVectorEnv):
    """``num_envs`` envs from a :class:`Dynamics`, stepped together (``SAME_STEP`` autoreset;
    the time limit, ``final_obs``, training state and frames are :class:`ArrayVectorEnv`'s).

    Args:
        num_envs: how many envs.
        max_episode_steps: truncate episodes after this many steps (None: never).
        render_mode: ``"rgb_array"`` (a frame per env) or None.
        **options: the env's own options.
    """

    dynamics_class: ClassVar[type[Dynamics]]

    def __init__(
        self, num_envs: int = 1, *, max_episode_steps: int | None = None, render_mode: str | None = None, **options: Any
    ):
        self.dynamics = self.dynamics_class(**options)
        self.title = self.dynamics.title
        states = self.dynamics.initial_states(max(int(num_envs), 1), np.random.default_rng(0))
        super().__init__(
            num_envs,
            self.dynamics.observation_space,
            self.dynamics.action_space,
            states,
            max_episode_steps=max_episode_steps,
            render_mode=render_mode,
        )

    def initial_states(self, n: int) -> np.ndarray:
        return self.dynamics.initial_states(n, self.np_random)

    def transition(self, states, actions):
        states, rewards, terminated = self.dynamics.step(states, actions, self.np_random)
        everywhere = np.ones(self.num_envs, dtype=bool)
        info: StepInfo = {"is_success": (terminated & self.dynamics.is_success(states), everywhere)}
        if terminated.any():  # the single env tells how it ended in words, from its last state
            texts, kinds = np.full(self.num_envs, None, dtype=object), np.full(self.num_envs, None, dtype=object)
            for i in np.flatnonzero(terminated):
                outcome = self.dynamics.outcome(states[i])
                texts[i], kinds[i] = outcome.text, outcome.kind
            info["outcome"], info["outcome_kind"] = (texts, terminated), (kinds, terminated)
        return states, rewards, terminated, info

    def observations(self, states: np.ndarray) -> np.ndarray:
        return self.dynamics.observations(states)

    def check_actions(self, actions) -> np.ndarray:
        return self.dynamics.check_actions(actions, self.num_envs)

    @property
    def frame_size(self) -> tuple[int, int]:
        return self.dynamics.size

    def draw(self, surface, state: np.ndarray) -> None:
        self.dynamics.draw(surface, state)
