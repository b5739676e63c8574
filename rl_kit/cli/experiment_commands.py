"""``rl-kit compare``, ``generalize``, ``tune``, ``bandit`` and ``bench``: flags and handlers."""

from __future__ import annotations

from rl_kit.cli.arguments import (
    RAY_HELP,
    Interrupted,
    add_population_flag,
    add_time_limit_flag,
    add_values_flag,
    add_vector_env_flag,
    env_options,
    non_negative_int,
    parse_values,
    positive_int,
)


def register(sub) -> None:
    for add in (add_compare, add_generalize, add_tune, add_bandit, add_bench):
        add(sub)


def add_compare(sub) -> None:
    p = sub.add_parser("compare", help="train agents over seeds in parallel and write a comparison report")
    p.add_argument("--env", required=True, help="env id")
    p.add_argument("--agents", required=True, nargs="+", help="agent names, ours and sb3_*")
    p.add_argument("--seeds", type=positive_int, default=5)
    p.add_argument("--steps", type=positive_int, required=True, help="env steps per run")
    p.add_argument("--episodes", type=positive_int, default=100, help="evaluation episodes per run")
    p.add_argument("--workers", type=positive_int, default=None, help="runs at once (default: one per core)")
    p.add_argument("--ray", metavar="ADDRESS", help=RAY_HELP)
    p.add_argument("--out", help="report directory")
    add_time_limit_flag(p)
    add_vector_env_flag(p)
    add_population_flag(p)
    p.set_defaults(handler=compare_command)


def add_generalize(sub) -> None:
    p = sub.add_parser("generalize", help="train on N levels of a level family for each N, over seeds; the return "
                       "on training and on held-out levels (the generalization gap)")  # fmt: skip
    p.add_argument("--env", default="rl_kit/ProcGrid-v0", help="a level family's env id (default rl_kit/ProcGrid-v0)")
    p.add_argument("--agent", required=True, help="agent name")
    p.add_argument("--levels", default="1,10,100,1000,0", help="training level counts, comma-separated (0: unlimited)")
    p.add_argument("--seeds", type=positive_int, default=3, help="runs per level count")
    p.add_argument("--steps", type=positive_int, default=None, help="env steps a run (default: the tuned entry's)")
    p.add_argument("--test-levels", type=positive_int, default=1000, help="held-out level seeds (before duplicates go)")
    p.add_argument("--episodes", type=positive_int, default=200, help="greedy episodes on each side")
    add_values_flag(p, "--hp", "override a hyperparameter, value as YAML (repeatable)")
    add_values_flag(p, "--env-kwarg", "the family's option, e.g. size=8, value as YAML (repeatable)")
    p.add_argument("--workers", type=positive_int, default=1, help="runs at once")
    p.add_argument("--ray", metavar="ADDRESS", help=RAY_HELP)
    p.add_argument("--out", required=True, help="report directory (runs stored there are kept and resumed)")
    add_population_flag(p)
    p.set_defaults(handler=generalize_command)


def generalize_command(args) -> None:
    from rl_kit.errors import InvalidValue
    from rl_kit.experiments.generalize import GeneralizationStudy, run_generalization

    try:
        counts = tuple(int(part) for part in args.levels.split(","))
    except ValueError:
        raise InvalidValue(
            f"--levels takes whole numbers separated by commas, like 1,10,100,0; got {args.levels!r}"
        ) from None
    study = GeneralizationStudy(args.env, args.agent, counts, seeds=args.seeds, steps=args.steps,
                                test_levels=args.test_levels, episodes=args.episodes,
                                env_kwargs=parse_values(args.env_kwarg, "--env-kwarg"),
                                hyperparameters=parse_values(args.hp, "--hp"))  # fmt: skip
    report = run_generalization(study, args.out, workers=args.workers, ray=args.ray, population=args.population == "on")
    print(report.read_text(encoding="utf-8").split("![")[0].rstrip())
    print(f"\nReport: {report}")


