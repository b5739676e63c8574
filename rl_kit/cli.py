"""The ``rl-kit`` command: a thin layer over the Python API.

    rl-kit list
    rl-kit train --env ID --agent NAME --steps N [--seed S] [--num-envs K] [--hp KEY=VALUE ...] [--hp-file FILE] [--out DIR]
    rl-kit evaluate PATH [--env ID] --episodes N --seed S [--json]
    rl-kit watch PATH [--env ID] [--episodes N] [--seed S] [--fps F] [--record FILE.gif|.mp4]
    rl-kit plot RUN... [--out FILE.png]
    rl-kit compare --env ID --agents NAME... --seeds 5 --steps N [--out DIR] [--workers K] [--ray ADDRESS]
    rl-kit tune --env ID --agent NAME --trials N [--steps N] [--storage URL] [--study NAME] [--workers K]
    rl-kit bandit [METHOD ...] [--env ID] [--runs 2000] [--steps N] [--out FILE.png]
    rl-kit diagnose RUN | rl-kit explain RUN | rl-kit record RUN FILE.gif|.mp4 [--episodes N]
    rl-kit bench [--quick] [--suite tabular|policy-gradient|all] [--workers K] [--ray ADDRESS]
    rl-kit quickstart [--out DIR]

A mistake in what was asked (unknown name, bad value, damaged file) prints one line naming
it and exits with status 2, without a traceback.
"""

from __future__ import annotations

import argparse
import json
import sys

from rl_kit.errors import RLKitError


def int_at_least(minimum: int):
    """An argparse type: a whole number (underscores allowed) no smaller than `minimum`."""

    def parse(text: str) -> int:
        try:
            value = int(text.replace("_", ""))
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
        if value < minimum:
            raise argparse.ArgumentTypeError(f"expected a number >= {minimum}, got {value}")
        return value

    return parse


positive_int, non_negative_int = int_at_least(1), int_at_least(0)


def key_value(text: str) -> tuple[str, str]:
    key, sep, value = text.partition("=")
    if not sep or not key:
        raise argparse.ArgumentTypeError(f"expected KEY=VALUE, got {text!r}")
    return key.strip(), value.strip()


class UsageError(Exception):
    """A flag problem found after parsing: reported like argparse's own, exit 2."""


class Parser(argparse.ArgumentParser):
    """argparse, but a bad flag is one line naming it (and `--help` for more), then exit 2."""

    def error(self, message: str):
        self.exit(2, f"{self.prog}: error: {message} (see {self.prog} --help)\n")


RAY_HELP = "run the grid on Ray: auto (this machine's cluster, started if none) or ray://HOST:10001"


