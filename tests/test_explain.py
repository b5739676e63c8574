"""explain, the dashboard, diagnose and record through the command."""

import csv

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


def test_commands(policy_run, tabular_run, tmp_path, cli):
    def run(*args):
        result = cli(*args)
        assert result.returncode == 0, result.stderr
        return result.stdout

    assert "no problem found" in run("diagnose", policy_run)
    assert "dashboard.png" in run("plot", policy_run)
    assert "explain.png" in run("explain", tabular_run)
    assert "Recorded to" in run("watch", policy_run, "--record", tmp_path / "two.gif", "--episodes", "2")
    assert (tmp_path / "two.gif").stat().st_size > 0


def test_a_table_agent_on_blackjack_is_explained_state_by_state(tmp_path, monkeypatch, quiet_train):
    """Blackjack-v1's states are a Tuple: each is shown in its own terms, V and policy over two of
    its parts, actions by name, and the states it never learned about left blank."""
    import numpy as np

    quiet_train("Blackjack-v1", "q_learning", steps=3_000, num_envs=4, out=tmp_path / "run")
    figures = saved_figures(monkeypatch)
    written = explain(tmp_path / "run")
    assert [p.name for p in written] == ["explain.png", "explain.csv"]
    rows = written[1].read_text().splitlines()
    assert rows[0] == "player sum,dealer showing,usable ace,value,greedy_action,q[0],q[1],greedy_action_name"
    assert len(rows) == 1 + 32 * 11 * 2 and rows[1 + 21 * 22 + 10 * 2 + 1].startswith("21,10,1,")
    assert {row.split(",")[-1] for row in rows[1:]} == {"stick", "hit"}
    legends = {t.get_text() for ax in figures[0].axes if ax.get_legend() for t in ax.get_legend().get_texts()}
    assert legends <= {"stick", "hit"} and legends
    # A player sum of 2 never happens (two cards make at least 4): blank, not a value of 0.
    value_panel = figures[0].axes[0].get_images()[0].get_array()
    assert np.ma.is_masked(value_panel[2, 5]) and not np.ma.is_masked(value_panel[20, 5])


def saved_figures(monkeypatch):
    """The matplotlib figures saved from here on (their axes, labels and layout)."""
    from matplotlib.figure import Figure

    figures = []
    original = Figure.savefig
    monkeypatch.setattr(Figure, "savefig", lambda fig, *a, **k: (figures.append(fig), original(fig, *a, **k))[1])
    return figures


def test_a_wide_map_fills_the_canvas_with_colour_bars_and_named_arrows(tmp_path, monkeypatch, quiet_train):
    """CliffWalking (4x12): the three panels use most of the figure's width, each has a colour
    bar, and the arrows' legend names the actions."""
    import numpy as np
    from PIL import Image

    run = quiet_train("rl_kit/CliffWalking-v0", "q_learning", steps=5_000, out=tmp_path / "run")
    figures = saved_figures(monkeypatch)
    [png] = explain(run.directory)
    [fig] = figures
    images = [ax for ax in fig.axes if ax.get_images()]
    bars = [ax for ax in fig.axes if ax.get_label() == "<colorbar>"]
    assert len(images) == 3 and len(bars) == 3
    assert "arrows: greedy action (left, down, right, up)" in fig._suptitle.get_text()
    for ax in images:  # each panel spans most of the canvas width (they are stacked, one a row)
        box = ax.get_window_extent()
        assert box.width > 0.75 * fig.bbox.width
    pixels = np.asarray(Image.open(png).convert("L"))
    used = np.flatnonzero((pixels < 250).any(axis=0))
    assert used[-1] - used[0] > 0.9 * pixels.shape[1]


def test_a_square_map_puts_its_panels_side_by_side(tabular_run, monkeypatch):
    figures = saved_figures(monkeypatch)
    explain(tabular_run)
    panels = [ax for ax in figures[0].axes if ax.get_images()]
    lefts = sorted(ax.get_window_extent().x0 for ax in panels)
    assert len(panels) == 3 and lefts[1] > lefts[0] and lefts[2] > lefts[1]


def test_policy_charts_name_the_actions(policy_run, monkeypatch):
    figures = saved_figures(monkeypatch)
    explain(policy_run, episodes=2)
    ticks = [t.get_text() for t in figures[0].axes[0].get_xticklabels()]
    assert ticks == ["left", "stay", "right"]


def test_runs_of_different_envs_are_labelled_with_their_env(policy_run, tabular_run, tmp_path, monkeypatch):
    from rl_kit.presentation.plots import plot_runs

    figures = saved_figures(monkeypatch)
    plot_runs([policy_run, tabular_run], tmp_path / "both.png")
    labels = [t.get_text() for ax in figures[0].axes if ax.get_legend() for t in ax.get_legend().get_texts()]
    assert any("on rl_kit/Catch-v0" in label for label in labels)
    assert any("on rl_kit/FrozenLake4x4-v0" in label for label in labels)
    assert "different scales" in figures[0]._suptitle.get_text()
    figures.clear()
    plot_runs([policy_run], tmp_path / "one.png")  # one env: no env in the labels, no warning
    labels = [t.get_text() for ax in figures[0].axes if ax.get_legend() for t in ax.get_legend().get_texts()]
    assert labels and not any(" on " in label for label in labels) and figures[0]._suptitle is None


