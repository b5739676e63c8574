"""``rl-kit check FILE``: grade a learner's exercise module, check by check.

1. **Unit checks**: each function of the learner's, on hand-made inputs (a terminal and a
   truncated transition, the last step of an episode, several envs at once, a tiny MDP),
   against the reference solution's exact values.
2. **Gradient checks**, for the exercises with a hand-written gradient: the learner's gradient
   against central finite differences of the learner's own loss, and against the reference
   gradient.
3. **A learning check**: the learner's agent, trained through rl-kit's own run loop (or the
   learner's planner run on a real MDP), reaches its target within a budget; its learning curve
   is saved as a PNG.

A failed check says what was expected, what came, and, where the learner's output is exactly
what a classic mistake gives (each exercise plants its mistakes in the reference solution and
compares), a hint that names the mistake.
"""

from __future__ import annotations

import copy
import traceback
from pathlib import Path

import numpy as np

from rl_kit.errors import RLKitError
from rl_kit.exercises.report import CheckResult, Report
from rl_kit.exercises.sources import Mistake, load_module, planted_source, solution_source


def show(value) -> str:
    """A compact text of a value (arrays rounded), for expected/got lines."""
    if isinstance(value, tuple):
        return "(" + ", ".join(show(v) for v in value) + ")"
    if isinstance(value, (np.ndarray, list)) or np.isscalar(value):
        text = np.array2string(np.asarray(value, dtype=float), precision=4, separator=", ", threshold=12)
        return text.replace("\n", "")
    return repr(value)


def same(a, b) -> bool:
    if isinstance(a, tuple) != isinstance(b, tuple):
        return False
    if isinstance(a, tuple):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b, strict=True))
    try:
        a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    except (TypeError, ValueError):
        return False
    return a.shape == b.shape and bool(np.allclose(a, b, rtol=1e-7, atol=1e-9))


def call(module, function: str, args: tuple):
    """`module.function(*args)` on copies of the arguments (a learner's function may write into them)."""
    return getattr(module, function)(*copy.deepcopy(args))


def failure(kind: str, name: str, error: BaseException) -> CheckResult:
    if isinstance(error, NotImplementedError):
        return CheckResult(kind, name, False, got=f"not written yet ({error.args[0] if error.args else 'a function'} "
                           "raises NotImplementedError)", hint="fill in the function's TODO")  # fmt: skip
    where = traceback.extract_tb(error.__traceback__)[-1]
    return CheckResult(kind, name, False, got=f"{type(error).__name__}: {error} (line {where.lineno})")


class MistakeFinder:
    """Recognises a classic mistake by running the solution with it planted on the same input."""

    def __init__(self, exercise: str, mistakes: tuple[Mistake, ...]):
        self.exercise, self.mistakes, self._modules = exercise, mistakes, {}

    def module(self, mistake: Mistake):
        if mistake.name not in self._modules:
            self._modules[mistake.name] = load_module(source=planted_source(self.exercise, mistake), label="mistake")
        return self._modules[mistake.name]

    def matches(self, function: str, args: tuple, got, reference) -> list[Mistake]:
        """The mistakes that give exactly the learner's wrong output on these arguments."""
        found = []
        for mistake in self.mistakes:
            try:
                planted = call(self.module(mistake), function, args)
            except Exception:
                continue
            if same(planted, got) and not same(planted, reference):
                found.append(mistake)
        return found


def name_mistakes(results: list[CheckResult], candidates: list[list[Mistake]]) -> None:
    """Give each failed check the hint of the mistake that explains the most failures of the
    report among those that explain it: one input may fit two mistakes, all of them only one."""
    score: dict[str, int] = {}
    for found in candidates:
        for mistake in found:
            score[mistake.name] = score.get(mistake.name, 0) + 1
    for result, found in zip(results, candidates, strict=True):
        if found:
            best = max(found, key=lambda m: score[m.name])  # the first of equals: the catalog's order
            result.hint = f"{best.name}: {best.hint}"