def build_parser() -> argparse.ArgumentParser:
    parser = Parser(prog="rl-kit", description="Train, evaluate, watch and compare RL agents.")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND", parser_class=Parser)

    sub.add_parser("list", help="list the envs and agents")

    p = sub.add_parser("train", help="train an agent and save it in a run directory")
    p.add_argument("--env", help="env id, e.g. rl_kit/FrozenLake4x4-v0 (required unless --resume)")
    p.add_argument("--agent", help="agent name, e.g. q_learning (required unless --resume)")
    p.add_argument("--steps", type=positive_int, help="env steps in total (required unless --resume)")
    p.add_argument("--resume", metavar="RUN", help="continue RUN from its latest checkpoint, with its recorded config")
    p.add_argument(
        "--checkpoint-every", type=non_negative_int, default=0, help="env steps between checkpoints (0: none)"
    )
    p.add_argument(
        "--keep-checkpoints", type=positive_int, default=3, help="how many of the latest checkpoints to keep"
    )
    p.add_argument("--seed", type=non_negative_int, default=0)
    p.add_argument(
        "--num-envs", type=positive_int, default=None, help="envs stepped together (default: the tuned entry's, else 1)"
    )
    p.add_argument("--no-tuned", action="store_true", help="ignore the tuned hyperparameter files")
    p.add_argument(
        "--hp-file", metavar="FILE", help="start from FILE's entry for the env instead (e.g. best.yml from rl-kit tune)"
    )
    p.add_argument(
        "--hp",
        type=key_value,
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="override a hyperparameter (repeatable)",
    )
    p.add_argument(
        "--env-kwarg",
        type=key_value,
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="env keyword argument, value as YAML (repeatable)",
    )
    p.add_argument("--eval-every", type=non_negative_int, default=None, help="env steps between evaluations (0: never)")
    p.add_argument("--out", help="run directory (default runs/<env>/<agent>/seed<S>-<time>)")
    p.add_argument("--no-progress", action="store_true", help="hide the progress bar")

    p = sub.add_parser("evaluate", help="evaluate a saved agent greedily")
    p.add_argument("path", help="a run directory or a saved agent file")
    p.add_argument("--env", help="env id (default: the one it was trained on)")
    p.add_argument("--episodes", type=positive_int, default=100)
    p.add_argument("--seed", type=non_negative_int, default=0)
    p.add_argument("--json", action="store_true", help="print the result as JSON")

    p = sub.add_parser("watch", help="watch a saved agent play in a window, or record it")
    p.add_argument("path", help="a run directory or a saved agent file")
    p.add_argument("--env", help="env id (default: the one it was trained on)")
    p.add_argument("--episodes", type=positive_int, default=None, help="stop after N episodes (default: when closed)")
    p.add_argument("--seed", type=non_negative_int, default=0)
    p.add_argument("--fps", type=float, default=None, help="frames per second (default: the env's)")
    p.add_argument("--record", metavar="FILE", help="write a .gif or .mp4 instead of opening a window")

    p = sub.add_parser("plot", help="one run: a dashboard of return and diagnostics; several: their learning curves")
    p.add_argument("runs", nargs="+", help="run directories")
    p.add_argument("--out", help="PNG file (default: dashboard.png, or learning_curve.png in the first run)")

    p = sub.add_parser("diagnose", help="read a run's logs and report what went wrong, with suggestions")
    p.add_argument("run", help="a run directory")

    p = sub.add_parser("record", help="record greedy episodes of a saved agent with the heads-up display")
    p.add_argument("run", help="a run directory or saved agent file")
    p.add_argument("output", help="a .gif or .mp4 file")
    p.add_argument("--episodes", type=positive_int, default=1)
    p.add_argument("--seed", type=non_negative_int, default=0)
    p.add_argument("--env", help="env id (default: the one it was trained on)")

    p = sub.add_parser("explain", help="show what an agent believes: values and policy, or what drives its choices")
    p.add_argument("run", help="a run directory or saved agent file")
    p.add_argument("--out", help="PNG file (default: explain.png in the run directory)")
    p.add_argument(
        "--episodes", type=positive_int, default=5, help="episodes whose states are explained (policy agents)"
    )

    p = sub.add_parser("compare", help="train agents over seeds in parallel and write a comparison report")
    p.add_argument("--env", required=True, help="env id")
    p.add_argument("--agents", required=True, nargs="+", help="agent names, ours and sb3_*")
    p.add_argument("--seeds", type=positive_int, default=5)
    p.add_argument("--steps", type=positive_int, required=True, help="env steps per run")
    p.add_argument("--episodes", type=positive_int, default=100, help="evaluation episodes per run")
    p.add_argument("--workers", type=positive_int, default=None, help="runs at once (default: one per core)")
    p.add_argument("--ray", metavar="ADDRESS", help=RAY_HELP)
    p.add_argument("--out", help="report directory")

    p = sub.add_parser("bandit", help="the k-armed testbed: bandit methods over many problems, as in Sutton & Barto 2")
    p.add_argument(
        "methods",
        nargs="*",
        metavar="METHOD",
        help="NAME[:KEY=VALUE...], e.g. ucb_bandit:c=2 (default: epsilon-greedy with epsilon 0, 0.01, 0.1)",
    )
    p.add_argument("--env", default="rl_kit/Bandit-v0", help="rl_kit/Bandit-v0 or rl_kit/BanditNonstationary-v0")
    p.add_argument("--runs", type=positive_int, default=2000, help="independent problems to average over")
    p.add_argument("--steps", type=positive_int, default=None, help="pulls per run (default: the env's episode)")
    p.add_argument("--seed", type=non_negative_int, default=0)
    p.add_argument(
        "--env-kwarg", type=key_value, action="append", default=[], metavar="KEY=VALUE", help="env option, e.g. k=5"
    )
    p.add_argument("--out", help="PNG file (default runs/bandit/<env>.png; the curves go beside it as CSV)")
    p.add_argument("--no-progress", action="store_true", help="hide the progress bar")

    p = sub.add_parser("tune", help="tune hyperparameters with Optuna (TPE sampler, median pruner)")
    p.add_argument("--env", required=True, help="env id")
    p.add_argument("--agent", required=True, help="agent name, ours or sb3_ppo / sb3_a2c / sb3_dqn")
    p.add_argument(
        "--trials", type=positive_int, default=20, help="finished trials the study should have (a stopped one resumes)"
    )
    p.add_argument("--steps", type=positive_int, default=None, help="env steps per trial (default: the tuned budget)")
    p.add_argument("--seed", type=non_negative_int, default=0, help="training seed of every trial")
    p.add_argument(
        "--storage", help="Optuna storage URL shared by workers, e.g. postgresql://user:pw@host/db (default: SQLite)"
    )
    p.add_argument("--study", help="study name (default <agent>-<env>)")
    p.add_argument("--workers", type=positive_int, default=1, help="worker processes on this machine")
    p.add_argument("--num-envs", type=positive_int, default=None, help="envs per trial (default: the tuned entry's)")
    p.add_argument("--evaluations", type=positive_int, default=10, help="evaluations per trial, fed to the pruner")
    p.add_argument("--eval-episodes", type=positive_int, default=10, help="episodes per evaluation")
    p.add_argument(
        "--objective",
        choices=["final", "mean"],
        default="final",
        help="a trial's score: its last evaluation, or the mean of all (learning fast counts too)",
    )
    p.add_argument(
        "--hp",
        type=key_value,
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="fix a hyperparameter for every trial, as YAML (repeatable)",
    )
    p.add_argument(
        "--env-kwarg", type=key_value, action="append", default=[], metavar="KEY=VALUE", help="env keyword argument"
    )
    p.add_argument("--out", help="tuning directory (default runs/tune/<env>-<agent>)")
    p.add_argument("--no-progress", action="store_true", help="hide the progress bar")

    p = sub.add_parser("bench", help="measure speed against reference implementations")
    p.add_argument("--quick", action="store_true", help="shorter measurements")
    p.add_argument("--suite", choices=["tabular", "policy-gradient", "all"], default="all", help="which benchmarks")
    p.add_argument(
        "--workers", type=positive_int, default=1, help="PPO race runs at once (default 1: timed runs share no core)"
    )
    p.add_argument("--ray", metavar="ADDRESS", help=RAY_HELP)

    p = sub.add_parser("quickstart", help="the main job: train, check against the optimum, plot, record")
    p.add_argument("--out", default="runs/quickstart")
    p.add_argument("--steps", type=positive_int, default=300_000)
    p.add_argument("--seed", type=non_negative_int, default=0)
    return parser


