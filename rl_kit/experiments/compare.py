"""Compare agents on one env, on equal terms, with statistics a careful reviewer accepts.

Every (agent, seed) pair trains in its own process (at most ``workers`` at once, by default
one per core; or on a Ray cluster, see :mod:`rl_kit.infrastructure.job_pool`), with the same env, step budget and tuned-or-given hyperparameters, then is
evaluated by one protocol: the same ``episodes`` greedy episodes, seeded alike for everyone.
A run that fails is reported with its error; the others finish. An agent whose seeds can train
as one population (:mod:`rl_kit.core.population`: PPO, A2C, REINFORCE, DQN) trains them so, in one
process, unless ``population`` is off; the report says which did. The report directory holds:

- ``report.md``: per agent, the final return (mean over seeds with a 95% bootstrap CI over
  seeds), the IQM over all evaluation episodes, success rate, env steps and wall seconds to
  the env's reward threshold (or "not reached"), env steps/s and peak memory; on tabular envs
  a reference row for the optimal policy (value iteration on ``P``) under the same protocol;
- ``learning_curves.png``: evaluation return against env steps and against wall time, mean
  over seeds with a 95% CI band; ``final_returns.png``: per-seed points and the interval;
- ``summary.csv``: the same numbers; ``runs/<agent>/seed<k>/``: every run directory.

The same seeds reproduce the same numbers.
"""

from __future__ import annotations

import csv
import io
import math
import time
import traceback
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np

from rl_kit.core.capabilities import ModelEnv
from rl_kit.core.spec import EnvConfig, EvaluationSpec, RunOptions, RunSpec
from rl_kit.core.stats import bootstrap_ci, iqm, probability_of_improvement, probability_of_improvement_ci
from rl_kit.errors import RLKitError
from rl_kit.infrastructure.atomic_files import atomic_write
from rl_kit.infrastructure.directory_lock import owned_directory
from rl_kit.infrastructure.job_pool import Job, run_grid

PROTOCOL_SEED = 2_000_000  # the evaluation episodes every agent is judged on


@dataclass
class RunOutcome:
    agent: str
    seed: int
    directory: str
    returns: list[float] = field(default_factory=list)
    successes: list[bool] | None = None
    steps: int = 0
    wall_time: float = 0.0
    peak_mb: float = 0.0
    error: str | None = None

    @property
    def failed(self) -> bool:
        return self.error is not None


def run_population(specs: list[RunSpec], directories: list[str], episodes: int) -> list[RunOutcome]:
    """Train one agent's seeds as one population and evaluate each member as :func:`run_one`
    evaluates a run; an error fails every member, reported for each."""
    import resource

    try:
        from rl_kit.core.evaluation import close_all, evaluation_envs, run_episodes
        from rl_kit.core.population import train_population

        runs = train_population(specs, [Path(d) for d in directories], RunOptions(progress=False))
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # the population's one process
        outcomes = []
        for run, directory in zip(runs, directories, strict=True):
            envs = evaluation_envs(run.spec.env, episodes, run.agent)
            returns, _, successes = run_episodes(run.agent, envs, episodes, PROTOCOL_SEED)
            close_all(envs)
            outcomes.append(RunOutcome(run.spec.agent, run.spec.seed, directory, returns.tolist(),
                                       None if successes is None else successes.tolist(),
                                       run.result.steps, run.result.wall_time, peak))  # fmt: skip
        return outcomes
    except Exception as error:
        detail = "".join(traceback.format_exception_only(type(error), error)).strip()
        return [RunOutcome(s.agent, s.seed, d, error=detail) for s, d in zip(specs, directories, strict=True)]


