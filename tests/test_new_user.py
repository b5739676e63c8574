"""What a new user met (issue 23's list), each shown fixed: labels, defaults, what diagnose and
the command say."""

import pytest
import yaml

import rl_kit
from rl_kit.core.spec import EnvConfig
from rl_kit.errors import RLKitError


def test_an_env_spec_reads_as_its_id_and_options_in_titles():
    """Before, compare's figure was titled "...on EnvConfig(id='CartPole-v1', kwargs={}, max_episode_steps=None)"."""
    assert f"{EnvConfig('CartPole-v1')}" == "CartPole-v1"
    assert (
        str(EnvConfig("rl_kit/FrozenLake4x4-v0", {"slip": 0.2}, 50))
        == "rl_kit/FrozenLake4x4-v0 (slip=0.2, max_episode_steps=50)"
    )
    assert str(EnvConfig("rl_kit/GridWorld-v0", {"map": "S..\n..G\n"})) == "rl_kit/GridWorld-v0 (map=<2x3 map>)"


def test_the_version_is_said(rl_kit_process):
    finished = rl_kit_process("--version")
    assert finished.returncode == 0 and finished.stdout.strip() == f"rl-kit {rl_kit.__version__}"
    assert rl_kit.__version__[0].isdigit()


def test_steps_default_to_the_tuned_entrys_budget_and_say_so(tmp_path, rl_kit_process, quiet_train):
    finished = rl_kit_process("train", "--env", "rl_kit/FrozenLake4x4-v0", "--agent", "value_iteration",
                              "--out", tmp_path / "run", "--no-progress")  # fmt: skip
    assert finished.returncode == 0, finished.stderr[-500:]
    config = yaml.safe_load((tmp_path / "run" / "config.yaml").read_text())
    assert (
        f"steps: {config['steps']:,}, the n_timesteps of value_iteration.yml#rl_kit/FrozenLake4x4-v0" in finished.stderr
    )
    with pytest.raises(RLKitError, match="no tuned budget"):
        quiet_train("rl_kit/FrozenLake4x4-v0", "q_learning", tuned=False, out=tmp_path / "none")


def test_diagnose_names_a_schedule_that_outlasts_the_budget_and_a_policy_far_from_the_optimum(tmp_path, quiet_train):
    """Before, a Taxi-v4 run that was still exploring at the end of its budget (the tuned entry's
    200k-step schedule in a 50k run), 937% short of the optimum, got "no problem found"."""
    from rl_kit.presentation.diagnose import diagnose

    run = quiet_train("Taxi-v4", "q_learning", steps=50_000, out=tmp_path / "taxi")
    names = {finding.name: str(finding) for finding in diagnose(run.directory)}
    assert "exploration outlasts the budget" in names and "greedy policy far from the optimum" in names, names
    assert "0.762" in names["exploration outlasts the budget"]
    healthy = quiet_train("rl_kit/FrozenLake4x4-v0", "value_iteration", steps=2000, out=tmp_path / "vi")
    assert "greedy policy far from the optimum" not in {f.name for f in diagnose(healthy.directory)}


def test_diagnose_says_a_directory_without_logs_has_nothing_to_diagnose(tmp_path, rl_kit_process, quiet_train):
    run = quiet_train("rl_kit/FrozenLake4x4-v0", "q_learning", steps=500, out=tmp_path / "run")
    for name in ("episodes.csv", "train.csv", "eval.csv"):
        (run.directory / name).unlink(missing_ok=True)
    finished = rl_kit_process("diagnose", run.directory)
    assert finished.returncode == 2 and "has no logs" in finished.stderr


def test_the_exercise_list_files_dqn_under_its_own_chapter(rl_kit_process):
    finished = rl_kit_process("exercise", "list")
    line = next(line for line in finished.stdout.splitlines() if line.startswith("dqn "))
    assert "06-dqn" in line


def test_q_bars_differ_as_much_as_their_values_do():
    """Before, 101.69 against 101.67 drew one bar full and the other nearly empty."""
    import numpy as np

    from rl_kit.presentation.watch import q_bar_shares

    close = q_bar_shares(np.array([101.69, 101.67]))
    assert close[0] == 1.0 and close[1] > 0.99
    apart = q_bar_shares(np.array([-12.0, -13.0, -100.0]))
    assert apart[0] == 1.0 and 0.95 < apart[1] < 1.0 and 0.4 < apart[2] < 0.6


def test_a_cartpole_episode_that_lasts_to_the_limit_ends_on_success_and_watch_says_how_it_went(
    tmp_path, rl_kit_process, quiet_train
):
    """Before, a perfect 500-step CartPole episode ended on the orange "time limit" banner, and
    watch printed nothing when it ended."""
    import gymnasium as gym

    from rl_kit.envs.labels import SUCCESS, TIME_LIMIT, step_outcome

    env = gym.make("CartPole-v1")
    assert step_outcome(env, None, 1.0, False, True, {}).kind == SUCCESS
    assert step_outcome(gym.make("Pendulum-v1"), None, -1.0, False, True, {}).kind == TIME_LIMIT
    run = quiet_train("rl_kit/FrozenLake4x4-v0", "value_iteration", steps=2000, out=tmp_path / "run")
    finished = rl_kit_process("watch", run.directory, "--episodes", 3, "--fps", 1000,
                              env={**__import__("os").environ, "SDL_VIDEODRIVER": "dummy"})  # fmt: skip
    assert finished.returncode == 0, finished.stderr[-500:]
    assert finished.stdout.strip().splitlines()[-1].startswith("Watched 3 episodes: mean return")
