"""rl-kit's Gymnasium environments, registered in the ``rl_kit`` namespace on import.

>>> import gymnasium as gym, rl_kit.envs
>>> env = gym.make("rl_kit/FrozenLake4x4-v0")

Installed as ``rl_kit.envs`` (the repository keeps the folder ``envs/``), so a project with
its own ``envs`` package is untouched. Without importing this package first,
``gym.make("rl_kit.envs:rl_kit/GridWorld-v0")`` imports it. Importing it needs only gymnasium
and numpy (neither torch nor the agents); pygame is imported at the first render.
"""

from typing import Any

from gymnasium.envs.registration import register, registry

from . import grid_maps
from .grid_model import ACTION_NAMES, GridModel, MapError
from .grid_world import GridWorldEnv
from .grid_world_vector import GridWorldVectorEnv

__all__ = [
    "ACTION_NAMES",
    "GridModel",
    "GridWorldEnv",
    "GridWorldVectorEnv",
    "MapError",
    "GRID_ENV_IDS",
    "CONTROL_ENV_IDS",
    "BANDIT_ENV_IDS",
    "MINATAR_ENV_IDS",
    "PROCGEN_ENV_IDS",
    "MINIGRID_ENV_IDS",
]

_GRID: dict[str, Any] = dict(
    entry_point=f"{__name__}.grid_world:GridWorldEnv",
    vector_entry_point=f"{__name__}.grid_world_vector:GridWorldVectorEnv",
)

# Reward thresholds ("solved"), as Gymnasium's specs carry them: used by comparisons.
_THRESHOLDS = {
    "rl_kit/GridWorld-v0": 1.0,
    "rl_kit/FrozenLake4x4-v0": 0.70,
    "rl_kit/FrozenLake8x8-v0": 0.85,
    "rl_kit/CliffWalking-v0": -13.0,
    "rl_kit/WindyGridworld-v0": -15.0,
    "rl_kit/FourRooms-v0": 1.0,
    "rl_kit/Catch-v0": 9.5,
    "rl_kit/Lander-v0": 200.0,
    "rl_kit/LanderContinuous-v0": 200.0,
}

# id -> (max_episode_steps, kwargs)
_GRID_WORLDS: dict[str, tuple[int, dict[str, Any]]] = {
    "rl_kit/GridWorld-v0": (100, dict(map=grid_maps.GRID_WORLD)),
    # Same maps, rewards, slippery dynamics (1/3 each: intended and both perpendicular) and time
    # limits as Gymnasium's FrozenLake-v1 and FrozenLake8x8-v1.
    "rl_kit/FrozenLake4x4-v0": (100, dict(map=grid_maps.FROZEN_LAKE_4X4, slip=2 / 3)),
    "rl_kit/FrozenLake8x8-v0": (200, dict(map=grid_maps.FROZEN_LAKE_8X8, slip=2 / 3)),
    "rl_kit/CliffWalking-v0": (
        500,
        dict(map=grid_maps.CLIFF_WALKING, step_reward=-1.0, goal_reward=-1.0, cliff_reward=-100.0),
    ),
    "rl_kit/WindyGridworld-v0": (
        500,
        dict(map=grid_maps.WINDY_GRIDWORLD, wind=grid_maps.WINDY_GRIDWORLD_WIND, step_reward=-1.0, goal_reward=-1.0),
    ),
    "rl_kit/FourRooms-v0": (500, dict(map=grid_maps.FOUR_ROOMS)),
}
GRID_ENV_IDS = tuple(_GRID_WORLDS)

for _id, (_max_steps, _kwargs) in _GRID_WORLDS.items():
    if _id not in registry:
        register(id=_id, max_episode_steps=_max_steps, kwargs=_kwargs, reward_threshold=_THRESHOLDS.get(_id), **_GRID)