def run_one(spec: RunSpec, directory: str, episodes: int) -> RunOutcome:
    """Train and evaluate one (agent, seed) run, in a grid job's process; errors are returned."""
    import resource

    try:
        from rl_kit.core.evaluation import close_all, evaluation_envs, run_episodes
        from rl_kit.core.training import execute

        run = execute(spec, RunOptions(Path(directory), progress=False))
        envs = evaluation_envs(spec.env, episodes, run.agent)
        returns, _, successes = run_episodes(run.agent, envs, episodes, PROTOCOL_SEED)
        close_all(envs)
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        return RunOutcome(
            spec.agent,
            spec.seed,
            directory,
            returns.tolist(),
            None if successes is None else successes.tolist(),
            run.result.steps,
            run.result.wall_time,
            peak,
        )
    except Exception as error:  # reported in the comparison, not raised: the other runs go on
        detail = "".join(traceback.format_exception_only(type(error), error)).strip()
        return RunOutcome(spec.agent, spec.seed, directory, error=detail)


@dataclass(frozen=True)
class CompareSettings:
    """One comparison, whole: which agents on which env, how many seeds, budget and protocol,
    and where and how it runs. Checked when made, so nothing starts on a bad one.

    Attributes:
        env: the env. agents: agent names (ours and ``sb3_*``), each once.
        steps: env steps per run. seeds: seeds per agent (0 .. seeds-1).
        episodes: evaluation episodes per run, seeded alike for everyone.
        eval_every: steps between the evaluations that draw the learning curves (default steps/10).
        hyperparameters: per agent name, values over the tuned files.
        directory: the report directory (default ``runs/compare/<env>-<time>``).
        workers: runs at once (default: the number of cores).
        ray: run the grid on Ray at this address (``"auto"``: this machine's cluster, started if
            none runs) instead of the local process pool; see :mod:`rl_kit.infrastructure.job_pool`.
        progress: show a progress bar over runs.
        population: train each agent's seeds as one population where the agent can
            (:func:`rl_kit.core.population.population_reason`); False runs every seed apart.
    """

    env: EnvConfig
    agents: tuple[str, ...]
    steps: int
    seeds: int = 5
    episodes: int = 100
    eval_every: int | None = None
    hyperparameters: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    directory: str | Path | None = None
    workers: int | None = None
    ray: str | None = None
    progress: bool = True
    population: bool = True

    def __post_init__(self):
        from rl_kit.core.backends import backend_for

        object.__setattr__(self, "agents", tuple(self.agents))
        for name in self.agents:
            backend_for(name)  # unknown names fail now, with suggestions, not in a worker
        if self.seeds < 1 or self.steps < 1:
            raise RLKitError(f"seeds and steps must be at least 1, got {self.seeds} and {self.steps}")
        if len(set(self.agents)) != len(self.agents):
            twice = sorted({a for a in self.agents if self.agents.count(a) > 1})
            raise RLKitError(f"each agent is compared once, but {', '.join(twice)} is named twice")
        if self.directory is not None and not str(self.directory).strip():
            raise RLKitError("--out is empty: give the comparison's directory")
        if self.directory is not None:
            object.__setattr__(self, "directory", Path(self.directory))

    def run_specs(self) -> list[RunSpec]:
        """One spec per (agent, seed), agent by agent: the tuned entry, this budget and evaluation."""
        from rl_kit.core.training import plan

        evaluation = EvaluationSpec(self.eval_every or max(self.steps // 10, 1))
        return [
            replace(
                plan(self.env, agent, steps=self.steps, seed=seed, hyperparameters=self.hyperparameters.get(agent)),
                evaluation=evaluation,
            )
            for agent in self.agents
            for seed in range(self.seeds)
        ]

    @property
    def command(self) -> str:
        """The command that runs this comparison."""
        return (
            f"rl-kit compare --env {self.env.id} --agents {' '.join(self.agents)} --seeds {self.seeds} "
            f"--steps {self.steps} --episodes {self.episodes}" + ("" if self.population else " --population off")
        )

    def populations(self, specs: list[RunSpec]) -> dict[str, str | None]:
        """Per agent, None where its seeds train as one population, else why they do not."""
        from rl_kit.core.population import population_reason

        reasons: dict[str, str | None] = {}
        for agent in self.agents:
            own = [spec for spec in specs if spec.agent == agent]
            reasons[agent] = population_reason(own) if self.population else "--population off"
        return reasons


@dataclass
class Comparison:
    env: EnvConfig
    directory: Path
    outcomes: list[RunOutcome]
    rows: list[dict[str, Any]]
    populations: dict[str, str | None] = field(default_factory=dict)  # per agent: None if one population

    @property
    def report(self) -> Path:
        return self.directory / "report.md"


def run_comparison(settings: CompareSettings) -> Comparison:
    """Train every agent with seeds 0..seeds-1 on the env and write the report directory.

    ``rl_kit.compare(env, agents, ...)`` (:mod:`rl_kit.api`) and ``rl-kit compare`` build the
    settings. The same seeds reproduce the same numbers.
    """
    from rl_kit.core.run_directory import fresh_directory
    from rl_kit.infrastructure.progress import tqdm_class

    env, agents = settings.env, list(settings.agents)
    default = Path("runs") / "compare" / f"{env.slug}-{time.strftime('%Y%m%d-%H%M%S')}"
    directory = Path(settings.directory) if settings.directory else fresh_directory(default)
    specs = settings.run_specs()
    with owned_directory(directory, what="a comparison", empty=True):  # one comparison per directory
        populations = settings.populations(specs)
        jobs = comparison_jobs(specs, directory, settings.episodes, populations)
        outcomes: list[RunOutcome] = []
        tqdm = tqdm_class()
        bar = tqdm(total=len(specs), unit="run", desc=f"compare on {env.id}", disable=not settings.progress,
                   dynamic_ncols=True)  # fmt: skip
        for done in run_grid(jobs, workers=settings.workers, ray_address=settings.ray):
            finished = job_outcomes(done)
            outcomes.extend(finished)
            failed = sum(o.failed for o in outcomes)
            bar.set_postfix_str(f"done {len(outcomes) - failed}, failed {failed}", refresh=False)
            bar.update(len(finished))
            for outcome in finished:
                if outcome.failed:
                    tqdm.write(f"run {outcome.agent} seed {outcome.seed} failed: {outcome.error}")
        bar.close()
        outcomes.sort(key=lambda o: (agents.index(o.agent), o.seed))
        rows = summarize_outcomes(env, agents, outcomes, settings.episodes)
        comparison = Comparison(env, directory, outcomes, rows, populations)
        write_report(comparison, command=settings.command)
        return comparison


def comparison_jobs(
    specs: list[RunSpec], directory: Path, episodes: int, populations: dict[str, str | None]
) -> list[Job]:
    """One job per run, or one per agent whose seeds train as one population."""
    run_directory = lambda spec: str(directory / "runs" / spec.agent / f"seed{spec.seed}")  # noqa: E731
    jobs = []
    for agent, reason in populations.items():
        own = [spec for spec in specs if spec.agent == agent]
        if reason is None:
            folders = [run_directory(spec) for spec in own]
            jobs.append(Job(run_population, (own, folders, episodes), directory=str(directory / "runs" / agent)))
        else:
            jobs += [Job(run_one, (spec, run_directory(spec), episodes), directory=run_directory(spec)) for spec in own]
    return jobs


def job_outcomes(done) -> list[RunOutcome]:
    """The outcomes of a finished job (a run's, or a population's members'), its error given to each."""
    if done.error is None:
        return done.value if isinstance(done.value, list) else [done.value]
    first, second = done.job.args[0], done.job.args[1]
    pairs = zip(first, second, strict=True) if isinstance(first, list) else [(first, second)]
    return [RunOutcome(spec.agent, spec.seed, folder, error=done.error) for spec, folder in pairs]


def success_rate(outcomes: list[RunOutcome]) -> float | None:
    """The mean over runs of each run's success rate, where the env reports successes."""
    rates = [float(np.mean(o.successes)) for o in outcomes if o.successes is not None]
    return float(np.mean(rates)) if rates and len(rates) == len(outcomes) else None


def reward_threshold(env: str) -> float | None:
    import gymnasium as gym

    return gym.spec(env).reward_threshold


def steps_to_threshold(directory: str, threshold: float | None) -> tuple[float, float] | None:
    """(env steps, wall seconds) of the first evaluation whose mean reached the threshold."""
    from rl_kit.presentation.plots import read_csv

    if threshold is None:
        return None
    evaluations = read_csv(Path(directory) / "eval.csv")
    if not evaluations:
        return None
    reached = np.flatnonzero(evaluations["mean"] >= threshold)
    return (
        (float(evaluations["step"][reached[0]]), float(evaluations["wall_time"][reached[0]])) if reached.size else None
    )


def summarize_outcomes(
    env: EnvConfig, agents: list[str], outcomes: list[RunOutcome], episodes: int
) -> list[dict[str, Any]]:
    threshold = reward_threshold(env.id)
    rows = []
    for name in agents:
        done = [o for o in outcomes if o.agent == name and not o.failed]
        failed = [o for o in outcomes if o.agent == name and o.failed]
        row: dict[str, Any] = {"agent": name, "seeds": len(done), "failed": len(failed)}
        if done:
            seed_means = np.array([np.mean(o.returns) for o in done])
            low, high = bootstrap_ci(seed_means)
            reached = [steps_to_threshold(o.directory, threshold) for o in done]
            hits = [r for r in reached if r is not None]
            row.update(
                {
                    "return_mean": float(seed_means.mean()),
                    "ci_low": low,
                    "ci_high": high,
                    "iqm": iqm(np.concatenate([o.returns for o in done])),
                    "success_rate": success_rate(done),
                    "threshold_reached": f"{len(hits)}/{len(done)}" if threshold is not None else None,
                    "steps_to_threshold": float(np.median([h[0] for h in hits])) if hits else None,
                    "seconds_to_threshold": float(np.median([h[1] for h in hits])) if hits else None,
                    "steps_per_second": float(np.mean([o.steps / o.wall_time for o in done])),
                    "peak_mb": float(np.mean([o.peak_mb for o in done])),
                }
            )
        rows.append(row)
    reference = optimal_reference(env, episodes)
    if reference is not None:
        rows.append(reference)
    return rows


def optimal_reference(env: EnvConfig, episodes: int) -> dict[str, Any] | None:
    """On envs that publish P: the optimal policy (value iteration) under the same protocol."""
    from rl_kit.core.evaluation import run_episodes
    from rl_kit.core.registry import make_agent

    single = env.make()
    try:
        if not isinstance(single.unwrapped, ModelEnv):
            return None
        planner = make_agent("value_iteration", single.observation_space, single.action_space, env=single)
        returns, _, successes = run_episodes(planner, single, episodes, PROTOCOL_SEED)
    finally:
        single.close()
    return {
        "agent": "optimal (value iteration on P)",
        "seeds": 1,
        "failed": 0,
        "return_mean": float(returns.mean()),
        "ci_low": None,
        "ci_high": None,
        "iqm": iqm(returns),
        "success_rate": None if successes is None else float(successes.mean()),
    }


def _fmt(value, digits: int = 3) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "–"
    if isinstance(value, float):
        return f"{value:,.{digits}f}" if abs(value) < 1e4 else f"{value:,.0f}"
    return str(value)


def improvement_table(comparison: Comparison) -> list[tuple[str, str, float, float, float]]:
    """(A, B, P(A > B), CI low, CI high) for every pair of agents, each run scored by its mean return."""
    scores: dict[str, list[float]] = {}
    for outcome in comparison.outcomes:
        if not outcome.failed and outcome.returns:
            scores.setdefault(outcome.agent, []).append(float(np.mean(outcome.returns)))
    names = list(scores)
    table = []
    for i, a in enumerate(names):
        for b in names[i + 1 :]:
            low, high = probability_of_improvement_ci(scores[a], scores[b])
            table.append((a, b, probability_of_improvement(scores[a], scores[b]), low, high))
    return table


SUMMARY_COLUMNS = (
    "agent",
    "seeds",
    "failed",
    "return_mean",
    "ci_low",
    "ci_high",
    "iqm",
    "success_rate",
    "threshold_reached",
    "steps_to_threshold",
    "seconds_to_threshold",
    "steps_per_second",
    "peak_mb",
)


def write_report(comparison: Comparison, command: str) -> None:
    """``summary.csv``, the figures and ``report.md``: the table, who is better, what failed."""
    from rl_kit.presentation.plots import plot_comparison

    directory = comparison.directory
    summary = io.StringIO()
    writer = csv.DictWriter(summary, fieldnames=SUMMARY_COLUMNS, extrasaction="ignore")
    writer.writeheader()
    for row in comparison.rows:
        writer.writerow({k: row.get(k) for k in SUMMARY_COLUMNS})
    atomic_write(directory / "summary.csv", summary.getvalue())
    plot_comparison(comparison)
    lines = report_table(comparison, command) + improvement_section(comparison)
    failures = [o for o in comparison.outcomes if o.failed]
    if failures:
        lines += ["", "## Failed runs", ""] + [f"- {o.agent} seed {o.seed}: `{o.error}`" for o in failures]
    lines += ["", "![learning curves](learning_curves.png)", "", "![final returns](final_returns.png)", ""]
    atomic_write(directory / "report.md", "\n".join(lines))


def report_table(comparison: Comparison, command: str) -> list[str]:
    """The report's title, protocol and one row per agent."""
    threshold = reward_threshold(comparison.env.id)
    first = comparison.outcomes[0] if comparison.outcomes else None
    episodes = len(first.returns) if first is not None and not first.failed else "?"
    lines = [
        f"# Comparison on {comparison.env.id}",
        "",
        f"Command: `{command}`",
        "",
        f"Final return: greedy evaluation over the same {episodes} "
        "episodes for every run; mean over seeds with a 95% bootstrap CI over seeds; IQM over all episodes of all seeds. "
        f"Threshold: the env's reward threshold ({_fmt(threshold, 2)}), reached by the periodic evaluations (median over the seeds that reached it).",
        "",
    ]
    together = [agent for agent, reason in comparison.populations.items() if reason is None]
    if together:
        lines += [
            f"Trained as one population (all seeds in one process, one computation): {', '.join(together)}; "
            "their env steps/s and peak MB are each member's share of that process (`--population off` runs them apart).",
            "",
        ]
    lines += [
        "| agent | seeds | final return (95% CI) | IQM | success | reached threshold | env steps to threshold | seconds to threshold | env steps/s | peak MB |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for row in comparison.rows:
        one_population = comparison.populations.get(row["agent"], "") is None
        interval = (
            f" [{_fmt(row.get('ci_low'), 2)}, {_fmt(row.get('ci_high'), 2)}]" if row.get("ci_low") is not None else ""
        )
        seeds = f"{row['seeds']}" + (f" ({row['failed']} failed)" if row.get("failed") else "")
        seeds += " (one population)" if one_population else ""
        success = _fmt(100 * row["success_rate"], 0) + "%" if row.get("success_rate") is not None else "–"
        to_steps = _fmt(row.get("steps_to_threshold"), 0) if row.get("threshold_reached") else "–"
        if (row.get("threshold_reached") or "").startswith("0/"):
            to_steps = "not reached"
        lines.append(
            f"| {row['agent']} | {seeds} | {_fmt(row.get('return_mean'), 2)}{interval} | {_fmt(row.get('iqm'), 2)} | {success} | "
            f"{row.get('threshold_reached') or '–'} | {to_steps} | {_fmt(row.get('seconds_to_threshold'), 1)} | "
            f"{_fmt(row.get('steps_per_second'), 0)} | {_fmt(row.get('peak_mb'), 0)} |"
        )
    return lines


def improvement_section(comparison: Comparison) -> list[str]:
    """P(A > B) for every ordered pair of agents, where two or more finished."""
    improvements = improvement_table(comparison)
    if not improvements:
        return []
    return [
        "",
        "## Who is better",
        "",
        "Probability of improvement P(A > B): the chance that a run of A ends with a higher mean return than a run "
        "of B (ties count one half; Agarwal et al. 2021), with a 95% stratified bootstrap interval over seeds. "
        "0.5 means no difference; an interval above 0.5 says A is better.",
        "",
        "| A | B | P(A > B) | 95% CI |",
        "|---|---|---|---|",
        *(f"| {a} | {b} | {p:.2f} | [{low:.2f}, {high:.2f}] |" for a, b, p, low, high in improvements),
    ]
