"""The RL Zoo's benchmark table, with error bars: ours and the Zoo's own runs, over seeds.

For each row (agent, env, the Zoo's budget), every seed trains ours (``rl-kit train`` with the
Zoo's hyperparameters in our names, :mod:`rl_kit.experiments.zoo_hyperparameters`) and the
Zoo (``python -m rl_zoo3.train``, its own code and defaults: VecNormalize, gSDE, RMSprop), each
in a process of its own on the local pool or on Ray. Both are then evaluated with one
protocol: the same seeded greedy episodes. The report gives, per row, each side's IQM over all
episodes and mean over seeds with a 95% bootstrap CI, and the Zoo's published single-run
figure (its ``benchmark.md``), and says whether ours reaches it.

``rl-kit bench --suite zoo`` writes ``docs/benchmarks/zoo/report.md`` and ``report.png``.
"""

from __future__ import annotations

import fcntl
import json
import os
import tempfile
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from rl_kit.core.stats import bootstrap_ci, iqm
from rl_kit.errors import unknown_name
from rl_kit.experiments.zoo_race import final_returns, our_command, zoo_command

EPISODES = 20  # greedy episodes per run


@dataclass(frozen=True)
class ZooRow:
    """`agent` on `env` at the Zoo's budget of `steps`, and the Zoo's published return there."""

    agent: str
    env: str
    steps: int
    published: float

    @property
    def name(self) -> str:
        return f"{self.agent}-{self.env.split('-')[0].lower()}"


ROWS = (  # the Zoo's benchmark.md: return at budget
    ZooRow("ppo", "CartPole-v1", 100_000, 500.0),
    ZooRow("a2c", "CartPole-v1", 500_000, 500.0),
    ZooRow("dqn", "CartPole-v1", 50_000, 500.0),
    ZooRow("ppo", "Acrobot-v1", 1_000_000, -73.5),
    ZooRow("a2c", "Acrobot-v1", 500_000, -83.4),
    ZooRow("dqn", "Acrobot-v1", 100_000, -76.6),
    ZooRow("ppo", "MountainCar-v0", 1_000_000, -110.4),
    ZooRow("a2c", "MountainCar-v0", 1_000_000, -111.3),
    ZooRow("dqn", "MountainCar-v0", 120_000, -100.8),
    ZooRow("ppo", "Pendulum-v1", 100_000, -172.2),
    ZooRow("a2c", "Pendulum-v1", 1_000_000, -163.0),
    ZooRow("ppo", "LunarLander-v3", 1_000_000, 242.1),
    ZooRow("a2c", "LunarLander-v3", 200_000, 155.8),
    ZooRow("dqn", "LunarLander-v3", 100_000, 154.4),
)


def select_rows(names: str | None) -> tuple[ZooRow, ...]:
    if not names:
        return ROWS
    by_name = {row.name: row for row in ROWS}
    for name in names.split(","):
        if name not in by_name:
            raise unknown_name("row", name, list(by_name))
    return tuple(by_name[name] for name in names.split(","))


def benchmark_run(kind: str, row: ZooRow, seed: int, episodes: int) -> list[float]:
    """One run (ours or the Zoo's) of `row` on `seed`, in this process's own directory; its returns."""
    import subprocess

    with tempfile.TemporaryDirectory() as directory:
        out = Path(directory) / "run"
        command = our_command(row, seed, out) if kind == "rl_kit" else zoo_command(row, seed, out)
        finished = subprocess.run(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        if finished.returncode != 0:
            raise RuntimeError(f"{kind} {row.name} seed {seed} failed: {finished.stderr[-1500:]}")
        return final_returns(kind, out, row, episodes).tolist()


def summary(returns: list[list[float]]) -> dict[str, float]:
    """IQM over all episodes, mean over seeds (each run's mean) with a 95% bootstrap CI."""
    per_seed = [float(np.mean(r)) for r in returns]
    low, high = bootstrap_ci(per_seed)
    return {"iqm": iqm(np.concatenate(returns)), "mean": float(np.mean(per_seed)), "low": low, "high": high}


SIDES = ("rl_kit", "zoo")  # ours, and the Zoo's own code


def zoo_benchmark(
    rows: tuple[ZooRow, ...] = ROWS,
    *,
    seeds: int = 5,
    episodes: int = EPISODES,
    sides: tuple[str, ...] = SIDES,
    workers: int | None = None,
    ray: str | None = None,
    out: str | Path = "docs/benchmarks/zoo",
) -> Path:
    """Run every row's seeds for each of `sides`, then write the report; returns its path.

    The returns of every run are kept in ``results.json`` beside the report, and what was run
    before (with the same seeds and episodes) stays in it: the table of 14 rows, hours of
    compute, can be filled a few rows, or one side of a row, at a time, on several machines.
    A row's side run again is replaced. Invocations that share `out` may run at once (on other
    cores): each merges its runs into the file as it is when it finishes, under a lock.
    """
    from rl_kit.infrastructure.job_pool import Job, run_grid

    unknown = [side for side in sides if side not in SIDES]
    if unknown:
        raise unknown_name("side", unknown[0], list(SIDES))
    jobs = [Job(benchmark_run, (kind, row, seed, episodes)) for row in rows for seed in range(seeds) for kind in sides]
    fresh: dict[tuple[str, str], list] = {}
    failures = []
    for outcome in run_grid(jobs, workers=workers, ray_address=ray):
        kind, row, seed, _ = outcome.job.args
        if outcome.error is not None:
            failures.append(f"{kind} {row.name} seed {seed}: {outcome.error.strip().splitlines()[-1]}")
            continue
        fresh.setdefault((row.name, kind), []).append(outcome.value)
        print(f"  {row.name:16} {kind:7} seed {seed}: return {np.mean(outcome.value):9.2f}", flush=True)
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    with results_lock(out):
        results, failures = merge_results(out / "results.json", seeds, episodes, rows, sides, fresh, failures)
    done = {name for name, _ in results} | {f.split()[1] for f in failures}
    return write_report(tuple(row for row in ROWS if row.name in done), results, failures, seeds, episodes, out)


@contextmanager
def results_lock(directory: Path):
    """An exclusive lock on `directory` (blocking): one invocation at a time merges its runs."""
    fd = os.open(directory, os.O_RDONLY)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)


