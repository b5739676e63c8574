"""Train an agent through the Python API, like `rl-kit train`.

    python scripts/train.py --env rl_kit/FrozenLake4x4-v0 --agent q_learning --steps 300000 --num-envs 16 \
        --hp "alpha=linear(0.5, 0.01, 300000)" --hp epsilon=1.0
"""

import argparse

import rl_kit

if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--env", default="rl_kit/FrozenLake4x4-v0")
    parser.add_argument("--agent", default="q_learning")
    parser.add_argument("--steps", type=int, default=300_000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--num-envs", type=int, default=16)
    parser.add_argument("--hp", action="append", default=[], metavar="KEY=VALUE")
    parser.add_argument("--out")
    args = parser.parse_args()
    hyperparameters = dict(pair.split("=", 1) for pair in args.hp)
    run = rl_kit.train(
        args.env,
        args.agent,
        steps=args.steps,
        seed=args.seed,
        num_envs=args.num_envs,
        hyperparameters=hyperparameters,
        out=args.out,
    )
    print(rl_kit.evaluate(run.directory, episodes=100, seed=args.seed))
    print(f"Run directory: {run.directory}")
