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

The learner's code never runs in the grading process. A child process imports it and sends
back only the values its functions return (and, once the quick checks pass, the learning
check's result); this process compares them with the reference's. So a module that calls
``sys.exit`` or ``os._exit``, replaces the grader's functions, or prints PASS gets a failed
check that says so: a pass is counted only from values received and compared here.
"""

from __future__ import annotations

import copy
import traceback
from pathlib import Path
from typing import Any

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
    frames = traceback.extract_tb(error.__traceback__)
    where = f" (line {frames[-1].lineno})" if frames else ""
    hint = (
        "the module calls sys.exit (or exit()): the grader counts only results it receives"
        if isinstance(error, SystemExit)
        else ""
    )
    return CheckResult(kind, name, False, got=f"{type(error).__name__}: {error}{where}", hint=hint)


class MistakeFinder:
    """Recognises a classic mistake by running the solution with it planted on the same input."""

    def __init__(self, exercise: str, mistakes: tuple[Mistake, ...]):
        self.exercise, self.mistakes = exercise, mistakes
        self._modules: dict[str, Any] = {}

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
    """Give the failed checks of each function the hint of a mistake that gives exactly the
    learner's output on every one of them (the first such in the catalog's order). A mistake
    that fits one input by chance (an argmax that happens to equal a mean there) but not the
    others is not the learner's, and names nothing."""
    groups: dict[str, list[tuple[CheckResult, list[Mistake]]]] = {}
    for result, found in zip(results, candidates, strict=True):
        if not result.passed:
            groups.setdefault(result.name.split(":")[0], []).append((result, found))
    for group in groups.values():
        fitting = set.intersection(*({m.name for m in found} for _, found in group))
        order = [m for _, found in group for m in found]
        mistake = next((m for m in order if m.name in fitting), None)
        if mistake is None:
            continue
        for result, _ in group:
            result.hint = f"{mistake.name}: {mistake.hint}"


def unit_checks(exercise, outputs: list, reference, finder: MistakeFinder) -> tuple[list[CheckResult], list]:
    """The unit checks' results from the learner's `outputs` (one per case, as the child sent
    them), and for each the mistakes that would explain it."""
    results: list[CheckResult] = []
    candidates: list = []
    for case, (status, got) in zip(exercise.cases(), outputs, strict=True):
        expected = call(reference, case.function, case.args)
        name = f"{case.function}: {case.label}"
        if status == "error":
            results.append(CheckResult("unit", name, False, **got))
            candidates.append([])
        elif same(got, expected):
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


def gradient_checks(exercise, outputs: list, reference, finder: MistakeFinder) -> tuple[list[CheckResult], list]:
    """Each gradient against finite differences of the learner's own loss (both computed in the
    child, from the learner's functions), then against the reference's; with the mistakes that
    would explain each failure."""
    results: list[CheckResult] = []
    candidates: list = []
    for check, (status, value) in zip(exercise.gradients, outputs, strict=True):
        name = f"{check.gradient}: {check.label}"
        gradient_args = check.gradient_args()
        against_own, against_reference = (
            f"{name}, against finite differences of your loss",
            f"{name}, against the reference",
        )
        if status == "error":
            results.append(CheckResult("gradient", name, False, **value))
            candidates.append([])
            continue
        numeric, got = value
        numeric = np.asarray(numeric, dtype=np.float64)
        expected = call(reference, check.gradient, gradient_args)
        found = finder.matches(check.gradient, gradient_args, got, expected)
        try:
            fits_own = np.shape(got) == numeric.shape and bool(np.allclose(got, numeric, rtol=1e-4, atol=1e-6))
        except (TypeError, ValueError):
            fits_own = False
        if not fits_own:
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


def error_fields(kind: str, name: str, error: BaseException) -> dict:
    """What :func:`failure` reports of `error`, as plain fields to send from the child."""
    result = failure(kind, name, error)
    return {"got": result.got, "hint": result.hint}


def plain(value):
    """`value` as plain data (numbers, arrays, tuples and lists of them) to send to the grader;
    anything else is sent as its text, which compares as wrong."""
    if isinstance(value, tuple):
        return tuple(plain(v) for v in value)
    if isinstance(value, list):
        return [plain(v) for v in value]
    if isinstance(value, (np.ndarray, np.generic, int, float, bool)) or value is None:
        return np.array(value) if isinstance(value, np.ndarray) else value
    return repr(value)[:200]


