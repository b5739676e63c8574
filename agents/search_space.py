"""Search spaces for hyperparameter tuning, declared beside each hyperparameter dataclass.

A search space maps hyperparameter names to the values worth trying. It is plain data, so
that ``agents`` needs no tuning library: ``rl_kit.experiments.tuning`` turns each dimension into an Optuna
suggestion. Each dataclass lists its space as the class attribute ``search_space``, next to the
fields it ranges over::

    search_space: ClassVar[SearchSpace] = {
        "learning_rate": FloatRange(1e-5, 1e-2, log=True),
        "n_epochs": Choice(1, 5, 10, 20),
    }

Ranges are chosen for the problems this toolkit targets (small grids, classic control); a
learner can pass their own space to ``rl_kit.experiments.tuning.tune`` to search elsewhere.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class FloatRange:
    """A real number in [low, high]; ``log=True`` samples its logarithm uniformly (step sizes)."""

    low: float
    high: float
    log: bool = False

    def __post_init__(self) -> None:
        if not self.low < self.high or (self.log and self.low <= 0):
            raise ValueError(f"FloatRange needs 0 < low < high with log, low < high without; got {self}")


@dataclass(frozen=True)
class IntRange:
    """A whole number in [low, high], both included; ``log=True`` as for :class:`FloatRange`."""

    low: int
    high: int
    log: bool = False

    def __post_init__(self) -> None:
        if not self.low < self.high or (self.log and self.low <= 0):
            raise ValueError(f"IntRange needs 0 < low < high with log, low < high without; got {self}")


class Choice:
    """One of a few listed values (numbers, text or booleans), with no order assumed between them."""

    def __init__(self, *options: Any) -> None:
        if len(options) < 2:
            raise ValueError(f"Choice needs at least two options, got {options}")
        self.options = tuple(options)

    def __repr__(self) -> str:
        return f"Choice{self.options}"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Choice) and other.options == self.options

    def __hash__(self) -> int:
        return hash(self.options)


Dimension = FloatRange | IntRange | Choice
SearchSpace = dict[str, Dimension]
