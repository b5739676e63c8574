"""The main job, end to end in under a minute: train, check against the optimum, show.

Trains Q-learning on FrozenLake 4x4, computes the exact value of its greedy policy and the
optimal value from the env's model ``P``, evaluates it over 1000 episodes, saves it, and
writes a learning-curve PNG and a GIF of a few greedy episodes, each ending on its outcome
(reached the goal, fell in a hole), captioned with the success rate over the evaluation.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from rl_kit.core.evaluation import evaluate
from rl_kit.core.optimum import compare_with_optimum
from rl_kit.core.run_directory import fresh_directory
from rl_kit.core.spec import EvaluationSpec, RunOptions
from rl_kit.core.training import execute, plan
from rl_kit.presentation.plots import plot_runs
from rl_kit.presentation.watch import record

ENV = "rl_kit/FrozenLake4x4-v0"
GIF_EPISODES = 3
GIF_FPS = 8  # twice the env's own pace: a slippery episode can last its 100 steps
EVALUATION_EPISODES = 1000


def gif_caption(stats: dict[str, float]) -> str:
    """What the GIF shows, against what the evaluation found: the slippery lake fails some
    episodes of even the optimal policy, and the GIF's few do not say how many."""
    return (
        f"{GIF_EPISODES} greedy episodes of {EVALUATION_EPISODES:,} evaluated: "
        f"{100 * stats['success_rate']:.0f}% reach the goal, mean return {stats['mean']:.3f}"
    )


def quickstart(
    out: str | Path | None = None, *, steps: int = 300_000, seed: int = 0, progress: bool = True
) -> dict[str, Path]:
    """Run the main job into `out` (default ``runs/quickstart``, or ``runs/quickstart-2``, ... where
    that holds an earlier one: nothing is overwritten); returns the paths it wrote."""
    out = fresh_directory("runs/quickstart") if out is None else Path(out)
    print(f"Training q_learning on {ENV} for {steps:,} steps with its tuned hyperparameters (seed {seed})...")
    spec = plan(ENV, "q_learning", steps=steps, seed=seed)
    spec = replace(spec, evaluation=EvaluationSpec(spec.evaluation.every, episodes=100))
    run = execute(spec, RunOptions(out, progress=progress))
    reference = compare_with_optimum(run.agent, run.spec.env)
    gamma, optimal, learned = reference["gamma"], reference["optimal_value"], reference["policy_value"]
    result = evaluate(run.directory, episodes=EVALUATION_EPISODES, seed=seed)
    curve = plot_runs([run.directory], out / "learning_curve.png", title=f"q_learning on {ENV}")
    caption = gif_caption(result.stats)
    gif = record(
        run.directory, out / "greedy_episodes.gif", episodes=GIF_EPISODES, seed=seed, fps=GIF_FPS, caption=caption
    )
    print()
    print(
        f"Greedy policy value (exact, from P): {learned:.4f}   optimum: {optimal:.4f}   "
        f"({100 * learned / optimal:.1f}% of optimal, gamma={gamma})"
    )
    print(f"Evaluation: {result}")
    print(f"GIF: {caption}")
    paths = {
        "run directory": run.directory,
        "saved agent": run.agent_path,
        "config": run.directory / "config.yaml",
        "learning curve": curve,
        "greedy episodes GIF": gif,
    }
    for name, path in paths.items():
        print(f"{name + ':':22} {path}")
    print(f"\nWatch it play:  rl-kit watch {run.directory}")
    return paths
