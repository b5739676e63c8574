"""Comparisons: the report's rows and files, reproducibility, failures, the statistics."""

import csv

import numpy as np
import pytest

from rl_kit.api import compare
from rl_kit.core.spec import EnvConfig
from rl_kit.core.stats import bootstrap_ci, iqm
from rl_kit.experiments.compare import RunOutcome, summarize_outcomes


def read_summary(path):
    with open(path, newline="") as f:
        return list(csv.DictReader(f))


@pytest.fixture(scope="module")
def comparison(tmp_path_factory):
    out = tmp_path_factory.mktemp("compare")
    return compare(
        "rl_kit/CliffWalking-v0",
        ["q_learning", "sarsa"],
        seeds=2,
        steps=20_000,
        out=out / "a",
        workers=2,
        episodes=5,
        progress=False,
        hyperparameters={"sarsa": {"epsilon": 0.0}},
    )


def test_report_has_the_expected_rows_and_files(comparison):
    d = comparison.directory
    for name in ("report.md", "summary.csv", "learning_curves.png", "final_returns.png"):
        assert (d / name).is_file(), name
    rows = read_summary(d / "summary.csv")
    assert [r["agent"] for r in rows] == ["q_learning", "sarsa", "optimal (value iteration on P)"]
    assert all(r["seeds"] == "2" for r in rows[:2]) and float(rows[2]["return_mean"]) == -13.0
    assert (d / "runs" / "sarsa" / "seed1" / "eval.csv").is_file()
    report = (d / "report.md").read_text()
    assert "| q_learning | 2 |" in report and "rl-kit compare --env rl_kit/CliffWalking-v0" in report
    assert "## Who is better" in report and "| q_learning | sarsa |" in report


def test_same_seeds_same_numbers(comparison, tmp_path):
    again = compare(
        "rl_kit/CliffWalking-v0",
        ["q_learning", "sarsa"],
        seeds=2,
        steps=20_000,
        out=tmp_path,
        workers=2,
        episodes=5,
        progress=False,
        hyperparameters={"sarsa": {"epsilon": 0.0}},
    )
    keys = ("return_mean", "ci_low", "ci_high", "iqm", "success_rate", "steps_to_threshold")
    first, second = read_summary(comparison.directory / "summary.csv"), read_summary(again.directory / "summary.csv")
    assert [[r[k] for k in keys] for r in first] == [[r[k] for k in keys] for r in second]


def test_a_failing_run_is_reported_and_the_others_finish(tmp_path):
    result = compare(
        "rl_kit/GridWorld-v0",
        ["q_learning", "sarsa"],
        seeds=1,
        steps=2_000,
        out=tmp_path,
        workers=2,
        episodes=3,
        progress=False,
        hyperparameters={"sarsa": {"alpha": "fast"}},
    )
    by_agent = {o.agent: o for o in result.outcomes}
    assert by_agent["sarsa"].failed and "alpha='fast'" in by_agent["sarsa"].error
    assert not by_agent["q_learning"].failed and len(by_agent["q_learning"].returns) == 3
    report = (tmp_path / "report.md").read_text()
    assert "## Failed runs" in report and "sarsa seed 0" in report


def test_statistics_over_seeds_match_a_direct_computation(tmp_path):
    outcomes = [
        RunOutcome("x", s, str(tmp_path), returns=list(r), steps=100, wall_time=2.0, peak_mb=10.0)
        for s, r in enumerate([[1.0, 3.0], [2.0, 2.0], [10.0, 0.0]])
    ]
    [row] = summarize_outcomes(EnvConfig("CartPole-v1"), ["x"], outcomes, 2)
    seed_means = np.array([2.0, 2.0, 5.0])
    assert row["return_mean"] == pytest.approx(3.0)
    assert (row["ci_low"], row["ci_high"]) == pytest.approx(bootstrap_ci(seed_means))
    assert row["iqm"] == pytest.approx(iqm([1, 3, 2, 2, 10, 0]))
    assert row["steps_per_second"] == 50.0 and row["threshold_reached"] == "0/3"
