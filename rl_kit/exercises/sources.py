"""An exercise's source in its three forms: the reference solution, the skeleton a learner
starts from, and the solution with a classic mistake planted (to recognise it in a learner's).

All three come from one file, ``rl_kit/exercises/solutions/<name>.py``: the learner's part of
each function lies between ``# SOLUTION`` and ``# END SOLUTION``.
"""

from __future__ import annotations

import importlib.util
import re
import sys
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from types import ModuleType

from rl_kit.errors import RLKitError

BLOCK = re.compile(r"^(?P<indent>[ \t]*)# SOLUTION\n.*?^[ \t]*# END SOLUTION\n", re.MULTILINE | re.DOTALL)
FUNCTION = re.compile(r"^def (\w+)\(", re.MULTILINE)


@dataclass(frozen=True)
class Mistake:
    """A classic mistake: what it is, the hint that names it, and how to plant it in the solution
    (replace the text `old`, which occurs once, by `new`)."""

    name: str
    hint: str
    old: str
    new: str


def solution_source(name: str) -> str:
    return resources.files("rl_kit.exercises.solutions").joinpath(f"{name}.py").read_text(encoding="utf-8")


def skeleton_source(name: str) -> str:
    """The solution with every learner's block replaced by a ``raise NotImplementedError``."""
    source = solution_source(name)

    def blank(match: re.Match) -> str:
        function = FUNCTION.findall(source[: match.start()])[-1]
        indent = match.group("indent")
        return f'{indent}# TODO: your code here (the docstring says what to compute)\n{indent}raise NotImplementedError("{function}")\n'

    return BLOCK.sub(blank, source)


def clean_solution_source(name: str) -> str:
    """The solution as a learner would write it: without the SOLUTION markers."""
    return re.sub(r"^[ \t]*# (END )?SOLUTION\n", "", solution_source(name), flags=re.MULTILINE)


def planted_source(name: str, mistake: Mistake) -> str:
    source = clean_solution_source(name)
    if source.count(mistake.old) != 1:
        raise ValueError(f"mistake {mistake.name!r} of {name}: {mistake.old!r} must occur once in the solution")
    return source.replace(mistake.old, mistake.new)


_loaded = 0


def load_module(path: str | Path | None = None, *, source: str | None = None, label: str = "exercise") -> ModuleType:
    """Import a module from a file `path`, or from `source` text, under a fresh name."""
    global _loaded
    _loaded += 1
    module_name = f"_rl_kit_{label}_{_loaded}"
    if source is not None:
        module = ModuleType(module_name)
        module.__file__ = f"<{label}>"
        sys.modules[module_name] = module
        exec(compile(source, f"<{label}>", "exec"), module.__dict__)
        return module
    if path is None:
        raise ValueError("load_module needs a path or a source")
    path = Path(path)
    if not path.is_file():
        raise RLKitError(f"no exercise file at {path}")
    spec = importlib.util.spec_from_file_location(module_name, path)
    if spec is None or spec.loader is None:
        raise RLKitError(f"{path} cannot be imported as a Python module")
    module = importlib.util.module_from_spec(spec)
    sys.modules[module_name] = module
    spec.loader.exec_module(module)
    return module
