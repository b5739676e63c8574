"""rl_kit.train: the run directory, its files and columns, evaluation, errors."""

import csv
from dataclasses import replace

import numpy as np
import pytest
import yaml

import rl_kit
from rl_kit.core.loop import final_observations, run_loop
from rl_kit.core.spec import NO_EVALUATION, RunSpec
from rl_kit.core.supervisor import Supervisor
from rl_kit.errors import RLKitError


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
    assert config["env"] == {"id": "rl_kit/GridWorld-v0", "kwargs": {}, "vector_env": "native"}
    assert config["agent"] == "q_learning" and config["seed"] == 3
    assert RunSpec.from_dict(config) == run.spec  # config.yaml is the run's spec as it is
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


def test_same_seed_same_run(tmp_path, quiet_train):
    def q_table(name):
        return quiet_train(
            "rl_kit/FrozenLake4x4-v0",
            "sarsa",
            steps=3_000,
            seed=1,
            num_envs=2,
            out=tmp_path / name,
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


def test_gymnasium_env_through_sync_vector(tmp_path, quiet_train):
    run = quiet_train("FrozenLake-v1", "expected_sarsa", steps=2_000, num_envs=3, out=tmp_path)
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
        ({"env": "CartPole-v1", "agent": "q_learning"}, "needs a finite observation space .*, but got Box"),
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
    from gymnasium import spaces

    infos = {"final_obs": np.array([None, 7], dtype=object)}
    fixed = final_observations(np.array([1, 0]), np.array([False, True]), infos, spaces.Discrete(8))
    assert fixed.tolist() == [1, 7]
    blackjack = spaces.Tuple((spaces.Discrete(32), spaces.Discrete(11), spaces.Discrete(2)))
    infos = {"final_obs": np.array([None, (20, 10, 1)], dtype=object)}
    fixed = final_observations(np.array([[13, 2, 0], [5, 5, 0]]), np.array([False, True]), infos, blackjack)
    assert fixed.tolist() == [[13, 2, 0], [20, 10, 1]]


class Recorder:
    """An agent that acts at random and keeps every batch of transitions it is shown."""

    def __init__(self, n_actions):
        self.rng, self.n_actions, self.seen = np.random.default_rng(0), n_actions, []

    def act(self, obs, *, explore=True):
        return self.rng.integers(self.n_actions, size=len(obs))

    def observe(self, transitions):
        self.seen.append(transitions)
        return {}


@pytest.mark.parametrize("vectorization", ["vector_entry_point", "sync"])
def test_loop_gives_true_transitions_in_both_autoreset_modes(vectorization):
    """NEXT_STEP (native vector CartPole) and SAME_STEP (sync): final obs kept, reset steps marked."""
    import gymnasium as gym
    from gymnasium.vector import AutoresetMode

    if vectorization == "sync":
        envs = gym.make_vec(
            "CartPole-v1",
            num_envs=3,
            vectorization_mode="sync",
            vector_kwargs={"autoreset_mode": AutoresetMode.SAME_STEP},
        )
    else:
        envs = gym.make_vec("CartPole-v1", num_envs=3, vectorization_mode="vector_entry_point")
    agent = Recorder(2)
    result = run_loop(agent, envs, Supervisor(3000), seed=0)
    assert result.episodes > 10
    for before, after in zip(agent.seen[:-1], agent.seen[1:], strict=True):
        done = before.terminated | before.truncated
        if vectorization == "sync":
            assert after.valid is None
            # a continuing env's next observation is the next step's observation
            assert np.array_equal(before.next_obs[~done], after.obs[~done])
        else:
            expected_valid = ~done
            got = np.ones(3, bool) if after.valid is None else after.valid
            assert np.array_equal(got, expected_valid)
            assert np.array_equal(before.next_obs, after.obs)
        # a terminated CartPole's final observation is out of bounds: the true last state
        if before.terminated.any():
            last = before.next_obs[before.terminated]
            assert (np.abs(last[:, 0]) > 2.4).any() or (np.abs(last[:, 2]) > 0.2094).any()


def test_a_schedule_over_the_run_takes_the_runs_steps_and_one_that_stops_learning_early_is_said(tmp_path, capsys):
    """``linear(a, 0, run)`` anneals over whatever budget the run is planned for (the RL Zoo's
    lin_a), recorded as the number it became; a tuned entry's schedule that reaches 0 before a
    longer run ends is said in a note that names the fix."""
    spec = rl_kit.plan("CartPole-v1", "a2c", steps=1234, hyperparameters={"learning_rate": "linear(0.001, 0.0, run)"})
    assert spec.hyperparameters["learning_rate"] == "linear(0.001, 0.0, 1234)"
    assert "note" not in capsys.readouterr().err
    longer = rl_kit.plan("CartPole-v1", "a2c", steps=400_000)  # the entry anneals over its 200k
    assert longer.hyperparameters["learning_rate"] == "linear(0.001, 0.0, 200000)"  # the entry's, as it was
    note = capsys.readouterr().err
    assert "learning_rate linear(0.001, 0.0, 200000) reaches 0 at step 200,000 of 400,000" in note
    assert "--hp 'learning_rate=linear(0.001, 0.0, run)'" in note
    rl_kit.plan("CartPole-v1", "a2c", steps=200_000)
    assert "note" not in capsys.readouterr().err  # it ends with the run
    run = rl_kit.execute(replace(spec, evaluation=NO_EVALUATION), rl_kit.RunOptions(tmp_path / "run", progress=False))
    recorded = yaml.safe_load((run.directory / "config.yaml").read_text())
    assert "linear(0.001, 0.0, 1234)" in str(recorded)
