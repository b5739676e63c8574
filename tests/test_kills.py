"""Killed training processes leave logs with no torn row, and (when caught) a saved agent."""

import csv
import random
import signal
import subprocess
import sys
import time

import pytest
import yaml

from rl_kit.checkpoint import load_agent


def start(out, agent="q_learning", env="rl_kit/GridWorld-v0"):
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "rl_kit.cli",
            "train",
            "--env",
            env,
            "--agent",
            agent,
            "--steps",
            "1000000000",
            "--out",
            str(out),
            "--no-progress",
            "--eval-every",
            "20000",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def wait_for(path, timeout=60):
    deadline = time.time() + timeout
    while not path.exists() and time.time() < deadline:
        time.sleep(0.1)
    assert path.exists(), f"{path} never appeared"


def assert_logs_whole(out):
    for name in ("episodes.csv", "train.csv", "eval.csv"):
        path = out / name
        if not path.exists():
            continue
        text = path.read_text()
        assert text == "" or text.endswith("\n"), f"{name} ends in a torn row"
        rows = list(csv.reader(text.splitlines()))
        assert all(len(row) == len(rows[0]) for row in rows), f"{name} has a row of the wrong width"
        for row in rows[1:]:
            [float(value) for value in row]  # every field parses


KILLS = [
    (signal.SIGKILL, "q_learning"),
    (signal.SIGKILL, "sarsa"),
    (signal.SIGTERM, "q_learning"),
    (signal.SIGINT, "expected_sarsa"),
    (signal.SIGKILL, "a2c"),
    (signal.SIGTERM, "ppo"),
]


@pytest.mark.parametrize("sig, agent", KILLS, ids=[f"{s.name}-{a}" for s, a in KILLS])
def test_killed_training_leaves_whole_logs(tmp_path, sig, agent):
    env = "rl_kit/Catch-v0" if agent in ("a2c", "ppo") else "rl_kit/GridWorld-v0"
    out = tmp_path / "run"
    process = start(out, agent, env)
    wait_for(out / "config.yaml")
    time.sleep(random.Random(sig * 31 + len(agent)).uniform(1.5, 3.0))
    process.send_signal(sig)
    stdout, stderr = process.communicate(timeout=60)
    assert "Traceback" not in stderr
    assert_logs_whole(out)
    if sig in (signal.SIGINT, signal.SIGTERM):  # caught: the agent is saved and the run says so
        assert process.returncode == 0 and "Interrupted at step" in stdout
        assert yaml.safe_load((out / "result.yaml").read_text())["interrupted"] is True
        load_agent(out)
    else:
        assert process.returncode == -signal.SIGKILL
