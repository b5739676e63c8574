"""Exercises and their graders: each reference passes, each skeleton fails, and each classic
mistake, planted in the reference, fails with the hint that names it."""

import json
import subprocess
import sys

import pytest

from rl_kit.exercises import check, exercises, start
from rl_kit.exercises.catalog import EXERCISES
from rl_kit.exercises.sources import planted_source, skeleton_source, solution_source

NAMES = [exercise.name for exercise in exercises()]
MISTAKES = [(exercise.name, mistake) for exercise in exercises() for mistake in exercise.mistakes]
# their learning checks train for 15-30 s each: `slow`
NETWORK = ("dqn", "convolution", "reinforce", "gae", "ppo", "off_policy")
WITH_LEARNING = [pytest.param(name, marks=pytest.mark.slow) if name in NETWORK else name for name in NAMES]


def test_the_exercises_come_in_learning_path_order_from_the_bandit_update_to_ppo():
    assert NAMES == ["bandit", "policy_evaluation", "value_iteration", "monte_carlo", "sarsa", "q_learning",
                     "expected_sarsa", "dqn", "convolution", "reinforce", "gae", "ppo", "off_policy"]  # fmt: skip
    chapters = [exercise.chapter for exercise in exercises()]
    assert chapters == sorted(chapters)


@pytest.mark.parametrize("name", NETWORK)
def test_the_reference_solution_passes_the_quick_checks(name, tmp_path):
    report = check(start(name, tmp_path, solution=True), learning=False)
    assert report.passed, report.text()
    kinds = {c.kind for c in report.checks}
    assert kinds == ({"unit"} if name == "gae" else {"unit", "gradient"})


@pytest.mark.parametrize("name", WITH_LEARNING)
def test_the_reference_solution_passes_every_check_learning_included(name, tmp_path):
    report = check(start(name, tmp_path, solution=True))
    assert report.passed, report.text()
    kinds = {c.kind for c in report.checks}
    assert "unit" in kinds and "learning" in kinds
    learned = next(c for c in report.checks if c.kind == "learning")
    assert learned.figure and (tmp_path / f"{name}_solution_learning.png").read_bytes()[:4] == b"\x89PNG"


@pytest.mark.parametrize("name", NAMES)
def test_the_untouched_skeleton_fails_and_says_what_to_fill_in(name, tmp_path):
    skeleton = skeleton_source(name)
    assert "# SOLUTION" not in skeleton and "NotImplementedError" in skeleton
    report = check(start(name, tmp_path), learning=True)
    assert not report.passed
    assert all(not c.passed for c in report.checks)
    assert "not written yet" in report.checks[0].got
    assert report.checks[-1].kind == "learning" and "not run" in report.checks[-1].got


@pytest.mark.parametrize("name, mistake", MISTAKES, ids=[f"{n}: {m.name}" for n, m in MISTAKES])
def test_each_planted_mistake_fails_with_its_hint(name, mistake, tmp_path):
    planted = tmp_path / f"{name}.py"
    planted.write_text(planted_source(name, mistake), encoding="utf-8")
    report = check(planted, learning=False)
    assert not report.passed
    hints = [c.hint for c in report.checks if not c.passed]
    assert any(hint.startswith(f"{mistake.name}:") for hint in hints), report.text()
    # The hint names this mistake and no other.
    others = {m.name for m in EXERCISES[name].mistakes} - {mistake.name}
    assert not any(h.startswith(f"{other}:") for h in hints for other in others), report.text()


def test_the_classic_mistakes_are_covered():
    names = {mistake.name for _, mistake in MISTAKES}
    for classic in ("no masking at terminal states", "a truncated episode treated as terminal",
                    "the reward-to-go off by one", "the return accumulated forwards", "not reset at episode ends",
                    "lambda in the TD error", "gamma missing from the recursion", "the clip on the wrong side",
                    "no minimum", "a sign error in the gradient", "the target network updated every step",
                    "the kernel not flipped in the input gradient", "the stride ignored in the input gradient"):  # fmt: skip
        assert classic in names


