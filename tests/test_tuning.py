"""Tuning with Optuna: search spaces, the pruning hook, the study's outputs, resuming a stopped
study, and workers in separate processes sharing one SQLite study."""

import csv
import os
import signal
import subprocess
import sys
import time

import optuna
import pytest
import yaml

from rl_kit.agents.search_space import Choice, FloatRange, IntRange
from rl_kit.api import train, tune
from rl_kit.core import registry
from rl_kit.core.backends import search_space
from rl_kit.core.sb3_files import algorithm
from rl_kit.errors import RLKitError
from rl_kit.experiments.tuning import suggest

ENV = "rl_kit/FrozenLake4x4-v0"
# A tiny study: about a tenth of a second per trial, so that tests can run many.
SMALL = dict(steps=4000, num_envs=8, evaluations=4, eval_episodes=10, progress=False)


def read_trials(directory):
    with open(directory / "trials.csv", newline="") as f:
        return list(csv.DictReader(f))


def finished(rows):
    return [r for r in rows if r["state"] in ("complete", "pruned")]


def rl_kit_command(*args):
    return [sys.executable, "-m", "rl_kit.cli", *map(str, args)]


@pytest.mark.parametrize("agent", [*registry.TABULAR_AGENTS, *registry.NETWORK_AGENTS])
def test_every_point_of_every_search_space_is_a_valid_configuration(agent):
    cls = registry.agent_class(agent)
    space = search_space(agent)
    if agent == "value_iteration":
        assert space == {}
        return
    study = optuna.create_study(sampler=optuna.samplers.RandomSampler(seed=0))
    for _ in range(30):
        values = suggest(study.ask(), space)
        cls.Hyperparameters.from_dict(values, agent=agent)  # raises on a bad value or name


def test_suggest_draws_each_kind_of_dimension_inside_its_range():
    space = {"lr": FloatRange(1e-4, 1e-1, log=True), "n": IntRange(2, 9), "act": Choice("tanh", "relu")}
    study = optuna.create_study(sampler=optuna.samplers.RandomSampler(seed=1))
    for _ in range(20):
        values = suggest(study.ask(), space)
        assert 1e-4 <= values["lr"] <= 1e-1 and isinstance(values["n"], int) and 2 <= values["n"] <= 9
        assert values["act"] in ("tanh", "relu")
    with pytest.raises(ValueError):
        FloatRange(0.0, 1.0, log=True)
    with pytest.raises(ValueError):
        Choice("only one")


def test_sb3_agents_have_search_spaces_of_their_own_arguments():
    import inspect

    for name in ("sb3_ppo", "sb3_a2c", "sb3_dqn"):
        accepted = inspect.signature(algorithm(name).__init__).parameters
        assert set(search_space(name)) <= set(accepted), name


def test_an_evaluation_hook_that_says_stop_stops_training(tmp_path):
    seen = []

    def stop_at_second(step, stats):
        seen.append((step, stats["mean"]))
        return len(seen) == 2

    run = train(
        ENV,
        "q_learning",
        steps=10_000,
        num_envs=8,
        eval_every=1000,
        out=tmp_path,
        progress=False,
        tensorboard=False,
        on_evaluation=stop_at_second,
    )
    assert [s for s, _ in seen] == [1000, 2000]
    assert run.result.steps == 2000 and not run.result.interrupted


def test_the_evaluation_hook_stops_stable_baselines3_too(tmp_path):
    seen = []
    run = train(
        "CartPole-v1",
        "sb3_ppo",
        steps=20_000,
        eval_every=512,
        eval_episodes=2,
        out=tmp_path,
        progress=False,
        tensorboard=False,
        hyperparameters={"n_steps": 64},
        on_evaluation=lambda step, stats: seen.append(step) or True,
    )
    assert len(seen) == 1 and run.result.steps < 2000


@pytest.fixture(scope="module")
def study(tmp_path_factory):
    out = tmp_path_factory.mktemp("tune")
    return tune(ENV, "q_learning", trials=8, out=out, **SMALL)


def test_a_study_writes_its_table_best_entry_and_plots(study):
    rows = read_trials(study.directory)
    assert len(finished(rows)) == 8 == study.finished
    assert {"number", "state", "score", "alpha", "epsilon", "gamma", "q_init"} <= set(rows[0])
    scores = [float(r["score"]) for r in rows if r["state"] == "complete"]
    assert study.best_value == max(scores)
    for name in ("history.png", "importance.png", "study.db"):
        assert (study.directory / name).stat().st_size > 0, name
    assert (study.directory / "trials" / "0000" / "eval.csv").is_file()


