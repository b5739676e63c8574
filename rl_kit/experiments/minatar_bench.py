"""MinAtar with our DQN and PPO beside the paper's DQN: ``rl-kit bench --suite minatar``.

Each row is one game (``rl_kit/MinAtar-<Game>-v0``) trained by an agent of :data:`AGENTS`
(``--sides``: ``dqn`` by default, ``ppo``, or both) with its tuned entry
(``rl_kit/hyperparams/dqn.yml``: the paper's network and settings; ``ppo.yml``: the same torso
and MLP) for `frames` env steps (1M by default), on each seed in a process of its own (the local
pool or Ray). Every run is then evaluated greedily on :data:`EPISODES` episodes from episode
seeds of its own. Runs are stored in ``results.json`` under the agent, the game and the frames,
so a budget that does not fit one sitting (5M frames, more seeds) is spread over several
invocations: each runs only the seeds the file lacks (``--seeds K`` asks for seeds 0..K-1) and
merges its runs in.

The report (``report.md``) gives, per game and agent, the mean over seeds with a 95% two-level
bootstrap CI (seeds, then episodes), beside the paper's DQN figure at the same frames. Those
figures are read off the DQN curve of MinAtar's repository (``img/learning_curves.gif``: the
moving average of the return over the last 100 training episodes, 30 seeds; read to about
+-1, +-3 for Space Invaders). They are returns of the epsilon-greedy behaviour policy
(epsilon 0.1), not of greedy evaluation as ours: a difference in protocol the report states.
The paper has no PPO; a PPO row stands beside the same DQN figure.
"""

from __future__ import annotations

import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

EPISODES = 30  # greedy evaluation episodes per run
FRAMES = 1_000_000
AGENTS = ("dqn", "ppo")


@dataclass(frozen=True)
class MinAtarRow:
    """A game and the paper's DQN return at 1M and at 5M frames (read off its curve)."""

    game: str
    paper: dict[int, float]

    @property
    def env(self) -> str:
        return f"rl_kit/MinAtar-{self.game}-v0"

    @property
    def name(self) -> str:
        return self.game.lower()


ROWS = (
    MinAtarRow("Asterix", {1_000_000: 9.0, 5_000_000: 17.0}),
    MinAtarRow("Breakout", {1_000_000: 9.5, 5_000_000: 10.0}),
    MinAtarRow("Freeway", {1_000_000: 48.0, 5_000_000: 50.0}),
    MinAtarRow("Seaquest", {1_000_000: 1.0, 5_000_000: 20.0}),
    MinAtarRow("SpaceInvaders", {1_000_000: 30.0, 5_000_000: 43.0}),
)


def select_rows(names: str | None) -> tuple[MinAtarRow, ...]:
    if not names:
        return ROWS
    by_name = {row.name: row for row in ROWS}
    chosen = []
    for name in names.split(","):
        if name.strip().lower() not in by_name:
            from rl_kit.errors import unknown_name

            raise unknown_name("minatar row", name, list(by_name), listed=True)
        chosen.append(by_name[name.strip().lower()])
    return tuple(chosen)


def episode_seed(seed: int) -> int:
    """The first evaluation episode's seed for the run trained on `seed`."""
    return 10_000 + 100_000 * seed


def select_agents(names: str | None) -> tuple[str, ...]:
    """The agents named (comma-separated), or dqn alone."""
    if not names:
        return ("dqn",)
    chosen = tuple(name.strip().lower() for name in names.split(","))
    for name in chosen:
        if name not in AGENTS:
            from rl_kit.errors import unknown_name

            raise unknown_name("minatar agent", name, list(AGENTS), listed=True)
    return chosen


def minatar_run(env_id: str, agent: str, seed: int, frames: int, episodes: int) -> dict:
    """One run of `agent` on `env_id` (its tuned entry) in a directory of its own: its greedy returns and seconds."""
    from dataclasses import replace

    from rl_kit.core.evaluation import evaluate
    from rl_kit.core.spec import NO_EVALUATION, QUIET
    from rl_kit.core.training import execute, plan

    start = time.perf_counter()
    with tempfile.TemporaryDirectory() as directory:
        spec = replace(plan(env_id, agent, steps=frames, seed=seed), evaluation=NO_EVALUATION)
        run = execute(spec, replace(QUIET, directory=Path(directory) / "run"))
        result = evaluate(run.agent, run.spec.env, episodes=episodes, seed=episode_seed(seed))
    return {"returns": [float(r) for r in result.returns], "seconds": time.perf_counter() - start}


def result_key(agent: str, env: str, frames: int) -> str:
    return f"{agent}:{env}@{frames}"


def named_agents(mapping: dict) -> dict:
    """`mapping` by :func:`result_key`: a key that names no agent (the file's first rows, written
    before PPO's) is DQN's, its runs merged into those of the key that does."""
    named: dict = {}
    for key, runs in mapping.items():
        named.setdefault(key if ":" in key else f"dqn:{key}", {}).update(runs)
    return named