def test_check_of_a_planted_mistake_exits_1_and_names_it(tmp_path):
    name = "q_learning"
    mistake = next(m for m in EXERCISES[name].mistakes if m.name == "a truncated episode treated as terminal")
    planted = tmp_path / "q_learning.py"
    planted.write_text(planted_source(name, mistake), encoding="utf-8")
    result = subprocess.run([sys.executable, "-m", "rl_kit.cli", "check", str(planted)], capture_output=True, text=True)
    assert result.returncode == 1
    assert "hint:     a truncated episode treated as terminal:" in result.stdout
    assert "FAIL  unit     q_learning_target: a truncated episode still bootstraps" in result.stdout
    as_json = subprocess.run(
        [sys.executable, "-m", "rl_kit.cli", "check", str(planted), "--json", "--no-learning"],
        capture_output=True,
        text=True,
    )
    report = json.loads(as_json.stdout)
    assert as_json.returncode == 1 and report["passed"] is False and report["exercise"] == name


def test_start_writes_a_skeleton_and_never_overwrites_work(tmp_path):
    result = subprocess.run([sys.executable, "-m", "rl_kit.cli", "exercise", "start", "sarsa", str(tmp_path)],
                            capture_output=True, text=True)  # fmt: skip
    assert result.returncode == 0 and (tmp_path / "sarsa.py").read_text() == skeleton_source("sarsa")
    (tmp_path / "sarsa.py").write_text("# my work\n")
    again = subprocess.run([sys.executable, "-m", "rl_kit.cli", "exercise", "start", "sarsa", str(tmp_path)],
                           capture_output=True, text=True)  # fmt: skip
    assert again.returncode == 2 and "kept" in again.stderr and (tmp_path / "sarsa.py").read_text() == "# my work\n"


def test_a_file_that_does_not_import_is_a_failed_check_not_a_crash(tmp_path):
    broken = tmp_path / "broken.py"
    broken.write_text("EXERCISE = 'q_learning'\ndef q_learning_target(:\n")
    report = check(broken)
    assert not report.passed and report.checks[0].kind == "import" and "SyntaxError" in report.checks[0].got


def check_edited(tmp_path, name, old, new):
    """The quick checks of exercise `name`'s reference with `old` replaced by `new` (a mistake no catalog lists)."""
    source = solution_source(name)
    assert source.count(old) == 1
    path = tmp_path / f"{name}.py"
    path.write_text(source.replace(old, new))
    return check(path, learning=False)


def test_a_learner_who_mutates_the_inputs_does_not_change_the_expected_values(tmp_path):
    report = check_edited(
        tmp_path,
        "q_learning",
        "    future = next_q.max(axis=1)\n",
        "    next_q *= 0\n    future = next_q.max(axis=1)\n",
    )
    assert not report.passed and any(c.expected and c.expected != c.got for c in report.checks if not c.passed)


def test_a_gradient_that_is_not_the_derivative_of_the_learners_loss_is_caught_against_finite_differences(tmp_path):
    """A mistake no hint knows: the check still fails, comparing the gradient with the learner's own loss."""
    report = check_edited(
        tmp_path,
        "ppo",
        "return -np.where(flows, unclipped, 0.0) / len(log_prob)",
        "return -np.where(flows, unclipped, 0.0) / 2",
    )
    failed = [c for c in report.checks if not c.passed]
    assert [c.kind for c in failed] == ["unit", "gradient"]
    assert "finite differences" in failed[1].name and "derivative of your own loss" in failed[1].hint


@pytest.mark.parametrize(
    "trick, said",
    [
        ("import sys\nsys.exit(0)\n", "SystemExit"),
        ("import os\nos._exit(0)\n", "ended the grading process"),
        ("def q_learning_target(*args):\n    import os\n    os._exit(0)\n", "ended the grading process"),
        (
            "import rl_kit.exercises.grading as g\ng.same = lambda a, b: True\n"
            "import numpy as np\ng.np.allclose = lambda *a, **k: True\n"
            "print('PASS  unit     every check')\ndef q_learning_target(*args):\n    return 0.0\n",
            "0.",
        ),
    ],
    ids=["sys.exit", "os._exit at import", "os._exit in a function", "patched grader and printed PASS"],
)
def test_the_grader_cannot_be_fooled_by_exits_patches_or_printed_passes(trick, said, tmp_path):
    """Before, a module whose import called sys.exit(0) ended `rl-kit check` with status 0 and
    no output: a pass. The learner's module now runs in a child process; a pass is counted only
    from values this process receives and compares."""
    path = tmp_path / "q_learning.py"
    path.write_text(solution_source("q_learning") + "\n" + trick)
    report = check(path, learning=False)
    assert not report.passed
    assert any(said in (c.got + c.expected) for c in report.checks if not c.passed), report.text()
    command = subprocess.run([sys.executable, "-m", "rl_kit.cli", "check", str(path), "--no-learning"],
                             capture_output=True, text=True)  # fmt: skip
    assert command.returncode == 1 and "checks passed: not yet" in command.stdout


