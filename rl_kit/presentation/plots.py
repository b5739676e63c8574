"""Learning curves of one or more runs, drawn with matplotlib into a PNG."""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np

from rl_kit.errors import InvalidValue, RLKitError


def read_csv(path: Path) -> dict[str, np.ndarray]:
    """Columns of a CSV log as float arrays (empty dict if the file is missing or empty). A row
    whose step is not a number (torn, or text) is dropped; a value that is not a number is NaN.
    A file that is not text is one error naming it."""
    if not path.is_file():
        return {}
    try:
        with open(path, newline="", encoding="utf-8") as f:
            rows = list(csv.DictReader(f))
    except (UnicodeDecodeError, csv.Error) as error:
        raise RLKitError(f"{path} is not a CSV log rl-kit wrote (not text: {type(error).__name__})") from None
    rows = [row for row in rows if number(row.get("step")) == number(row.get("step"))]  # NaN != NaN
    if not rows:
        return {}
    return {str(key): np.array([number(r.get(key)) for r in rows]) for key in rows[0] if key is not None}


def number(text) -> float:
    """`text` as a float; NaN where it is empty, missing or not a number."""
    try:
        return float(text)
    except (TypeError, ValueError):
        return np.nan


def smooth(values: np.ndarray, window: int) -> np.ndarray:
    """Trailing moving average over up to `window` values."""
    if len(values) == 0:
        return values
    cumulative = np.cumsum(np.insert(values, 0, 0.0))
    index = np.arange(1, len(values) + 1)
    start = np.maximum(index - window, 0)
    return (cumulative[index] - cumulative[start]) / (index - start)


def run_label(directory: Path, with_env: bool = False) -> str:
    """``ppo seed 0`` (``ppo seed 0 on CartPole-v1`` `with_env`), or the directory's name."""
    spec = run_spec(directory)
    if spec is None:
        return directory.name
    return f"{spec.agent} seed {spec.seed}" + (f" on {spec.env.id}" if with_env else "")


def run_spec(directory: Path):
    from rl_kit.core.run_directory import read_spec

    try:
        return read_spec(directory)
    except RLKitError:
        return None


FIGURE_SUFFIXES = (".png", ".svg", ".pdf")


def figure_path(output: str | Path | None, default: Path) -> Path:
    """Where a figure goes: `output`, if its name ends in a format we draw, else `default`."""
    if output is None:
        return default
    output = Path(output)
    if output.suffix.lower() not in FIGURE_SUFFIXES:
        raise InvalidValue(f"cannot draw a figure into {output}: name a {', '.join(FIGURE_SUFFIXES)} file")
    return output


