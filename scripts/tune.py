"""Tune an agent's hyperparameters with Optuna, like `rl-kit tune`, then train with the best.

python scripts/tune.py --env rl_kit/FrozenLake4x4-v0 --agent q_learning --trials 20
"""

import argparse

from rl_kit import train, tune

if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--env", required=True)
    parser.add_argument("--agent", required=True)
    parser.add_argument("--trials", type=int, default=20)
    parser.add_argument("--steps", type=int, default=None, help="env steps per trial (default: the tuned budget)")
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--storage", help="Optuna storage URL (default: SQLite in the tuning directory)")
    args = parser.parse_args()
    result = tune(
        args.env, args.agent, trials=args.trials, steps=args.steps, workers=args.workers, storage=args.storage
    )
    if result.best_file is not None:
        run = train(args.env, args.agent, steps=result.steps, hyperparameters_file=result.best_file, seed=1)
        print(f"Trained with the best hyperparameters on another seed: {run.directory}")
