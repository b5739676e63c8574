"""The rl-kit command end to end, in subprocesses as a user runs it."""

import json
import os
import signal
import subprocess
import sys
import time

import pytest
import yaml

from rl_kit.cli import main


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    """A run trained by the command as a user runs it, in a process of its own; the tests below
    run the command in this process (the ``cli`` fixture), which a subprocess would only slow."""
    out = tmp_path_factory.mktemp("run")
    result = subprocess.run(
        [sys.executable, "-m", "rl_kit.cli"]
        + [
            "train",
            "--env",
            "rl_kit/FrozenLake4x4-v0",
            "--agent",
            "q_learning",
            "--steps",
            "20000",
            "--seed",
            "1",
            "--num-envs",
            "4",
            "--hp",
            "alpha=0.2",
            "--hp",
            "epsilon=linear(1.0, 0.1, 15000)",
            "--out",
            str(out),
            "--no-progress",
        ],
        capture_output=True,
        text=True,
    )
    assert f"Run directory: {out}" in result.stdout, result.stderr
    return out


def test_list_names_envs_and_agents(cli):
    out = cli("list").stdout
    assert "rl_kit/WindyGridworld-v0" in out and "double_q_learning" in out and "alpha=" in out


def test_train_records_overrides(trained):
    config = yaml.safe_load((trained / "config.yaml").read_text())
    assert config["hyperparameters"]["alpha"] == 0.2
    assert config["hyperparameters"]["epsilon"] == "linear(1.0, 0.1, 15000)"


def test_evaluate_json(trained, cli):
    data = json.loads(cli("evaluate", trained, "--episodes", "20", "--seed", "0", "--json").stdout)
    assert data["episodes"] == 20 and len(data["returns"]) == 20
    assert {"mean", "std", "iqm", "ci_low", "ci_high", "success_rate", "optimal_value", "policy_value"} <= set(data)


def test_evaluate_text_shows_the_optimum(trained, cli):
    out = cli("evaluate", trained, "--episodes", "5").stdout
    assert "IQM" in out and "optimum" in out


def test_watch_records_a_gif(trained, tmp_path, cli):
    gif = tmp_path / "episode.gif"
    assert cli("watch", trained, "--record", gif).returncode == 0
    import imageio.v3 as iio

    frames = iio.imread(gif)
    assert frames.ndim == 4 and frames.shape[0] >= 2


def test_watch_window_runs_headless(trained, monkeypatch):
    monkeypatch.setenv("SDL_VIDEODRIVER", "dummy")
    assert main(["watch", str(trained), "--episodes", "1", "--fps", "1000"]) == 0


def test_plot_writes_png(trained, tmp_path, cli):
    png = tmp_path / "curve.png"
    assert cli("plot", trained, "--out", png).returncode == 0
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


@pytest.mark.parametrize(
    "args, message",
    [
        (["train", "--env", "rl_kit/GridWorld-v0", "--agent", "sarsaa", "--steps", "10"], "Did you mean sarsa"),
        (["train", "--env", "GridWorld", "--agent", "sarsa", "--steps", "10"], "Did you mean"),
        (
            ["train", "--env", "rl_kit/GridWorld-v0", "--agent", "sarsa", "--steps", "10", "--hp", "gama=0.9"],
            "no hyperparameter 'gama'; did you mean gamma",
        ),
        (
            ["train", "--env", "rl_kit/GridWorld-v0", "--agent", "sarsa", "--steps", "ten"],
            "--steps: expected a whole number",
        ),
        (
            ["train", "--env", "rl_kit/GridWorld-v0", "--agent", "sarsa", "--steps", "10", "--hp", "bogus=1"],
            "no hyperparameter 'bogus'. Its hyperparameters are: ",
        ),
        (  # a tuned file's run setting, given where the agent's values go
            ["train", "--env", "CartPole-v1", "--agent", "ppo", "--steps", "10", "--hp", "num_envs=8"],
            "num_envs is a setting of the run, not a hyperparameter of ppo: give --num-envs N",
        ),
        (["evaluate", "nowhere.safetensors"], "no saved agent"),
    ],
)
def test_errors_are_one_line_with_exit_code_2(args, message, tmp_path, cli, monkeypatch):
    monkeypatch.chdir(tmp_path)
    result = cli(*args, "--out", tmp_path) if args[0] == "train" else cli(*args)
    assert result.returncode == 2
    assert message in result.stderr and "Traceback" not in result.stderr


def test_damaged_file_is_a_clear_error(tmp_path, cli):
    bad = tmp_path / "agent.safetensors"
    bad.write_bytes(b"garbage")
    result = cli("evaluate", bad)
    assert result.returncode == 2 and "damaged" in result.stderr and "Traceback" not in result.stderr


