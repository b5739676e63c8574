"""What an env's numbers mean, in words: action names, observation feature names, episode outcomes.

rl-kit's own envs carry these themselves (``action_names`` and ``feature_names`` attributes, an
``outcome`` in the ``info`` of the step that ends an episode); Gymnasium's envs name them only
in their documentation, so this module keeps a table for the ones rl-kit supports. Viewers
(``watch``, ``explain``, recordings) ask here, so any env gets labels, named or numbered:

>>> import gymnasium as gym
>>> action_names(gym.make("CartPole-v1"))
['push left', 'push right']
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
from gymnasium import spaces

# Gymnasium's envs, by their spec name (version stripped), as their documentation describes them.
GYMNASIUM_ACTION_NAMES: dict[str, tuple[str, ...]] = {
    "CartPole": ("push left", "push right"),
    "Acrobot": ("torque -1", "torque 0", "torque +1"),
    "MountainCar": ("accelerate left", "coast", "accelerate right"),
    "MountainCarContinuous": ("force",),
    "Pendulum": ("torque",),
    "LunarLander": ("nothing", "left engine", "main engine", "right engine"),
    "LunarLanderContinuous": ("main engine", "side engine"),
    "BipedalWalker": ("hip 1", "knee 1", "hip 2", "knee 2"),
    "FrozenLake": ("left", "down", "right", "up"),
    "FrozenLake8x8": ("left", "down", "right", "up"),
    "CliffWalking": ("up", "right", "down", "left"),
    "Taxi": ("south", "north", "east", "west", "pick up", "drop off"),
    "Blackjack": ("stick", "hit"),
}

GYMNASIUM_FEATURE_NAMES: dict[str, tuple[str, ...]] = {
    "CartPole": ("cart position", "cart velocity", "pole angle", "pole angular velocity"),
    "Acrobot": ("cos theta1", "sin theta1", "cos theta2", "sin theta2", "theta1 velocity", "theta2 velocity"),
    "MountainCar": ("position", "velocity"),
    "MountainCarContinuous": ("position", "velocity"),
    "Pendulum": ("cos theta", "sin theta", "angular velocity"),
    "LunarLander": ("x", "y", "vx", "vy", "angle", "angular_velocity", "left_leg", "right_leg"),
    "LunarLanderContinuous": ("x", "y", "vx", "vy", "angle", "angular_velocity", "left_leg", "right_leg"),
    "Blackjack": ("player sum", "dealer showing", "usable ace"),
}

SUCCESS, FAILURE, TIME_LIMIT, ENDED = "success", "failure", "time limit", "ended"


@dataclass(frozen=True)
class Outcome:
    """How an episode ended (or what just happened in it), in words, and whether it went well:
    `kind` is ``"success"``, ``"failure"``, ``"time limit"`` or ``"ended"`` (neither)."""

    text: str
    kind: str = ENDED

    def as_info(self) -> dict[str, str]:
        """The ``info`` entries an env reports it with."""
        return {"outcome": self.text, "outcome_kind": self.kind}


def _spec_name(env) -> str | None:
    spec = getattr(env, "spec", None) or getattr(getattr(env, "unwrapped", None), "spec", None)
    return None if spec is None else spec.name


def _own(env, name: str):
    """An attribute the env (or its dynamics) defines for itself, through any wrappers."""
    base = getattr(env, "unwrapped", env)
    value = getattr(base, name, None)
    if value is None:
        value = getattr(getattr(base, "dynamics", None), name, None)
    return value


def action_names(env) -> list[str]:
    """One name per discrete action, or per dimension of a Box action: the env's own
    ``action_names``, Gymnasium's documented names, else ``action 0``, ``action 1``, ... ."""
    space = env.action_space
    if isinstance(space, spaces.Discrete):
        count = int(space.n)
        numbered = [f"action {int(space.start) + i}" for i in range(count)]
    elif isinstance(space, spaces.Box):
        count = int(np.prod(space.shape))
        numbered = [f"action[{i}]" for i in range(count)]
    else:
        return []
    names = _own(env, "action_names") or GYMNASIUM_ACTION_NAMES.get(_spec_name(env) or "")
    return list(names) if names and len(names) == count else numbered


def feature_names(env, size: int) -> list[str]:
    """One name per observation feature: the env's own ``feature_names``, Gymnasium's documented
    names, else ``obs[0]``, ``obs[1]``, ... ."""
    names = _own(env, "feature_names") or GYMNASIUM_FEATURE_NAMES.get(_spec_name(env) or "")
    return list(names) if names and len(names) == size else [f"obs[{i}]" for i in range(size)]


