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


class MemberReplayBuffers:
    """A population's replay buffers (:mod:`rl_kit.agents.population`), one per member, as one
    set of arrays (K, capacity, ...): member k's row is laid out as its buffer alone would be
    (its own position and size), and a minibatch of every member is one gather.

    Args:
        capacity: transitions each member's buffer keeps.
        members: K.
    """

    def __init__(self, capacity: int, members: int):
        self.capacity, self.members = capacity, members
        self.arrays: dict[str, np.ndarray] = {}
        self.position = np.zeros(members, dtype=np.int64)
        self.size = np.zeros(members, dtype=np.int64)
        self._member_rows = np.arange(members)[:, None]

    def _allocate(self, obs: np.ndarray, actions: np.ndarray) -> None:
        shape = (self.members, self.capacity)
        self.arrays = {
            "obs": np.zeros((*shape, *obs.shape[2:]), dtype=obs.dtype),
            "actions": np.zeros((*shape, *actions.shape[2:]), dtype=actions.dtype),
            "rewards": np.zeros(shape, dtype=np.float32),
            "next_obs": np.zeros((*shape, *obs.shape[2:]), dtype=obs.dtype),
            "terminated": np.zeros(shape, dtype=np.float32),
        }

    def add(self, obs, actions, rewards, next_obs, terminated, valid: np.ndarray | None = None) -> None:
        """Each member's batch of transitions, (K, N, ...), in order; where `valid` (K, N) is
        given, member k's rows with ``valid[k]`` alone."""
        fields = [np.asarray(a) for a in (obs, actions, rewards, next_obs, terminated)]
        if not self.arrays:
            self._allocate(fields[0], fields[1])
        if valid is None or valid.all():
            count = fields[0].shape[1]
            index = (self.position[:, None] + np.arange(count)) % self.capacity
            for name, values in zip(FIELDS, fields, strict=True):
                self.arrays[name][self._member_rows, index] = values
            added: np.ndarray | int = count
        else:  # a reset step's rows are no transitions: members then add different counts
            counts = valid.sum(axis=1)
            for k in range(self.members):
                index = (self.position[k] + np.arange(counts[k])) % self.capacity
                for name, values in zip(FIELDS, fields, strict=True):
                    self.arrays[name][k, index] = values[k][valid[k]]
            added = counts
        self.position = (self.position + added) % self.capacity
        self.size = np.minimum(self.size + added, self.capacity)

    def sample(self, batch_size: int, rng: np.random.Generator) -> dict[str, np.ndarray]:
        """`batch_size` transitions of each member's own buffer, uniformly: arrays (K, batch_size, ...)."""
        sizes = self.size
        high = int(sizes[0]) if (sizes == sizes[0]).all() else sizes[:, None]  # one bound draws as alone
        index = rng.integers(high, size=(self.members, batch_size))
        return {name: array[self._member_rows, index] for name, array in self.arrays.items()}

    def member_state(self, k: int) -> tuple[dict[str, np.ndarray], dict]:
        """Member `k`'s buffer as :meth:`ReplayBuffer.state` gives a buffer alone."""
        size = int(self.size[k])
        return {f"replay.{name}": array[k, :size].copy() for name, array in self.arrays.items()}, {
            "position": int(self.position[k]),
            "size": size,
        }

    def load_member_states(self, states: list[tuple[dict[str, np.ndarray], dict]]) -> None:
        """Every member's buffer from its :meth:`member_state` (a resumed population)."""
        for k, (arrays, rest) in enumerate(states):
            size = int(rest["size"])
            if size:
                stored = {name: np.asarray(arrays[f"replay.{name}"]) for name in FIELDS}
                if not self.arrays:
                    self._allocate(stored["obs"][None], stored["actions"][None])
                for name in FIELDS:
                    self.arrays[name][k, :size] = stored[name]
            self.position[k], self.size[k] = int(rest["position"]), size


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
