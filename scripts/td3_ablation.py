"""TD3 without each of its three changes, on Pendulum-v1, over 5 seeds (chapter 11's ablation).

    python scripts/td3_ablation.py    # about 5 minutes on 2 cores; writes docs/benchmarks/td3_ablation.json

Each variant trains 10,000 steps with 64x64 networks over the tuned entry, and is scored by
its greedy mean over 50 episodes, and by the critic's Q at episode starts minus the
discounted return that followed, averaged over the second half of training (the agent's own
``q_start`` and ``discounted_return`` metrics).
"""

import json
from dataclasses import replace
from pathlib import Path

import numpy as np

from rl_kit.core.evaluation import evaluate
from rl_kit.core.spec import NO_EVALUATION, QUIET
from rl_kit.core.training import execute, plan
from rl_kit.presentation.plots import read_csv

BASE = {"hidden_sizes": "64,64", "learning_rate": 0.001, "learning_starts": 1000}
VARIANTS = {
    "td3": {},
    "no clipped double Q": {"n_critics": 1},
    "no target smoothing": {"target_policy_noise": 0.0},
    "no delayed actor": {"policy_delay": 1},
    "ddpg (none of the three)": {"n_critics": 1, "target_policy_noise": 0.0, "policy_delay": 1},
}


def main() -> None:
    results: dict[str, list[dict]] = {}
    for name, change in VARIANTS.items():
        for seed in range(5):
            spec = plan("Pendulum-v1", "td3", steps=10_000, seed=seed, num_envs=1, hyperparameters={**BASE, **change})
            directory = Path("runs/ablation/td3") / name.replace(" ", "-") / str(seed)
            run = execute(replace(spec, evaluation=NO_EVALUATION), replace(QUIET, directory=directory))
            train = read_csv(run.directory / "train.csv")
            late = slice(len(train["q_start"]) // 2, None)
            gap = float(np.nanmean(train["q_start"][late] - train["discounted_return"][late]))
            score = evaluate(run.agent, "Pendulum-v1", episodes=50, seed=10_000 + seed).mean
            results.setdefault(name, []).append({"seed": seed, "return": score, "q_minus_return": gap})
            print(f"{name:26} seed {seed}: return {score:8.1f}, Q - return {gap:7.1f}", flush=True)
    Path("docs/benchmarks/td3_ablation.json").write_text(json.dumps(results, indent=1))


if __name__ == "__main__":
    main()