def _lunar_lander(obs, reward, terminated, info) -> Outcome | None:
    if not terminated:
        return None
    if abs(float(obs[0])) >= 1.0:
        return Outcome("flew off the screen", FAILURE)
    if reward <= -100:
        return Outcome("crashed", FAILURE)
    if abs(float(obs[0])) <= 0.2:
        return Outcome("landed on the pad", SUCCESS)
    return Outcome("landed off the pad", ENDED)


def _cart_pole(obs, reward, terminated, info) -> Outcome | None:
    if not terminated:
        return None
    return Outcome("the cart left the track" if abs(float(obs[0])) > 2.4 else "the pole fell", FAILURE)


def _blackjack(obs, reward, terminated, info) -> Outcome | None:
    if not terminated:
        return None
    if reward > 0:
        return Outcome("won" + (" with a natural" if reward > 1 else ""), SUCCESS)
    return Outcome("lost", FAILURE) if reward < 0 else Outcome("draw", ENDED)


def _frozen_lake(obs, reward, terminated, info) -> Outcome | None:
    if not terminated:
        return None
    return Outcome("reached the goal", SUCCESS) if reward > 0 else Outcome("fell in a hole", FAILURE)


def _cliff_walking(obs, reward, terminated, info) -> Outcome | None:
    if terminated:
        return Outcome("reached the goal", SUCCESS)
    return Outcome("fell off the cliff: back to the start", FAILURE) if reward <= -100 else None


def _terminal_success(text: str) -> Callable[..., Outcome | None]:
    return lambda obs, reward, terminated, info: Outcome(text, SUCCESS) if terminated else None


def _bipedal_walker(obs, reward, terminated, info) -> Outcome | None:
    if not terminated:
        return None
    return Outcome("fell", FAILURE) if reward <= -100 else Outcome("reached the end", SUCCESS)


# Gymnasium's envs: what a step's (observation, reward, terminated, info) says about the episode.
GYMNASIUM_OUTCOMES: dict[str, Callable[..., Outcome | None]] = {
    "LunarLander": _lunar_lander,
    "LunarLanderContinuous": _lunar_lander,
    "CartPole": _cart_pole,
    "Blackjack": _blackjack,
    "FrozenLake": _frozen_lake,
    "FrozenLake8x8": _frozen_lake,
    "CliffWalking": _cliff_walking,
    "Taxi": _terminal_success("delivered the passenger"),
    "MountainCar": _terminal_success("reached the flag"),
    "MountainCarContinuous": _terminal_success("reached the flag"),
    "Acrobot": _terminal_success("swung above the line"),
    "BipedalWalker": _bipedal_walker,
}


# Envs whose task is to last: reaching the time limit is the success (CartPole's 500 steps),
# not a time-out.
SURVIVED_TO_THE_LIMIT = {
    "CartPole": "balanced to the time limit",
    "InvertedPendulum": "balanced to the time limit",
    "InvertedDoublePendulum": "balanced to the time limit",
}


def step_outcome(env, obs: Any, reward: float, terminated: bool, truncated: bool, info: dict) -> Outcome | None:
    """What a step means in words: how the episode ended when it did (the env's own ``outcome``
    in `info`, Gymnasium's as documented, else "ended" or "time limit"), or an event on the way
    (a fall off the cliff) as the env reports it; None for an ordinary step. An episode cut by
    the time limit ended by it, whatever happened on its last step."""
    if truncated and not terminated:
        survived = SURVIVED_TO_THE_LIMIT.get(_spec_name(env) or "")
        return Outcome(survived, SUCCESS) if survived else Outcome("time limit", TIME_LIMIT)
    if "outcome" in info:
        return Outcome(str(info["outcome"]), str(info.get("outcome_kind", ENDED)))
    judge = GYMNASIUM_OUTCOMES.get(_spec_name(env) or "")
    found = judge(obs, float(reward), bool(terminated), info) if judge else None
    if found is not None:
        return found
    if terminated:
        return Outcome("reached the goal", SUCCESS) if info.get("is_success") else Outcome("episode ended")
    return None


def telemetry(env, obs: Any) -> list[str]:
    """A few readable gauges for the envs whose observation has them: a lander's speed, tilt and
    leg contact (rl-kit's Lander and Gymnasium's LunarLander share the layout)."""
    names = _own(env, "feature_names") or GYMNASIUM_FEATURE_NAMES.get(_spec_name(env) or "")
    if not names or tuple(names[:8]) != GYMNASIUM_FEATURE_NAMES["LunarLander"]:
        return []
    x, y, vx, vy, angle, _, left, right = (float(v) for v in np.asarray(obs)[:8])
    legs = {(0, 0): "none", (1, 0): "left", (0, 1): "right", (1, 1): "both"}[(int(left > 0), int(right > 0))]
    return [f"speed {np.hypot(vx, vy):.2f}", f"tilt {np.degrees(angle):+.0f} deg", f"legs down: {legs}"]