def unit_checks(exercise, learner, reference, finder: MistakeFinder) -> tuple[list[CheckResult], list]:
    """The unit checks' results, and for each the mistakes that would explain it."""
    results, candidates = [], []
    for case in exercise.cases():
        expected = call(reference, case.function, case.args)
        name = f"{case.function}: {case.label}"
        try:
            got = call(learner, case.function, case.args)
        except Exception as error:
            results.append(failure("unit", name, error))
            candidates.append([])
            continue
        if same(got, expected):
            results.append(CheckResult("unit", name, True))
            candidates.append([])
        else:
            results.append(CheckResult("unit", name, False, show(expected), show(got), case.hint))
            candidates.append(finder.matches(case.function, case.args, got, expected))
    return results, candidates


def finite_differences(loss, args: tuple, wrt: int, eps: float = 1e-6) -> np.ndarray:
    """d loss / d args[wrt] by central differences, one coordinate at a time."""
    x = np.array(args[wrt], dtype=np.float64)
    gradient = np.zeros_like(x)
    for i in np.ndindex(x.shape):
        for sign in (1.0, -1.0):
            moved = x.copy()
            moved[i] += sign * eps
            value = float(loss(*args[:wrt], moved, *args[wrt + 1 :]))
            gradient[i] += sign * value / (2 * eps)
    return gradient


def gradient_checks(exercise, learner, reference, finder: MistakeFinder) -> tuple[list[CheckResult], list]:
    """Each gradient against finite differences of the learner's own loss, then against the
    reference's; with the mistakes that would explain each failure."""
    results, candidates = [], []
    for check in exercise.gradients:
        name = f"{check.gradient}: {check.label}"
        loss_args, gradient_args = check.loss_args(), check.gradient_args()
        against_own, against_reference = (
            f"{name}, against finite differences of your loss",
            f"{name}, against the reference",
        )
        try:
            numeric = finite_differences(lambda *a, f=check.loss: call(learner, f, a), loss_args, check.wrt)
            got = call(learner, check.gradient, gradient_args)
        except Exception as error:
            results.append(failure("gradient", name, error))
            candidates.append([])
            continue
        expected = call(reference, check.gradient, gradient_args)
        found = finder.matches(check.gradient, gradient_args, got, expected)
        if not (np.shape(got) == numeric.shape and np.allclose(got, numeric, rtol=1e-4, atol=1e-6)):
            hint = "your gradient is not the derivative of your own loss: re-derive it term by term"
            results.append(CheckResult("gradient", against_own, False, show(numeric), show(got), hint))
            candidates.append(found)
            continue
        results.append(CheckResult("gradient", against_own, True))
        candidates.append([])
        if same(got, expected):
            results.append(CheckResult("gradient", against_reference, True))
            candidates.append([])
        else:
            hint = "your gradient matches your loss, so the loss itself is off: check it against the docstring"
            results.append(CheckResult("gradient", against_reference, False, show(expected), show(got), hint))
            candidates.append(found)
    return results, candidates


def check(path: str | Path, *, learning: bool = True, out: str | Path | None = None) -> Report:
    """Grade the exercise module at `path`; the learning curve goes to `out` (default: beside it)."""
    from rl_kit.exercises.catalog import EXERCISES, exercise_named

    path = Path(path)
    try:
        learner = load_module(path, label="learner")
    except RLKitError:
        raise
    except Exception as error:
        report = Report(str(path), "?")
        report.checks.append(failure("import", f"importing {path.name}", error))
        return report
    name = getattr(learner, "EXERCISE", None)
    if name not in EXERCISES:
        raise RLKitError(f"{path} names no exercise (EXERCISE = {name!r}); start one with `rl-kit exercise start NAME`")
    exercise = exercise_named(name)
    reference = load_module(source=solution_source(name), label="reference")
    finder = MistakeFinder(name, exercise.mistakes)
    report = Report(str(path), name)
    units, unit_candidates = unit_checks(exercise, learner, reference, finder)
    gradients, gradient_candidates = gradient_checks(exercise, learner, reference, finder)
    report.checks += units + gradients
    name_mistakes(report.checks, unit_candidates + gradient_candidates)
    if learning and exercise.learn is not None:
        figure = Path(out) if out else path.with_name(f"{path.stem}_learning.png")
        if report.passed:
            try:
                report.checks.append(exercise.learn(learner, figure))
            except Exception as error:
                report.checks.append(failure("learning", exercise.learning_label, error))
        else:
            report.checks.append(CheckResult("learning", exercise.learning_label, False,
                                             got="not run: the checks above must pass first"))  # fmt: skip
    return report
