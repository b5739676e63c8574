"""The RL Zoo's benchmark table, with error bars: ours and the Zoo's own runs, over seeds.

For each row (agent, env, the Zoo's budget), every seed trains, each in a process of its own
on the local pool or on Ray:

- ``rl_kit``: ours, ``rl-kit train`` with the Zoo's hyperparameters in our names
  (:mod:`rl_kit.experiments.zoo_hyperparameters`); a PPO or A2C row's seeds (consecutive
  ones) train as one population, ``rl-kit train --seeds K``, in one process
  (:mod:`rl_kit.core.population`; it runs them one after another where the values do not allow one);
- ``zoo``: the Zoo, ``python -m rl_zoo3.train``, its own code and defaults (VecNormalize,
  gSDE, RMSprop);
- ``tuned``: ours with our own entry (``rl_kit/hyperparams/<agent>.yml``, what ``rl-kit
  train`` uses by default) at no larger budget, for the rows where it differs from the Zoo's.

All are then evaluated with one protocol (:data:`PROTOCOL`): each run plays greedy episodes
worth :data:`EVAL_STEPS` env steps at the env's time limit (the Zoo's own evaluation plays
about 150,000 steps), at least :data:`MIN_EPISODES`, from episode seeds of its own (runs of
one seed share them across sides, so the sides are compared on the same starts, and other
seeds draw other starts). Twenty fixed episodes, as before, could decide a verdict: on
Pendulum-v1, whose return depends on the start, one agent scored -143.6 on them and -179.0
over 500. The report gives, per row, each side's IQM over all episodes and mean over seeds
with a 95% two-level bootstrap CI (seeds, then episodes within each run), the Zoo's
published single-run figure (its ``benchmark.md``), and says whether ours reaches it.

``rl-kit bench --suite zoo`` writes ``docs/benchmarks/zoo/report.md`` and ``report.png``.
"""

from __future__ import annotations

import fcntl
import json
import os
import sys
import tempfile
import time
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from rl_kit.core.stats import iqm, two_level_bootstrap_ci
from rl_kit.errors import RLKitError
from rl_kit.experiments.zoo_hyperparameters import require_zoo
from rl_kit.experiments.zoo_race import EVAL_EPISODES, EVAL_EVERY, final_returns, our_command, zoo_command
from rl_kit.experiments.zoo_race import select_rows as race_rows
from rl_kit.infrastructure.directory_lock import refuse_links

PROTOCOL = 2  # 1: 20 episodes from seed 10,000 for every run; 2: episodes worth EVAL_STEPS, seeds per run
EVAL_STEPS, MIN_EPISODES = 150_000, 100