def cmd_list(args) -> None:
    import gymnasium as gym

    from envs import CONTROL_ENV_IDS, GRID_ENV_IDS
    from rl_kit.registry import AGENTS, agent_class

    print("Environments (rl-kit):")
    for env_id in (*GRID_ENV_IDS, *CONTROL_ENV_IDS):
        spec = gym.spec(env_id)
        env = gym.make(env_id)
        spaces = f"obs {short_space(env.observation_space)}, actions {short_space(env.action_space)}"
        print(f"  {env_id:28} {spaces:44} max_episode_steps={spec.max_episode_steps}")
        env.close()
    print(
        "Gymnasium envs they are tested on too: FrozenLake-v1, Taxi-v4 (tabular); CartPole-v1, Acrobot-v1 (policy gradient)"
    )
    print("\nAgents:")
    for name in AGENTS:
        cls = agent_class(name)
        if name.startswith("sb3_"):
            print(
                f"  {name:20} stable-baselines3 {cls.__name__} (any sb3_<algorithm> works; tuned entries in rl_kit/hyperparams)"
            )
            continue
        defaults = cls.Hyperparameters().to_dict()
        summary = ", ".join(f"{k}={v}" for k, v in defaults.items())
        print(f"  {name:20} {summary}")


def short_space(space) -> str:
    """A space in a few characters: Discrete(4), Box(8,)."""
    import gymnasium as gym

    return f"Box{space.shape}" if isinstance(space, gym.spaces.Box) else str(space)


