"""Schedules for hyperparameters that change over training (step sizes, exploration rates).

A schedule is written as text, so it reads the same in code, YAML and on the command line:

- ``0.1`` or ``constant(0.1)``: always 0.1;
- ``linear(1.0, 0.05, 10000)``: from 1.0 to 0.05 in a straight line over 10,000 steps, then 0.05;
- ``exp(1.0, 0.01, 10000)``: from 1.0 to 0.01 geometrically over 10,000 steps, then 0.01.

``t`` counts environment steps (transitions) seen by the agent.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_SCHEDULE = re.compile(r"^\s*(constant|linear|exp)\s*\(([^)]*)\)\s*$")
_ARITY = {"constant": 1, "linear": 3, "exp": 3}


@dataclass(frozen=True)
class Schedule:
    """A value of step ``t``: ``kind`` is ``constant``, ``linear`` or ``exp``."""

    kind: str
    start: float
    end: float | None = None
    steps: int | None = None

    def __post_init__(self):
        if self.kind not in _ARITY:
            raise ValueError(f"unknown schedule {self.kind!r}; use constant, linear or exp")
        if self.kind != "constant":
            if self.end is None or self.steps is None or int(self.steps) <= 0:
                raise ValueError(f"{self.kind} schedule needs (start, end, steps > 0), got {self}")
            if self.kind == "exp" and (self.start <= 0 or self.end <= 0):
                raise ValueError(f"exp schedule needs positive start and end, got {self}")

    def __call__(self, t: int | float) -> float:
        if self.kind == "constant":
            return self.start
        assert self.end is not None and self.steps is not None  # checked when made
        fraction = max(t, 0) / self.steps
        if fraction >= 1.0:
            return self.end
        if self.kind == "linear":
            return self.start + fraction * (self.end - self.start)
        return self.start * (self.end / self.start) ** fraction

    def __str__(self) -> str:
        if self.kind == "constant":
            return repr(float(self.start))
        return f"{self.kind}({self.start!r}, {self.end!r}, {self.steps})"

    @classmethod
    def parse(cls, value: float | int | str | Schedule) -> Schedule:
        """A schedule from a number (constant), its text form, or a Schedule."""
        if isinstance(value, Schedule):
            return value
        if isinstance(value, bool):
            raise ValueError(f"a schedule must be a number or text like 'linear(1.0, 0.05, 10000)', got {value!r}")
        if isinstance(value, (int, float)):
            return cls("constant", float(value))
        text = str(value)
        try:
            return cls("constant", float(text))
        except ValueError:
            pass
        match = _SCHEDULE.match(text)
        if not match:
            raise ValueError(
                f"cannot read schedule {text!r}: write a number, constant(v), linear(start, end, steps) "
                "or exp(start, end, steps)"
            )
        kind, args = match.group(1), [a.strip() for a in match.group(2).split(",") if a.strip()]
        if len(args) != _ARITY[kind]:
            raise ValueError(f"{kind}(...) takes {_ARITY[kind]} arguments, got {len(args)} in {text!r}")
        try:
            numbers = [float(a) for a in args]
        except ValueError:
            raise ValueError(f"schedule arguments must be numbers, got {text!r}") from None
        if kind == "constant":
            return cls(kind, numbers[0])
        if not numbers[2].is_integer():
            raise ValueError(f"the number of steps must be a whole number, got {args[2]!r} in {text!r}")
        return cls(kind, numbers[0], numbers[1], int(numbers[2]))
