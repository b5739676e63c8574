"""Kill real training processes at random moments, then resume them to the end.

Each case starts ``rl-kit train`` with checkpoints, kills it with SIGKILL, SIGTERM or SIGINT
after a random delay, checks that every log parses with no torn row and that the last
checkpoint and saved agent load, then ``rl-kit train --resume`` finishes the run, whose logs
then equal an uninterrupted run's row for row (wall times aside), wherever the kill landed: the
rows logged before a checkpoint are on disk before it is written.
"""

import csv
import random
import signal
import subprocess
import sys
import time

import pytest
import yaml

from rl_kit.core.backends import load_agent
from rl_kit.core.checkpoints import load_checkpoint

SIGNALS = (signal.SIGKILL, signal.SIGTERM, signal.SIGINT)
CASES = [
    (SIGNALS[i % 3], "ppo" if i % 5 == 4 else ("q_learning", "sarsa", "expected_sarsa", "double_q_learning")[i % 4], i)
    for i in range(20)
]
# Six kills run in the default suite (every signal, every agent); the other fourteen with -m slow.
PARAMS = [pytest.param(*case, marks=[pytest.mark.slow] if case[2] >= 6 else []) for case in CASES]


def run_arguments(agent, out):
    env, steps = ("rl_kit/Catch-v0", 12_000) if agent == "ppo" else ("rl_kit/GridWorld-v0", 60_000)
    every = 1_000 if agent == "ppo" else 4_000
    arguments = ("--env", env, "--agent", agent, "--steps", steps, "--num-envs", 4, "--out", out)
    return steps, (*arguments, "--checkpoint-every", every, "--eval-every", 0)


def log_rows(out, name):
    """A log's rows without its wall times, which differ between any two runs."""
    with open(out / name, newline="") as f:
        return [{k: v for k, v in row.items() if k != "wall_time"} for row in csv.DictReader(f)]


_uninterrupted: dict[str, object] = {}


@pytest.fixture
def uninterrupted(tmp_path_factory):
    """The run directory of an uninterrupted run of `agent` (one per agent, made once)."""

    def run(agent):
        if agent not in _uninterrupted:
            out = tmp_path_factory.mktemp(f"whole-{agent}") / "run"
            subprocess.run(command(*run_arguments(agent, out)[1]), check=True, capture_output=True, timeout=300)
            _uninterrupted[agent] = out
        return _uninterrupted[agent]

    return run


def command(*args):
    return [sys.executable, "-m", "rl_kit.cli", "train", *map(str, args), "--no-progress"]


def assert_logs_whole(out):
    """Episodes and metrics were logged before the first checkpoint (evaluation is off): each log
    exists and ends in whole rows."""
    assert not (out / "eval.csv").exists()
    for name in ("episodes.csv", "train.csv"):
        path = out / name
        assert path.is_file(), f"{name} is missing"
        text = path.read_text()
        assert text == "" or text.endswith("\n"), f"{name} ends in a torn row"
        rows = list(csv.reader(text.splitlines()))
        assert all(len(row) == len(rows[0]) for row in rows), f"{name} has a row of the wrong width"
        for row in rows[1:]:
            [float(value) for value in row]


@pytest.mark.parametrize("sig, agent, case", PARAMS, ids=[f"{i}-{s.name}-{a}" for s, a, i in CASES])
def test_kill_then_resume(tmp_path, sig, agent, case, uninterrupted):
    out = tmp_path / "run"
    steps, arguments = run_arguments(agent, out)
    process = subprocess.Popen(
        command(*arguments),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    deadline = time.time() + 60
    while not (out / "checkpoints").exists() and time.time() < deadline:
        time.sleep(0.05)
    time.sleep(random.Random(case).uniform(0.0, 1.0))
    process.send_signal(sig)
    stdout, stderr = process.communicate(timeout=60)
    assert "Traceback" not in stderr
    assert_logs_whole(out)
    load_checkpoint(out)  # the last checkpoint is whole
    if sig != signal.SIGKILL and process.returncode in (130, 143) and "Interrupted" in stdout:
        load_agent(out)  # caught signals save the agent

    finished = subprocess.run(command("--resume", out), capture_output=True, text=True, timeout=120)
    assert finished.returncode == 0, finished.stderr
    assert_logs_whole(out)
    result = yaml.safe_load((out / "result.yaml").read_text())
    assert result["steps_done"] >= steps and result["interrupted"] is False
    load_agent(out)
    whole = uninterrupted(agent)
    for name in ("episodes.csv", "train.csv"):
        assert log_rows(out, name) == log_rows(whole, name), f"{name} differs from an uninterrupted run's"
