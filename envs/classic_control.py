"""Gymnasium's classic-control envs as native vector envs, equal to Gymnasium's own bit for bit.

Acrobot-v1, MountainCar-v0, MountainCarContinuous-v0 and Pendulum-v1 step every sub-env in one
set of numpy operations on a (num_envs, state) array, where Gymnasium's ``SyncVectorEnv`` steps a
Python env per sub-env. For the same seeds and actions they return the same observations,
rewards, terminations, truncations and infos as ``gym.make_vec(id, num_envs, "sync")``, bit for
bit (the tests hold them to it over long random rollouts with resets, the sub-envs' internal
states included), in either autoreset mode:
``NEXT_STEP`` (Gymnasium's default: the step after an episode's end resets that sub-env and
returns its first observation, reward 0) or ``SAME_STEP`` (rl-kit's: the reset happens in the
step that ended the episode, the last observation under ``info["final_obs"]``).

Bit for bit means doing each operation in the dtype Gymnasium's scalar code does it in. Its
envs mix numpy scalars with Python floats, which numpy 2 treats as *weak* (cast to the other
operand's dtype), and a numpy scalar's x**2 is the C library's pow (:func:`square`):
Pendulum's torque term 3.0 * u stays float32, MountainCarContinuous's state is
float64 straight after a reset and float32 after its first step (so its first step is computed in
float64 and the others in float32, constants rounded to float32), and Acrobot's first
observation is the cosine of float32 angles. Each sub-env keeps its own generator, seeded as
the sync env seeds its envs (seed + i), and draws its resets from it alone.

Actions are taken in the action space's dtype (float32 for the Box envs). Only
``options={"reset_mask": ...}`` is accepted at reset; Gymnasium's other reset options (custom
start bounds) are not offered. A frame is drawn by the Gymnasium env itself, given the
sub-env's state.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, ClassVar

import numpy as np
from gymnasium import spaces
from gymnasium.envs.classic_control import acrobot, continuous_mountain_car, mountain_car, pendulum
from gymnasium.utils import seeding
from gymnasium.vector import AutoresetMode, VectorEnv
from gymnasium.vector.utils import batch_space

from .vector_info import step_infos

AUTORESET_MODES = (AutoresetMode.NEXT_STEP, AutoresetMode.SAME_STEP)


class ClassicVectorEnv(VectorEnv):
    """What the four share: per-sub-env generators, the time limit, both autoreset modes.

    Args:
        num_envs: how many sub-envs.
        max_episode_steps: truncate an episode after this many steps (Gymnasium's ``TimeLimit``:
            truncated even on the step that terminates); None: never. ``gym.make_vec`` passes
            the registered limit.
        render_mode: ``"rgb_array"`` or None.
        autoreset_mode: ``AutoresetMode.NEXT_STEP`` (default, as Gymnasium's) or ``SAME_STEP``.
        **env_options: the Gymnasium env's own keyword arguments (Pendulum's ``g``, ...).
    """

    env_class: ClassVar[Callable[..., Any]]  # the Gymnasium env class
    state_size: ClassVar[int]

    def __init__(
        self,
        num_envs: int = 1,
        *,
        max_episode_steps: int | None = None,
        render_mode: str | None = None,
        autoreset_mode: AutoresetMode | str = AutoresetMode.NEXT_STEP,
        **env_options: Any,
    ):
        if int(num_envs) < 1:
            raise ValueError(f"num_envs must be at least 1, got {num_envs}")
        mode = AutoresetMode(autoreset_mode)
        if mode not in AUTORESET_MODES:
            raise ValueError(f"autoreset_mode must be NEXT_STEP or SAME_STEP, got {mode}")
        if render_mode not in (None, "rgb_array"):
            raise ValueError(f"render_mode {render_mode!r} is not supported by the vector env (use 'rgb_array')")
        self.template: Any = self.env_class(render_mode=render_mode, **env_options)  # constants, spaces, drawing
        self.num_envs, self.autoreset_mode, self.max_episode_steps = int(num_envs), mode, max_episode_steps
        self.render_mode = render_mode
        self.metadata = {**self.template.metadata, "render_modes": ["rgb_array"], "autoreset_mode": mode}
        self.single_observation_space = self.template.observation_space
        self.single_action_space = self.template.action_space
        self.observation_space = batch_space(self.single_observation_space, self.num_envs)
        self.action_space = batch_space(self.single_action_space, self.num_envs)
        self.generators: list[np.random.Generator | None] = [None] * self.num_envs
        self.states = np.zeros((self.num_envs, self.state_size))
        self.fresh = np.ones(self.num_envs, dtype=bool)  # reset and not stepped since
        self.elapsed = np.zeros(self.num_envs, dtype=np.int64)
        self.needs_reset = np.zeros(self.num_envs, dtype=bool)  # NEXT_STEP: ended at the last step

    # --- what each env says -------------------------------------------------------------------
    def initial_state(self, rng: np.random.Generator) -> np.ndarray:
        """One sub-env's state after a reset, drawn from its generator as Gymnasium draws it."""
        raise NotImplementedError

    def transition(
        self, states: np.ndarray, fresh: np.ndarray, actions: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Next states, rewards (float64) and terminated flags of every sub-env."""
        raise NotImplementedError

    def observations(self, states: np.ndarray, fresh: np.ndarray) -> np.ndarray:
        """What Gymnasium's env returns for these states (`fresh`: just reset)."""
        raise NotImplementedError

    def set_template_state(self, i: int) -> None:
        """Put sub-env i's state into the Gymnasium env, for drawing."""
        self.template.unwrapped.state = self.states[i].copy()

    # --- resetting ----------------------------------------------------------------------------
    def reset(self, *, seed: int | list[int | None] | None = None, options: dict[str, Any] | None = None):
        seeds = self.seeds(seed)
        options = dict(options or {})
        mask = options.pop("reset_mask", None)
        if options:
            raise ValueError(f"unknown reset options {sorted(options)}: only 'reset_mask' is accepted")
        if mask is None:
            mask = np.ones(self.num_envs, dtype=bool)
        elif not (isinstance(mask, np.ndarray) and mask.shape == (self.num_envs,) and mask.dtype == np.bool_):
            raise ValueError(f"options['reset_mask'] must be a bool array of shape ({self.num_envs},)")
        elif not mask.any():
            raise ValueError("options['reset_mask'] must reset at least one sub-env")
        for i in np.flatnonzero(mask):
            if seeds[i] is not None or self.generators[i] is None:
                self.generators[i] = seeding.np_random(seeds[i])[0]
        self.reset_envs(mask)
        self.needs_reset[mask] = False
        return self.observations(self.states, self.fresh), {}

    def seeds(self, seed: int | list[int | None] | None) -> list[int | None]:
        """One seed per sub-env, as ``SyncVectorEnv`` deals them: seed + i for an int."""
        if seed is None:
            return [None] * self.num_envs
        if isinstance(seed, int):
            return [seed + i for i in range(self.num_envs)]
        if len(seed) != self.num_envs:
            raise ValueError(f"seed lists need one seed per sub-env ({self.num_envs}), got {len(seed)}")
        return list(seed)

    def reset_envs(self, mask: np.ndarray) -> None:
        for i in np.flatnonzero(mask):
            rng = self.generators[i]
            if rng is None:  # stepped before any reset: Gymnasium's env seeds itself at random
                rng = self.generators[i] = seeding.np_random(None)[0]
            self.states[i] = self.initial_state(rng)
        self.fresh[mask] = True
        self.elapsed[mask] = 0

    # --- stepping -----------------------------------------------------------------------------
    def step(self, actions):
        given = np.asarray(actions)
        actions = given.astype(self.single_action_space.dtype, copy=False)
        if actions.shape != self.action_space.shape:
            raise ValueError(f"actions of shape {actions.shape} are not in the action space {self.action_space}")
        if isinstance(self.single_action_space, spaces.Discrete) and (
            given.dtype.kind not in "iu" or actions.min() < 0 or actions.max() >= self.single_action_space.n
        ):
            raise ValueError(f"actions {given!r} are not in the action space {self.action_space}")
        stepping = ~self.needs_reset
        states, rewards, terminated = self.transition(self.states, self.fresh, actions)
        self.states = states if stepping.all() else np.where(stepping[:, None], states, self.states)
        self.fresh &= ~stepping
        self.elapsed += stepping
        rewards = np.where(stepping, rewards, 0.0)
        terminated = terminated & stepping
        truncated = np.zeros(self.num_envs, dtype=bool)
        if self.max_episode_steps is not None:
            truncated = stepping & (self.elapsed >= self.max_episode_steps)
        obs = self.observations(self.states, self.fresh)
        done = terminated | truncated
        if self.autoreset_mode == AutoresetMode.NEXT_STEP:
            if self.needs_reset.any():
                self.reset_envs(self.needs_reset)
                obs[self.needs_reset] = self.observations(self.states[self.needs_reset], self.fresh[self.needs_reset])
            self.needs_reset = done
            return obs, rewards, terminated, truncated, {}
        infos: dict[str, Any] = {}
        if done.any():
            final_obs = np.full(self.num_envs, None, dtype=object)
            for i in np.flatnonzero(done):
                final_obs[i] = obs[i].copy()
            self.reset_envs(done)
            obs[done] = self.observations(self.states[done], self.fresh[done])
            infos = step_infos({}, done, {}, final_obs)
        return obs, rewards, terminated, truncated, infos

    # --- resuming and drawing -----------------------------------------------------------------
    def training_state(self) -> tuple[dict[str, np.ndarray], dict]:
        arrays = {"states": self.states.copy(), "fresh": self.fresh.copy(), "elapsed": self.elapsed.copy(),
                  "needs_reset": self.needs_reset.copy()}  # fmt: skip
        rest = {"generators": [None if g is None else g.bit_generator.state for g in self.generators]}
        return arrays, rest

    def load_training_state(self, arrays: dict[str, np.ndarray], rest: dict) -> None:
        self.states, self.fresh = np.array(arrays["states"]), np.array(arrays["fresh"])
        self.elapsed, self.needs_reset = np.array(arrays["elapsed"]), np.array(arrays["needs_reset"])
        self.generators = []
        for state in rest["generators"]:
            rng = None
            if state is not None:
                rng = seeding.np_random(0)[0]
                rng.bit_generator.state = state
            self.generators.append(rng)

    def render(self):
        if self.render_mode is None:
            return None
        frames = []
        for i in range(self.num_envs):
            self.set_template_state(i)
            frames.append(self.template.render())
        return tuple(frames)

    def close_extras(self, **kwargs: Any) -> None:
        self.template.close()


class PendulumVectorEnv(ClassicVectorEnv):
    """Pendulum-v1: theta' = theta + dt * clip(thetadot + dt (3 g / 2 l sin theta + 3 / m l^2 u))."""

    env_class = pendulum.PendulumEnv
    state_size = 2

    def initial_state(self, rng: np.random.Generator) -> np.ndarray:
        high = np.array([pendulum.DEFAULT_X, pendulum.DEFAULT_Y])
        return rng.uniform(low=-high, high=high)

    def transition(self, states, fresh, actions):
        env = self.template.unwrapped
        th, thdot = states[:, 0], states[:, 1]
        u = np.clip(actions, -env.max_torque, env.max_torque)[:, 0]  # float32, as Gymnasium's u
        self.last_u = np.where(self.needs_reset, np.nan, u)  # the torque each sub-env applied (drawn as an arrow)
        costs = square(pendulum.angle_normalize(th)) + 0.1 * square(thdot) + 0.001 * square(u)
        g, m, length, dt = env.g, env.m, env.l, env.dt
        newthdot = thdot + (3 * g / (2 * length) * np.sin(th) + 3.0 / (m * length**2) * u) * dt
        newthdot = np.clip(newthdot, -env.max_speed, env.max_speed)
        new = np.empty_like(states)
        new[:, 1] = newthdot
        np.add(th, newthdot * dt, out=new[:, 0])
        return new, -costs, np.zeros(len(states), dtype=bool)

    def observations(self, states, fresh):
        obs = np.empty((len(states), 3), dtype=np.float32)
        obs[:, 0], obs[:, 1], obs[:, 2] = np.cos(states[:, 0]), np.sin(states[:, 0]), states[:, 1]
        return obs

    def set_template_state(self, i: int) -> None:
        super().set_template_state(i)
        last_u = getattr(self, "last_u", None)
        applied = None if last_u is None or self.fresh[i] or np.isnan(last_u[i]) else last_u[i]
        self.template.unwrapped.last_u = applied


class MountainCarTwin(ClassicVectorEnv):
    """What both mountain cars share: (position, velocity), at rest in [-0.6, -0.4] after a
    reset, observed as float32."""

    state_size = 2

    def initial_state(self, rng: np.random.Generator) -> np.ndarray:
        return np.array([rng.uniform(low=-0.6, high=-0.4), 0])

    def observations(self, states, fresh):
        return states.astype(np.float32)


class MountainCarVectorEnv(MountainCarTwin):
    """MountainCar-v0: three pushes, v += (a - 1) force - cos(3 x) gravity, -1 a step."""

    env_class = mountain_car.MountainCarEnv

    def transition(self, states, fresh, actions):
        env = self.template.unwrapped
        position, velocity = states[:, 0], states[:, 1]
        velocity = velocity + ((actions - 1) * env.force + np.cos(3 * position) * (-env.gravity))
        velocity = np.clip(velocity, -env.max_speed, env.max_speed)
        position = np.clip(position + velocity, env.min_position, env.max_position)
        velocity = np.where((position == env.min_position) & (velocity < 0), 0.0, velocity)
        terminated = (position >= env.goal_position) & (velocity >= env.goal_velocity)
        return np.stack([position, velocity], axis=1), np.full(len(states), -1.0), terminated

    def set_template_state(self, i: int) -> None:
        self.template.unwrapped.state = (self.states[i, 0], self.states[i, 1])


class MountainCarContinuousVectorEnv(MountainCarTwin):
    """MountainCarContinuous-v0: v += power clip(a, -1, 1) - 0.0025 cos(3 x), 100 at the flag
    less 0.1 a^2 a step. Its state is float64 after a reset and float32 after a step, and
    Gymnasium computes each step in the state's precision; both are computed here, and each
    sub-env takes the one it is in (see the module's docstring)."""

    env_class = continuous_mountain_car.Continuous_MountainCarEnv

    def transition(self, states, fresh, actions):
        env = self.template.unwrapped
        a = actions[:, 0]  # float32
        bound = np.where(a > env.max_action, env.max_action, env.min_action)
        clipped = (a < env.min_action) | (a > env.max_action)  # then the force is a Python float
        wide = self.physics(states[:, 0], states[:, 1], a, bound, clipped, np.float64)
        narrow = self.physics(states[:, 0].astype(np.float32), states[:, 1].astype(np.float32), a, bound, clipped,
                              np.float32)  # fmt: skip
        position, velocity = (np.where(fresh, w, n) for w, n in zip(wide[:2], narrow[:2], strict=True))
        terminated = np.where(fresh, wide[2], narrow[2])
        reward = np.where(terminated, 100.0, 0.0) - a.astype(np.float64) ** 2 * 0.1
        state = np.stack([position, velocity], axis=1).astype(np.float32).astype(np.float64)
        return state, reward, terminated

    def physics(self, position, velocity, a, bound, clipped, dtype):
        """One step with the state in `dtype`, Python floats weak against it, as Gymnasium's scalar code."""
        env = self.template.unwrapped
        cosine = 0.0025 * np.cos((3 * position).astype(np.float64))  # math.cos: double, from the state's 3x
        exact = bound * env.power - cosine  # the force a Python float: the term in double
        rounded = a * env.power - cosine.astype(np.float32)  # the force float32: the term in float32
        term = np.where(clipped, exact.astype(dtype), rounded.astype(dtype))
        velocity = velocity + term
        velocity = np.where(velocity > env.max_speed, dtype(env.max_speed), velocity)
        velocity = np.where(velocity < -env.max_speed, dtype(-env.max_speed), velocity)
        position = position + velocity
        position = np.where(position > env.max_position, dtype(env.max_position), position)
        position = np.where(position < env.min_position, dtype(env.min_position), position)
        velocity = np.where((position == dtype(env.min_position)) & (velocity < 0), dtype(0), velocity)
        terminated = (position >= dtype(env.goal_position)) & (velocity >= dtype(env.goal_velocity))
        return position.astype(dtype), velocity.astype(dtype), terminated

    def set_template_state(self, i: int) -> None:
        dtype = np.float64 if self.fresh[i] else np.float32
        self.template.unwrapped.state = self.states[i].astype(dtype)


class AcrobotVectorEnv(ClassicVectorEnv):
    """Acrobot-v1: two links, torque -1, 0 or 1 on the joint, Runge-Kutta over dt = 0.2."""

    env_class = acrobot.AcrobotEnv
    state_size = 4

    def initial_state(self, rng: np.random.Generator) -> np.ndarray:
        return rng.uniform(low=-0.1, high=0.1, size=(4,)).astype(np.float32)

    def transition(self, states, fresh, actions):
        env = self.template.unwrapped
        y = np.empty((5, len(states)))  # one row per variable: each a contiguous array
        y[:4] = states.T
        y[4] = np.asarray(env.AVAIL_TORQUE, dtype=np.float64)[actions]
        dt = env.dt  # rk4 over [0, dt]: one step of dt
        dt2 = dt / 2.0
        k1 = self.derivatives(y)
        k2 = self.derivatives(y + dt2 * k1)
        k3 = self.derivatives(y + dt2 * k2)
        k4 = self.derivatives(y + dt * k3)
        ns = (y + dt / 6.0 * (k1 + 2 * k2 + 2 * k3 + k4))[:4]
        ns[0], ns[1] = wrap(ns[0], -np.pi, np.pi), wrap(ns[1], -np.pi, np.pi)
        ns[2] = np.minimum(np.maximum(ns[2], -env.MAX_VEL_1), env.MAX_VEL_1)
        ns[3] = np.minimum(np.maximum(ns[3], -env.MAX_VEL_2), env.MAX_VEL_2)
        terminated = -np.cos(ns[0]) - np.cos(ns[1] + ns[0]) > 1.0
        return ns.T.copy(), np.where(terminated, 0.0, -1.0), terminated

    def derivatives(self, y: np.ndarray) -> np.ndarray:
        """Gymnasium's ``_dsdt`` ("book" dynamics) for every column of the rows [theta1, theta2,
        dtheta1, dtheta2, torque]."""
        env = self.template.unwrapped
        m1, m2, l1 = env.LINK_MASS_1, env.LINK_MASS_2, env.LINK_LENGTH_1
        lc1, lc2, i1, i2, g = env.LINK_COM_POS_1, env.LINK_COM_POS_2, env.LINK_MOI, env.LINK_MOI, 9.8
        theta1, theta2, dtheta1, dtheta2, a = y
        pi = np.pi
        cos2, sin2 = np.cos(theta2), np.sin(theta2)  # Gymnasium computes each two or three times: the same values
        d1 = m1 * lc1**2 + m2 * (l1**2 + lc2**2 + 2 * l1 * lc2 * cos2) + i1 + i2
        d2 = m2 * (lc2**2 + l1 * lc2 * cos2) + i2
        phi2 = m2 * lc2 * g * np.cos(theta1 + theta2 - pi / 2.0)
        phi1 = (
            -m2 * l1 * lc2 * square(dtheta2) * sin2
            - 2 * m2 * l1 * lc2 * dtheta2 * dtheta1 * sin2
            + (m1 * lc1 + m2 * l1) * g * np.cos(theta1 - pi / 2)
            + phi2
        )
        if env.book_or_nips == "nips":
            ddtheta2 = (a + d2 / d1 * phi1 - phi2) / (m2 * lc2**2 + i2 - square(d2) / d1)
        else:
            ddtheta2 = (a + d2 / d1 * phi1 - m2 * l1 * lc2 * square(dtheta1) * sin2 - phi2) / (
                m2 * lc2**2 + i2 - square(d2) / d1
            )
        ddtheta1 = -(d2 * ddtheta2 + phi1) / d1
        k = np.empty_like(y)
        k[0], k[1], k[2], k[3], k[4] = dtheta1, dtheta2, ddtheta1, ddtheta2, 0.0  # the torque does not move
        return k

    def observations(self, states, fresh):
        obs = angle_features(states)
        if fresh.any():  # just reset: Gymnasium's state is float32, and so are its cosines
            obs[fresh] = angle_features(states[fresh].astype(np.float32))
        return obs

    def set_template_state(self, i: int) -> None:
        state = self.states[i]
        self.template.unwrapped.state = state.astype(np.float32) if self.fresh[i] else state.copy()


def angle_features(states: np.ndarray) -> np.ndarray:
    """Acrobot's observation [cos th1, sin th1, cos th2, sin th2, dth1, dth2] in float32, the
    trigonometry in the states' own dtype."""
    obs = np.empty((len(states), 6), dtype=np.float32)
    obs[:, 0], obs[:, 1] = np.cos(states[:, 0]), np.sin(states[:, 0])
    obs[:, 2], obs[:, 3] = np.cos(states[:, 1]), np.sin(states[:, 1])
    obs[:, 4:] = states[:, 2:]
    return obs


def square(x: np.ndarray) -> np.ndarray:
    """x**2 as Gymnasium's scalar code computes it: a numpy scalar's power is the C library's pow
    (powf for float32), which is not always x * x rounded, and numpy's array power takes other
    routines (x * x, or SIMD ones). float_power loops over pow itself; float32 has no such loop,
    so its elements are squared as the scalars they are in Gymnasium's code."""
    if x.dtype == np.float64:
        return np.float_power(x, 2)
    return np.array([value**2 for value in x], dtype=x.dtype)


def wrap(x: np.ndarray, low: float, high: float) -> np.ndarray:
    """Gymnasium's ``wrap``: add or subtract the range's width until x is inside, element by element."""
    diff = high - low
    x = x.copy()
    while (above := x > high).any():
        x = np.where(above, x - diff, x)
    while (below := x < low).any():
        x = np.where(below, x + diff, x)
    return x


NATIVE_VECTOR_ENVS: dict[str, type[ClassicVectorEnv]] = {
    "Pendulum-v1": PendulumVectorEnv,
    "MountainCar-v0": MountainCarVectorEnv,
    "MountainCarContinuous-v0": MountainCarContinuousVectorEnv,
    "Acrobot-v1": AcrobotVectorEnv,
}
