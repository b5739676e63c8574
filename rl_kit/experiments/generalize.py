"""The generalization gap: ``rl-kit generalize`` (and ``rl_kit.generalize``).

An agent trains on N levels of a level family, for each N of a list (Procgen's
``num_levels``; 0 is unlimited) and each seed, and is then evaluated greedily on its training
levels and on held-out test levels. The shape to look for is Cobbe et al.'s (2019, Figure 2):
with few levels the training return is high and the test return low (the agent learned its
levels by heart); as N grows, the two meet.

The split cannot leak. The test levels are seeds from :data:`TEST_START` on, which no training
set reaches (an unlimited one draws from the seeds below it), and a test seed whose level is,
by content (:func:`rl_kit.envs.levels.level_hash`), one of the training levels or an earlier
test level is dropped; the report counts them. Each (N, seed) is stored in ``results.json`` as
it finishes, so a killed run resumes where it stopped, and runs merge over invocations.

An N's seeds train as one population (:mod:`rl_kit.core.population`: one process, one stacked
computation) where the agent and its values allow it, unless ``population`` is off; each
member is then evaluated exactly as a run alone is, and its stored ``seconds`` is its share of
the population's time. The report says which N trained so.
"""

from __future__ import annotations

import json
import tempfile
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np

from rl_kit.envs.levels import TEST_START, LevelSet, held_out_levels
from rl_kit.errors import RLKitError

DEFAULT_LEVELS = (1, 10, 100, 1000, 0)


@dataclass(frozen=True)
class GeneralizationStudy:
    """What one ``generalize`` trains and evaluates (one object, not a dozen keywords).

    Attributes:
        env: a level family's env id (it takes ``num_levels``, ``start_level`` and ``levels``).
        agent: the agent's name. level_counts: the N of training levels (0: unlimited).
        seeds: runs per N (seeds 0 ... seeds - 1). steps: env steps a run (None: the tuned entry's).
        test_levels: held-out seeds, before duplicates are dropped. episodes: greedy episodes on
        each side. env_kwargs, hyperparameters: the family's options, the agent's values.
    """

    env: str
    agent: str
    level_counts: tuple[int, ...] = DEFAULT_LEVELS
    seeds: int = 3
    steps: int | None = None
    test_levels: int = 1000
    episodes: int = 200
    env_kwargs: dict[str, Any] | None = None
    hyperparameters: dict[str, Any] | None = None

    def __post_init__(self) -> None:
        counts = tuple(int(n) for n in self.level_counts)
        if not counts or min(counts) < 0 or len(set(counts)) != len(counts):
            raise RLKitError(f"level counts must be distinct whole numbers of at least 0 (0: unlimited), got "
                             f"{list(self.level_counts)}")  # fmt: skip
        if max(counts) >= TEST_START:
            raise RLKitError(f"at most {TEST_START - 1:,} training levels: the seeds from {TEST_START:,} are held out")
        object.__setattr__(self, "level_counts", counts)
        for name in ("seeds", "test_levels", "episodes"):
            if getattr(self, name) < 1:
                raise RLKitError(f"{name} must be at least 1, got {getattr(self, name)}")
        reserved = sorted({"num_levels", "start_level", "levels"} & set(self.env_kwargs or {}))
        if reserved:
            raise RLKitError(f"generalize sets {', '.join(reserved)} itself: leave them out of the env's options")

    def training_kwargs(self, count: int) -> dict[str, Any]:
        return {**(self.env_kwargs or {}), "num_levels": count or TEST_START, "start_level": 0}


def label(count: int) -> str:
    return "unlimited" if count == 0 else f"{count:,}"


def family_hash(study: GeneralizationStudy):
    """The family's `level_hash(seed)`, from an env of it."""
    from rl_kit.core.spec import EnvConfig

    env = EnvConfig(study.env, study.env_kwargs or {}).make()
    try:
        content_hash = getattr(env.unwrapped, "level_hash", None)
        if content_hash is None:
            raise RLKitError(f"{study.env} is not a level family: it has no level_hash(seed) (try rl_kit/ProcGrid-v0)")
        return content_hash
    finally:
        env.close()


def held_out_seeds(study: GeneralizationStudy, count: int):
    """The test seeds for a run on `count` training levels, none a training level by content."""
    training = study.training_kwargs(count)
    return held_out_levels(LevelSet(training["num_levels"], 0), family_hash(study), study.test_levels)