def evaluation_episodes(row) -> int:
    """Greedy episodes a run of `row` is evaluated on: EVAL_STEPS worth at the env's time limit."""
    from rl_kit.core.spec import EnvConfig

    return max(MIN_EPISODES, -(-EVAL_STEPS // EnvConfig(row.env).time_limit))


def episode_seed(seed: int) -> int:
    """The first episode seed of the runs trained on `seed` (each run's episodes: seed, seed + 1, ...)."""
    return 10_000 + 100_000 * seed


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
    ZooRow("sac", "Pendulum-v1", 20_000, -157.0),
    ZooRow("td3", "Pendulum-v1", 20_000, -151.9),
    ZooRow("ddpg", "Pendulum-v1", 20_000, -152.1),
    ZooRow("sac", "MountainCarContinuous-v0", 50_000, 94.7),
    ZooRow("td3", "MountainCarContinuous-v0", 300_000, 93.5),
    ZooRow("ddpg", "MountainCarContinuous-v0", 300_000, 93.5),
    ZooRow("sac", "LunarLanderContinuous-v3", 500_000, 260.4),
    ZooRow("td3", "LunarLanderContinuous-v3", 300_000, 207.5),
    ZooRow("ddpg", "LunarLanderContinuous-v3", 300_000, 230.2),
)


def select_rows(names: str | None) -> tuple[ZooRow, ...]:
    return race_rows(names, ROWS, "zoo row")


def tuned_entry(row: ZooRow):
    """Our own entry for `row` (:func:`rl_kit.core.hyperparameter_files.tuned_hyperparameters`), or
    None where we have none or it is the Zoo's (its values and env count are the same)."""
    from rl_kit.core.hyperparameter_files import tuned_hyperparameters
    from rl_kit.core.registry import agent_class
    from rl_kit.experiments.zoo_hyperparameters import our_arguments, zoo_entry

    entry = tuned_hyperparameters(row.agent, row.env)
    if entry.file is None:
        return None
    _, num_envs, zoo_values = our_arguments(row.agent, zoo_entry(row.agent, row.env))
    hyperparameters = agent_class(row.agent).Hyperparameters
    same = hyperparameters.from_dict(entry.hyperparameters) == hyperparameters.from_dict(zoo_values)
    return None if same and entry.num_envs == num_envs else entry


def tuned_command(row: ZooRow, seed: int, out: Path) -> list[str]:
    """``rl-kit train`` of `row` with our own entry, on at most the Zoo's budget, with the race's evaluations."""
    command = [sys.executable, "-m", "rl_kit.cli", "train", "--env", row.env, "--agent", row.agent]
    command += ["--steps", str(own_budget(row)), "--seed", str(seed), "--eval-every", str(EVAL_EVERY)]
    return [*command, "--eval-episodes", str(EVAL_EPISODES), "--out", str(out), "--no-progress"]


COMMANDS = {"rl_kit": our_command, "zoo": zoo_command, "tuned": tuned_command}


def benchmark_run(kind: str, row: ZooRow, seed: int, episodes: int | None) -> list[float]:
    """One run of `row` on `seed` by side `kind` (:data:`SIDES`), in its own directory; its returns."""
    import subprocess

    with tempfile.TemporaryDirectory() as directory:
        out = Path(directory) / "run"
        finished = subprocess.run(
            COMMANDS[kind](row, seed, out), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True
        )
        if finished.returncode != 0:
            raise RuntimeError(f"{kind} {row.name} seed {seed} failed: {finished.stderr[-1500:]}")
        count = evaluation_episodes(row) if episodes is None else episodes
        return final_returns("zoo" if kind == "zoo" else "rl_kit", out, row, count, episode_seed(seed)).tolist()


POPULATION_AGENTS = ("ppo", "a2c")  # agents whose seeds our side trains as one population


def benchmark_population(
    kind: str, row: ZooRow, seeds: tuple[int, ...], episodes: int | None
) -> dict[int, list[float]]:
    """Our side of `row` on consecutive `seeds` as one population (``rl-kit train --seeds``); each member's returns."""
    import subprocess

    with tempfile.TemporaryDirectory() as directory:
        out = Path(directory) / "runs"
        command = [*our_command(row, seeds[0], out), "--seeds", str(len(seeds))]
        finished = subprocess.run(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        if finished.returncode != 0:
            raise RuntimeError(f"{kind} {row.name} seeds {seeds[0]}-{seeds[-1]} failed: {finished.stderr[-1500:]}")
        count = evaluation_episodes(row) if episodes is None else episodes
        return {
            seed: final_returns("rl_kit", out / f"seed{seed}", row, count, episode_seed(seed)).tolist()
            for seed in seeds
        }


def benchmark_jobs(runs: list[tuple[str, ZooRow, int]], episodes: int | None) -> list:
    """One job per run; our side's consecutive seeds of a PPO or A2C row as one population job."""
    from rl_kit.infrastructure.job_pool import Job

    jobs: list = []
    grouped: dict[str, tuple[ZooRow, list[int]]] = {}
    for kind, row, seed in runs:
        if kind == "rl_kit" and row.agent in POPULATION_AGENTS:
            grouped.setdefault(row.name, (row, []))[1].append(seed)
        else:
            jobs.append(Job(benchmark_run, (kind, row, seed, episodes)))
    for row, seeds in grouped.values():
        for block in consecutive_blocks(sorted(seeds)):
            if len(block) == 1:
                jobs.append(Job(benchmark_run, ("rl_kit", row, block[0], episodes)))
            else:
                jobs.append(Job(benchmark_population, ("rl_kit", row, tuple(block), episodes)))
    return jobs


def consecutive_blocks(seeds: list[int]) -> list[list[int]]:
    """[0, 1, 2, 5, 6] -> [[0, 1, 2], [5, 6]]."""
    blocks: list[list[int]] = []
    for seed in seeds:
        if blocks and seed == blocks[-1][-1] + 1:
            blocks[-1].append(seed)
        else:
            blocks.append([seed])
    return blocks


def summary(returns: list[list[float]]) -> dict[str, float]:
    """IQM over all episodes, mean over seeds (each run's mean) with a 95% two-level bootstrap CI
    (seeds, then episodes within each run)."""
    per_seed = [float(np.mean(r)) for r in returns]
    low, high = two_level_bootstrap_ci(returns)
    return {"iqm": iqm(np.concatenate(returns)), "mean": float(np.mean(per_seed)), "low": low, "high": high}


SIDES = ("rl_kit", "zoo", "tuned")  # ours with the Zoo's entry, the Zoo's own code, ours with our entry


def zoo_benchmark(
    rows: tuple[ZooRow, ...] = ROWS,
    *,
    seeds: int = 5,
    episodes: int | None = None,
    sides: tuple[str, ...] = SIDES,
    workers: int | None = None,
    ray: str | None = None,
    out: str | Path = "docs/benchmarks/zoo",
    resume: bool = False,
) -> Path:
    """Run every row's seeds for each of `sides`, then write the report; returns its path.

    The returns of every run are kept in ``results.json`` beside the report, and what was run
    before (with the same seeds and episodes) stays in it: the table of 14 rows, hours of
    compute, can be filled a few rows, or one side of a row, at a time, on several machines.
    A row's side run again is replaced; with `resume`, its stored runs stay and only the seeds
    it lacks are run (a row of hours a seed, filled over several sessions). Invocations that
    share `out` may run at once (on other cores): each merges its runs into the file as it is
    when it finishes, under a lock.
    """
    from rl_kit.infrastructure.job_pool import run_grid

    unknown = [side for side in sides if side not in SIDES]
    if unknown:
        raise RLKitError(f"unknown side {unknown[0]!r}: the sides are ours, zoo and tuned (--sides ours,zoo)")
    if rows:
        require_zoo()  # every side reads the Zoo's entry: say so once, not in every run's failure
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    done_before: dict[tuple[str, str], set[int]] = {}
    if resume:
        with results_lock(out):
            done_before = stored_seeds(read_results(out / "results.json", seeds, episodes))
    jobs = benchmark_jobs(runs_to_do(rows, seeds, sides, done_before), episodes)
    touched: set[tuple[str, str]] = set()  # (row, side)s this invocation has replaced in results.json
    results: dict = {}
    failures: list = []
    for outcome in run_grid(jobs, workers=workers, ray_address=ray):
        for kind, row, seed, run, failure in job_runs(outcome):
            if run is not None:
                print(f"  {row.name:16} {kind:7} seed {seed}: return {np.mean(run):9.2f}", flush=True)
            with results_lock(out):  # each run is kept as it finishes: a kill loses only the runs in flight
                results, failures = merge_run(
                    out / "results.json", seeds, episodes, (row.name, kind), run, failure, touched, seed, resume
                )
    if jobs and len(failures) >= len(jobs) and not any(key in results for key in touched):
        raise RLKitError(f"every run of this invocation failed ({len(failures)}); the first: {failures[0]}"[:600])
    with results_lock(out):  # the report of the file as it is now, every invocation's runs in it
        results, failures = merge_run(out / "results.json", seeds, episodes, None, None, None, touched)
        done = {name for name, _ in results} | {f.split()[1] for f in failures}
        return write_report(tuple(row for row in ROWS if row.name in done), results, failures, seeds, episodes, out)


def job_runs(outcome) -> list[tuple[str, ZooRow, int, list[float] | None, str | None]]:
    """(side, row, seed, returns or None, failure or None) of each run a finished job made."""
    kind, row, seeds, _ = outcome.job.args
    seeds = seeds if isinstance(seeds, tuple) else (seeds,)
    if outcome.error is not None:
        reason = outcome.error.strip().splitlines()[-1]
        return [(kind, row, seed, None, f"{kind} {row.name} seed {seed}: {reason}") for seed in seeds]
    values = outcome.value if isinstance(outcome.value, dict) else {seeds[0]: outcome.value}
    return [(kind, row, seed, values[seed], None) for seed in seeds]


def runs_to_do(rows, seeds: int, sides, done_before: dict[tuple[str, str], set[int]]) -> list[tuple[str, ZooRow, int]]:
    """(side, row, seed) of every run this invocation makes: each seed of each side of each row,
    less the own-entry side where our entry is the Zoo's, less the seeds `done_before`."""
    return [
        (kind, row, seed)
        for row in rows
        for seed in range(seeds)
        for kind in sides
        if (kind != "tuned" or tuned_entry(row) is not None) and seed not in done_before.get((row.name, kind), set())
    ]


@contextmanager
def results_lock(directory: Path):
    """An exclusive lock on `directory` (blocking): one invocation at a time merges its runs.
    The directory itself is opened without following a link."""
    refuse_links(directory)
    fd = os.open(directory, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)


def read_mapping(path: Path, what: str) -> dict:
    """The JSON mapping a results file merged over invocations holds ({} before the first run);
    a file that is not one is refused in one line naming `what` it should have been."""
    if not path.exists():
        return {}
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as error:
        raise RLKitError(f"{path} is not {what} results file: {error}") from None
    if not isinstance(data, dict):
        raise RLKitError(f"{path} is not {what} results file: not a mapping")
    return data


def merge_outcomes(
    jobs,
    results_file: Path,
    what: str,
    *,
    place,
    describe,
    failures: list[str],
    workers: int = 1,
    ray: str | None = None,
):
    """Run `jobs` on the local pool (or Ray) and keep each value in `results_file` as it finishes,
    read and rewritten under the folder's lock, so that invocations running side by side and a
    kill lose nothing finished. ``place(merged, job, value)`` stores a value in the mapping read
    from the file; ``describe(job)`` names a run in the line a failure prints and appends to
    `failures` (the caller writes its report, then :func:`refuse_failures`). Yields each
    ``(job, value)`` once it is on disk."""
    from rl_kit.infrastructure.atomic_files import atomic_write
    from rl_kit.infrastructure.job_pool import run_grid

    for outcome in run_grid(jobs, workers=workers, ray_address=ray):
        if outcome.error is not None:
            print(f"  {describe(outcome.job)} failed: {outcome.error}", flush=True)
            reason = (outcome.error.strip().splitlines() or ["no message"])[-1]
            failures.append(f"{describe(outcome.job)}: {reason}")
            continue
        with results_lock(results_file.parent):  # another invocation may have merged its runs meanwhile
            merged = read_mapping(results_file, what)
            place(merged, outcome.job, outcome.value)
            atomic_write(results_file, json.dumps(merged, indent=1, sort_keys=True))
        yield outcome.job, outcome.value


def refuse_failures(failures: list[str], runs: int, report: Path, failed: int | None = None) -> None:
    """A study whose runs failed ends in an error (a nonzero exit) naming the first, after its
    report of the runs that did finish; the same command again runs only the missing ones.
    `failed` counts the runs lost where a failure (a population's) is of several."""
    if failures:
        raise RLKitError(f"{len(failures) if failed is None else failed} of {runs} runs failed ({report} holds the others; the same command "
                         f"reruns only the missing ones); the first: {failures[0]}"[:600])  # fmt: skip


def merge_run(
    path: Path, seeds, episodes, key, run, failure, touched: set, seed: int | None = None, resume: bool = False
) -> tuple[dict, list[str]]:
    """results.json with one more run (or failure) of `key` = (row, side) on `seed`, written
    back; the stored runs of a (row, side) are replaced when this invocation's first run of it
    arrives, unless `resume`. Each run's seed is kept beside it (``run_seeds``)."""
    from rl_kit.infrastructure.atomic_files import atomic_write

    stored = read_results(path, seeds, episodes)
    results = {
        (name, kind): list(returns) for name, by_side in stored["runs"].items() for kind, returns in by_side.items()
    }
    run_seeds = {key_: list(ordered_seeds(stored, key_)) for key_ in results}
    failures = list(stored["failures"])
    if key is not None:
        if key not in touched:
            touched.add(key)
            if not resume:
                results.pop(key, None)
                run_seeds.pop(key, None)
                failures = [f for f in failures if (f.split()[1], f.split()[0]) != key]
        if run is not None:
            results.setdefault(key, []).append(run)
            seed_list = run_seeds.setdefault(key, [])
            seed_list.append(len(seed_list) if seed is None else seed)
        if failure is not None:
            failures.append(failure)
    runs: dict[str, dict[str, list]] = {}
    seeds_of: dict[str, dict[str, list]] = {}
    for (name, kind), returns in sorted(results.items()):
        runs.setdefault(name, {})[kind] = returns
        seeds_of.setdefault(name, {})[kind] = run_seeds.get((name, kind), list(range(len(returns))))
    stored = {"protocol": PROTOCOL, "seeds": seeds, "episodes": episodes, "runs": runs, "run_seeds": seeds_of,
              "failures": failures}  # fmt: skip
    atomic_write(path, json.dumps(stored, indent=1))
    return results, failures


def ordered_seeds(stored: dict, key: tuple[str, str]) -> list[int]:
    """The seeds of the stored runs of `key`, in their order; files from before seeds were
    kept (whose rows were run whole) count 0, 1, 2, ..."""
    name, kind = key
    count = len(stored["runs"].get(name, {}).get(kind, []))
    kept = stored.get("run_seeds", {}).get(name, {}).get(kind)
    return list(kept) if isinstance(kept, list) and len(kept) == count else list(range(count))


def stored_seeds(stored: dict) -> dict[tuple[str, str], set[int]]:
    """Per (row, side), the seeds that have a stored run."""
    return {(name, kind): set(ordered_seeds(stored, (name, kind))) for name, by_side in stored["runs"].items()
            for kind in by_side}  # fmt: skip


def read_results(path: Path, seeds: int, episodes: int | None) -> dict:
    """The runs of earlier invocations, if made with the same seeds and episodes; else none. A
    damaged file is kept aside (renamed ``results.json.damaged-<time>``, said in one line)."""
    empty: dict[str, Any] = {"protocol": PROTOCOL, "seeds": seeds, "episodes": episodes, "runs": {}, "failures": []}
    if not path.exists():
        return empty
    try:
        stored = json.loads(path.read_text(encoding="utf-8"))
        well_formed = (
            isinstance(stored, dict)
            and isinstance(stored.get("runs"), dict)
            and all(isinstance(by_side, dict) for by_side in stored["runs"].values())
            and all(isinstance(f, str) and len(f.split()) > 1 for f in stored.get("failures", []))
        )
    except (OSError, UnicodeDecodeError, json.JSONDecodeError, RecursionError):
        well_formed = False
    if not well_formed:
        aside = path.with_name(f"{path.name}.damaged-{time.strftime('%Y%m%d-%H%M%S')}")
        os.replace(path, aside)
        print(f"note: {path} was damaged (not the benchmark's JSON); kept aside as {aside.name}", flush=True)
        return empty
    if stored.get("protocol", 1) != PROTOCOL:
        aside = path.with_name(f"{path.name}.protocol-{stored.get('protocol', 1)}")
        os.replace(path, aside)
        print(f"note: {path} holds runs evaluated by protocol {stored.get('protocol', 1)}; kept aside as {aside.name}")
        return empty
    if stored.get("seeds") != seeds or stored.get("episodes") != episodes:
        print(f"note: {path} holds runs with other seeds or episodes; they are replaced", flush=True)
        return empty
    stored.setdefault("failures", [])
    return stored


def own_budget(row: ZooRow) -> int:
    """The steps our own entry trains for on `row` (its n_timesteps, at most the Zoo's budget)."""
    from rl_kit.core.hyperparameter_files import tuned_hyperparameters

    return min(row.steps, tuned_hyperparameters(row.agent, row.env).n_timesteps or row.steps)


def verdict(ours: dict, published: float) -> str:
    """yes when our mean is at least the published figure, within CI when only our CI's upper end is."""
    return "yes" if ours["mean"] >= published else ("within CI" if ours["high"] >= published else "no")


SIDE_LABELS = {"rl_kit": "ours", "tuned": "ours, own entry", "zoo": "Zoo"}


def write_report(rows, results, failures, seeds: int, episodes: int | None, out: Path) -> Path:
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
        f"Each row trains on {seeds} seeds at the Zoo's budget: *ours* (`rl-kit train` with the Zoo's hyperparameters "
        "in our names), *the Zoo* (`python -m rl_zoo3.train`, its own code), and, where our own entry in "
        "`rl_kit/hyperparams` differs from the Zoo's, *ours, own entry* (`rl-kit train` with its defaults, at no larger "
        "budget). Every run is then evaluated greedily on "
        + (
            f"{episodes} episodes"
            if episodes
            else f"episodes worth {EVAL_STEPS:,} steps at the env's time limit (at least {MIN_EPISODES})"
        )
        + ", seeded per training seed (the sides of one seed share their starts). IQM over all episodes of "
        "all seeds; mean over seeds with a 95% two-level bootstrap CI (seeds, then episodes within each run). "
        "*Published*: the Zoo's single-run figure (its "
        "benchmark.md). *Reached*: yes when our mean is at least the published figure, within CI when only our CI's "
        "upper end is, no otherwise.",
        "",
        "| agent | env | budget | ours IQM | ours mean (95% CI) | own entry IQM | own entry mean (95% CI) | Zoo IQM "
        "| Zoo mean (95% CI) | published | reached |",
        "|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    figure_rows = []
    for row in rows:
        sides = {kind: results.get((row.name, kind)) for kind in ("rl_kit", "tuned", "zoo")}
        summaries = {kind: summary(runs) for kind, runs in sides.items() if runs}
        cells = []
        for kind in ("rl_kit", "tuned", "zoo"):
            s = summaries.get(kind)
            budget = f", {own_budget(row):,} steps" if kind == "tuned" and own_budget(row) < row.steps else ""
            cells += (
                [
                    f"{s['iqm']:.1f}",
                    f"{s['mean']:.1f} [{s['low']:.1f}, {s['high']:.1f}] ({len(sides[kind])} seeds{budget})",
                ]
                if s
                else ["–", "–"]
            )
        verdicts = [
            (f"{'own entry: ' if kind == 'tuned' else ''}{verdict(summaries[kind], row.published)}")
            for kind in ("rl_kit", "tuned")
            if kind in summaries
        ]
        if verdicts:
            figure_rows.append((row, summaries))
        lines.append(
            f"| {row.agent} | {row.env} | {row.steps:,} | {' | '.join(cells)} | {row.published} | "
            f"{'; '.join(verdicts) or '–'} |"
        )
    lines += aggregate_lines(rows, results, seeds)
    lines += not_run_lines(rows, results)
    if failures:
        lines += ["", "## Failed runs", ""] + [f"- {f}" for f in failures]
    if figure_rows:
        write_figure(figure_rows, out / "report.png")
        lines += ["", "![ours and the Zoo per row](report.png)", ""]
    return atomic_write(out / "report.md", "\n".join(lines) + "\n")


def not_run_lines(rows, results) -> list[str]:
    """The rows of the Zoo's table with no run on any side: said, not silently left out."""
    missing = [row for row in ROWS if not any(results.get((row.name, kind)) for kind in ("rl_kit", "tuned", "zoo"))]
    if not missing:
        return []
    listed = ", ".join(f"{row.name} ({row.steps:,} steps)" for row in missing)
    return ["", "## Rows not run", "",
            f"No run on any side yet: {listed}. `rl-kit bench --suite zoo --rows NAME` adds one; on a CPU the "
            "off-policy rows of hundreds of thousands of steps take hours per seed (one gradient step per env "
            "step)."]  # fmt: skip


RANDOM_EPISODES = 100


def random_return(env_id: str, episodes: int = RANDOM_EPISODES) -> float:
    """The mean return of uniformly random actions on `env_id` (seeded): the 0 of a normalised score."""
    from rl_kit.core.spec import EnvConfig

    env = EnvConfig(env_id).make()
    env.action_space.seed(0)
    total = 0.0
    try:
        for episode in range(episodes):
            env.reset(seed=episode)
            done = False
            while not done:
                _, reward, terminated, truncated, _ = env.step(env.action_space.sample())
                total += float(reward)
                done = terminated or truncated
    finally:
        env.close()
    return total / episodes


def aggregate_lines(rows, results, seeds: int) -> list[str]:
    """The aggregate row: per side, the IQM over rows and seeds of the normalised score
    (return - random) / (published - random) of each run (0: random actions, 1: the published
    figure), with a stratified bootstrap CI (seeds resampled within each row), over the rows
    where that side has all its seeds."""
    from rl_kit.core.stats import aggregate_iqm, stratified_bootstrap_ci

    randoms: dict[str, float] = {}
    lines = ["", "## Aggregate", "",
             "Normalised score of each run: (return - random) / (published - random), where *random* is the mean return "
             f"of uniformly random actions over {RANDOM_EPISODES} episodes (0: random, 1: the published figure). "
             "IQM over rows and seeds, with a 95% stratified bootstrap CI (seeds resampled within each row).",
             "", "| side | rows | normalised IQM (95% CI) |", "|---|---|---|"]  # fmt: skip
    for kind in ("rl_kit", "tuned", "zoo"):
        columns = []
        for row in rows:
            runs = results.get((row.name, kind))
            if not runs or len(runs) < seeds:
                continue
            if row.env not in randoms:
                randoms[row.env] = random_return(row.env)
            scale = row.published - randoms[row.env]
            columns.append([(float(np.mean(r)) - randoms[row.env]) / scale for r in runs[:seeds]])
        if columns:
            matrix = np.array(columns).T  # seeds x rows
            low, high = stratified_bootstrap_ci(matrix)
            lines.append(
                f"| {SIDE_LABELS[kind]} | {len(columns)} | {aggregate_iqm(matrix):.3f} [{low:.3f}, {high:.3f}] |"
            )
    return lines


def write_figure(figure_rows, path: Path) -> None:
    """One panel per row, five to a line: each side's mean over seeds with its 95% CI (points, so
    that rows of negative returns compare as well as positive ones), and the published figure."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    columns = min(5, len(figure_rows))
    lines = -(-len(figure_rows) // columns)
    fig, axes = plt.subplots(lines, columns, figsize=(2.9 * columns, 2.9 * lines), squeeze=False)
    colors = {"rl_kit": "C0", "tuned": "C2", "zoo": "C1"}
    for ax, (row, summaries) in zip(axes.flat, figure_rows, strict=False):  # spare panels stay off
        kinds = [kind for kind in ("rl_kit", "tuned", "zoo") if kind in summaries]
        for x, kind in enumerate(kinds):
            s = summaries[kind]
            error = [[s["mean"] - s["low"]], [s["high"] - s["mean"]]]
            ax.errorbar(x, s["mean"], yerr=error, fmt="o", color=colors[kind], capsize=5, markersize=7)
        ax.axhline(row.published, color="k", linestyle="--", linewidth=1, label="published")
        ax.set_xlim(-0.6, len(kinds) - 0.4)
        labels = [SIDE_LABELS[k].replace(", ", "\n") for k in kinds]
        if "tuned" in kinds and own_budget(row) < row.steps:
            labels[kinds.index("tuned")] += f", {own_budget(row) // 1000:,}k steps"
        ax.set_xticks(range(len(kinds)), labels, fontsize=8)
        ax.set_title(f"{row.agent.upper()} {row.env}, {row.steps:,} steps", fontsize=9)
        ax.tick_params(axis="y", labelsize=8)
        ax.grid(axis="y", alpha=0.3)
    for ax in list(axes.flat)[len(figure_rows) :]:
        ax.axis("off")
    axes[0][0].set_ylabel("return: mean over seeds, 95% CI", fontsize=8)
    axes[0][0].legend(fontsize=8, loc="lower left")
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)
