"""The core's entry: :func:`execute` runs a :class:`~rl_kit.core.spec.RunSpec` with its
:class:`~rl_kit.core.spec.RunOptions`; :func:`plan` builds the spec from a tuned entry;
:func:`resume_run` continues a run from its latest checkpoint.

The fronts (``rl_kit.train(...)`` in :mod:`rl_kit.api`, ``rl-kit train``, compare, tune, the
benchmarks) build the values; this module takes them. In :func:`execute` the agent's backend
builds a trainer, a :class:`~rl_kit.core.supervisor.Supervisor` watches it learn, and the run
directory (:mod:`rl_kit.core.run_directory`) gets everything that reproduces and explains it
(docs/architecture.md)::

    runs/<env>/<agent>/<run>/
        config.yaml        the RunSpec (env id and kwargs, agent and every hyperparameter, seed,
                           steps, evaluation, checkpoints), the agent's class, the command, versions
        episodes.csv       one row per finished training episode
        train.csv          the agent's metrics, averaged per log interval
        eval.csv           periodic deterministic evaluations
        result.yaml        steps done, episodes, wall time, interrupted or not
        agent.safetensors  the saved agent (agent.zip and agent.json for stable-baselines3's)
        checkpoints/       what resuming needs, when asked for (checkpoint_every)
        tensorboard/       the same scalars as TensorBoard events
"""

from __future__ import annotations

import platform
import sys
from collections.abc import Mapping
from dataclasses import dataclass, replace
from importlib import metadata
from pathlib import Path
from typing import Any

import numpy as np

from rl_kit.core.backends import backend_for
from rl_kit.core.checkpoints import Checkpoint, load_checkpoint
from rl_kit.core.evaluation import PeriodicEvaluation
from rl_kit.core.hyperparameter_files import RUN_SETTINGS, TunedEntry, tuned_hyperparameters
from rl_kit.core.logs import RunLogger
from rl_kit.core.run_budget import check_budget
from rl_kit.core.run_directory import (
    CONFIG_FILE,
    RESULT_FILE,
    abandoned,
    claimed,
    default_run_directory,
    is_population_member,
    read_spec,
    write_yaml,
)
from rl_kit.core.spec import EnvConfig, EvaluationSpec, RunOptions, RunSpec
from rl_kit.core.supervisor import Cadence, RunResult, Supervisor
from rl_kit.errors import InvalidType, InvalidValue, RLKitError
from rl_kit.infrastructure.directory_lock import refuse_links


@dataclass
class Run:
    """A finished (or interrupted) training run."""

    directory: Path
    agent: Any
    spec: RunSpec
    result: RunResult
    config: dict[str, Any]  # what config.yaml holds: the spec, the agent's class, command, versions

    @property
    def env_id(self) -> str:
        return self.spec.env.id

    @property
    def agent_path(self) -> Path:
        return self.directory / backend_for(self.spec.agent).file_name


def library_versions() -> dict[str, str]:
    versions = {"python": platform.python_version()}
    for name in ("rl-kit", "gymnasium", "numpy", "torch", "stable-baselines3", "pygame-ce"):
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = "not installed"
    return versions