def test_policy_gradient_diagnostics_have_a_row_per_update(tmp_path, quiet_train):
    """A rollout (5 steps x 4 envs) shorter than the run's log interval (40 steps) still gets its row."""
    from rl_kit.presentation.plots import read_csv

    run = quiet_train(
        "CartPole-v1",
        "a2c",
        steps=4_000,
        num_envs=4,
        hyperparameters={"n_steps": 5},
        out=tmp_path / "run",
    )
    rows = read_csv(run.directory / "train.csv")
    assert len(rows["step"]) == run.agent.updates == 200
    assert (rows["step"] % 20 == 0).all()


def test_an_off_policy_agent_shows_its_critic_along_the_action(tmp_path, monkeypatch, quiet_train):
    """Pendulum's one torque: Q(s, a) - Q(s, mu(s)) over the range, 0 at the actor's action (dot)."""
    figures = saved_figures(monkeypatch)
    run = quiet_train("Pendulum-v1", "td3", steps=600, hyperparameters={"hidden_sizes": "16", "learning_starts": 200})
    explain(run.directory, episodes=1)
    panel = figures[0].axes[0]
    assert "Q(s, a) - Q(s, mu(s))" in panel.get_title() and panel.get_xlabel() == "torque"
    curves = [line for line in panel.get_lines() if len(line.get_xdata()) == 101]
    dots = [line for line in panel.get_lines() if line.get_marker() == "o"]
    crosses = [line for line in panel.get_lines() if line.get_marker() == "x"]
    assert 2 <= len(curves) == len(dots) == len(crosses) <= 6  # states of distinct Q(s, mu(s)), at most 6
    for curve, dot, cross in zip(curves, dots, crosses, strict=True):
        x, y = curve.get_xdata(), curve.get_ydata()
        assert x[0] == -2.0 and x[-1] == 2.0
        assert dot.get_ydata()[0] == 0.0 and cross.get_ydata()[0] == pytest.approx(y.max())
        assert y.max() >= -1e-5  # the curve's best is at least the actor's own action, up to the grid


@pytest.mark.parametrize("agent", ["dqn", "ppo"])
def test_explain_draws_saliency_over_the_pixels_of_an_image_agent(tmp_path, agent):
    """Gradient x input of the greedy choice, per pixel over visited frames and per channel."""
    import rl_kit
    from rl_kit.presentation.explain import explain

    rl_kit.train("rl_kit/Catch-v0", agent, steps=600, env_kwargs={"observation": "pixels"}, eval_every=0,
                 progress=False, tensorboard=False, out=tmp_path / "run")  # fmt: skip
    figure, table = explain(tmp_path / "run", episodes=1)
    assert figure.stat().st_size > 10_000
    rows = dict(line.split(",") for line in table.read_text().splitlines()[1:])
    assert set(rows) == {"ball", "paddle"} and all(float(v) > 0 for v in rows.values())


def test_explain_on_an_egocentric_view_spaces_its_frames_evenly_and_marks_the_agent(tmp_path, monkeypatch):
    """ProcGrid's view is centred on the agent: explain circles that cell on every frame and on the
    mean map, and the four frames sit at even spacing (a colour bar once widened one grid column)."""
    import numpy as np

    import rl_kit
    from rl_kit.presentation.explain import IMAGES_SHOWN, explain

    rl_kit.train("rl_kit/ProcGrid-v0", "ppo", steps=512, env_kwargs={"num_levels": 2, "size": 4}, eval_every=0,
                 progress=False, tensorboard=False, out=tmp_path / "run")  # fmt: skip
    figures = saved_figures(monkeypatch)
    explain(tmp_path / "run", episodes=1)
    [fig] = figures
    pictures = [ax for ax in fig.axes if ax.get_images() and ax.get_label() != "<colorbar>"]
    frames = sorted((ax for ax in pictures if ax.get_title().startswith("state ")), key=lambda a: a.get_position().x0)
    assert len(frames) == IMAGES_SHOWN
    boxes = [ax.get_position() for ax in frames]
    gaps = np.array([right.x0 - left.x1 for left, right in zip(boxes, boxes[1:], strict=False)])
    assert gaps.max() - gaps.min() < 0.01, gaps
    for ax in pictures:  # the agent's cell (3, 3) of the 7x7 view is circled
        [circle] = [line for line in ax.get_lines() if line.get_marker() == "o"]
        assert (circle.get_xdata()[0], circle.get_ydata()[0]) == (3, 3)
