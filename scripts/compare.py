"""Compare agents on one env over several seeds, like `rl-kit compare`.

python scripts/compare.py --env CartPole-v1 --agents ppo sb3_ppo --seeds 5 --steps 100000
"""

import argparse

from rl_kit import compare

if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--env", required=True)
    parser.add_argument("--agents", nargs="+", required=True)
    parser.add_argument("--seeds", type=int, default=5)
    parser.add_argument("--steps", type=int, required=True)
    parser.add_argument("--out")
    parser.add_argument("--ray", metavar="ADDRESS", help="run the grid on Ray (auto: this machine's cluster)")
    args = parser.parse_args()
    comparison = compare(args.env, args.agents, seeds=args.seeds, steps=args.steps, out=args.out, ray=args.ray)
    print(f"Report: {comparison.report}")