def training_specs(study: GeneralizationStudy, count: int, seeds: Sequence[int]) -> list:
    """The runs of `seeds` on `count` levels, judged only after they end."""
    from rl_kit.core.spec import NO_EVALUATION, EnvConfig
    from rl_kit.core.training import plan

    if not seeds:
        return []
    training = EnvConfig(study.env, study.training_kwargs(count))
    spec = plan(training, study.agent, steps=study.steps, seed=seeds[0], hyperparameters=study.hyperparameters)
    return [replace(spec, seed=seed, evaluation=NO_EVALUATION) for seed in seeds]  # one plan: its notes said once


def checked_split(study: GeneralizationStudy, count: int):
    split = held_out_seeds(study, count)
    if not split.seeds:
        raise RLKitError(f"no held-out level is left for {label(count)} training levels: of {study.test_levels:,} "
                         f"seeds, {split.duplicates:,} play a training level and {split.repeats:,} a repeat (the "
                         f"family has too few distinct levels: make them larger, or train on fewer)")  # fmt: skip
    return split


def scored(study: GeneralizationStudy, count: int, run, split, members: int = 1) -> dict[str, Any]:
    """A run's greedy returns on its `count` training levels and on the held-out ones, as stored
    (its ``seconds`` the caller's to set)."""
    from rl_kit.core.evaluation import evaluate
    from rl_kit.core.spec import EnvConfig

    training = EnvConfig(study.env, study.training_kwargs(count))
    testing = EnvConfig(study.env, {**(study.env_kwargs or {}), "levels": list(split.seeds)})
    seed = run.spec.seed
    train = evaluate(run.agent, training, episodes=study.episodes, seed=seed * 100_000)
    test = evaluate(run.agent, testing, episodes=study.episodes, seed=seed * 100_000)
    return {"train": [float(r) for r in train.returns], "test": [float(r) for r in test.returns],
            "duplicates": split.duplicates, "repeats": split.repeats, "test_levels": len(split.seeds),
            "seconds": 0.0, "population": members}  # fmt: skip


def one_run(study: GeneralizationStudy, count: int, seed: int) -> dict[str, Any]:
    """Train on `count` levels with `seed`; greedy returns on the training and the held-out levels."""
    from rl_kit.core.spec import QUIET
    from rl_kit.core.training import execute

    start = time.perf_counter()
    split = checked_split(study, count)
    (spec,) = training_specs(study, count, [seed])
    with tempfile.TemporaryDirectory() as directory:
        run = execute(spec, replace(QUIET, directory=Path(directory) / "run"))
        value = scored(study, count, run, split)
    value["seconds"] = time.perf_counter() - start
    return value


def population_runs(study: GeneralizationStudy, count: int, seeds: tuple[int, ...]) -> dict[str, dict[str, Any]]:
    """:func:`one_run` for each of `seeds`, trained as one population; per seed (as text) its
    value, whose ``seconds`` is its share of the whole."""
    from rl_kit.core.population import train_population
    from rl_kit.core.spec import QUIET

    start = time.perf_counter()
    split = checked_split(study, count)
    specs = training_specs(study, count, seeds)
    with tempfile.TemporaryDirectory() as directory:
        runs = train_population(specs, [Path(directory) / f"seed{seed}" for seed in seeds], QUIET)
        values = {str(run.spec.seed): scored(study, count, run, split, len(seeds)) for run in runs}
    for value in values.values():
        value["seconds"] = (time.perf_counter() - start) / len(seeds)
    return values