def merge_results(path: Path, seeds, episodes, rows, sides, fresh, failures) -> tuple[dict, list[str]]:
    """The stored runs with this invocation's in place of the (row, side)s it ran; written back."""
    from rl_kit.infrastructure.atomic_files import atomic_write

    stored = read_results(path, seeds, episodes)
    replaced = {(row.name, kind) for row in rows for kind in sides}
    results = {
        (name, kind): returns
        for name, by_side in stored["runs"].items()
        for kind, returns in by_side.items()
        if (name, kind) not in replaced
    }
    results.update(fresh)
    kept = [f for f in stored["failures"] if (f.split()[1], f.split()[0]) not in replaced]
    failures = kept + list(failures)
    runs: dict[str, dict[str, list]] = {}
    for (name, kind), returns in sorted(results.items()):
        runs.setdefault(name, {})[kind] = returns
    atomic_write(path, json.dumps({"seeds": seeds, "episodes": episodes, "runs": runs, "failures": failures}, indent=1))
    return results, failures


def read_results(path: Path, seeds: int, episodes: int) -> dict:
    """The runs of an earlier invocation, if made with the same seeds and episodes; else none."""
    empty = {"seeds": seeds, "episodes": episodes, "runs": {}, "failures": []}
    if not path.is_file():
        return empty
    stored = json.loads(path.read_text(encoding="utf-8"))
    if stored.get("seeds") != seeds or stored.get("episodes") != episodes:
        print(f"note: {path} holds runs with other seeds or episodes; they are replaced", flush=True)
        return empty
    return stored


def write_report(rows, results, failures, seeds: int, episodes: int, out: Path) -> Path:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from rl_kit.infrastructure.atomic_files import atomic_write

    out.mkdir(parents=True, exist_ok=True)
    lines = [
        "# The RL Zoo's benchmark, ours beside it",
        "",
        "Command: `rl-kit bench --suite zoo --seeds "
        f"{seeds}"
        + (f" --rows {','.join(r.name for r in rows)}`" if rows != ROWS else "`")
        + " (rows may come from several invocations; their runs are in results.json)",
        "",
        f"Each row trains ours (`rl-kit train`, the Zoo's hyperparameters in our names) and the Zoo (`python -m "
        f"rl_zoo3.train`, its own code) at the Zoo's budget on {seeds} seeds, then evaluates every run greedily on the "
        f"same {episodes} seeded episodes. IQM over all episodes of all seeds; mean over seeds with a 95% bootstrap "
        "CI. *Published*: the Zoo's single-run figure (its benchmark.md). *Reached*: yes when our mean is at least the "
        "published figure, within CI when only our CI's upper end is, no otherwise.",
        "",
        "| agent | env | budget | ours IQM | ours mean (95% CI) | Zoo IQM | Zoo mean (95% CI) | published | reached |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    figure_rows = []
    for row in rows:
        ours, zoo = results.get((row.name, "rl_kit")), results.get((row.name, "zoo"))
        budget = f"{row.steps:,}"
        cells = []
        for side in (ours, zoo):
            if side:
                s = summary(side)
                cells += [f"{s['iqm']:.1f}", f"{s['mean']:.1f} [{s['low']:.1f}, {s['high']:.1f}] ({len(side)} seeds)"]
            else:
                cells += ["–", "–"]
        reached = "–"
        if ours:
            s = summary(ours)
            reached = "yes" if s["mean"] >= row.published else ("within CI" if s["high"] >= row.published else "no")
            figure_rows.append((row, s, summary(zoo) if zoo else None))
        lines.append(f"| {row.agent} | {row.env} | {budget} | {' | '.join(cells)} | {row.published} | {reached} |")
    if failures:
        lines += ["", "## Failed runs", ""] + [f"- {f}" for f in failures]
    if figure_rows:
        fig, axes = plt.subplots(1, len(figure_rows), figsize=(3.2 * len(figure_rows), 3.6), squeeze=False)
        for ax, (row, ours, zoo) in zip(axes[0], figure_rows, strict=True):
            for x, (s, color) in enumerate(((ours, "C0"), (zoo, "C1"))):
                if s is not None:
                    ax.bar(x, s["mean"], color=color, yerr=[[s["mean"] - s["low"]], [s["high"] - s["mean"]]], capsize=5)
            ax.axhline(row.published, color="k", linestyle="--", linewidth=1, label="published")
            ax.set_xticks([0, 1], ["ours", "Zoo"])
            ax.set_title(f"{row.agent.upper()} {row.env}", fontsize=9)
        axes[0][0].set_ylabel("return (mean over seeds, 95% CI)")
        axes[0][0].legend(fontsize=8)
        fig.tight_layout()
        fig.savefig(out / "report.png", dpi=100)
        plt.close(fig)
        lines += ["", "![ours and the Zoo per row](report.png)", ""]
    return atomic_write(out / "report.md", "\n".join(lines) + "\n")