@pytest.mark.parametrize("sig, code", [(signal.SIGINT, 130), (signal.SIGTERM, 143)])
def test_ctrl_c_and_sigterm_save_and_exit_with_the_signals_status(tmp_path, sig, code):
    """A script can tell an interrupted run from a finished one: 128 + the signal's number."""
    out = tmp_path / "run"
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "rl_kit.cli",
            "train",
            "--env",
            "rl_kit/GridWorld-v0",
            "--agent",
            "q_learning",
            "--steps",
            "1000000000",
            "--out",
            str(out),
            "--no-progress",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    deadline = time.time() + 60
    while not (out / "episodes.csv").exists() and time.time() < deadline:
        time.sleep(0.2)
    time.sleep(0.5)
    process.send_signal(sig)
    stdout, stderr = process.communicate(timeout=60)
    assert process.returncode == code, stderr
    assert "Interrupted at step" in stdout and "Traceback" not in stderr
    result = yaml.safe_load((out / "result.yaml").read_text())
    assert result["interrupted"] is True and result["stopped_by"] == sig.name
    assert (out / "agent.safetensors").is_file()


def test_console_script_is_installed():
    exe = os.path.join(os.path.dirname(sys.executable), "rl-kit")
    result = subprocess.run([exe, "--help"], capture_output=True, text=True)
    assert result.returncode == 0 and "train" in result.stdout


@pytest.mark.parametrize(
    "args, flag",
    [
        (["train", "--env", "rl_kit/GridWorld-v0", "--agent", "sarsa", "--steps", "-5"], "--steps"),
        (
            ["train", "--env", "rl_kit/GridWorld-v0", "--agent", "sarsa", "--steps", "10", "--num-envs", "0"],
            "--num-envs",
        ),
        (["train", "--env", "rl_kit/GridWorld-v0", "--agent", "sarsa", "--steps", "10", "--hp", "alpha"], "--hp"),
        (["evaluate", "run", "--episodes", "many"], "--episodes"),
        (["watch", "run", "--fps", "fast"], "--fps"),
        (["watch", "run", "--record", "out.gif", "--episodes", "0"], "--episodes"),
        (["train", "--env", "rl_kit/GridWorld-v0", "--agent", "sarsa", "--steps", "10", "--hp", "alpha=[1,"], "--hp"),
        (["tune", "--env", "CartPole-v1", "--agent", "ppo", "--env-kwarg", "x=!!python/name:os.system"], "--env-kwarg"),
        (["plot"], "runs"),
        (["compare", "--env", "CartPole-v1", "--agents", "ppo", "--steps", "10", "--seeds", "x"], "--seeds"),
        (["bench", "--suite", "gpu"], "--suite"),
        (["quickstart", "--steps", "1.5"], "--steps"),
        (["diagnose"], "run"),
        (["explain", "run", "--episodes", "-1"], "--episodes"),
        (["list", "--bogus"], "--bogus"),
    ],
)
def test_every_subcommand_names_a_bad_flag_in_one_line(args, flag, cli):
    result = cli(*args)
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and flag in lines[0] and "Traceback" not in result.stderr


def test_evaluate_compares_with_the_optimum_of_the_env_the_agent_was_trained_on(tmp_path, capsys):
    """A planner trained on the lake without slip is optimal there, not on the slippery default."""
    import rl_kit

    rl_kit.train(
        "rl_kit/FrozenLake8x8-v0",
        "value_iteration",
        steps=100,
        env_kwargs={"slip": 0.0},
        out=tmp_path,
        progress=False,
        tensorboard=False,
    )
    assert main(["evaluate", str(tmp_path), "--episodes", "3"]) == 0
    out = capsys.readouterr().out
    assert "success 100%" in out and "gap 0.00%" in out and "optimum: 0.8775" in out


def test_evaluate_plays_the_training_the_held_out_or_both_sides_of_a_level_split(tmp_path, capsys):
    import rl_kit

    rl_kit.train("rl_kit/ProcGrid-v0", "q_learning", steps=3000, env_kwargs={"num_levels": 1, "size": 3,
                 "observation": "position"}, out=tmp_path, progress=False, tensorboard=False)  # fmt: skip
    assert main(["evaluate", str(tmp_path), "--episodes", "20", "--levels", "both"]) == 0
    out = capsys.readouterr().out
    assert "training levels:" in out and "held-out levels:" in out and "generalization gap" in out
    assert main(["evaluate", str(tmp_path), "--episodes", "5", "--levels", "0-3", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["episodes"] == 5
    assert main(["evaluate", str(tmp_path), "--levels", "x"]) == 2
    assert "levels must be" in capsys.readouterr().err
