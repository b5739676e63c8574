"""``rl-kit list``, ``rl-kit train`` and ``rl-kit quickstart``: flags and handlers."""

from __future__ import annotations

from rl_kit.cli.arguments import (
    Interrupted,
    UsageError,
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
    p = sub.add_parser("list", help="list the envs and agents")
    p.set_defaults(handler=list_command)

    p = sub.add_parser("train", help="train an agent and save it in a run directory")
    p.add_argument("--env", help="env id, e.g. rl_kit/FrozenLake4x4-v0 (required unless --resume)")
    p.add_argument("--agent", help="agent name, e.g. q_learning (required unless --resume)")
    p.add_argument(
        "--steps", type=positive_int, help="env steps in total (default: the tuned entry's n_timesteps, said when used)"
    )
    p.add_argument("--resume", metavar="RUN", help="continue RUN from its latest checkpoint, with its recorded config")
    p.add_argument(
        "--checkpoint-every", type=non_negative_int, default=0, help="env steps between checkpoints (0: none)"
    )
    p.add_argument(
        "--keep-checkpoints", type=positive_int, default=3, help="how many of the latest checkpoints to keep"
    )
    p.add_argument("--seed", type=non_negative_int, default=0)
    p.add_argument(
        "--seeds",
        type=positive_int,
        default=1,
        help="train this many runs, seeds --seed, --seed + 1, ..., into OUT/seed<S> (default "
        "runs/<env>/<agent>/seeds<S>-<time>/seed<S>): as one population in one process where the agent can",
    )
    add_population_flag(p)
    p.add_argument(
        "--num-envs", type=positive_int, default=None, help="envs stepped together (default: the tuned entry's, else 1)"
    )
    p.add_argument("--no-tuned", action="store_true", help="ignore the tuned hyperparameter files")
    p.add_argument(
        "--hp-file", metavar="FILE", help="start from FILE's entry for the env instead (e.g. best.yml from rl-kit tune)"
    )
    add_values_flag(p, "--hp", "override a hyperparameter, value as YAML (repeatable)")
    add_values_flag(p, "--env-kwarg", "env keyword argument, value as YAML (repeatable)")
    add_time_limit_flag(p)
    add_vector_env_flag(p)
    p.add_argument(
        "--eval-every",
        type=non_negative_int,
        default=None,
        help="env steps between evaluations (default steps/10; 0: never)",
    )
    p.add_argument("--eval-episodes", type=positive_int, default=10, help="greedy episodes per evaluation")
    p.add_argument("--out", help="run directory (default runs/<env>/<agent>/seed<S>-<time>)")
    p.add_argument("--no-progress", action="store_true", help="hide the progress bar")
    p.set_defaults(handler=train_command)

    p = sub.add_parser("quickstart", help="the main job: train, check against the optimum, plot, record")
    p.add_argument("--out", help="run directory (default runs/quickstart, numbered if that exists)")
    p.add_argument("--steps", type=positive_int, default=300_000)
    p.add_argument("--seed", type=non_negative_int, default=0)
    p.set_defaults(handler=quickstart_command)


def list_command(args) -> None:
    import gymnasium as gym

    from rl_kit.core.backends import TRAINER_BACKENDS
    from rl_kit.envs import CONTROL_ENV_IDS, GRID_ENV_IDS

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
    print("\nAgents (tuned entries in rl_kit/hyperparams):")
    for backend in TRAINER_BACKENDS:
        for name in backend.agent_names():
            print(f"  {name:20} {backend.describe(name)}")


def short_space(space) -> str:
    """A space in a few characters: Discrete(4), Box(8,)."""
    import gymnasium as gym

    return f"Box{space.shape}" if isinstance(space, gym.spaces.Box) else str(space)


def train_command(args) -> None:
    from dataclasses import replace

    from rl_kit.core.hyperparameter_files import starting_entry
    from rl_kit.core.population import resume
    from rl_kit.core.spec import CheckpointSpec, EnvConfig, RunOptions
    from rl_kit.core.training import execute, plan

    options = RunOptions(args.out, progress=not args.no_progress)
    if args.resume:
        run = resume(args.resume, steps=args.steps, options=options)
    else:
        missing = [flag for flag, value in (("--env", args.env), ("--agent", args.agent)) if value is None]
        if missing:
            raise UsageError(f"argument {', '.join(missing)}: required (unless --resume RUN)")
        env = EnvConfig.of(args.env, env_options(args))
        spec = plan(
            env,
            args.agent,
            steps=args.steps,
            seed=args.seed,
            num_envs=args.num_envs,
            hyperparameters=parse_values(args.hp, "--hp"),
            entry=starting_entry(args.agent, env.id, tuned=not args.no_tuned, file=args.hp_file),
        ).with_evaluation(args.eval_every, args.eval_episodes)
        spec = replace(spec, checkpoints=CheckpointSpec(args.checkpoint_every, args.keep_checkpoints))
        if args.seeds > 1:
            return train_seeds_command(spec, args, options)
        run = execute(spec, options)
    report_run(run)


def train_seeds_command(spec, args, options) -> None:
    """``train --seeds K``: K runs, as one population where they can be (said on standard error)."""
    from rl_kit.core.population import train_seeds

    runs = train_seeds(spec, args.seeds, options, together=args.population == "on")
    for run in runs:
        report_run(run, interrupted_raises=False)
    stopped = next((run.result for run in runs if run.result.interrupted), None)
    if stopped is not None:
        raise Interrupted(stopped.stopped_by)


def report_run(run, interrupted_raises: bool = True) -> None:
    result = run.result
    if result.interrupted:
        print(f"Interrupted at step {result.steps:,}: saved what was learned so far.")
    recent = f", recent return {result.recent_return:.3f}" if result.recent_return is not None else ""
    print(
        f"Trained {run.spec.agent} on {run.env_id}: {result.steps:,} steps, {result.episodes:,} episodes, "
        f"{result.wall_time:.1f} s{recent}"
    )
    print(f"Run directory: {run.directory}")
    if result.interrupted and interrupted_raises:
        raise Interrupted(result.stopped_by)


def quickstart_command(args) -> None:
    from rl_kit.experiments.quickstart import quickstart

    quickstart(args.out, steps=args.steps, seed=args.seed)