def add_tune(sub) -> None:
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
    p.add_argument(
        "--population",
        dest="population_size",
        type=positive_int,
        default=1,
        help="trials a worker asks for at once, trained as one population where they keep one network shape "
        "(fix the shapes with --hp: hidden_sizes, activation, n_steps, n_epochs, batch_size; DQN's train_freq, "
        "gradient_steps, double_q instead of n_steps, n_epochs); default 1",
    )
    p.add_argument("--num-envs", type=positive_int, default=None, help="envs per trial (default: the tuned entry's)")
    p.add_argument("--evaluations", type=positive_int, default=10, help="evaluations per trial, fed to the pruner")
    p.add_argument("--eval-episodes", type=positive_int, default=10, help="episodes per evaluation")
    p.add_argument(
        "--objective",
        choices=["final", "mean"],
        default="final",
        help="a trial's score: its last evaluation, or the mean of all (learning fast counts too)",
    )
    add_values_flag(p, "--hp", "fix a hyperparameter for every trial, value as YAML (repeatable)")
    add_values_flag(p, "--env-kwarg", "env keyword argument, value as YAML (repeatable)")
    add_time_limit_flag(p)
    add_vector_env_flag(p)
    p.add_argument("--out", help="tuning directory (default runs/tune/<env>-<agent>)")
    p.add_argument("--no-progress", action="store_true", help="hide the progress bar")
    p.set_defaults(handler=tune_command)


def add_bandit(sub) -> None:
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
    add_values_flag(p, "--env-kwarg", "env option, e.g. k=5, value as YAML (repeatable)")
    p.add_argument("--out", help="PNG file (default runs/bandit/<env>.png; the curves go beside it as CSV)")
    p.add_argument("--no-progress", action="store_true", help="hide the progress bar")
    p.set_defaults(handler=bandit_command)


def add_bench(sub) -> None:
    p = sub.add_parser("bench", help="measure speed against reference implementations")
    p.add_argument("--quick", action="store_true", help="shorter measurements")
    p.add_argument(
        "--suite",
        choices=[
            "tabular",
            "policy-gradient",
            "envs",
            "off-policy",
            "pixels",
            "calls",
            "race",
            "zoo",
            "minatar",
            "robustness",
            "all",
        ],
        default="all",
        help="which benchmarks (race: wall time against python -m rl_zoo3.train; zoo: the Zoo's benchmark "
        "table over seeds, written to docs/benchmarks/zoo; minatar: DQN and PPO on MinAtar's games beside the paper's DQN, "
        "written to docs/benchmarks/minatar; robustness: each learning claim of the tests on more seeds and on the "
        "torch backend; none of these four is in all)",
    )
    p.add_argument(
        "--rows", help="race or zoo rows, or robustness claims, comma-separated, e.g. ppo-cartpole (default: all)"
    )
    p.add_argument(
        "--seeds", type=positive_int, default=None, help="race: pairs per row (1); zoo: seeds per row (5); minatar: 3"
    )
    p.add_argument("--frames", type=positive_int, default=None, help="minatar: env steps a run (1,000,000)")
    p.add_argument("--out", default=None, help="zoo, minatar: where the report goes (docs/benchmarks/<suite>)")
    p.add_argument(
        "--sides",
        default=None,
        help="which to train, comma-separated; zoo: ours (the Zoo's hyperparameters), zoo (its own code), tuned "
        "(our own entry, where it differs from the Zoo's), default all three, stored runs of the others stay; "
        "minatar: dqn (default), ppo",
    )
    p.add_argument(
        "--workers",
        type=positive_int,
        default=1,
        help="runs at once for the PPO-vs-SB3 race and the zoo suite (default 1: timed runs share no core)",
    )
    p.add_argument("--ray", metavar="ADDRESS", help=RAY_HELP)
    p.add_argument(
        "--resume",
        action="store_true",
        help="zoo: keep the stored runs of the rows and sides named, and run only the seeds they lack",
    )
    p.set_defaults(handler=bench_command)


