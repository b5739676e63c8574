"""Watch a saved agent play in a pygame window, or record it, like `rl-kit watch`.

python scripts/watch.py runs/quickstart [--episodes 3] [--record episode.gif]
"""

import argparse

from rl_kit.presentation.watch import record, watch

if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("path", help="a run directory or saved agent file")
    parser.add_argument("--episodes", type=int, default=None)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--record", metavar="FILE", help="write a .gif or .mp4 instead of opening a window")
    args = parser.parse_args()
    if args.record:
        print(f"Recorded to {record(args.path, args.record, episodes=args.episodes or 1, seed=args.seed)}")
    else:
        watch(args.path, episodes=args.episodes, seed=args.seed)