def generalization_jobs(study: GeneralizationStudy, runs: dict, population: bool = True, workers: int = 1) -> list:
    """The jobs for the (N, seed) pairs that `runs` lacks, in the order of the Ns: one per N whose
    missing seeds (two or more) train as one population, else one per run. Where that makes
    fewer jobs than `workers`, an N's seeds are split into as many populations as keep the
    workers busy."""
    from rl_kit.core.population import population_reason
    from rl_kit.infrastructure.job_pool import Job

    missing = {count: tuple(seed for seed in range(study.seeds) if str(seed) not in runs.get(str(count), {}))
               for count in study.level_counts}  # fmt: skip
    together = {count for count, seeds in missing.items()
                if population and population_reason(training_specs(study, count, seeds)) is None}  # fmt: skip
    apart = sum(len(seeds) for count, seeds in missing.items() if count not in together)
    parts = max(1, -(-(workers - apart) // max(len(together), 1)))  # populations per N
    jobs = []
    for count, seeds in missing.items():
        if count not in together:
            jobs += [Job(one_run, (study, count, seed)) for seed in seeds]
            continue
        for block in np.array_split(np.array(seeds), min(parts, len(seeds))):
            members = tuple(int(seed) for seed in block)  # one member alone is a run alone
            jobs.append(Job(population_runs, (study, count, members)) if len(members) > 1
                        else Job(one_run, (study, count, members[0])))  # fmt: skip
    return jobs


def read_results(path: Path) -> dict:
    from rl_kit.experiments.zoo_benchmark import read_mapping

    return read_mapping(path, "a generalize")


def study_key(study: GeneralizationStudy) -> str:
    """What the stored runs were made with: a study resumed with other settings is another study."""
    return json.dumps({"env": study.env, "agent": study.agent, "steps": study.steps, "test_levels": study.test_levels,
                       "episodes": study.episodes, "env_kwargs": study.env_kwargs or {},
                       "hyperparameters": study.hyperparameters or {}}, sort_keys=True)  # fmt: skip


def run_generalization(
    study: GeneralizationStudy, out: str | Path, *, workers: int = 1, ray: str | None = None, population: bool = True
) -> Path:
    """Run the (N, seed) pairs of `study` that ``out/results.json`` lacks (an N's seeds as one
    population where they can be, unless `population` is False), merge them in, and write
    ``report.md``, ``summary.csv`` and ``generalization.png``; returns the report's path."""
    from rl_kit.experiments.zoo_benchmark import merge_outcomes, refuse_failures

    family_hash(study)  # not a level family: said before anything trains
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    results_file = out / "results.json"
    stored = read_results(results_file)
    if stored and stored.get("study") != study_key(study):
        raise RLKitError(f"{results_file} holds runs of another study ({stored.get('study')}): give another --out")
    runs = stored.get("runs", {})
    jobs = generalization_jobs(study, runs, population, workers)
    to_do = sum(len(seeds_of(job)) for job in jobs)
    populations = Counter(label(job.args[1]) for job in jobs if job.function is population_runs)
    together = [
        f"{name} levels" + (f" ({count} populations)" if count > 1 else "") for name, count in populations.items()
    ]
    print(f"generalize: {to_do} runs to do ({len(study.level_counts) * study.seeds - to_do} stored)"
          + (f"; in populations: {', '.join(together)}" if together else ""), flush=True)  # fmt: skip

    def values_of(job, value: dict) -> dict[str, dict]:
        return value if job.function is population_runs else {str(job.args[2]): value}

    def place(merged: dict, job, value: dict) -> None:
        merged.setdefault("study", study_key(study))
        merged.setdefault("runs", {}).setdefault(str(job.args[1]), {}).update(values_of(job, value))

    def describe(job) -> str:
        seeds = seeds_of(job)
        which = f"seed {seeds[0]}" if len(seeds) == 1 else f"seeds {', '.join(map(str, seeds))} (one population)"
        return f"{label(job.args[1])} levels, {which}"

    failures: list[str] = []
    finished = 0
    for job, value in merge_outcomes(
        jobs, results_file, "a generalize", place=place, describe=describe, failures=failures, workers=workers, ray=ray
    ):
        for seed, run in values_of(job, value).items():
            finished += 1
            print(f"  {label(job.args[1])} levels, seed {seed}: train {np.mean(run['train']):.3f}, held out "
                  f"{np.mean(run['test']):.3f} ({run['seconds']:.0f} s)", flush=True)  # fmt: skip
    report = write_report(study, read_results(results_file).get("runs", {}), out)
    refuse_failures(failures, to_do, report, failed=to_do - finished)
    return report


def seeds_of(job) -> tuple[int, ...]:
    return tuple(job.args[2]) if job.function is population_runs else (job.args[2],)


def summary_rows(study: GeneralizationStudy, runs: dict) -> list[dict[str, Any]]:
    """Per N: the mean train and test return over seeds, each with its 95% two-level CI and each
    seed's mean, and the gap."""
    from rl_kit.core.stats import two_level_bootstrap_ci

    rows = []
    for count in study.level_counts:
        done = runs.get(str(count), {})
        if not done:
            continue
        seeds = sorted(done, key=int)
        row: dict[str, Any] = {"levels": count, "seeds": len(seeds)}
        for side in ("train", "test"):
            groups = [done[s][side] for s in seeds]
            row[f"{side}_by_seed"] = [float(np.mean(g)) for g in groups]
            row[side] = float(np.mean(row[f"{side}_by_seed"]))
            row[f"{side}_ci"] = two_level_bootstrap_ci(groups)
        gaps = [np.mean(done[s]["train"]) - np.mean(done[s]["test"]) for s in seeds]
        row["gap"] = float(np.mean(gaps))
        for reason in ("duplicates", "repeats"):  # the same for every seed: the split depends on N alone
            row[reason] = int(done[seeds[0]][reason])
        row["test_levels"] = int(done[seeds[0]]["test_levels"])
        row["population"] = all(done[s].get("population", 1) > 1 for s in seeds)  # stored before: apart
        rows.append(row)
    return rows


def write_report(study: GeneralizationStudy, runs: dict, out: Path) -> Path:
    from rl_kit.infrastructure.atomic_files import atomic_write

    rows = summary_rows(study, runs)
    csv = ["levels,seeds,train,train_low,train_high,test,test_low,test_high,gap,test_levels,"
           "dropped_training_levels,dropped_repeats"]  # fmt: skip
    for r in rows:
        csv.append(f"{r['levels']},{r['seeds']},{r['train']:.4f},{r['train_ci'][0]:.4f},{r['train_ci'][1]:.4f},"
                   f"{r['test']:.4f},{r['test_ci'][0]:.4f},{r['test_ci'][1]:.4f},{r['gap']:.4f},{r['test_levels']},"
                   f"{r['duplicates']},{r['repeats']}")  # fmt: skip
    atomic_write(out / "summary.csv", "\n".join(csv) + "\n")
    figure = draw(study, rows, out / "generalization.png") if rows else None
    lines = [
        f"# Generalization: {study.agent} on {study.env}",
        "",
        f"Made by `rl-kit generalize` (:mod:`rl_kit.experiments.generalize`). Each run trains on N levels (seeds 0 to "
        f"N - 1; unlimited: any seed below {TEST_START:,}) for {'the tuned budget' if study.steps is None else f'{study.steps:,} steps'}, "
        f"then plays {study.episodes} greedy episodes on its training levels and {study.episodes} on held-out ones "
        f"(from {study.test_levels:,} seeds from {TEST_START:,} on, less any whose level is a training level or "
        "repeats another, by content). Mean over seeds, with a 95% two-level bootstrap CI (seeds, then episodes).",
        "",
        "| training levels | seeds | training levels' return | held-out return | gap | held-out levels | "
        "dropped: a training level | dropped: a repeat |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        lines.append(
            f"| {label(r['levels'])} | {r['seeds']} | {r['train']:.3f} [{r['train_ci'][0]:.3f}, {r['train_ci'][1]:.3f}] | "
            f"{r['test']:.3f} [{r['test_ci'][0]:.3f}, {r['test_ci'][1]:.3f}] | {r['gap']:+.3f} | {r['test_levels']} | "
            f"{r['duplicates']} | {r['repeats']} |"
        )
    together = [label(r["levels"]) for r in rows if r["population"]]
    if together:
        lines += ["", f"Trained as one population (an N's seeds in one process, one computation): {', '.join(together)} "
                  "levels; a seed's seconds are its share (`--population off` trains each apart)."]  # fmt: skip
    if figure is not None:
        lines += ["", f"![train and held-out return against the training levels]({figure.name})"]
    return atomic_write(out / "report.md", "\n".join(lines) + "\n")


def draw(study: GeneralizationStudy, rows: Sequence[dict[str, Any]], path: Path) -> Path:
    """Train and held-out return against the number of training levels (log axis; unlimited at
    the right): the mean over seeds with its CI, and each seed's mean as a dot."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    finite = [r["levels"] for r in rows if r["levels"]]
    right = 10 * max(finite) if finite else 10
    x = [r["levels"] or right for r in rows]
    fig, ax = plt.subplots(figsize=(7, 4.2), layout="constrained")
    for side, name, color in (("train", "training levels", "tab:blue"), ("test", "held-out levels", "tab:orange")):
        y = [r[side] for r in rows]
        ax.plot(x, y, "o-", color=color, label=name)
        ax.fill_between(x, [r[f"{side}_ci"][0] for r in rows], [r[f"{side}_ci"][1] for r in rows], color=color,
                        alpha=0.2)  # fmt: skip
        # each seed's own mean: a mean with a wide CI may be seeds that agree or seeds that split
        seeds_x = [at for at, r in zip(x, rows, strict=True) for _ in r[f"{side}_by_seed"]]
        seeds_y = [value for r in rows for value in r[f"{side}_by_seed"]]
        ax.scatter(seeds_x, seeds_y, s=14, color=color, alpha=0.5, linewidths=0, zorder=3, label=f"{name}: a seed")
    ax.set_xscale("log")
    ax.set_xticks(x, [label(r["levels"]) for r in rows])
    ax.set(xlabel="training levels", ylabel="mean greedy return", title=f"{study.agent} on {study.env}")
    ax.grid(alpha=0.3)
    ax.legend()
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return path
