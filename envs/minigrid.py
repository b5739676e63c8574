"""MiniGrid's envs (Chevalier-Boisvert et al. 2023) for our agents, flattened as the RL Zoo flattens them.

MiniGrid (the ``minigrid`` package, an extra: ``pip install 'rl-kit[minigrid]'``) observes a
Dict: the agent's 7x7 egocentric view (object, colour and state per cell), its direction, and
a mission in words. The RL Zoo trains on it through MiniGrid's own ``FlatObsWrapper`` (its
``ppo.yml``: "env_wrapper: minigrid.wrappers.FlatObsWrapper"): the view flattened to 147
numbers, followed by the mission's characters one-hot, 2,835 uint8 numbers in all. The ids
``rl_kit/MiniGrid-<name>`` here are that wrapper around MiniGrid's ``MiniGrid-<name>``, so the
same numbers reach our agents and the Zoo's, and a tuned entry can be keyed on the id.

Each keeps MiniGrid's own step limit (``max_steps``: 250 for DoorKey-5x5, 100 for
Empty-Random-5x5), registered as the time limit; the reward is MiniGrid's, 1 - 0.9 t / max_steps
on reaching the goal, else 0. The layout (DoorKey's wall, door and key; Empty-Random's start) is
drawn from the reset's seed.
"""

from __future__ import annotations

from typing import Any

import gymnasium as gym
from gymnasium.error import DependencyNotInstalled

EXTRA = "pip install 'rl-kit[minigrid]'"
# our id's name -> MiniGrid's step limit (its max_steps), registered as the time limit
GAMES = {"DoorKey-5x5": 250, "Empty-Random-5x5": 100}


def make_flat(game: str, render_mode: str | None = None, **kwargs: Any) -> gym.Env:
    """MiniGrid's ``MiniGrid-<game>-v0`` inside its ``FlatObsWrapper``, or a one-line error naming the extra."""
    try:
        import minigrid  # noqa: F401  (registers MiniGrid's ids)
        from minigrid.wrappers import FlatObsWrapper
    except ImportError:
        raise DependencyNotInstalled(
            f"MiniGrid's {game} needs the minigrid package, an extra of rl-kit: {EXTRA}"
        ) from None
    # MiniGrid's own limit ends the episode (truncated); the registration's equal one is the same step
    return FlatObsWrapper(gym.make(f"MiniGrid-{game}-v0", render_mode=render_mode, **kwargs).unwrapped)
