"""One budget check for every number from outside that sizes an allocation or a loop.

A flag, a hyperparameter, a saved file's metadata or a config can ask for a replay buffer of
10^11 transitions, layers 30,000 wide, 10^8 evaluation episodes or a million recorded ones.
Each is checked here, before anything is allocated or played, and refused in one line that
names the value and what to lower. :func:`check_memory` compares an estimate (a floor: it
catches what cannot fit at all) with the memory free now; :func:`check_count` caps counts of
work whose cost is time rather than memory.
"""

from __future__ import annotations

import os

from rl_kit.errors import InvalidValue

MAX_EPISODES = 1_000_000  # evaluation, watching and recording episodes: past it, hours of play


def available_memory() -> int:
    """Bytes of memory free now (physical pages available)."""
    return os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")


def check_memory(what: str, need: int, fix: str) -> None:
    """Raise InvalidValue if `what` would need more than the `need` bytes free now."""
    available = available_memory()
    if need > available:
        raise InvalidValue(
            f"{what} would need at least {need / 2**30:,.1f} GiB, but {available / 2**30:,.1f} GiB is free: {fix}"
        )


def check_count(name: str, value: int, maximum: int) -> None:
    """Raise InvalidValue if `value` of `name` is above `maximum`."""
    if value > maximum:
        raise InvalidValue(f"{name} is {value:,}, more than the {maximum:,} rl-kit runs at once: lower it")
