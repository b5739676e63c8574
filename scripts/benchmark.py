"""Speed benchmarks against references measured side by side (same as `rl-kit bench`).

python scripts/benchmark.py [--quick]
"""

import argparse

from rl_kit.bench import run_benchmarks

if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="shorter measurements")
    run_benchmarks(quick=parser.parse_args().quick)