def test_the_best_entry_is_a_file_train_accepts_and_records(study, tmp_path):
    entry = yaml.safe_load(study.best_file.read_text())[ENV]
    assert entry["n_timesteps"] == 4000 and entry["num_envs"] == 8
    for key, value in study.best_hyperparameters.items():
        assert entry[key] == value
    run = train(
        ENV,
        "q_learning",
        steps=4000,
        hyperparameters_file=study.best_file,
        out=tmp_path / "run",
        progress=False,
        tensorboard=False,
    )
    assert run.config["hyperparameters"]["alpha"] == entry["alpha"]
    assert run.config["num_envs"] == 8
    assert run.config["hyperparameters_file"] == f"{study.best_file}#{ENV}"
    with pytest.raises(RLKitError, match="has no entry for rl_kit/CliffWalking-v0"):
        train(
            "rl_kit/CliffWalking-v0",
            "q_learning",
            steps=10,
            hyperparameters_file=study.best_file,
            out=tmp_path / "other",
            progress=False,
        )


def test_the_best_trial_reproduces_its_score_when_trained_again(study, tmp_path):
    run = train(
        ENV,
        "q_learning",
        steps=4000,
        hyperparameters_file=study.best_file,
        out=tmp_path,
        eval_every=1000,
        eval_episodes=10,
        progress=False,
        tensorboard=False,
    )
    with open(run.directory / "eval.csv", newline="") as f:
        last = list(csv.DictReader(f))[-1]
    assert float(last["mean"]) == pytest.approx(study.best_value)


def test_the_mean_objective_scores_the_area_under_the_learning_curve(tmp_path):
    result = tune(ENV, "q_learning", trials=3, out=tmp_path, objective="mean", **SMALL)
    for row in read_trials(tmp_path):
        if row["state"] != "complete":
            continue
        with open(tmp_path / "trials" / f"{int(row['number']):04d}" / "eval.csv", newline="") as f:
            means = [float(r["mean"]) for r in csv.DictReader(f)]
        assert len(means) == SMALL["evaluations"] and float(row["score"]) == pytest.approx(sum(means) / len(means))
    assert "mean greedy return over its evaluations" in result.best_file.read_text()
    with pytest.raises(RLKitError, match="was tuned with objective='mean', not 'final'"):
        tune(ENV, "q_learning", trials=4, out=tmp_path, **SMALL)
    with pytest.raises(RLKitError, match="objective must be one of"):
        tune(ENV, "q_learning", trials=1, out=tmp_path / "bad", objective="best", **SMALL)


def test_a_finished_study_run_again_adds_nothing_and_more_trials_extend_it(tmp_path):
    first = tune(ENV, "q_learning", trials=3, out=tmp_path, **SMALL)
    before = read_trials(tmp_path)
    again = tune(ENV, "q_learning", trials=3, out=tmp_path, **SMALL)
    assert again.finished == 3 and read_trials(tmp_path) == before
    more = tune(ENV, "q_learning", trials=5, out=tmp_path, **SMALL)
    after = read_trials(tmp_path)
    assert more.finished == 5 and after[:3] == before and first.finished == 3


def test_a_study_refuses_other_settings_and_nothing_to_tune(tmp_path):
    tune(ENV, "q_learning", trials=1, out=tmp_path, **SMALL)
    with pytest.raises(RLKitError, match="was tuned with steps=4000, not 8000"):
        tune(ENV, "q_learning", trials=2, out=tmp_path, **{**SMALL, "steps": 8000})
    with pytest.raises(RLKitError, match="nothing|no hyperparameters to tune"):
        tune(ENV, "value_iteration", trials=2, out=tmp_path / "vi", **SMALL)
    with pytest.raises(RLKitError, match="rl-kit bandit"):
        tune("rl_kit/Bandit-v0", "ucb_bandit", trials=2, out=tmp_path / "bandit", **SMALL)
    fixed = {"alpha": 0.5, "epsilon": 0.1, "gamma": 0.99, "q_init": 1.0}
    with pytest.raises(RLKitError, match="no hyperparameters to tune"):
        tune(ENV, "q_learning", trials=2, out=tmp_path / "fixed", hyperparameters=fixed, **SMALL)


def test_fixed_hyperparameters_are_left_out_of_the_search_and_kept_in_the_best_entry(tmp_path):
    result = tune(ENV, "q_learning", trials=3, out=tmp_path, hyperparameters={"gamma": 0.95}, **SMALL)
    rows = read_trials(tmp_path)
    assert "gamma" not in rows[0] and "alpha" in rows[0]
    assert yaml.safe_load(result.best_file.read_text())[ENV]["gamma"] == 0.95