def plot_runs(run_directories, output: str | Path | None = None, *, title: str | None = None) -> Path:
    """Plot training returns (smoothed) and evaluation returns (mean and 95% CI) of runs.

    Args:
        run_directories: one or more run directories.
        output: the PNG to write (default: ``learning_curve.png`` in the first run).
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    directories = [Path(d) for d in run_directories]
    for d in directories:
        if not (d / "episodes.csv").is_file() and not (d / "eval.csv").is_file():
            raise RLKitError(f"{d} is not a run directory (no episodes.csv or eval.csv)")
    output = figure_path(output, directories[0] / "learning_curve.png")
    fig, (train_ax, eval_ax) = plt.subplots(1, 2, figsize=(12, 4.5), constrained_layout=True)
    # Runs of different envs share the axes only with each run's env in its label, and a title
    # that says their returns are on different scales.
    envs = sorted({spec.env.id for spec in map(run_spec, directories) if spec is not None})
    labels = [run_label(d, with_env=len(envs) > 1) for d in directories]
    if len(envs) > 1:
        note = f"runs on {len(envs)} envs ({', '.join(envs)}): their returns are on different scales"
        title = f"{title}\n{note}" if title else note
    if len(set(labels)) < len(labels):  # the same agent and seed: the runs' own names tell them apart
        labels = [f"{label} ({d.name})" for label, d in zip(labels, directories, strict=True)]
    for i, (d, label) in enumerate(zip(directories, labels, strict=True)):
        color = f"C{i % 10}"
        episodes = read_csv(d / "episodes.csv")
        if episodes:
            window = max(1, min(100, len(episodes["return"]) // 20))
            if len(episodes["return"]) <= 300:  # raw returns help only while they can be told apart
                train_ax.plot(episodes["step"], episodes["return"], color=color, alpha=0.2, linewidth=0.6)
            train_ax.plot(
                episodes["step"],
                smooth(episodes["return"], window),
                color=color,
                label=f"{label} ({window}-episode mean)",
            )
        evaluations = read_csv(d / "eval.csv")
        if evaluations:
            eval_ax.fill_between(
                evaluations["step"], evaluations["ci_low"], evaluations["ci_high"], color=color, alpha=0.2
            )
            eval_ax.plot(evaluations["step"], evaluations["mean"], "o-", color=color, label=f"{label} (mean, 95% CI)")
    train_ax.set(title="training episodes", xlabel="env steps", ylabel="episode return")
    eval_ax.set(title="greedy evaluation", xlabel="env steps", ylabel="mean episode return")
    for ax in (train_ax, eval_ax):
        ax.grid(alpha=0.3)
        if ax.get_legend_handles_labels()[0]:
            ax.legend(fontsize=8)
    if title:
        fig.suptitle(title)
    output.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(output, dpi=110)
    plt.close(fig)
    return output


def seed_curves(directories: list[str]) -> tuple[np.ndarray, np.ndarray, np.ndarray] | None:
    """Evaluation curves of several seeds on a common grid: steps, wall times and means (seeds x points)."""
    curves = [read_csv(Path(d) / "eval.csv") for d in directories]
    curves = [c for c in curves if c]
    if not curves:
        return None
    n = min(len(c["step"]) for c in curves)
    steps = curves[0]["step"][:n]
    return steps, np.array([c["wall_time"][:n] for c in curves]), np.array([c["mean"][:n] for c in curves])


def plot_comparison(comparison) -> tuple[Path, Path]:
    """``learning_curves.png`` (vs env steps and wall time, mean and 95% CI over seeds) and
    ``final_returns.png`` (per-seed final returns with the mean and its interval)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from rl_kit.core.stats import bootstrap_ci

    agents = [row["agent"] for row in comparison.rows if row.get("seeds") and not row["agent"].startswith("optimal")]
    fig, (by_steps, by_time) = plt.subplots(1, 2, figsize=(12, 4.5), constrained_layout=True)
    for i, name in enumerate(agents):
        runs = [o.directory for o in comparison.outcomes if o.agent == name and not o.failed]
        curves = seed_curves(runs)
        if curves is None:
            continue
        steps, walls, means = curves
        center = means.mean(axis=0)
        band = (
            np.array([bootstrap_ci(column) for column in means.T])
            if len(runs) > 1
            else np.stack([center, center], axis=1)
        )
        for ax, x in ((by_steps, steps), (by_time, walls.mean(axis=0))):
            ax.plot(x, center, color=f"C{i}", label=f"{name} ({len(runs)} seeds)")
            ax.fill_between(x, band[:, 0], band[:, 1], color=f"C{i}", alpha=0.2)
    for row in comparison.rows:
        if row["agent"].startswith("optimal"):
            for ax in (by_steps, by_time):
                ax.axhline(row["return_mean"], color="black", linestyle="--", linewidth=1, label=row["agent"])
    by_steps.set(title=f"greedy evaluation on {comparison.env}", xlabel="env steps", ylabel="mean return")
    by_time.set(title="against wall time", xlabel="seconds of training", ylabel="mean return")
    for ax in (by_steps, by_time):
        ax.grid(alpha=0.3)
        if ax.get_legend_handles_labels()[0]:
            ax.legend(fontsize=8)
    curves_path = comparison.directory / "learning_curves.png"
    fig.savefig(curves_path, dpi=110)
    plt.close(fig)

    fig, ax = plt.subplots(figsize=(max(4, 1.6 * len(agents) + 2), 4.5), constrained_layout=True)
    for i, name in enumerate(agents):
        finals = [float(np.mean(o.returns)) for o in comparison.outcomes if o.agent == name and not o.failed]
        row = next(r for r in comparison.rows if r["agent"] == name)
        ax.scatter(
            np.full(len(finals), i) + np.linspace(-0.15, 0.15, len(finals)), finals, color=f"C{i}", alpha=0.7, zorder=3
        )
        if row.get("ci_low") is not None:
            ax.errorbar(
                i + 0.3,
                row["return_mean"],
                yerr=[[row["return_mean"] - row["ci_low"]], [row["ci_high"] - row["return_mean"]]],
                fmt="D",
                color="black",
                capsize=5,
                zorder=4,
            )
    ax.set_xticks(range(len(agents)), agents)
    ax.set(title=f"final return per seed on {comparison.env} (◆ mean, 95% CI)", ylabel="mean greedy return")
    ax.grid(alpha=0.3, axis="y")
    finals_path = comparison.directory / "final_returns.png"
    fig.savefig(finals_path, dpi=110)
    plt.close(fig)
    return curves_path, finals_path


