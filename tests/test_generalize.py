"""rl-kit generalize: N training levels for each N, over seeds, each run evaluated on its
training levels and on held-out ones that share none of them; report, summary and figure;
stored runs resumed; a study that is not one refused in one line."""

import csv
import json
import subprocess
import sys

import pytest

import rl_kit
from rl_kit.errors import RLKitError
from rl_kit.experiments.generalize import TEST_START, GeneralizationStudy, held_out_seeds, run_generalization

TINY = dict(levels=(1, 0), seeds=1, steps=2_000, test_levels=200, episodes=10,
            env_kwargs={"size": 2, "observation": "position"})  # fmt: skip


def test_generalize_writes_its_report_for_a_tiny_grid_and_resumes_what_it_stored(tmp_path, capsys):
    report = rl_kit.generalize("q_learning", out=tmp_path, **TINY)
    text = report.read_text()
    assert "| 1 | 1 |" in text and "| unlimited | 1 |" in text and (tmp_path / "generalization.png").is_file()
    rows = list(csv.DictReader((tmp_path / "summary.csv").open()))
    assert [row["levels"] for row in rows] == ["1", "0"]
    assert all(0.0 <= float(row["test_low"]) <= float(row["test"]) <= float(row["test_high"]) <= 1.0 for row in rows)
    stored = json.loads((tmp_path / "results.json").read_text())["runs"]
    assert sorted(stored) == ["0", "1"] and len(stored["1"]["0"]["train"]) == 10
    # a 2x2 family repeats its levels: held-out seeds whose level is level 0 are dropped and counted
    assert stored["1"]["0"]["duplicates"] > 0 and stored["1"]["0"]["test_levels"] < 200
    capsys.readouterr()
    rl_kit.generalize("q_learning", out=tmp_path, **TINY)
    assert "0 runs to do (2 stored)" in capsys.readouterr().out
    with pytest.raises(RLKitError, match="another study"):
        rl_kit.generalize("q_learning", out=tmp_path, **{**TINY, "steps": 3_000})


def test_the_held_out_seeds_share_no_level_with_the_training_ones():
    from rl_kit.envs.proc_grid import content_hash

    study = GeneralizationStudy("rl_kit/ProcGrid-v0", "ppo", (5,), test_levels=200, env_kwargs={"size": 2})
    split = held_out_seeds(study, 5)
    training = {content_hash(seed, 2) for seed in range(5)}
    assert split.seeds and min(split.seeds) >= TEST_START
    assert not training & {content_hash(seed, 2) for seed in split.seeds}
    assert split.duplicates > 0 and split.duplicates + split.repeats + len(split.seeds) == 200


def test_a_study_that_is_not_one_is_refused_in_one_line(tmp_path):
    for bad in (dict(level_counts=(1, 1)), dict(level_counts=(-1,)), dict(env_kwargs={"num_levels": 3}),
                dict(seeds=0)):  # fmt: skip
        with pytest.raises(RLKitError) as error:
            GeneralizationStudy("rl_kit/ProcGrid-v0", "ppo", **bad)
        assert "\n" not in str(error.value)
    with pytest.raises(RLKitError, match="not a level family"):
        run_generalization(GeneralizationStudy("rl_kit/Catch-v0", "ppo", (1,)), tmp_path)
    command = subprocess.run([sys.executable, "-m", "rl_kit.cli", "generalize", "--agent", "ppo", "--levels", "1,x",
                              "--out", str(tmp_path / "g")], capture_output=True, text=True)  # fmt: skip
    assert command.returncode == 2 and "--levels takes whole numbers" in command.stderr


def test_a_study_whose_runs_fail_ends_in_one_line_naming_the_first_after_its_report(tmp_path, capsys):
    """A failed run once left an empty report and exit code 0: a script (or the docs test) read
    that as a study done. Each failure is printed as it comes; the study then raises."""
    with pytest.raises(RLKitError, match=r"2 of 2 runs failed .* the first: 1 levels, seed 0: .*gamma=7.0") as error:
        rl_kit.generalize("q_learning", out=tmp_path, **{**TINY, "hyperparameters": {"gamma": 7.0}})
    assert "\n" not in str(error.value) and (tmp_path / "report.md").is_file()
    assert capsys.readouterr().out.count("failed: ") == 2


def test_an_ns_seeds_train_as_one_population_where_the_agent_can_and_the_report_says_so(tmp_path, capsys):
    from rl_kit.experiments.generalize import generalization_jobs, one_run, population_runs

    small = dict(levels=(2,), seeds=2, steps=1_024, test_levels=100, episodes=5, env_kwargs={"size": 4})
    report = rl_kit.generalize("ppo", out=tmp_path, **small)
    assert "2 runs to do (0 stored); in populations: 2 levels\n" in capsys.readouterr().out
    stored = json.loads((tmp_path / "results.json").read_text())["runs"]["2"]
    assert sorted(stored) == ["0", "1"] and {run["population"] for run in stored.values()} == {2}
    assert all(len(run["train"]) == len(run["test"]) == 5 for run in stored.values())
    assert "Trained as one population (an N's seeds in one process, one computation): 2 levels" in report.read_text()
    study = GeneralizationStudy("rl_kit/ProcGrid-v0", "ppo", (2, 5), seeds=3, env_kwargs={"size": 4})
    assert [job.function for job in generalization_jobs(study, {"2": {"1": {}}})] == [population_runs] * 2
    assert [job.args[2] for job in generalization_jobs(study, {"2": {"1": {}}})] == [(0, 2), (0, 1, 2)]
    assert [job.function for job in generalization_jobs(study, {}, population=False)] == [one_run] * 6
    # more workers than Ns: each N's seeds split into populations that keep the workers busy
    split = generalization_jobs(study, {"2": {"1": {}}}, workers=4)
    assert [(job.function, job.args[1:]) for job in split] == [
        (one_run, (2, 0)), (one_run, (2, 2)), (population_runs, (5, (0, 1))), (one_run, (5, 2))
    ]  # fmt: skip
    tabular = GeneralizationStudy(
        "rl_kit/ProcGrid-v0", "q_learning", (2,), seeds=3, steps=100, env_kwargs=TINY["env_kwargs"]
    )
    assert [job.function for job in generalization_jobs(tabular, {})] == [one_run] * 3