TUNE_ARGS = (
    "tune",
    "--env",
    ENV,
    "--agent",
    "q_learning",
    "--steps",
    20_000,
    "--num-envs",
    1,
    "--evaluations",
    4,
    "--no-progress",
)


def test_two_workers_in_separate_processes_share_one_sqlite_study(tmp_path):
    """Two commands, as on two machines, against one database: both contribute trials."""
    storage = f"sqlite:///{tmp_path / 'shared.db'}"
    args = (*TUNE_ARGS, "--trials", 8, "--storage", storage, "--study", "shared", "--out")
    workers = [
        subprocess.Popen(
            rl_kit_command(*args, tmp_path / f"w{k}"), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
        )
        for k in range(2)
    ]
    for worker in workers:
        out, err = worker.communicate(timeout=300)
        assert worker.returncode == 0, err
    study = optuna.load_study(study_name="shared", storage=storage)
    done = [t for t in study.trials if t.state.is_finished() and t.state.name != "FAIL"]
    assert len(done) >= 8
    assert len({t.user_attrs["worker"] for t in done}) == 2  # both processes ran trials
    assert len({t.number for t in done}) == len(done)


@pytest.mark.slow  # the two-process test below shares a study the same way; 25 s
def test_workers_flag_runs_that_many_processes_on_the_study(tmp_path):
    result = subprocess.run(
        rl_kit_command(*TUNE_ARGS, "--trials", 6, "--workers", 2, "--out", tmp_path),
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr
    rows = finished(read_trials(tmp_path))
    assert len(rows) >= 6 and len({r["worker"] for r in rows}) == 2
    assert "[worker 0]" in result.stdout and "[worker 1]" in result.stdout


@pytest.mark.slow  # 25 s
def test_a_killed_tuning_run_resumes_its_study(tmp_path):
    process = subprocess.Popen(
        rl_kit_command(*TUNE_ARGS, "--trials", 5, "--out", tmp_path),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    storage = f"sqlite:///{tmp_path / 'study.db'}"
    deadline = time.time() + 120
    done_before = 0
    while time.time() < deadline and process.poll() is None:
        time.sleep(0.3)
        try:
            trials = optuna.load_study(study_name=f"q_learning-{ENV}", storage=storage).trials
        except Exception:  # the study is not created yet
            continue
        done_before = sum(t.state.name in ("COMPLETE", "PRUNED") for t in trials)
        if done_before >= 2:
            os.kill(process.pid, signal.SIGKILL)
            break
    process.wait()
    assert 2 <= done_before < 5, "the run must be killed part-way"
    kept = {
        t.number: t.value
        for t in optuna.load_study(study_name=f"q_learning-{ENV}", storage=storage).trials
        if t.state.name == "COMPLETE"
    }
    result = subprocess.run(
        rl_kit_command(*TUNE_ARGS, "--trials", 5, "--out", tmp_path), capture_output=True, text=True, timeout=300
    )
    assert result.returncode == 0, result.stderr
    assert "done before" in result.stdout
    rows = read_trials(tmp_path)
    assert len(finished(rows)) == 5
    for row in rows:  # what finished before the kill is still there, unchanged
        if int(row["number"]) in kept:
            assert float(row["score"]) == kept[int(row["number"])]


SHAPES = {"hidden_sizes": "32", "activation": "tanh", "n_steps": 32, "n_epochs": 2, "batch_size": 64}


def test_trials_of_one_shape_train_as_one_population_and_score_as_each_alone(tmp_path):
    settings = dict(steps=1024, num_envs=2, evaluations=2, eval_episodes=3, progress=False, population=2)
    result = tune("CartPole-v1", "ppo", trials=4, out=tmp_path / "fixed", hyperparameters=SHAPES, **settings)
    rows = read_trials(tmp_path / "fixed")
    assert result.finished == 4 and len(finished(rows)) == 4
    for row in rows:
        run = tmp_path / "fixed" / "trials" / f"{int(row['number']):04d}"
        config = yaml.safe_load((run / "config.yaml").read_text())
        assert len(config["population"]["members"]) == 2
        assert config["hyperparameters"]["learning_rate"] == pytest.approx(float(row["learning_rate"]))
        if row["state"] == "complete":
            with open(run / "eval.csv", newline="") as f:
                assert float(row["score"]) == pytest.approx(float(list(csv.DictReader(f))[-1]["mean"]))
    tune("CartPole-v1", "ppo", trials=2, out=tmp_path / "free", **settings)  # shapes drawn: one after another
    for run in (tmp_path / "free" / "trials").iterdir():
        assert "population" not in yaml.safe_load((run / "config.yaml").read_text())