def parse_yaml_values(pairs) -> dict:
    import yaml

    return {key: yaml.safe_load(value) for key, value in pairs}


def cmd_train(args) -> None:
    from rl_kit.training import resume_run, train

    if args.resume:
        run = resume_run(args.resume, steps=args.steps, progress=not args.no_progress)
        report_run(args, run)
        return
    missing = [
        flag for flag, value in (("--env", args.env), ("--agent", args.agent), ("--steps", args.steps)) if value is None
    ]
    if missing:
        raise UsageError(f"argument {', '.join(missing)}: required (unless --resume RUN)")
    run = train(
        args.env,
        args.agent,
        steps=args.steps,
        seed=args.seed,
        num_envs=args.num_envs,
        hyperparameters=dict(args.hp),
        out=args.out,
        env_kwargs=parse_yaml_values(args.env_kwarg),
        eval_every=args.eval_every,
        progress=not args.no_progress,
        tuned=not args.no_tuned,
        hyperparameters_file=args.hp_file,
        checkpoint_every=args.checkpoint_every,
        keep_checkpoints=args.keep_checkpoints,
    )
    report_run(args, run)


def report_run(args, run) -> None:
    if run.result.interrupted:
        print(f"Interrupted at step {run.result.steps:,}: saved what was learned so far.")
    recent = f", recent return {run.result.recent_return:.3f}" if run.result.recent_return is not None else ""
    print(
        f"Trained {run.config['agent']} on {run.env_id}: {run.result.steps:,} steps, {run.result.episodes:,} episodes, "
        f"{run.result.wall_time:.1f} s{recent}"
    )
    print(f"Run directory: {run.directory}")


def cmd_evaluate(args) -> None:
    from rl_kit.checkpoint import load_agent, saved_env
    from rl_kit.evaluation import evaluate
    from rl_kit.optimum import compare_with_optimum

    result = evaluate(args.path, args.env, episodes=args.episodes, seed=args.seed)
    trained_on, trained_kwargs = saved_env(args.path)
    if args.env is None or args.env == trained_on:  # the env it was trained on, options included
        reference = compare_with_optimum(load_agent(args.path), trained_on, trained_kwargs)
    else:
        reference = compare_with_optimum(load_agent(args.path), args.env)
    if args.json:
        print(json.dumps({**result.as_dict(), **reference}, indent=2))
        return
    print(result)
    if reference:
        print(
            f"Greedy policy value (exact, from P): {reference['policy_value']:.4f}   "
            f"optimum: {reference['optimal_value']:.4f}   gap {100 * max(reference['gap'], 0.0):.2f}%"
        )


def cmd_watch(args) -> None:
    from rl_kit.watch import record, watch

    if args.record:
        path = record(
            args.path, args.record, env_id=args.env, episodes=args.episodes or 1, seed=args.seed, fps=args.fps
        )
        print(f"Recorded to {path}")
    else:
        watch(args.path, env_id=args.env, episodes=args.episodes, seed=args.seed, fps=args.fps)


