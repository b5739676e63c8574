"""Learn by building: exercises graded by ``rl-kit check``.

>>> from rl_kit.exercises import start, check
>>> path = start("q_learning", "my_exercises")   # a skeleton: fill in the TODOs
>>> print(check(path).text())                    # unit checks, then a learning check

``rl-kit exercise list`` shows them in learning-path order; ``rl-kit exercise start NAME
[DIR]`` writes the skeleton (``--solution`` the reference solution); ``rl-kit check FILE``
grades it (see :mod:`rl_kit.exercises.grading`).
"""

from __future__ import annotations

from pathlib import Path

from rl_kit.errors import RLKitError


def exercises():
    """The exercises in learning-path order."""
    from rl_kit.exercises.catalog import EXERCISE_LIST

    return EXERCISE_LIST


def start(name: str, directory: str | Path = ".", *, solution: bool = False, overwrite: bool = False) -> Path:
    """Write exercise `name`'s skeleton (or its reference solution) as ``DIRECTORY/NAME.py``;
    an existing file is kept (a learner's work is never overwritten) unless `overwrite`."""
    from rl_kit.exercises.catalog import exercise_named
    from rl_kit.exercises.sources import clean_solution_source, skeleton_source
    from rl_kit.infrastructure.atomic_files import atomic_write

    exercise_named(name)
    path = Path(directory) / (f"{name}_solution.py" if solution else f"{name}.py")
    if path.exists() and not overwrite:
        raise RLKitError(
            f"{path} exists: it may hold your work, so it is kept (move it, or check it: rl-kit check {path})"
        )
    path.parent.mkdir(parents=True, exist_ok=True)
    return atomic_write(path, clean_solution_source(name) if solution else skeleton_source(name))


def check(path: str | Path, *, learning: bool = True, out: str | Path | None = None):
    """Grade the exercise file at `path`; a :class:`~rl_kit.exercises.grading.Report`."""
    from rl_kit.exercises.grading import check as grade

    return grade(path, learning=learning, out=out)
