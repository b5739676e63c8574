"""Level families: many worlds of one kind, each a pure function of its level seed.

Procgen's conventions (Cobbe et al. 2020): an env made with ``num_levels=N`` and
``start_level=k`` draws each episode's level uniformly from the seeds k, ..., k + N - 1;
``num_levels=0`` means unlimited (any seed from k on). ``levels=[...]`` gives the seeds
themselves, which is how a held-out test set is played.

A seed names a level, but two seeds can generate the same level (a small family repeats
itself: Procgen's easy CoinRun levels do, openai/procgen#100), so a split by seeds alone can
leak. :func:`level_hash` identifies a level by its content (its layout and parameters), and
:func:`disjoint_test_levels` drops every test seed whose level also appears among the training
ones, and counts them.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

UNLIMITED_SEEDS = 2**31 - 1  # the seeds an unlimited set draws from: start_level up to this
TEST_START = 2**30  # the first held-out seed: a training set of seeds below it never reaches them
TEST_LEVELS = 1000  # held-out seeds drawn, before duplicates are dropped
HASHED_TRAINING_LEVELS = 100_000  # a larger training set is kept apart by its seeds alone
LEVEL_OPTIONS = ("num_levels", "start_level", "levels")  # the env options that choose the levels


def level_hash(content: Any) -> str:
    """A level's identity: the SHA-256 of its content as canonical JSON (layout and parameters),
    so two seeds that generate the same level have the same hash on every machine."""
    text = json.dumps(content, sort_keys=True, separators=(",", ":"), default=_plain)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _plain(value: Any) -> Any:
    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, np.generic):
        return value.item()
    raise TypeError(f"a level's content must be plain data, not {type(value).__name__}")


@dataclass(frozen=True)
class LevelSet:
    """The level seeds an env draws from.

    Args:
        num_levels: how many consecutive seeds from `start_level` (0: unlimited).
        start_level: the first seed.
        levels: the seeds themselves, in place of the two above (a held-out test set).
    """

    num_levels: int = 0
    start_level: int = 0
    levels: tuple[int, ...] | None = None

    def __post_init__(self) -> None:
        for name in ("num_levels", "start_level"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 0:
                raise ValueError(f"{name} must be a whole number of at least 0, got {value!r}")
        if self.levels is not None:
            seeds = tuple(int(seed) for seed in self.levels)
            if not seeds or min(seeds) < 0:
                raise ValueError(f"levels must be a non-empty list of seeds of at least 0, got {self.levels!r}")
            object.__setattr__(self, "levels", seeds)
        elif self.start_level + self.num_levels > UNLIMITED_SEEDS:
            raise ValueError(f"start_level + num_levels must stay below {UNLIMITED_SEEDS}")

    @property
    def unlimited(self) -> bool:
        return self.levels is None and self.num_levels == 0

    def __len__(self) -> int:
        if self.levels is not None:
            return len(self.levels)
        return UNLIMITED_SEEDS - self.start_level if self.num_levels == 0 else self.num_levels

    def draw(self, rng: np.random.Generator) -> int:
        """One episode's level seed, uniformly from the set."""
        if self.levels is not None:
            return self.levels[int(rng.integers(len(self.levels)))]
        return self.start_level + int(rng.integers(len(self)))

    def seeds(self) -> tuple[int, ...]:
        """Every seed of a finite set, in order."""
        if self.unlimited:
            raise ValueError("an unlimited level set (num_levels=0) has no list of seeds")
        return self.levels if self.levels is not None else tuple(range(self.start_level, self.start_level + len(self)))

    def describe(self) -> str:
        if self.levels is not None:
            return f"{len(self.levels)} listed levels"
        if self.unlimited:
            return f"unlimited levels from seed {self.start_level}"
        return f"{self.num_levels} levels, seeds {self.start_level} to {self.start_level + self.num_levels - 1}"


@dataclass(frozen=True)
class DisjointLevels:
    """Held-out level seeds none of whose levels is a training level, and how many were dropped."""

    seeds: tuple[int, ...]
    duplicates: int  # test seeds dropped: their level is also a training level
    repeats: int  # test seeds dropped: their level already appears earlier in the test set


def disjoint_test_levels(
    train: Iterable[int], test: Sequence[int], content_hash: Callable[[int], str]
) -> DisjointLevels:
    """The seeds of `test` whose levels (by `content_hash` of a seed) appear neither among the
    `train` seeds' levels nor earlier in `test`: a test set that shares no level with training."""
    seen = {content_hash(int(seed)) for seed in train}
    kept, duplicates, repeats, in_test = [], 0, 0, set()
    for seed in test:
        identity = content_hash(int(seed))
        if identity in seen:
            duplicates += 1
        elif identity in in_test:
            repeats += 1
        else:
            in_test.add(identity)
            kept.append(int(seed))
    return DisjointLevels(tuple(kept), duplicates, repeats)


def held_out_levels(train: LevelSet, content_hash: Callable[[int], str], count: int = TEST_LEVELS) -> DisjointLevels:
    """The held-out levels of a run trained on `train`: the `count` seeds from :data:`TEST_START`,
    less those whose level is, by content, a training level or an earlier test level.

    A training set of more than :data:`HASHED_TRAINING_LEVELS` seeds (or an unlimited one) is
    not hashed: it is kept apart by its seeds, which lie below TEST_START when it was made so."""
    hashed = () if train.unlimited or len(train) > HASHED_TRAINING_LEVELS else train.seeds()
    return disjoint_test_levels(hashed, range(TEST_START, TEST_START + count), content_hash)


def level_family(env: Any) -> tuple[LevelSet, Callable[[int], str]] | None:
    """An env's level set and its family's ``level_hash(seed)``, or None for an env that is not
    one of a level family (its unwrapped env has no ``level_set`` and ``level_hash``)."""
    unwrapped = getattr(env, "unwrapped", env)
    level_set, content_hash = getattr(unwrapped, "level_set", None), getattr(unwrapped, "level_hash", None)
    if isinstance(level_set, LevelSet) and callable(content_hash):
        return level_set, content_hash
    return None
