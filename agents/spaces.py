"""Observation spaces as agents see them: finite ones as one state index, any as a batch array.

Gymnasium envs describe a state in many shapes: ``Discrete(n)`` (FrozenLake), a ``Tuple`` of
``Discrete`` (Blackjack's player sum, dealer card, usable ace), a ``Dict`` of them, or a
``MultiDiscrete``. Every finite one is a grid of part values, so its states can be numbered
in mixed radix, like digits of a number:

    index = ((v_0 - start_0) * n_1 + (v_1 - start_1)) * n_2 + (v_2 - start_2) ...

A tabular agent keeps one row of its table per index (:class:`StateIndex`); a network agent
feeds one one-hot vector per part (:func:`encode_one_hot`). Either can turn an index back into
the state in its own terms, for displays.

A batch of observations is one numpy array, whatever the space: ``(N,)`` for ``Discrete``,
``(N, parts)`` for the structured finite ones, ``(N, *shape)`` for ``Box``.
:func:`from_vector` builds it from what a vector env returns (a tuple or dict of arrays for
structured spaces), :func:`stack` from single observations.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from gymnasium import spaces

from .base import SpaceError, describe


def action_count(space: spaces.Space) -> int:
    """The network outputs an action space needs: one per action of a Discrete, one per
    dimension of a Box vector."""
    if isinstance(space, spaces.Discrete):
        return int(space.n)
    assert isinstance(space, spaces.Box) and len(space.shape) == 1, f"not a Discrete or Box vector: {space}"
    return int(space.shape[0])


def finite_parts(space: spaces.Space) -> list[tuple[int, int]] | None:
    """(start, size) of each part of a finite space, in order; None if the space is not finite
    in a way we index (a Discrete, Tuple/Dict of Discrete, MultiDiscrete, MultiBinary)."""
    if isinstance(space, spaces.Discrete):
        return [(int(space.start), int(space.n))]
    if isinstance(space, spaces.MultiDiscrete) and space.nvec.ndim == 1:
        return [(int(start), int(n)) for start, n in zip(space.start, space.nvec, strict=True)]
    if isinstance(space, spaces.MultiBinary) and np.ndim(space.n) == 0:
        return [(0, 2)] * int(np.asarray(space.n))
    if isinstance(space, (spaces.Tuple, spaces.Dict)):
        members = space.spaces if isinstance(space, spaces.Tuple) else list(space.spaces.values())
        discrete = [m for m in members if isinstance(m, spaces.Discrete)]
        if members and len(discrete) == len(members):
            return [(int(m.start), int(m.n)) for m in discrete]
    return None


def from_vector(space: spaces.Space, obs) -> np.ndarray:
    """A vector env's batch of observations of `space` (a tuple or dict of arrays for structured
    spaces) as one array (see the module's docstring)."""
    if isinstance(space, spaces.Dict):
        return np.stack([np.asarray(obs[key]) for key in space.spaces], axis=-1)
    if isinstance(space, spaces.Tuple):
        return np.stack([np.asarray(part) for part in obs], axis=-1)
    return np.asarray(obs)


def stack(space: spaces.Space, observations: Sequence) -> np.ndarray:
    """Single observations of `space` (from single envs) as one batch array."""
    if isinstance(space, spaces.Dict):
        return np.array([[single[key] for key in space.spaces] for single in observations])
    if isinstance(space, spaces.Tuple):
        return np.array([tuple(single) for single in observations])
    return np.stack([np.asarray(single) for single in observations])


class StateIndex:
    """Numbers the states of a finite observation space 0 .. n-1 (mixed radix over its parts).

    Args:
        space: Discrete (from any start), Tuple or Dict of Discrete, MultiDiscrete, MultiBinary.
        agent: the agent's name, for the error on any other space.
    """

    def __init__(self, space: spaces.Space, agent: str):
        parts = finite_parts(space)
        if parts is None:
            raise SpaceError(
                f"{agent} needs a finite observation space (Discrete, a Tuple or Dict of Discrete, MultiDiscrete), "
                f"but got {describe(space)}. For Box spaces use a network agent (ppo, a2c, reinforce, dqn)."
            )
        self.space = space
        self.starts = np.array([start for start, _ in parts], dtype=np.int64)
        self.sizes = np.array([size for _, size in parts], dtype=np.int64)
        self.n = int(np.prod(self.sizes))
        self.single = isinstance(space, spaces.Discrete)

    def __call__(self, batch) -> np.ndarray:
        """The state index of each observation in a batch (see :func:`stack`), shape (N,)."""
        values = np.asarray(batch, dtype=np.int64)
        if self.single:
            index = values.reshape(-1) - self.starts[0]
            if index.size and (index.min() < 0 or index.max() >= self.n):  # -1 would read the last row
                self._outside(values.reshape(-1)[(index < 0) | (index >= self.n)][0])
            return index
        values = values.reshape(-1, len(self.sizes)) - self.starts
        outside = (values < 0) | (values >= self.sizes)
        if outside.any():
            self._outside(values[outside.any(axis=1)][0] + self.starts)
        return np.ravel_multi_index(tuple(values.T), tuple(self.sizes))

    def _outside(self, observation) -> None:
        raise SpaceError(
            f"the env returned the observation {observation}, outside its observation space {describe(self.space)}: "
            "a table has no row for it"
        )

    def state(self, index: int):
        """The observation of state `index`, in the space's own terms."""
        if self.single:
            return int(index) + int(self.starts[0])
        values = [
            int(v) + int(s) for v, s in zip(np.unravel_index(int(index), tuple(self.sizes)), self.starts, strict=True)
        ]
        if isinstance(self.space, spaces.Dict):
            return dict(zip(self.space.spaces, values, strict=True))
        return tuple(values) if isinstance(self.space, spaces.Tuple) else np.array(values)


def one_hot_size(space: spaces.Space) -> int | None:
    """Inputs of the one-hot encoding of a finite space (one block per part), or None."""
    parts = finite_parts(space)
    return None if parts is None else sum(size for _, size in parts)


def encode_one_hot(space: spaces.Space, batch, dtype=np.float32) -> np.ndarray:
    """A batch of a finite space as one one-hot block per part, concatenated: shape (N, sum of sizes)."""
    parts = finite_parts(space)
    assert parts is not None, f"not a finite space: {space}"
    values = np.asarray(batch, dtype=np.int64).reshape(-1, len(parts))
    blocks: Sequence[np.ndarray] = [
        np.eye(size, dtype=dtype)[values[:, i] - start] for i, (start, size) in enumerate(parts)
    ]
    return blocks[0] if len(blocks) == 1 else np.concatenate(blocks, axis=1)
