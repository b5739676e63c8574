"""``rl-kit evaluate``, ``watch``, ``plot``, ``diagnose`` and ``explain``: flags and handlers."""

from __future__ import annotations

import json

from rl_kit.cli.arguments import add_time_limit_flag, non_negative_int, positive_float, positive_int


def register(sub) -> None:
    p = sub.add_parser("evaluate", help="evaluate a saved agent greedily")
    p.add_argument("path", help="a run directory or a saved agent file")
    p.add_argument("--env", help="env id (default: the one it was trained on)")
    p.add_argument("--episodes", type=positive_int, default=100)
    p.add_argument("--seed", type=non_negative_int, default=0)
    p.add_argument(
        "--levels",
        help="a level family's levels to play: train (its own), test (held out), both (and the gap), A-B or A,B,C",
    )
    p.add_argument("--json", action="store_true", help="print the result as JSON")
    add_time_limit_flag(p)
    p.set_defaults(handler=evaluate_command)

    p = sub.add_parser("watch", help="watch a saved agent play in a window, or record it to a file")
    p.add_argument("path", help="a run directory or a saved agent file")
    p.add_argument("--env", help="env id (default: the one it was trained on)")
    p.add_argument(
        "--episodes", type=positive_int, default=None, help="stop after N episodes (default: when closed; 1 recorded)"
    )
    p.add_argument("--seed", type=non_negative_int, default=0)
    p.add_argument("--fps", type=positive_float, default=None, help="frames per second (default: the env's)")
    p.add_argument("--record", metavar="FILE", help="write a .gif or .mp4 with the heads-up display, no window")
    add_time_limit_flag(p)
    p.set_defaults(handler=watch_command)

    p = sub.add_parser("plot", help="one run: a dashboard of return and diagnostics; several: their learning curves")
    p.add_argument("runs", nargs="+", help="run directories")
    p.add_argument("--out", help="PNG file (default: dashboard.png, or learning_curve.png in the first run)")
    p.set_defaults(handler=plot_command)

    p = sub.add_parser("diagnose", help="read a run's logs and report what went wrong, with suggestions")
    p.add_argument("run", help="a run directory")
    p.set_defaults(handler=diagnose_command)

    p = sub.add_parser("explain", help="show what an agent believes: values and policy, or what drives its choices")
    p.add_argument("run", help="a run directory or saved agent file")
    p.add_argument("--out", help="PNG file (default: explain.png in the run directory)")
    p.add_argument(
        "--episodes", type=positive_int, default=5, help="episodes whose states are explained (policy agents)"
    )
    add_time_limit_flag(p)
    p.set_defaults(handler=explain_command)


def evaluate_command(args) -> None:
    from rl_kit.core.backends import load_agent_and_env
    from rl_kit.core.evaluation import evaluate, level_config, level_gap
    from rl_kit.core.optimum import compare_with_optimum

    agent, env = load_agent_and_env(args.path, args.env, args.max_episode_steps)
    if args.levels == "both":
        train, test = (evaluate(agent, level_config(env, side), episodes=args.episodes, seed=args.seed)
                       for side in ("train", "test"))  # fmt: skip
        gap = level_gap(train.returns, test.returns)
        if args.json:
            print(json.dumps({"train": train.as_dict(), "test": test.as_dict(), **gap}, indent=2))
            return
        print(f"training levels: {train}\nheld-out levels: {test}")
        print(f"generalization gap (train - held out): {gap['gap']:.3f}, 95% CI [{gap['gap_ci_low']:.3f}, "
              f"{gap['gap_ci_high']:.3f}]")  # fmt: skip
        return
    if args.levels is not None:
        env = level_config(env, args.levels)
    result = evaluate(agent, env, episodes=args.episodes, seed=args.seed)
    reference = compare_with_optimum(agent, env)
    if args.json:
        print(json.dumps({**result.as_dict(), **reference}, indent=2))
        return
    print(result)
    if reference:
        print(
            f"Greedy policy value (exact, from P): {reference['policy_value']:.4f}   "
            f"optimum: {reference['optimal_value']:.4f}   gap {100 * max(reference['gap'], 0.0):.2f}%"
        )


def watch_command(args) -> None:
    from rl_kit.presentation.watch import record, watch

    if args.record:
        path = record(
            args.path,
            args.record,
            env=args.env,
            episodes=args.episodes or 1,
            seed=args.seed,
            fps=args.fps,
            max_episode_steps=args.max_episode_steps,
        )
        print(f"Recorded to {path}")
    else:
        tally = watch(
            args.path,
            env=args.env,
            episodes=args.episodes,
            seed=args.seed,
            fps=args.fps,
            max_episode_steps=args.max_episode_steps,
        )
        print(tally.line())


def plot_command(args) -> None:
    from rl_kit.presentation.plots import plot_dashboard, plot_runs

    path = plot_dashboard(args.runs[0], args.out) if len(args.runs) == 1 else plot_runs(args.runs, args.out)
    print(f"Wrote {path}")


def diagnose_command(args) -> None:
    from rl_kit.presentation.diagnose import diagnose

    findings = diagnose(args.run)
    if not findings:
        print(f"{args.run}: no problem found in the logs")
    for finding in findings:
        print(finding)


def explain_command(args) -> None:
    from rl_kit.presentation.explain import explain

    for path in explain(args.run, args.out, episodes=args.episodes, max_episode_steps=args.max_episode_steps):
        print(f"Wrote {path}")