def test_each_exercise_is_filed_under_the_chapter_the_docs_give_it():
    """Before, `rl-kit exercise list` filed dqn under chapter 5 while the docs teach it in 6."""
    import re
    from pathlib import Path

    docs = Path(__file__).resolve().parent.parent / "docs"
    table = {}
    for names, chapter in re.findall(
        r"^\| ((?:`\w+`(?:, )?)+) \| (\d+) \|", (docs / "15-exercises.md").read_text(), re.M
    ):
        for name in re.findall(r"`(\w+)`", names):
            table[name] = int(chapter)
    assert sorted(table) == sorted(NAMES)
    for exercise in exercises():
        assert (docs / f"{exercise.chapter}.md").is_file(), exercise.chapter
        assert int(exercise.chapter[:2]) == table[exercise.name], exercise.name


def test_a_mistake_that_fits_one_input_by_chance_gives_no_hint(tmp_path):
    """Before, `next_q.argmax(axis=1)` in place of the max got the hint "the mean, not the max":
    on one input the argmax equals the mean, on the others it does not."""
    report = check_edited(tmp_path, "q_learning", "future = next_q.max(axis=1)", "future = next_q.argmax(axis=1)")
    failed = [c for c in report.checks if not c.passed]
    assert failed and not any("mean" in c.hint for c in failed), report.text()


def test_the_convolution_reference_is_rl_kits_layer_and_its_agent_runs_on_it():
    """The exercise's reference computes what agents/convolution.py does (values and every
    gradient), and its DQN computes its torso with the learner's functions: same weights, same Q."""
    import gymnasium as gym
    import numpy as np

    from rl_kit.agents.convolution import Conv2d
    from rl_kit.agents.dqn import DQN
    from rl_kit.exercises.sources import load_module

    reference = load_module(source=solution_source("convolution"), label="reference")
    rng = np.random.default_rng(0)
    for shape, kernel, stride in (((2, 3, 8, 7), (3, 2), 2), ((1, 2, 5, 5), (2, 2), 1), ((3, 1, 9, 6), (3, 3), 3)):
        x, weight, bias = rng.normal(size=shape), rng.normal(size=(4, shape[1], *kernel)), rng.normal(size=4)
        layer = Conv2d(shape[1], 4, kernel, stride)
        y = layer.forward(x, weight, bias, keep=True)
        d_out = rng.normal(size=y.shape)
        d_weight, d_bias = np.zeros_like(weight), np.zeros_like(bias)
        d_x = layer.backward(d_out, weight, d_weight, d_bias)
        np.testing.assert_allclose(reference.conv2d(x, weight, bias, stride), y, rtol=1e-12, atol=1e-12)
        np.testing.assert_allclose(reference.conv2d_weight_gradient(x, weight, d_out, stride), d_weight, rtol=1e-12)
        np.testing.assert_allclose(reference.conv2d_bias_gradient(d_out), d_bias, rtol=1e-12)
        np.testing.assert_allclose(reference.conv2d_input_gradient(x, weight, d_out, stride), d_x, atol=1e-12)

    env = gym.make("rl_kit/Catch-v0", observation="pixels")
    hyperparameters = {"conv_layers": "8x3,4x2s2", "learning_starts": 0}
    yours = reference.Agent(env.observation_space, env.action_space, seed=3, **hyperparameters)
    ours = DQN(env.observation_space, env.action_space, seed=3, **hyperparameters)
    assert all(
        isinstance(layer, reference.YourConvolution) for layer in yours.q.torso.layers + yours.target.torso.layers
    )
    images = rng.integers(0, 256, size=(6, *env.observation_space.shape)).astype(np.uint8)
    np.testing.assert_allclose(yours.action_values(images), ours.action_values(images), rtol=1e-5, atol=1e-6)
    x = ours.q.encode(images)
    np.testing.assert_allclose(yours.q.input_gradient(x, np.zeros(6, int)), ours.q.input_gradient(x, np.zeros(6, int)),
                               rtol=1e-4, atol=1e-6)  # fmt: skip
