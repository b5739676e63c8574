"""Speed benchmarks against references measured side by side (same as `rl-kit bench`).

python scripts/benchmark.py [--quick] [--suite tabular|policy-gradient|all] [--workers K] [--ray ADDRESS]
"""

import argparse

from rl_kit.experiments.bench import run_benchmarks

if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="shorter measurements")
    parser.add_argument("--suite", choices=["tabular", "policy-gradient", "all"], default="all")
    parser.add_argument("--workers", type=int, default=1, help="PPO race runs at once")
    parser.add_argument("--ray", metavar="ADDRESS", help="run the PPO race on Ray (auto: this machine's cluster)")
    args = parser.parse_args()
    run_benchmarks(quick=args.quick, suite=args.suite, workers=args.workers, ray=args.ray)
