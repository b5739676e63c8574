"""Experience replay (Lin 1992; Mnih et al. 2015): a circular buffer of transitions, sampled uniformly.

Learning from a random sample of past transitions instead of the latest ones breaks the
correlation between consecutive updates and reuses each transition many times. The buffer
keeps the newest ``capacity`` transitions; once full, each new one overwrites the oldest.
Observations are kept as the env gives them (a batch array, see :mod:`rl_kit.agents.spaces`)
and encoded for the network only when sampled. A *terminated* flag (not ``done``) is stored:
a transition cut by a time limit still bootstraps from its next state.
"""

from __future__ import annotations

import numpy as np

from .hyperparameters import AT_LEAST_ONE, NON_NEGATIVE, UNIT, Interval

FIELDS = ("obs", "actions", "rewards", "next_obs", "terminated")


class ReplayBuffer:
    """The newest `capacity` transitions (obs, action, reward, next obs, terminated)."""

    def __init__(self, capacity: int):
        self.capacity = capacity
        self.arrays: dict[str, np.ndarray] = {}
        self.position = 0  # where the next transition goes
        self.size = 0

    def _allocate(self, obs: np.ndarray, actions: np.ndarray) -> None:
        n = self.capacity
        self.arrays = {
            "obs": np.zeros((n, *obs.shape[1:]), dtype=obs.dtype),
            "actions": np.zeros((n, *actions.shape[1:]), dtype=actions.dtype),
            "rewards": np.zeros(n, dtype=np.float32),
            "next_obs": np.zeros((n, *obs.shape[1:]), dtype=obs.dtype),
            "terminated": np.zeros(n, dtype=np.float32),
        }

    def add(self, obs, actions, rewards, next_obs, terminated) -> None:
        """A batch of transitions (one per env), in order."""
        obs, actions = np.asarray(obs), np.asarray(actions)
        if not self.arrays:
            self._allocate(obs, actions)
        index = (self.position + np.arange(len(obs))) % self.capacity
        for name, values in zip(FIELDS, (obs, actions, rewards, next_obs, terminated), strict=True):
            self.arrays[name][index] = values
        self.position = int((self.position + len(obs)) % self.capacity)
        self.size = min(self.size + len(obs), self.capacity)

    def sample(self, batch_size: int, rng: np.random.Generator) -> dict[str, np.ndarray]:
        index = rng.integers(self.size, size=batch_size)
        return {name: array[index] for name, array in self.arrays.items()}

    def state(self) -> tuple[dict[str, np.ndarray], dict]:
        """What resuming needs: the stored transitions, and where the buffer stands."""
        return {f"replay.{name}": array[: self.size].copy() for name, array in self.arrays.items()}, {
            "position": self.position,
            "size": self.size,
        }

    def load_state(self, arrays: dict[str, np.ndarray], rest: dict) -> None:
        size = int(rest["size"])
        if size:
            stored = {name: np.asarray(arrays[f"replay.{name}"]) for name in FIELDS}
            self._allocate(stored["obs"], stored["actions"])
            for name in FIELDS:
                self.arrays[name][:size] = stored[name]
        self.position, self.size = int(rest["position"]), size


# The ranges of the hyperparameters every replay agent (DQN, DDPG, TD3, SAC) shares.
REPLAY_LIMITS: dict[str, Interval] = {
    "learning_rate": NON_NEGATIVE,
    "buffer_size": AT_LEAST_ONE,
    "learning_starts": NON_NEGATIVE,
    "batch_size": AT_LEAST_ONE,
    "tau": Interval(0.0, 1.0, low_open=True),
    "gamma": UNIT,
    "train_freq": AT_LEAST_ONE,
    "gradient_steps": AT_LEAST_ONE,
}
