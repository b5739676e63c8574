"""explain, the dashboard, diagnose and record through the command."""

import csv
import subprocess
import sys

import pytest

import rl_kit
from rl_kit.presentation.explain import explain
from rl_kit.presentation.plots import plot_dashboard


@pytest.fixture(scope="module")
def tabular_run(tmp_path_factory):
    return rl_kit.train(
        "rl_kit/FrozenLake4x4-v0",
        "q_learning",
        steps=100_000,
        out=tmp_path_factory.mktemp("q"),
        progress=False,
        tensorboard=False,
    ).directory


@pytest.fixture(scope="module")
def policy_run(tmp_path_factory):
    return rl_kit.train(
        "rl_kit/Catch-v0", "ppo", steps=30_000, out=tmp_path_factory.mktemp("p"), progress=False, tensorboard=False
    ).directory


def is_png(path):
    return path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_tabular_explanation_is_a_png_beside_the_optimum(tabular_run):
    [png] = explain(tabular_run)
    assert png == tabular_run / "explain.png" and is_png(png)


def test_policy_explanation_names_the_features_that_matter(policy_run):
    png, table = explain(policy_run, episodes=3)
    assert is_png(png)
    with open(table, newline="") as f:
        rows = list(csv.DictReader(f))
    assert {r["feature"] for r in rows} == {"ball_x", "ball_y", "paddle_x", "balls_left"}
    # To catch a ball, where the ball and the paddle are matters more than how many balls are left.
    importance = {r["feature"]: float(r["permutation_importance"]) for r in rows}
    assert importance["ball_x"] > importance["balls_left"] and importance["paddle_x"] > importance["balls_left"]


def test_dashboard_draws_every_logged_metric(policy_run, tmp_path):
    out = plot_dashboard(policy_run, tmp_path / "dash.png")
    assert is_png(out)


def test_commands(policy_run, tabular_run, tmp_path):
    def run(*args):
        result = subprocess.run([sys.executable, "-m", "rl_kit.cli", *map(str, args)], capture_output=True, text=True)
        assert result.returncode == 0, result.stderr
        return result.stdout

    assert "no problem found" in run("diagnose", policy_run)
    assert "dashboard.png" in run("plot", policy_run)
    assert "explain.png" in run("explain", tabular_run)
    assert "Recorded to" in run("watch", policy_run, "--record", tmp_path / "two.gif", "--episodes", "2")
    assert (tmp_path / "two.gif").stat().st_size > 0


def test_a_table_agent_on_blackjack_is_explained_state_by_state(tmp_path):
    """Blackjack-v1's states are a Tuple: each is shown in its own terms, V and policy over two of its parts."""
    import rl_kit
    from rl_kit.presentation.explain import explain

    rl_kit.train(
        "Blackjack-v1", "q_learning", steps=3_000, num_envs=4, out=tmp_path / "run", progress=False, tensorboard=False
    )
    written = explain(tmp_path / "run")
    assert [p.name for p in written] == ["explain.png", "explain.csv"]
    rows = written[1].read_text().splitlines()
    assert rows[0].startswith("player sum,dealer showing,usable ace,value,greedy_action,q[0],q[1]")
    assert len(rows) == 1 + 32 * 11 * 2 and rows[1 + 21 * 22 + 10 * 2 + 1].startswith("21,10,1,")