def read_results(path: Path) -> dict:
    from rl_kit.experiments.zoo_benchmark import read_mapping

    return named_agents(read_mapping(path, "a MinAtar"))


def minatar_benchmark(
    rows: tuple[MinAtarRow, ...],
    *,
    agents: tuple[str, ...] = ("dqn",),
    seeds: int = 3,
    frames: int = FRAMES,
    workers: int = 1,
    ray: str | None = None,
    out: str | Path = "docs/benchmarks/minatar",
) -> Path:
    """Train and evaluate each of `agents` on the seeds of `rows` that ``results.json`` in `out`
    lacks, merge them in, and write ``report.md``; returns its path."""
    from rl_kit.envs.minatar import load_minatar
    from rl_kit.experiments.zoo_benchmark import merge_outcomes, refuse_failures
    from rl_kit.infrastructure.job_pool import Job

    load_minatar("its games")  # missing MinAtar is said before anything runs
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    results_file = out / "results.json"
    stored = read_results(results_file)
    jobs = [
        Job(minatar_run, (row.env, agent, seed, frames, EPISODES))
        for agent in agents
        for row in rows
        for seed in range(seeds)
        if str(seed) not in stored.get(result_key(agent, row.env, frames), {})
    ]
    planned = len(agents) * len(rows) * seeds
    print(f"MinAtar: {len(jobs)} runs of {frames:,} frames to do ({planned - len(jobs)} stored)", flush=True)

    def place(merged: dict, job: Job, value: dict) -> None:
        env, agent, seed = job.args[:3]
        named = named_agents(merged)
        named.setdefault(result_key(agent, env, frames), {})[str(seed)] = value
        merged.clear()
        merged.update(named)

    def describe(job: Job) -> str:
        return f"{job.args[1]} on {job.args[0]} seed {job.args[2]}"

    failures: list[str] = []
    for job, value in merge_outcomes(
        jobs, results_file, "a MinAtar", place=place, describe=describe, failures=failures, workers=workers, ray=ray
    ):
        print(
            f"  {describe(job)}: {np.mean(value['returns']):.2f} greedy ({value['seconds'] / 60:.1f} min)", flush=True
        )
    report = write_report(read_results(results_file), out / "report.md")
    refuse_failures(failures, len(jobs), report)
    return report


def write_report(results: dict, path: Path) -> Path:
    """report.md from every stored (agent, game, frames) of `results`."""
    from rl_kit.infrastructure.atomic_files import atomic_write

    lines = [
        "# MinAtar: our DQN and PPO beside the paper's DQN",
        "",
        "Made by `rl-kit bench --suite minatar` (:mod:`rl_kit.experiments.minatar_bench`). Ours: `dqn` or `ppo` with its",
        "tuned entry, each seed greedy over 30 episodes of its own; mean over seeds with a 95% two-level bootstrap CI",
        "(a row of one seed: its CI is over that seed's episodes alone, and says nothing of another seed).",
        "The paper's: read off the DQN curve of MinAtar's `img/learning_curves.gif` (moving average of the last 100",
        "training episodes, epsilon 0.1, 30 seeds): another protocol, to about +-1 (+-3 for Space Invaders). The paper",
        "has no PPO: a PPO row stands beside its DQN.",
        "",
        "| game | agent | frames | seeds | ours (mean [95% CI]) | paper's DQN | minutes a run |",
        "|---|---|---|---|---|---|---|",
    ]
    for row in ROWS:
        for agent in AGENTS:
            prefix = f"{agent}:{row.env}@"
            for frames in sorted(int(key[len(prefix) :]) for key in results if key.startswith(prefix)):
                lines.append(report_line(row, agent, frames, results[f"{prefix}{frames}"]))
    return atomic_write(path, "\n".join(lines) + "\n")


def report_line(row: MinAtarRow, agent: str, frames: int, runs: dict) -> str:
    """One game's runs of one agent at `frames`: the mean over seeds, its CI, the paper's figure."""
    from rl_kit.core.stats import two_level_bootstrap_ci

    groups = [runs[seed]["returns"] for seed in sorted(runs, key=int)]
    mean = float(np.mean([np.mean(g) for g in groups]))
    low, high = two_level_bootstrap_ci(groups)
    minutes = np.mean([runs[seed]["seconds"] for seed in runs]) / 60
    paper = row.paper.get(frames)
    seeds = f"{len(groups)}" if len(groups) > 1 else "1 (episodes only)"
    return (
        f"| {row.game} | {agent} | {frames:,} | {seeds} | {mean:.2f} [{low:.2f}, {high:.2f}] | "
        f"{'n/a' if paper is None else f'about {paper:g}'} | {minutes:.0f} |"
    )