def plan(
    env: str | EnvConfig,
    agent: str,
    *,
    steps: int | None = None,
    seed: int = 0,
    num_envs: int | None = None,
    hyperparameters: Mapping[str, Any] | None = None,
    entry: TunedEntry | None = None,
) -> RunSpec:
    """The spec of a run of `agent` on `env`, starting from a tuned entry, as the RL Zoo starts
    from its hyperparameter files.

    Args:
        env: an env id or an :class:`EnvConfig`.
        agent: an agent name (``"q_learning"``, ``"ppo"``, ``"sb3_ppo"``; see ``rl-kit list``).
        steps: env steps in total (default: the entry's ``n_timesteps``, said on standard error;
            an error where it has none).
        seed: seeds the envs' first reset and the agent's generator.
        num_envs: envs stepped together (default: the entry's, else 1).
        hyperparameters: values over the entry's, recorded as given explicitly.
        entry: where the values start (default: ``rl_kit/hyperparams/<agent>.yml``'s entry for
            the env, empty where it has none; ``TunedEntry(agent, env_id)`` for the agent's defaults).
    Returns:
        the :class:`RunSpec`, evaluating every tenth of the run (``replace`` its ``evaluation`` or
        ``checkpoints`` for others).
    """
    env = EnvConfig.of(env)
    backend_for(agent)  # an unknown agent fails before anything is read or made
    seed = whole_number("seed", seed, minimum=0)
    num_envs = None if num_envs is None else whole_number("num_envs", num_envs)
    entry = tuned_hyperparameters(agent, env.id) if entry is None else entry
    if steps is None:  # the tuned entry's budget, as the RL Zoo trains for its n_timesteps
        if not entry.n_timesteps:
            raise InvalidValue(f"no tuned budget for {agent} on {env.id}: give steps (--steps N)")
        steps = entry.n_timesteps
        print(f"steps: {steps:,}, the n_timesteps of {entry.source}", file=sys.stderr)
    steps = whole_number("steps", steps)
    for key in RUN_SETTINGS:  # where a tuned file writes them, beside the agent's, but they are the run's
        if key in (hyperparameters or {}):
            flag, argument = {"num_envs": ("--num-envs", "num_envs"), "n_timesteps": ("--steps", "steps")}[key]
            raise InvalidValue(
                f"{key} is a setting of the run, not a hyperparameter of {agent}: give {flag} N ({argument}=N in Python)"
            )
    spec = RunSpec(
        env=env,
        agent=agent,
        steps=steps,
        seed=seed,
        num_envs=num_envs or entry.num_envs or 1,
        hyperparameters=entry.hyperparameters,
        evaluation=EvaluationSpec(max(steps // 10, 1)),
        hyperparameters_file=entry.source,
    ).with_hyperparameters(hyperparameters or {})
    for line in stalled_schedules(spec):
        print(f"note: {line}", file=sys.stderr)
    return spec


STEP_SIZES = ("learning_rate", "alpha", "clip_range")  # at 0, the agent stops learning


def stalled_schedules(spec: RunSpec) -> list[str]:
    """A line for each step size whose schedule reaches 0 before the run ends (a tuned entry
    annealed over its own budget, trained for longer): what the rest of the run would not learn."""
    from rl_kit.agents.schedules import Schedule

    lines = []
    for key in STEP_SIZES:
        try:
            schedule = Schedule.parse(spec.hyperparameters[key])
        except (KeyError, TypeError, ValueError):  # not set, or not a schedule: the agent says so itself
            continue
        if (
            schedule.kind != "constant"
            and schedule.end == 0
            and schedule.steps is not None
            and schedule.steps < spec.steps
        ):
            lines.append(
                f"{key} {schedule} reaches 0 at step {schedule.steps:,} of {spec.steps:,}, and the rest of the run "
                f"learns nothing; to anneal over the whole run: --hp '{key}={schedule.kind}({schedule.start!r}, 0.0, run)'"
            )
    return lines


def whole_number(name: str, value: Any, minimum: int = 1) -> int:
    """`value` as an int, or a TypeError (not a whole number) or ValueError (below `minimum`) naming it."""
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        raise InvalidType(f"{name} must be a whole number, got {value!r} ({type(value).__name__})")
    if value < minimum:
        raise InvalidValue(f"{name} must be at least {minimum}, got {value}")
    return int(value)


def resume_run(run: str | Path, *, steps: int | None = None, options: RunOptions | None = None) -> Run:
    """Continue a run from its latest checkpoint, with the spec it recorded, to `steps` (default: its own).

    A member of a population resumes with its members: :func:`rl_kit.core.population.resume`.
    For our agents on our envs (their native vector versions), the resumed run equals an
    uninterrupted one exactly: the agent (and its optimizer and rollout so far), every random
    generator, the envs' states, the counters, the schedules' clock and the logs are restored
    (rows logged after the checkpoint are dropped). Gymnasium's own envs cannot save their
    state; a resumed run on them starts their episodes afresh. torch agents resume exactly on
    the CPU, where torch's operations here are deterministic. `options`' directory is ignored:
    the run stays in its own.
    """
    directory = Path(run)
    refuse_links(directory)  # before anything in it is read: a linked checkpoints/ is another run's
    if is_population_member(directory):
        raise RLKitError(
            f"{directory} is a member of a population, whose members resume together: "
            f"rl-kit train --resume {directory} (rl_kit.train(resume=...) in Python)"
        )
    spec = read_spec(directory)
    if steps is not None:
        spec = replace(spec, steps=whole_number("steps", steps))
    if abandoned(directory):
        raise RLKitError(
            f"{directory} has no checkpoint to resume from: its run ended before its first one; "
            "the same command without --resume starts it afresh"
        )
    checkpoint = load_checkpoint(directory)
    written_by = checkpoint.header.get("run") or {}
    for key, recorded in (("agent", spec.agent), ("env", spec.env.id)):
        if key in written_by and written_by[key] != recorded:
            raise RLKitError(
                f"{directory / CONFIG_FILE} says {key} {recorded!r}, but its checkpoints were written by "
                f"{written_by[key]!r}: a run resumes only with the spec it ran with"
            )
    for reason in checkpoint.skipped:
        print(f"skipped a damaged checkpoint: {reason}", file=sys.stderr)
    if checkpoint.skipped:
        print(f"resuming from {checkpoint.path.name}", file=sys.stderr)
    return _execute(spec, replace(options or RunOptions(), directory=directory), checkpoint)


def execute(spec: RunSpec, options: RunOptions = RunOptions()) -> Run:
    """Run `spec` with `options` (into ``options.directory``, by default a new one under ``runs/``)."""
    return _execute(spec, options, None)


def _execute(spec: RunSpec, options: RunOptions, checkpoint: Checkpoint | None) -> Run:
    check_budget(spec)
    directory = default_run_directory(spec) if options.directory is None else Path(options.directory)
    trainer = backend_for(spec.agent).build(spec, directory)
    try:
        with claimed(directory, resuming=checkpoint is not None):
            return _learn(trainer, spec, directory, options, checkpoint)
    finally:
        trainer.close()


def log_interval(spec: RunSpec) -> int:
    """Env steps between rows of ``train.csv``: a hundredth of the run (at most 1000); for the
    agents that learn from rollouts of ``n_steps`` per env, at most one rollout, so that every
    update has its own row and a short run's diagnostics still draw as curves."""
    every = max(min(1000, spec.steps // 100), spec.num_envs)
    rollout = spec.hyperparameters.get("n_steps")
    if isinstance(rollout, int) and rollout > 0:
        every = min(every, rollout * spec.num_envs)
    return every


def _learn(trainer, spec: RunSpec, directory: Path, options: RunOptions, checkpoint: Checkpoint | None) -> Run:
    """The run in its claimed directory: config, supervisor, learning, the saved agent and result."""
    spec = replace(spec, hyperparameters=trainer.hyperparameters())  # every value, defaults included
    config = run_config(spec, trainer.agent_class)
    if checkpoint is None:
        state = None
        write_yaml(directory / CONFIG_FILE, config)
    else:  # the run's own config.yaml stays; the checkpoint puts everything back where it was
        try:
            state = trainer.restore(checkpoint)
        except (ValueError, KeyError, TypeError, IndexError) as error:
            raise RLKitError(
                f"{checkpoint.path} does not fit this run's {spec.agent} on {spec.env.id} "
                f"(another agent's, or the env changed): {error}"[:400]
            ) from None

    logger = RunLogger(
        directory, tensorboard=options.tensorboard, resume_after_step=None if state is None else state.step
    )
    evaluation = PeriodicEvaluation(spec.env, spec.evaluation, trainer.agent)
    supervisor = Supervisor(
        spec.steps,
        Cadence(log_interval(spec), spec.evaluation.every, spec.checkpoints.every),
        evaluate=evaluation,
        logger=logger,
        options=options,
        description=f"{spec.agent} on {spec.env.id}",
        state=state,
    )
    try:
        with evaluation, supervisor.running():
            trainer.learn(supervisor)
    except FloatingPointError as error:  # a NaN or inf loss: the agent holds its last good update
        trainer.save(directory, spec.env)
        write_yaml(directory / RESULT_FILE, {"error": str(error), "interrupted": True})
        raise RLKitError(f"{error}. The last good agent is saved in {directory}") from None
    finally:
        logger.close()
    trainer.save(directory, spec.env)
    result = supervisor.result()
    write_result(directory, result)
    return Run(directory, trainer.agent, spec, result, config)


def run_config(spec: RunSpec, agent_class: str) -> dict[str, Any]:
    """What ``config.yaml`` holds: the spec (every hyperparameter), the agent's class, the command, versions."""
    config = {**spec.to_dict(), "agent_class": agent_class}
    config.update(command=" ".join(sys.argv), versions=library_versions())
    return config


def write_result(directory: Path, result: RunResult) -> None:
    """``result.yaml``: steps done, episodes, wall time, interrupted or not, the recent return."""
    write_yaml(
        directory / RESULT_FILE,
        {
            "steps_done": result.steps,
            "episodes": result.episodes,
            "wall_time_s": round(result.wall_time, 3),
            "interrupted": result.interrupted,
            "stopped_by": result.stopped_by,
            "recent_return": result.recent_return,
        },
    )
