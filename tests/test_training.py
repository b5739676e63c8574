"""rl_kit.train: the run directory, its files and columns, evaluation, errors."""

import csv

import pytest
import yaml

import rl_kit
from rl_kit.errors import RLKitError
from rl_kit.loop import final_observations


def read_rows(path):
    with open(path, newline="") as f:
        return list(csv.DictReader(f))


def test_run_directory_holds_everything(tmp_path):
    run = rl_kit.train(
        "rl_kit/GridWorld-v0",
        "q_learning",
        steps=5_000,
        seed=3,
        num_envs=4,
        out=tmp_path / "run",
        progress=False,
        hyperparameters={"epsilon": "linear(1.0, 0.1, 4000)"},
    )
    d = run.directory
    for name in ("config.yaml", "episodes.csv", "train.csv", "eval.csv", "result.yaml", "agent.safetensors"):
        assert (d / name).is_file(), name
    assert any((d / "tensorboard").iterdir())
    config = yaml.safe_load((d / "config.yaml").read_text())
    assert config["env"] == "rl_kit/GridWorld-v0" and config["agent"] == "q_learning" and config["seed"] == 3
    assert config["hyperparameters"]["epsilon"] == "linear(1.0, 0.1, 4000)"
    assert config["versions"]["gymnasium"] and config["num_envs"] == 4
    episodes = read_rows(d / "episodes.csv")
    assert (
        list(episodes[0]) == ["step", "episode", "return", "length", "wall_time"]
        and len(episodes) == run.result.episodes
    )
    assert {"step", "wall_time", "td_error", "alpha", "epsilon"} <= set(read_rows(d / "train.csv")[0])
    evaluations = read_rows(d / "eval.csv")
    assert len(evaluations) == 10 and {"mean", "std", "iqm", "ci_low", "ci_high", "success_rate"} <= set(evaluations[0])
    assert yaml.safe_load((d / "result.yaml").read_text())["interrupted"] is False


def test_same_seed_same_run(tmp_path):
    def q_table(name):
        return rl_kit.train(
            "rl_kit/FrozenLake4x4-v0",
            "sarsa",
            steps=3_000,
            seed=1,
            num_envs=2,
            out=tmp_path / name,
            progress=False,
            tensorboard=False,
        ).agent.q

    assert (q_table("a") == q_table("b")).all()


def test_interrupt_saves_what_was_learned(tmp_path):
    def stop(step, agent):
        raise KeyboardInterrupt

    run = rl_kit.train(
        "rl_kit/GridWorld-v0",
        "q_learning",
        steps=100_000,
        out=tmp_path,
        progress=False,
        callback=stop,
        callback_every=2_000,
    )
    assert run.result.interrupted and run.result.steps < 100_000
    assert yaml.safe_load((tmp_path / "result.yaml").read_text())["interrupted"] is True
    assert (rl_kit.load_agent(tmp_path).q == run.agent.q).all()


def test_gymnasium_env_through_sync_vector(tmp_path):
    run = rl_kit.train(
        "FrozenLake-v1", "expected_sarsa", steps=2_000, num_envs=3, out=tmp_path, progress=False, tensorboard=False
    )
    assert run.result.episodes > 0


@pytest.mark.parametrize(
    "kwargs, message",
    [
        (
            {"env": "rl_kit/FrozenLak4x4-v0", "agent": "q_learning"},
            "unknown env 'rl_kit/FrozenLak4x4-v0'. Did you mean rl_kit/FrozenLake4x4-v0",
        ),
        ({"env": "rl_kit/GridWorld-v0", "agent": "qlearning"}, "unknown agent 'qlearning'. Did you mean q_learning"),
        (
            {"env": "rl_kit/GridWorld-v0", "agent": "sarsa", "hyperparameters": {"alpah": 0.1}},
            "no hyperparameter 'alpah'; did you mean alpha",
        ),
        ({"env": "CartPole-v1", "agent": "q_learning"}, "needs a Discrete observation space, but got Box"),
        (
            {"env": "rl_kit/GridWorld-v0", "agent": "sarsa", "env_kwargs": {"map": "S.\n.X"}},
            "row 2, column 2: unknown symbol 'X'",
        ),
    ],
)
def test_bad_requests_are_named(kwargs, message, tmp_path):
    with pytest.raises((RLKitError, ValueError), match=message):
        rl_kit.train(**kwargs, steps=10, out=tmp_path, progress=False)


def test_final_observations_replace_reset_ones():
    import numpy as np

    infos = {"final_obs": np.array([None, 7], dtype=object)}
    fixed = final_observations(np.array([1, 0]), np.array([False, True]), infos)
    assert fixed.tolist() == [1, 7]
