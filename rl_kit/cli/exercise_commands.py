"""``rl-kit exercise`` (list, start) and ``rl-kit check``: flags and handlers."""

from __future__ import annotations


def register(sub) -> None:
    p = sub.add_parser("exercise", help="exercises from the bandit update to PPO: list them, or start one")
    verbs = p.add_subparsers(dest="verb", required=True, metavar="VERB")
    listing = verbs.add_parser("list", help="the exercises in learning-path order")
    listing.set_defaults(handler=list_command)
    starting = verbs.add_parser("start", help="write an exercise's skeleton to fill in (or its solution)")
    starting.add_argument("name", help="the exercise (see `rl-kit exercise list`)")
    starting.add_argument("directory", nargs="?", default=".", help="where to write NAME.py (default: here)")
    starting.add_argument("--solution", action="store_true", help="write the reference solution (NAME_solution.py)")
    starting.set_defaults(handler=start_command)

    p = sub.add_parser("check", help="grade an exercise file: unit, gradient and learning checks")
    p.add_argument("file", help="the exercise module (from `rl-kit exercise start`)")
    p.add_argument("--json", action="store_true", help="print the report as JSON")
    p.add_argument("--no-learning", action="store_true", help="skip the learning check (the quick checks only)")
    p.add_argument("--out", help="where to save the learning curve PNG (default: FILE_learning.png beside it)")
    p.set_defaults(handler=check_command)


def list_command(args) -> None:
    from rl_kit.exercises import exercises

    print(f"{'exercise':18} {'chapter':24} what you write")
    for exercise in exercises():
        print(f"{exercise.name:18} {exercise.chapter:24} {exercise.summary}")
    print("\nStart one:  rl-kit exercise start NAME [DIR]     Grade it:  rl-kit check DIR/NAME.py")


def start_command(args) -> None:
    from rl_kit.exercises import start

    path = start(args.name, args.directory, solution=args.solution)
    if args.solution:
        print(f"Wrote the reference solution of {args.name} to {path}")
    else:
        print(f"Wrote {path}: fill in the functions marked TODO, then run  rl-kit check {path}")


def check_command(args) -> int:
    from rl_kit.exercises import check

    report = check(args.file, learning=not args.no_learning, out=args.out)
    print(report.as_json() if args.json else report.text())
    return 0 if report.passed else 1
