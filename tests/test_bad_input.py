"""Bad input gets one line that names the value and what is allowed: exit 2 from the command,
a ValueError or TypeError with the same words from the API. Nothing is trained, nothing written."""

import errno
import os
import subprocess
import sys
import textwrap

import gymnasium as gym
import pytest

import rl_kit
from rl_kit.cli import main
from rl_kit.errors import RLKitError

GRID = ("--env", "rl_kit/GridWorld-v0", "--agent", "q_learning", "--steps", "1000")


@pytest.fixture(scope="module")
def saved_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("saved") / "RUN"
    rl_kit.train("rl_kit/GridWorld-v0", "q_learning", steps=300, out=out, progress=False, tensorboard=False)
    return out


@pytest.mark.parametrize(
    "args, words",
    [
        (("train", "--env", "CartPole-v1", "--agent", "sb3_ppo", "--steps", 100, "--hp", "learning_rate=abc"), "abc"),
        (("train", *GRID, "--env-kwarg", "map=[1,"), "map"),
        (("train", *GRID, "--env-kwarg", "map=!!python/object:os.system"), "map"),
        (("bandit", "--env-kwarg", "k=!!python/name:os.system"), "k="),
        (("train", *GRID, "--hp", "alpha=-1"), "alpha"),
        (("train", *GRID, "--hp", "epsilon=nan"), "epsilon"),
        (("train", *GRID, "--hp", "epsilon=2"), "epsilon"),
        (("train", *GRID, "--hp", "alpha=inf"), "alpha"),
        (
            ("train", "--env", "rl_kit/Catch-v0", "--agent", "ppo", "--steps", 1000, "--hp", "batch_size=-3"),
            "batch_size",
        ),
        (
            ("train", "--env", "rl_kit/GridWorld-v0", "--agent", "q_learning", "--steps", 10**10, "--num-envs", 10**9),
            "GiB",
        ),
        (("train", "--env", "rl_kit/Lander-v0", "--agent", "ppo", "--steps", 10**10, "--num-envs", 10**9), "GiB"),
        (("train", *GRID[:-1], 1000, "--num-envs", 1_000_000), "num_envs"),
        (("train", *GRID, "--env-kwarg", "map=S.."), "no goal"),
        (("train", *GRID, "--env-kwarg", "map=S#G"), "cut it off"),
        (("train", "--env", "rl_kit/GridWorld-v0", "--agent", "ucb_bandit", "--steps", 1000), "bandit"),
        (("watch", "RUN", "--fps", "-5", "--record", "x.gif"), "--fps"),
        (("plot", "RUN", "--out", "x.txt"), "x.txt"),
        (("train", *GRID, "--out", "/etc/hostname"), "/etc/hostname"),
        (("train", *GRID, "--out", "/etc/hostname/run"), "/etc/hostname"),
    ],
)
def test_the_command_says_what_is_wrong_in_one_line(args, words, tmp_path, saved_run, capsys, monkeypatch):
    (tmp_path / "RUN").symlink_to(saved_run)
    monkeypatch.chdir(tmp_path)
    try:
        code = main([str(a) for a in args])
    except SystemExit as exit:  # argparse's own errors exit by themselves
        code = exit.code
    assert code == 2
    stderr = capsys.readouterr().err
    lines = stderr.strip().splitlines()
    assert len(lines) == 1 and words in lines[0] and "Traceback" not in stderr
    assert not (tmp_path / "runs").exists()  # nothing was trained


@pytest.mark.parametrize(
    "kwargs, error, words",
    [
        ({"steps": "100"}, TypeError, "steps must be a whole number"),
        ({"steps": 1.5}, TypeError, "steps must be a whole number"),
        ({"steps": 0}, ValueError, "at least 1"),
        ({"steps": 100, "num_envs": 1000}, ValueError, "num_envs"),
        ({"steps": 100, "hyperparameters": {"alpha": float("inf")}}, ValueError, "alpha"),
    ],
)
def test_the_api_raises_value_and_type_errors_with_the_same_words(kwargs, error, words, tmp_path):
    with pytest.raises(error, match=words) as caught:
        rl_kit.train("rl_kit/GridWorld-v0", "q_learning", out=tmp_path / "run", progress=False, **kwargs)
    assert isinstance(caught.value, RLKitError)
    assert not (tmp_path / "run").exists()


def test_a_gymnasium_env_object_trains_as_stable_baselines3_accepts_it(tmp_path, quiet_train):
    env = gym.make("rl_kit/FrozenLake4x4-v0", slip=0.0)
    run = quiet_train(env, "q_learning", steps=2000, out=tmp_path / "run")
    assert run.spec.env.id == "rl_kit/FrozenLake4x4-v0" and run.spec.env.kwargs["slip"] == 0.0
    with pytest.raises(TypeError, match="env id"):
        rl_kit.train(42, "q_learning", steps=100, progress=False)


def test_a_full_disk_is_one_line_and_the_logs_end_in_whole_rows(tmp_path):
    """ENOSPC injected after 64 KB of log writes, the last write cut in half, as a full disk does."""
    out = tmp_path / "run"
    script = tmp_path / "full.py"
    script.write_text(
        textwrap.dedent(
            f"""
            import errno, os, sys
            from rl_kit.cli import main
            real_write, written = os.write, [0]
            def write(fd, data):
                if fd > 2 and os.path.realpath(f"/proc/self/fd/{{fd}}").startswith({str(out)!r}):
                    if written[0] > 64 * 1024:
                        real_write(fd, bytes(data)[: len(data) // 2])
                        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
                    written[0] += len(data)
                return real_write(fd, data)
            os.write = write
            sys.exit(main(["train", "--env", "rl_kit/GridWorld-v0", "--agent", "q_learning", "--steps", "300000",
                           "--out", {str(out)!r}, "--no-progress"]))
            """
        )
    )
    result = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, timeout=300)
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and os.strerror(errno.ENOSPC) in lines[0] and "Traceback" not in result.stderr
    for name in ("episodes.csv", "train.csv"):
        text = (out / name).read_text()
        assert text.endswith("\n")
        widths = {len(line.split(",")) for line in text.splitlines()}
        assert len(widths) == 1, f"{name} has a torn row"