# Control envs: id -> (module, single class, vector class, max_episode_steps, kwargs)
_CONTROL = {
    "rl_kit/Catch-v0": (f"{__name__}.catch", "CatchEnv", "CatchVectorEnv", 200, {}),
    "rl_kit/PointGoal-v0": (f"{__name__}.point_goal", "PointGoalEnv", "PointGoalVectorEnv", 200, {}),
    "rl_kit/Lander-v0": (f"{__name__}.lander", "LanderEnv", "LanderVectorEnv", 1000, {}),
    "rl_kit/LanderContinuous-v0": (f"{__name__}.lander", "LanderEnv", "LanderVectorEnv", 1000, {"continuous": True}),
}
CONTROL_ENV_IDS = tuple(_CONTROL)
# The k-armed testbed (Sutton & Barto 2.3): one episode is one run of 1000 pulls; the random-walk
# variant (exercise 2.5) runs 10,000, long enough for the drift to tell the methods apart.
_BANDITS = {
    "rl_kit/Bandit-v0": (f"{__name__}.bandit", "BanditEnv", "BanditVectorEnv", 1000, {}),
    "rl_kit/BanditNonstationary-v0": (
        f"{__name__}.bandit",
        "BanditEnv",
        "BanditVectorEnv",
        10_000,
        {"stationary": False},
    ),
}
BANDIT_ENV_IDS = tuple(_BANDITS)
for _id, (_module, _single, _vector, _max_steps, _kwargs) in {**_CONTROL, **_BANDITS}.items():
    if _id not in registry:
        register(
            id=_id,
            entry_point=f"{_module}:{_single}",
            vector_entry_point=f"{_module}:{_vector}",
            max_episode_steps=_max_steps,
            kwargs=_kwargs,
            reward_threshold=_THRESHOLDS.get(_id),
        )

# A level family (envs/proc_grid.py): a grid world per level seed, seen egocentrically
# and PointGoal with a physics per level (envs/proc_point_goal.py)
PROCGEN_ENV_IDS = ("rl_kit/ProcGrid-v0", "rl_kit/ProcPointGoal-v0")
if "rl_kit/ProcGrid-v0" not in registry:
    register(id="rl_kit/ProcGrid-v0", entry_point=f"{__name__}.proc_grid:ProcGridEnv", max_episode_steps=100)
if "rl_kit/ProcPointGoal-v0" not in registry:
    register(id="rl_kit/ProcPointGoal-v0", entry_point=f"{__name__}.proc_point_goal:ProcPointGoalEnv",
             vector_entry_point=f"{__name__}.proc_point_goal:ProcPointGoalVectorEnv", max_episode_steps=200)  # fmt: skip

# MiniGrid's envs (an extra: the minigrid package), flattened as the RL Zoo does (envs/minigrid.py)
from .minigrid import GAMES as _MINIGRID_LIMITS  # noqa: E402  (light: minigrid itself loads at make)

MINIGRID_ENV_IDS = tuple(f"rl_kit/MiniGrid-{game}-v0" for game in _MINIGRID_LIMITS)
for _id in MINIGRID_ENV_IDS:
    if _id not in registry:
        _game = _id.removeprefix("rl_kit/MiniGrid-").removesuffix("-v0")
        register(id=_id, entry_point=f"{__name__}.minigrid:make_flat", kwargs={"game": _game},
                 max_episode_steps=_MINIGRID_LIMITS[_game])  # fmt: skip

# MinAtar's games (an extra: the minatar package), drawn and seeded by envs/minatar.py
MINATAR_ENV_IDS = tuple(f"rl_kit/MinAtar-{game}-v0" for game in ("Asterix", "Breakout", "Freeway", "Seaquest",
                                                                  "SpaceInvaders"))  # fmt: skip
for _id in MINATAR_ENV_IDS:
    if _id not in registry:
        register(id=_id, entry_point=f"{__name__}.minatar:MinAtarEnv", max_episode_steps=10_000,
                 kwargs={"game": _id.split("-")[1]})  # fmt: skip
