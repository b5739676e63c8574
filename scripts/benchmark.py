"""Speed benchmarks against references measured side by side (same as `rl-kit bench`).

python scripts/benchmark.py [--quick]
"""

import argparse

from rl_kit.bench import run_benchmarks

if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="shorter measurements")
    parser.add_argument("--suite", choices=["tabular", "policy-gradient", "all"], default="all")
    args = parser.parse_args()
    run_benchmarks(quick=args.quick, suite=args.suite)
