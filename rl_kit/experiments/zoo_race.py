"""The race against the RL Zoo: ``rl-kit train`` and ``python -m rl_zoo3.train``, end to end.

Each pair of runs trains the same agent on the same env with the Zoo's hyperparameters (read
from the installed ``rl_zoo3`` package: the Zoo's own entry, over SB3's defaults, translated to
our names) at the Zoo's budget, with the Zoo's default evaluation schedule on both sides
(every 25k env steps, 5 episodes) and logging on as users run them. Each run is a whole
process of its own, pinned to one core; the two sides alternate who goes first. Measured:

- wall time of the whole process (start-up, training, evaluations, saving);
- peak resident memory of that process;
- the final greedy return over 100 episodes (seeds 10000...), measured after, outside the
  timing, with the same protocol for both (the Zoo's saved model and its VecNormalize
  statistics where it uses them).

Needs the ``bench`` extra (``pip install 'rl-kit[bench]'``, which brings rl_zoo3).
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from rl_kit.experiments.zoo_hyperparameters import our_arguments, zoo_entry

EVAL_EVERY, EVAL_EPISODES = 25_000, 5  # the Zoo's default schedule
FINAL_EPISODES, FINAL_SEED = 100, 10_000


@dataclass(frozen=True)
class RaceRow:
    """One race: `agent` on `env` at the Zoo's budget, with the issue's target wall-time ratio.
    With `population` K: K seeds, ours as one population in one process (``--seeds K``), the
    Zoo's as K processes one after another, their wall times and returns summed and averaged."""

    agent: str
    env: str
    target: float
    population: int = 1

    @property
    def name(self) -> str:
        base = f"{self.agent}-{self.env.split('-')[0].lower()}"
        return base if self.population == 1 else f"{base}-x{self.population}"


ROWS = (
    RaceRow("ppo", "CartPole-v1", 0.2),
    RaceRow("a2c", "CartPole-v1", 0.3),
    RaceRow("ppo", "Acrobot-v1", 0.1),  # 0.25 before Acrobot's native twin; 0.1 since (issue 27)
    RaceRow("ppo", "LunarLander-v3", 0.25),
    RaceRow("sac", "Pendulum-v1", 0.5),
    # the rows of the envs with native twins (issue 27): PPO and A2C at 0.1x, DQN at 0.5x
    RaceRow("a2c", "Acrobot-v1", 0.1),
    RaceRow("ppo", "MountainCar-v0", 0.1),
    RaceRow("a2c", "MountainCar-v0", 0.1),
    RaceRow("ppo", "Pendulum-v1", 0.1),
    RaceRow("a2c", "Pendulum-v1", 0.1),
    RaceRow("dqn", "CartPole-v1", 0.5),
    RaceRow("dqn", "Acrobot-v1", 0.5),
    RaceRow("ppo", "CartPole-v1", 0.1, population=8),  # 8 seeds in one process against 8 Zoo runs
)


def our_command(row, seed: int, out: Path) -> list[str]:
    """``rl-kit train`` of `row`'s agent on its env with the Zoo's values, budget and evaluations."""
    steps, num_envs, values = our_arguments(row.agent, zoo_entry(row.agent, row.env))
    command = [sys.executable, "-m", "rl_kit.cli", "train", "--env", row.env, "--agent", row.agent]
    command += ["--steps", str(steps), "--seed", str(seed), "--num-envs", str(num_envs), "--no-tuned"]
    for key, value in values.items():
        command += ["--hp", f"{key}={value}"]
    command += ["--eval-every", str(EVAL_EVERY), "--eval-episodes", str(EVAL_EPISODES)]
    if row.population > 1:
        command += ["--seeds", str(row.population)]
    return [*command, "--out", str(out), "--no-progress"]


def zoo_command(row, seed: int, out: Path) -> list[str]:
    """``python -m rl_zoo3.train`` of `row`'s agent on its env, with the Zoo's own defaults."""
    return [
        sys.executable,
        "-m",
        "rl_zoo3.train",
        "--algo",
        row.agent,
        "--env",
        row.env,
        "--seed",
        str(seed),
        "-f",
        str(out),
        "--eval-freq",
        str(EVAL_EVERY),
        "--eval-episodes",
        str(EVAL_EPISODES),
        "--device",
        "cpu",
        "--num-threads",  # one torch thread, as ours: runs side by side do not oversubscribe the cores
        "1",
    ]


def peak_memory_mb(pid: int) -> float:
    """The process's resident high-water mark (VmHWM), in MB; 0 once it is gone."""
    try:
        with open(f"/proc/{pid}/status") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


def timed_process(command: list[str], core: int | None) -> tuple[float, float]:
    """Run `command` pinned to `core`; (wall seconds, peak resident MB) of that process alone.

    The peak is read from /proc while the process runs: a child's ``ru_maxrss`` would count
    the parent's memory at the fork too.
    """
    if core is not None:
        command = ["taskset", "-c", str(core), *command]
    with tempfile.TemporaryFile() as errors:
        start = time.perf_counter()
        process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=errors)
        peak = 0.0
        while process.poll() is None:
            peak = max(peak, peak_memory_mb(process.pid))
            time.sleep(0.05)
        wall = time.perf_counter() - start
        if process.returncode != 0:
            errors.seek(0)
            text = errors.read().decode(errors="replace")[-2000:]
            raise RuntimeError(f"{' '.join(command[:8])} ... failed:\n{text}")
    return wall, peak