def log_every(train: dict[str, np.ndarray]) -> int:
    """The usual spacing of ``train.csv``'s rows, in env steps."""
    return int(np.median(np.diff(train["step"])))


MAX_PANELS = 29  # with the return: ten rows of three


def plot_dashboard(run_directory: str | Path, output: str | Path | None = None) -> Path:
    """One PNG with the return curve and every training diagnostic the agent logged
    (entropy, approximate KL, clip fraction, explained variance, gradient norm, value loss,
    TD error, epsilon, learning rate, ...), each against env steps."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    directory = Path(run_directory)
    episodes, train, evaluations = (read_csv(directory / f) for f in ("episodes.csv", "train.csv", "eval.csv"))
    if not episodes and not train:
        raise RLKitError(f"{directory} is not a run directory (no episodes.csv or train.csv)")
    metrics = [k for k in train if k not in ("step", "wall_time") and np.isfinite(train[k]).any()]
    if len(metrics) > MAX_PANELS:  # a train.csv of 3,000 columns would draw for minutes
        print(
            f"note: {directory / 'train.csv'} has {len(metrics):,} metrics; the dashboard draws the first {MAX_PANELS}"
        )
        metrics = metrics[:MAX_PANELS]
    panels = 1 + len(metrics)
    columns = min(3, panels)
    rows = (panels + columns - 1) // columns
    fig, axes = plt.subplots(rows, columns, figsize=(5 * columns, 3.2 * rows), constrained_layout=True, squeeze=False)
    axes = axes.ravel()
    ax = axes[0]
    if episodes:
        window = max(1, min(100, len(episodes["return"]) // 20))
        ax.plot(episodes["step"], smooth(episodes["return"], window), label=f"training ({window}-episode mean)")
    if evaluations:
        ax.fill_between(evaluations["step"], evaluations["ci_low"], evaluations["ci_high"], alpha=0.2, color="C1")
        levels = "test_mean" in evaluations  # a run on a finite level set: its held-out levels too
        ax.plot(evaluations["step"], evaluations["mean"], "o-", color="C1",
                label="greedy, training levels (95% CI)" if levels else "greedy evaluation (95% CI)")  # fmt: skip
        if levels:
            ax.fill_between(evaluations["step"], evaluations["test_ci_low"], evaluations["test_ci_high"], alpha=0.2,
                            color="C3")  # fmt: skip
            ax.plot(evaluations["step"], evaluations["test_mean"], "s-", color="C3", label="greedy, held-out levels")
    ax.set(title="return", xlabel="env steps")
    ax.legend(fontsize=7)
    rows = len(train.get("step", ()))
    style = "o-" if rows < 50 else "-"  # a few updates are points joined, not a straight line
    for ax, name in zip(axes[1:], metrics, strict=False):
        ax.plot(train["step"], train[name], style, color="C2", linewidth=1, markersize=4)
        ax.set(title=name.replace("_", " "), xlabel="env steps")
    for ax in axes:
        ax.grid(alpha=0.3)
    for ax in axes[panels:]:
        ax.set_visible(False)
    every = f", a row every {log_every(train)} env steps" if rows > 1 else ""
    fig.suptitle(f"{run_label(directory, with_env=True)}: {rows} rows of diagnostics{every}")
    output = figure_path(output, directory / "dashboard.png")
    fig.savefig(output, dpi=100)
    plt.close(fig)
    return output