def learner_process(path: str, name: str, connection) -> None:
    """The child: import the learner's module, run its functions on the checks' inputs, send the
    values; then, if the grader asks, run the learning check and send its result."""
    from rl_kit.exercises.catalog import exercise_named

    exercise = exercise_named(name)
    try:
        learner = load_module(path, label="learner")
    except BaseException as error:  # SystemExit included: the module ended its own import
        connection.send(("import", error_fields("import", f"importing {Path(path).name}", error)))
        return
    units = []
    for case in exercise.cases():
        try:
            units.append(("ok", plain(call(learner, case.function, case.args))))
        except BaseException as error:
            units.append(("error", error_fields("unit", f"{case.function}: {case.label}", error)))
    gradients: list[tuple[str, Any]] = []
    for check in exercise.gradients:
        try:
            loss_args = check.loss_args()
            numeric = finite_differences(lambda *a, f=check.loss: call(learner, f, a), loss_args, check.wrt)
            gradients.append(("ok", (numeric, plain(call(learner, check.gradient, check.gradient_args())))))
        except BaseException as error:
            gradients.append(("error", error_fields("gradient", f"{check.gradient}: {check.label}", error)))
    connection.send(("checks", {"units": units, "gradients": gradients}))
    request = connection.recv()
    if request is None:
        return
    try:
        assert exercise.learn is not None  # asked for only where the exercise has a learning check
        result = exercise.learn(learner, Path(request))
        connection.send(("learning", {"passed": bool(result.passed), "expected": str(result.expected),
                                      "got": str(result.got), "hint": str(result.hint), "figure": str(result.figure)}))  # fmt: skip
    except BaseException as error:
        connection.send(("learning", {"passed": False, **error_fields("learning", exercise.learning_label, error)}))


def exercise_name(path: Path) -> str | None:
    """The ``EXERCISE = "name"`` a module assigns, read from its text without running it (a
    module that does not parse still names its exercise, so the child can report its error)."""
    import re

    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return None
    found = re.search(r"^EXERCISE\s*=\s*([\"'])(\w+)\1\s*(#.*)?$", text, re.MULTILINE)
    return found.group(2) if found else None


class LearnerEnded(Exception):
    """The learner's process ended without sending what the grader asked for."""


def receive(connection, process, expected: str):
    """The child's next message, of kind `expected`; LearnerEnded if it died (or sent anything else)."""
    try:
        kind, payload = connection.recv()
    except (EOFError, OSError, ValueError, TypeError):
        process.join(timeout=10)
        raise LearnerEnded(f"exit code {process.exitcode}") from None
    except Exception as error:  # a message that does not unpickle
        raise LearnerEnded(f"it sent what the grader cannot read ({type(error).__name__})") from None
    if kind not in (expected, "import"):
        raise LearnerEnded(f"it sent {kind!r} where the grader expected {expected!r}")
    return kind, payload


def ended_early(path: Path, why: str) -> CheckResult:
    return CheckResult(
        "grading", f"running {path.name}", False,
        got=f"the module ended the grading process before it sent its results ({why})",
        hint="remove any sys.exit, os._exit or exit() from the module: the grader counts only results it receives",
    )  # fmt: skip


def check(path: str | Path, *, learning: bool = True, out: str | Path | None = None) -> Report:
    """Grade the exercise module at `path`; the learning curve goes to `out` (default: beside it)."""
    import multiprocessing

    from rl_kit.exercises.catalog import EXERCISES, exercise_named

    path = Path(path)
    if not path.is_file():
        raise RLKitError(f"no exercise file at {path}")
    name = exercise_name(path)
    if name not in EXERCISES:
        raise RLKitError(f"{path} names no exercise (EXERCISE = {name!r}); start one with `rl-kit exercise start NAME`")
    exercise = exercise_named(name)
    report = Report(str(path), name)
    context: Any = multiprocessing.get_context(  # a concrete context, with Process
        "forkserver" if "forkserver" in multiprocessing.get_all_start_methods() else "spawn"
    )
    connection, child_end = context.Pipe(duplex=True)
    process = context.Process(target=learner_process, args=(str(path.resolve()), name, child_end), daemon=True)
    process.start()
    child_end.close()
    try:
        kind, payload = receive(connection, process, "checks")
        if kind == "import":
            report.checks.append(CheckResult("import", f"importing {path.name}", False, **payload))
            return report
        reference = load_module(source=solution_source(name), label="reference")
        finder = MistakeFinder(name, exercise.mistakes)
        units, unit_candidates = unit_checks(exercise, payload["units"], reference, finder)
        gradients, gradient_candidates = gradient_checks(exercise, payload["gradients"], reference, finder)
        report.checks += units + gradients
        name_mistakes(report.checks, unit_candidates + gradient_candidates)
        run_learning = learning and exercise.learn is not None and report.passed
        figure = Path(out) if out else path.with_name(f"{path.stem}_learning.png")
        connection.send(str(figure) if run_learning else None)
        if run_learning:
            _, result = receive(connection, process, "learning")
            report.checks.append(CheckResult("learning", exercise.learning_label, **result))
        elif learning and exercise.learn is not None:
            report.checks.append(CheckResult("learning", exercise.learning_label, False,
                                             got="not run: the checks above must pass first"))  # fmt: skip
    except LearnerEnded as why:
        report.checks.append(ended_early(path, str(why)))
    finally:
        connection.close()
        process.join(timeout=10)
        if process.is_alive():
            process.kill()
            process.join()
    return report