def cmd_plot(args) -> None:
    from rl_kit.plots import plot_dashboard, plot_runs

    path = plot_dashboard(args.runs[0], args.out) if len(args.runs) == 1 else plot_runs(args.runs, args.out)
    print(f"Wrote {path}")


def cmd_diagnose(args) -> None:
    from rl_kit.diagnose import diagnose

    findings = diagnose(args.run)
    if not findings:
        print(f"{args.run}: no problem found in the logs")
    for finding in findings:
        print(finding)


def cmd_record(args) -> None:
    from rl_kit.watch import record

    print(f"Recorded to {record(args.run, args.output, env_id=args.env, episodes=args.episodes, seed=args.seed)}")


def cmd_explain(args) -> None:
    from rl_kit.explain import explain

    for path in explain(args.run, args.out, episodes=args.episodes):
        print(f"Wrote {path}")


def cmd_compare(args) -> None:
    from rl_kit.compare import compare

    comparison = compare(
        args.env,
        args.agents,
        seeds=args.seeds,
        steps=args.steps,
        out=args.out,
        workers=args.workers,
        episodes=args.episodes,
        ray=args.ray,
    )
    print(comparison.report.read_text(encoding="utf-8").split("![")[0].rstrip())
    print(f"\nReport: {comparison.report}")


def cmd_bandit(args) -> None:
    from pathlib import Path

    from rl_kit.bandits import DEFAULT_METHODS, testbed, write_testbed

    curves = testbed(
        args.methods or DEFAULT_METHODS,
        env=args.env,
        runs=args.runs,
        steps=args.steps,
        seed=args.seed,
        env_kwargs=parse_yaml_values(args.env_kwarg),
        progress=not args.no_progress,
    )
    for c in curves:
        print(c.summary())
    out = Path(args.out) if args.out else Path("runs") / "bandit" / f"{args.env.replace('/', '-')}.png"
    figure, data = write_testbed(curves, out, title=f"{args.env}: {args.runs} runs")
    print(f"Wrote {figure} and {data}")


def cmd_tune(args) -> None:
    from rl_kit.tuning import tune

    result = tune(
        args.env,
        args.agent,
        trials=args.trials,
        steps=args.steps,
        seed=args.seed,
        storage=args.storage,
        study=args.study,
        workers=args.workers,
        num_envs=args.num_envs,
        evaluations=args.evaluations,
        eval_episodes=args.eval_episodes,
        objective=args.objective,
        hyperparameters=parse_yaml_values(args.hp),
        env_kwargs=parse_yaml_values(args.env_kwarg),
        out=args.out,
        progress=not args.no_progress,
    )
    if result.interrupted:
        raise KeyboardInterrupt


def cmd_bench(args) -> None:
    from rl_kit.bench import run_benchmarks

    run_benchmarks(quick=args.quick, suite=args.suite, workers=args.workers, ray=args.ray)


def cmd_quickstart(args) -> None:
    from rl_kit.quickstart import quickstart

    quickstart(args.out, steps=args.steps, seed=args.seed)


COMMANDS = {
    "list": cmd_list,
    "train": cmd_train,
    "evaluate": cmd_evaluate,
    "watch": cmd_watch,
    "plot": cmd_plot,
    "compare": cmd_compare,
    "diagnose": cmd_diagnose,
    "record": cmd_record,
    "explain": cmd_explain,
    "bandit": cmd_bandit,
    "tune": cmd_tune,
    "bench": cmd_bench,
    "quickstart": cmd_quickstart,
}


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command in ("train", "tune"):
        from rl_kit.loop import stop_on_sigterm

        stop_on_sigterm()
    try:
        COMMANDS[args.command](args)
    except UsageError as error:
        print(f"rl-kit {args.command}: error: {error}", file=sys.stderr)
        return 2
    except RLKitError as error:
        print(f"rl-kit {args.command}: error: {error}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("\nrl-kit: interrupted", file=sys.stderr)
        return 130
    return 0


if __name__ == "__main__":
    sys.exit(main())