def compare_command(args) -> None:
    from rl_kit.core.spec import EnvConfig
    from rl_kit.experiments.compare import CompareSettings, run_comparison

    settings = CompareSettings(
        EnvConfig.of(args.env, env_options(args)),
        tuple(args.agents),
        args.steps,
        seeds=args.seeds,
        episodes=args.episodes,
        directory=args.out,
        workers=args.workers,
        ray=args.ray,
        population=args.population == "on",
    )
    comparison = run_comparison(settings)
    print(comparison.report.read_text(encoding="utf-8").split("![")[0].rstrip())
    print(f"\nReport: {comparison.report}")


def tune_command(args) -> None:
    from rl_kit.core.spec import EnvConfig
    from rl_kit.core.training import plan
    from rl_kit.experiments.tuning import TuneSettings, import_optuna, run_tuning

    import_optuna()  # missing Optuna is said before anything is made
    base = plan(EnvConfig.of(args.env, env_options(args)), args.agent, steps=args.steps, seed=args.seed,
                num_envs=args.num_envs, hyperparameters=parse_values(args.hp, "--hp"))  # fmt: skip
    settings = TuneSettings(
        base.with_evaluation(episodes=args.eval_episodes),
        trials=args.trials,
        evaluations=args.evaluations,
        objective=args.objective,
        directory=args.out,
        storage=args.storage,
        study=args.study,
        workers=args.workers,
        progress=not args.no_progress,
        population=args.population_size,
    )
    result = run_tuning(settings)
    if result.interrupted:
        raise Interrupted(result.stopped_by)


def bandit_command(args) -> None:
    from pathlib import Path

    from rl_kit.experiments.testbed import DEFAULT_METHODS, testbed, write_testbed

    curves = testbed(
        args.methods or DEFAULT_METHODS,
        env=args.env,
        runs=args.runs,
        steps=args.steps,
        seed=args.seed,
        env_kwargs=parse_values(args.env_kwarg, "--env-kwarg"),
        progress=not args.no_progress,
    )
    for c in curves:
        print(c.summary())
    out = Path(args.out) if args.out else Path("runs") / "bandit" / f"{args.env.replace('/', '-')}.png"
    figure, data = write_testbed(curves, out, title=f"{args.env}: {args.runs} runs")
    print(f"Wrote {figure} and {data}")


def bench_command(args) -> None:
    if args.suite == "robustness":
        from rl_kit.experiments.robustness import CLAIMS, claim_named, print_rows, robustness

        claims = tuple(claim_named(name) for name in args.rows.split(",")) if args.rows else CLAIMS
        print_rows(robustness(claims, workers=args.workers))
        return
    if args.suite == "race":
        from rl_kit.experiments.zoo_race import race, select_rows

        race(select_rows(args.rows), seeds=args.seeds or 1)
        return
    if args.suite == "zoo":
        from rl_kit.experiments import zoo_benchmark

        rows = zoo_benchmark.select_rows(args.rows)
        sides = tuple({"ours": "rl_kit"}.get(side, side) for side in (args.sides or "ours,zoo,tuned").split(","))
        report = zoo_benchmark.zoo_benchmark(
            rows, seeds=args.seeds or 5, sides=sides, workers=args.workers, ray=args.ray,
            out=args.out or "docs/benchmarks/zoo", resume=args.resume,
        )  # fmt: skip
        print(f"Report: {report}")
        return
    if args.suite == "minatar":
        from rl_kit.experiments import minatar_bench

        report = minatar_bench.minatar_benchmark(
            minatar_bench.select_rows(args.rows), agents=minatar_bench.select_agents(args.sides), seeds=args.seeds or 3,
            frames=args.frames or minatar_bench.FRAMES,
            workers=args.workers, ray=args.ray, out=args.out or "docs/benchmarks/minatar",
        )  # fmt: skip
        print(report.read_text(encoding="utf-8"))
        return
    from rl_kit.experiments.bench import run_benchmarks

    run_benchmarks(quick=args.quick, suite=args.suite, workers=args.workers, ray=args.ray)