class ZooPolicy:
    """The Zoo's saved model (with its observation statistics) behind our ``act``."""

    def __init__(self, out: Path, row):
        import stable_baselines3

        run = next((out / row.agent).glob(f"{row.env}_*"))
        self.model = getattr(stable_baselines3, row.agent.upper()).load(run / f"{row.env}.zip", device="cpu")
        self.obs_rms = None
        statistics = run / row.env / "vecnormalize.pkl"
        if statistics.exists():
            import pickle

            with statistics.open("rb") as f:
                normalizer = pickle.load(f)
            self.obs_rms, self.clip, self.epsilon = normalizer.obs_rms, normalizer.clip_obs, normalizer.epsilon

    def act(self, obs, *, explore: bool = False):
        obs = np.asarray(obs, dtype=np.float64)
        if self.obs_rms is not None:
            obs = np.clip((obs - self.obs_rms.mean) / np.sqrt(self.obs_rms.var + self.epsilon), -self.clip, self.clip)
        return self.model.predict(obs.astype(np.float32), deterministic=True)[0]


def final_return(kind: str, out: Path, row) -> float:
    """The mean greedy return of the run in `out` (of every member, for ours in a population row)."""
    if kind == "rl_kit" and row.population > 1:
        return float(np.mean([final_returns(kind, member, row).mean() for member in sorted(out.iterdir())]))
    return float(final_returns(kind, out, row).mean())


def timed_side(kind: str, row, seed: int, out: Path, core: int | None) -> tuple[float, float, float]:
    """(wall s, peak MB, final return) of one side of a pair: for a population row, our one
    process, or the Zoo's K processes (seeds seed K .. seed K + K - 1) one after another."""
    if kind == "rl_kit":
        wall, peak = timed_process(our_command(row, seed * row.population, out), core)
        return wall, peak, final_return(kind, out, row)
    figures = []
    for member in range(row.population):
        folder = out / f"seed{member}"
        wall, peak = timed_process(zoo_command(row, seed * row.population + member, folder), core)
        figures.append((wall, peak, final_return(kind, folder, row)))
    walls, peaks, finals = zip(*figures, strict=True)
    return float(sum(walls)), float(max(peaks)), float(np.mean(finals))


def final_returns(kind: str, out: Path, row, episodes: int = FINAL_EPISODES, seed: int = FINAL_SEED) -> np.ndarray:
    """Greedy returns of the run in `out` (ours, or the Zoo's saved model) over `episodes`
    episodes seeded `seed`, `seed + 1`, ..."""
    from rl_kit.core.evaluation import close_all, evaluation_envs, run_episodes
    from rl_kit.core.spec import EnvConfig

    if kind == "rl_kit":
        from rl_kit.core.backends import load_agent

        agent = load_agent(out)
    else:
        agent = ZooPolicy(out, row)
    envs = evaluation_envs(EnvConfig(row.env), episodes, agent)
    try:
        returns, _, _ = run_episodes(agent, envs, episodes, seed)
    finally:
        close_all(envs)
    return returns


def race(rows: tuple[RaceRow, ...] = ROWS, seeds: int = 1, core: int | None = 0) -> dict[str, float]:
    """Run each row's pair `seeds` times, alternating who goes first; print and return the ratios."""
    from rl_kit.experiments.zoo_hyperparameters import require_zoo

    require_zoo()
    results = {}
    print(
        "rl-kit train vs python -m rl_zoo3.train: the Zoo's hyperparameters and budgets, evaluations every "
        f"{EVAL_EVERY:,} steps ({EVAL_EPISODES} episodes) on both, whole processes pinned to one core\n"
    )
    for row in rows:
        figures: dict[str, list] = {"rl_kit": [], "zoo": []}
        for seed in range(seeds):
            order = ("rl_kit", "zoo") if seed % 2 == 0 else ("zoo", "rl_kit")
            for kind in order:
                with tempfile.TemporaryDirectory() as directory:
                    wall, peak, final = timed_side(kind, row, seed, Path(directory) / "run", core)
                figures[kind].append((wall, peak, final))
                print(
                    f"  {row.name} seed {seed} {kind:7} wall {wall:7.1f} s  peak {peak:6.0f} MB  "
                    f"return {final:8.1f} (100 episodes)",
                    flush=True,
                )
        ours, zoo = (np.mean(figures[k], axis=0) for k in ("rl_kit", "zoo"))
        wall_ratio, memory_ratio = ours[0] / zoo[0], ours[1] / zoo[1]
        print(
            f"{row.agent.upper()} {row.env}: wall {ours[0]:.1f} s vs {zoo[0]:.1f} s, ratio {wall_ratio:.2f}x "
            f"(target <= {row.target}x); peak {ours[1]:.0f} vs {zoo[1]:.0f} MB, ratio {memory_ratio:.2f}x "
            f"(target <= 0.5x); return {ours[2]:.1f} vs {zoo[2]:.1f}\n",
            flush=True,
        )
        results.update(
            {
                f"{row.name}_wall_ratio": wall_ratio,
                f"{row.name}_memory_ratio": memory_ratio,
                f"{row.name}_return": ours[2],
            }
        )
    return results


def select_rows(names: str | None, rows: tuple = ROWS, kind: str = "race row") -> tuple:
    """The rows named in the comma list `names` (all of `rows` if none), or an error listing them."""
    if not names:
        return rows
    by_name = {row.name: row for row in rows}
    unknown = [n for n in names.split(",") if n not in by_name]
    if unknown:
        from rl_kit.errors import unknown_name

        raise unknown_name(kind, unknown[0], list(by_name), listed=True)
    return tuple(by_name[n] for n in names.split(","))
