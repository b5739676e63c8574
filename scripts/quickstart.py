"""The main job: train Q-learning on FrozenLake 4x4, compare with the optimum, save, plot, record.

python scripts/quickstart.py [--out runs/quickstart] [--steps 300000] [--seed 0]
"""

import argparse

from rl_kit.experiments.quickstart import quickstart

if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", default=None, help="default runs/quickstart, numbered if that exists")
    parser.add_argument("--steps", type=int, default=300_000)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    quickstart(args.out, steps=args.steps, seed=args.seed)
