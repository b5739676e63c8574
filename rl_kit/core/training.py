"""``train``: one call from an env and an agent name to a trained, saved, logged agent.

``train(...)`` turns its keywords into a :class:`~rl_kit.core.spec.RunSpec` (starting from the
tuned entry of the env in ``rl_kit/hyperparams/<agent>.yml``) and :func:`execute` runs the
spec: the agent's backend builds a trainer, a :class:`~rl_kit.core.supervisor.Supervisor`
watches it learn, and the run directory gets everything that reproduces and explains it
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
import shutil
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from importlib import metadata
from pathlib import Path
from typing import Any

import gymnasium as gym
import numpy as np
import yaml

from rl_kit.core.backends import backend_for
from rl_kit.core.checkpoints import CHECKPOINT_DIRECTORY, Checkpoint, load_checkpoint
from rl_kit.core.evaluation import EvaluationResult, close_all, evaluation_envs, run_episodes
from rl_kit.core.hyperparameter_files import TunedEntry, tuned_hyperparameters
from rl_kit.core.logs import RunLogger
from rl_kit.core.spec import CheckpointSpec, EnvSpec, EvaluationSpec, RunSpec
from rl_kit.core.supervisor import RunOptions, RunResult, Supervisor
from rl_kit.errors import InvalidType, InvalidValue, RLKitError
from rl_kit.infrastructure.atomic_files import atomic_write
from rl_kit.infrastructure.budget import MAX_EPISODES, check_count, check_memory
from rl_kit.infrastructure.directory_lock import LOCK_FILE, owned_directory, refuse_links
from rl_kit.infrastructure.yaml_text import read_yaml_file

CONFIG_FILE, RESULT_FILE = "config.yaml", "result.yaml"


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


def fresh_directory(path: str | Path) -> Path:
    """`path` if nothing is there yet, else the first free ``<path>-2``, ``<path>-3``, ... (as RL Zoo numbers its runs)."""
    path = Path(path)
    candidate, n = path, 1
    while candidate.exists():
        n += 1
        candidate = path.with_name(f"{path.name}-{n}")
    return candidate


def default_run_directory(spec: RunSpec, root: str | Path = "runs") -> Path:
    """``runs/<env>/<agent>/seed<S>-<time>``, numbered where that exists."""
    return fresh_directory(
        Path(root) / spec.env.slug / spec.agent / f"seed{spec.seed}-{time.strftime('%Y%m%d-%H%M%S')}"
    )


# What a run writes into its directory (docs above); a directory holding only these, with no
# checkpoint and no result, is what a run that died before its first checkpoint left behind.
RUN_FILES = frozenset({CONFIG_FILE, "episodes.csv", "train.csv", "eval.csv", "tensorboard", CHECKPOINT_DIRECTORY})


def abandoned(directory: Path) -> bool:
    """True if `directory` holds a run that ended before its first checkpoint and never finished:
    nothing to resume, nothing finished to keep (called under the directory's lock)."""
    members = {p.name for p in directory.iterdir() if p.name != LOCK_FILE and not p.name.startswith(".")}
    checkpoints = directory / CHECKPOINT_DIRECTORY
    return CONFIG_FILE in members and members <= RUN_FILES and not (checkpoints.is_dir() and any(checkpoints.iterdir()))


@contextmanager
def claimed(directory: Path, resuming: bool) -> Iterator[Path]:
    """`directory`, made and locked for this run alone while the block runs.

    A run never overwrites another: a directory that holds anything is refused unless the run
    resumes it, and a directory another live process writes is refused at once, naming it. A
    directory that a run left when it died before its first checkpoint (no checkpoint, no
    result) is started afresh, said in one line: it could not be resumed, and nothing in it is
    finished. A directory holding a link to elsewhere is refused (:func:`refuse_links`).
    """
    with owned_directory(directory, what="a run", empty=False):
        if not resuming and any(p.name != LOCK_FILE for p in directory.iterdir()):
            if not abandoned(directory):
                raise RLKitError(
                    f"{directory} already holds a run, and rl-kit never overwrites one: continue it with "
                    f"--resume {directory} (resume= in Python), or choose a fresh --out"
                )
            print(
                f"{directory} holds a run that ended before its first checkpoint (nothing to resume): "
                "starting it afresh",
                file=sys.stderr,
            )
            for member in directory.iterdir():
                if member.name == LOCK_FILE:
                    continue
                shutil.rmtree(member) if member.is_dir() else member.unlink()
        yield directory


def write_yaml(path: Path, data: dict[str, Any]) -> None:
    atomic_write(path, yaml.safe_dump(data, sort_keys=False))


def read_spec(directory: str | Path) -> RunSpec:
    """The :class:`RunSpec` a run directory's ``config.yaml`` holds."""
    config_path = Path(directory) / CONFIG_FILE
    if not config_path.is_file():
        raise RLKitError(f"{directory} is not a run directory (no {CONFIG_FILE})")
    config = read_yaml_file(config_path, "run config")
    if not isinstance(config, dict):
        raise RLKitError(f"{config_path} is not a run config")
    return RunSpec.from_dict(config)


def train(
    env: str | EnvSpec | None = None,
    agent: str | None = None,
    *,
    steps: int | None = None,
    seed: int = 0,
    num_envs: int | None = None,
    hyperparameters: dict[str, Any] | None = None,
    out: str | Path | None = None,
    env_kwargs: dict[str, Any] | None = None,
    eval_every: int | None = None,
    eval_episodes: int = 10,
    progress: bool = True,
    tensorboard: bool = True,
    callback=None,
    callback_every: int = 1000,
    on_evaluation=None,
    tuned: bool = True,
    hyperparameters_file: str | Path | None = None,
    checkpoint_every: int = 0,
    keep_checkpoints: int = 3,
    resume: str | Path | None = None,
) -> Run:
    """Train agent `agent` on env `env` for `steps` env steps and save it in a run directory.

    Args:
        env: a registered env id (``"rl_kit/FrozenLake4x4-v0"``, ``"Taxi-v4"``, ...) or an :class:`EnvSpec`.
        agent: an agent name (``"q_learning"``, ``"ppo"``, ``"sb3_ppo"``; see ``rl-kit list``).
        steps: env steps in total, over all `num_envs` envs (default: the tuned entry's
            ``n_timesteps``, said on standard error; an error where it has none).
        seed: seeds the envs' first reset and the agent's generator.
        num_envs: envs stepped together (default: the tuned entry's, else 1).
        hyperparameters: values that override the tuned entry and the agent's defaults.
        out: the run directory (default ``runs/<env>/<agent>/seed<seed>-<time>``).
        env_kwargs: keyword arguments for the env (``{"map": ...}``, ``{"slip": 0.2}``).
        eval_every: env steps between greedy evaluations (default: steps / 10; 0: never).
        eval_episodes: episodes per evaluation.
        progress: show a progress bar.
        tensorboard: also write TensorBoard events.
        callback: ``callback(step, agent) -> bool`` every `callback_every` steps; True stops.
        on_evaluation: ``on_evaluation(step, statistics) -> bool`` after each periodic evaluation
            (``statistics["mean"]`` is the mean greedy return); True stops. ``rl_kit.tune`` prunes with it.
        tuned: start from ``rl_kit/hyperparams/<agent>.yml``'s entry for `env` (where it has one).
        hyperparameters_file: start from this YAML file's entry for `env` instead (RL Zoo format, as
            ``rl-kit tune`` writes in ``best.yml``); it must have one.
        checkpoint_every: env steps between checkpoints in ``checkpoints/`` (0: none); see :func:`resume_run`.
        keep_checkpoints: how many of the latest checkpoints to keep.
        resume: a run directory to continue from its latest checkpoint instead (see :func:`resume_run`);
            `steps` may then raise its budget, and the other arguments come from its config.
    Returns:
        the :class:`Run`, with its directory, spec and trained agent.
    Ctrl-C stops training early; the agent learned so far is saved all the same.
    """
    options = RunOptions(progress, tensorboard, callback, callback_every, on_evaluation)
    if resume is not None:
        return resume_run(resume, steps=None if steps is None else whole_number("steps", steps), options=options)
    if env is None or agent is None:
        raise ValueError("train needs env and agent (or resume=RUN)")
    seed = whole_number("seed", seed, minimum=0)
    num_envs = None if num_envs is None else whole_number("num_envs", num_envs)
    if out is not None and not str(out).strip():
        raise InvalidValue("out is empty: give the run directory (or leave it out for runs/<env>/<agent>/...)")
    env_spec = EnvSpec.of(env, env_kwargs)
    backend_for(agent)  # an unknown agent fails before anything is read or made
    if hyperparameters_file is not None:
        entry = tuned_hyperparameters(agent, env_spec.id, hyperparameters_file)
    else:
        entry = tuned_hyperparameters(agent, env_spec.id) if tuned else TunedEntry(agent, env_spec.id)
    if steps is None:  # the tuned entry's budget, as the RL Zoo trains for its n_timesteps
        if not entry.n_timesteps:
            raise InvalidValue(f"no tuned budget for {agent} on {env_spec.id}: give steps (--steps N)")
        steps = entry.n_timesteps
        print(f"steps: {steps:,}, the n_timesteps of {entry.source}", file=sys.stderr)
    steps = whole_number("steps", steps)
    spec = RunSpec(
        env=env_spec,
        agent=agent,
        steps=steps,
        seed=seed,
        num_envs=num_envs or entry.num_envs or 1,
        hyperparameters={**entry.hyperparameters, **(hyperparameters or {})},
        evaluation=EvaluationSpec(max(steps // 10, 1) if eval_every is None else eval_every, eval_episodes),
        checkpoints=CheckpointSpec(checkpoint_every, keep_checkpoints),
        hyperparameters_file=entry.source,
        hyperparameters_overridden=tuple(sorted(hyperparameters or {})),
    )
    return execute(spec, None if out is None else Path(out), options)


def whole_number(name: str, value: Any, minimum: int = 1) -> int:
    """`value` as an int, or a TypeError (not a whole number) or ValueError (below `minimum`) naming it."""
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        raise InvalidType(f"{name} must be a whole number, got {value!r} ({type(value).__name__})")
    if value < minimum:
        raise InvalidValue(f"{name} must be at least {minimum}, got {value}")
    return int(value)


def check_budget(spec: RunSpec) -> None:
    """Refuse up front a run whose envs cannot all take a step, or whose memory cannot fit here.

    The estimate counts what grows with numbers a user gives: each env's observation held a
    few times over by the env, the loop and the agent (a policy-gradient rollout holds
    ``n_steps`` of them), each env's own state, a replay buffer's ``buffer_size`` transitions,
    and the networks ``hidden_sizes`` asks for (weights, gradients and two Adam moments). It is
    a floor, not a promise: it only catches the runs that cannot fit at all, before anything is
    allocated (:mod:`rl_kit.infrastructure.budget`).
    """
    if spec.num_envs > spec.steps:
        raise InvalidValue(
            f"num_envs ({spec.num_envs:,}) is more than steps ({spec.steps:,}): each step of the vector "
            "env takes num_envs env steps, so the run would overshoot its budget; lower num_envs"
        )
    check_count("eval_episodes", spec.evaluation.episodes, MAX_EPISODES)
    probe = spec.env.make()
    try:
        observation = probe.observation_space.sample()
        per_observation = max(np.asarray(observation).nbytes, 8)
        inputs = gym.spaces.flatdim(probe.observation_space) if is_flat(probe.observation_space) else 1
        outputs = gym.spaces.flatdim(probe.action_space) if is_flat(probe.action_space) else 1
    finally:
        probe.close()
    hp = spec.hyperparameters
    copies = 16 + 3 * whole_or_zero(hp.get("n_steps"))
    check_memory(f"{spec.num_envs:,} envs of {spec.env.id}", spec.num_envs * (per_observation * copies + 256),
                 "lower num_envs")  # fmt: skip
    buffer = whole_or_zero(hp.get("buffer_size"))
    check_memory(f"a replay buffer of {buffer:,} transitions", buffer * (2 * per_observation + 64), "lower buffer_size")
    widths = [inputs, *hidden_widths(hp.get("hidden_sizes")), outputs]
    weights = sum(a * b for a, b in zip(widths, widths[1:], strict=False))
    check_memory(f"networks of hidden sizes {str(hp.get('hidden_sizes'))[:60]}", weights * 8 * 4 * 2,
                 "lower hidden_sizes")  # fmt: skip


def is_flat(space) -> bool:
    try:
        gym.spaces.flatdim(space)
    except (ValueError, NotImplementedError, TypeError):
        return False
    return True


def whole_or_zero(value: Any) -> int:
    """A hyperparameter that sizes an allocation, as a number (0 if absent or not a number: the
    agent's own check names a bad value)."""
    if isinstance(value, bool):
        return 0
    if isinstance(value, str):  # "1e11" is text to YAML; the agents read it as a number
        try:
            value = float(value)
        except ValueError:
            return 0
    if isinstance(value, float) and value.is_integer() and value > 0:
        return int(value)
    return value if isinstance(value, int) and value > 0 else 0


def hidden_widths(text: Any) -> list[int]:
    """``"64,64"`` as ``[64, 64]``; nothing where it is not such text (the agent says why)."""
    try:
        return [int(x) for x in str(text).replace(" ", "").split(",") if x] if text is not None else []
    except ValueError:
        return []


def resume_run(
    run: str | Path,
    *,
    steps: int | None = None,
    progress: bool = True,
    callback=None,
    callback_every: int = 1000,
    options: RunOptions | None = None,
) -> Run:
    """Continue a run from its latest checkpoint, with the spec it recorded, to `steps` (default: its own).

    For our agents on our envs (their native vector versions), the resumed run equals an
    uninterrupted one exactly: the agent (and its optimizer and rollout so far), every random
    generator, the envs' states, the counters, the schedules' clock and the logs are restored
    (rows logged after the checkpoint are dropped). Gymnasium's own envs cannot save their
    state; a resumed run on them starts their episodes afresh. torch agents resume exactly on
    the CPU, where torch's operations here are deterministic.
    """
    directory = Path(run)
    refuse_links(directory)  # before anything in it is read: a linked checkpoints/ is another run's
    spec = read_spec(directory)
    if steps is not None:
        spec = replace(spec, steps=steps)
    options = options or RunOptions(progress=progress, callback=callback, callback_every=callback_every)
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
    return execute(spec, directory, options, checkpoint=checkpoint)


def execute(spec: RunSpec, directory: Path | None, options: RunOptions, checkpoint: Checkpoint | None = None) -> Run:
    """Run `spec` into `directory` (default: a new one under ``runs/``), or resume it from `checkpoint`."""
    check_budget(spec)
    directory = default_run_directory(spec) if directory is None else directory
    trainer = backend_for(spec.agent).build(spec, directory)
    eval_envs: list = []  # made at the first evaluation, kept for the others
    try:
        with claimed(directory, resuming=checkpoint is not None):
            return _learn(trainer, eval_envs, spec, directory, options, checkpoint)
    finally:
        trainer.close()
        close_all(eval_envs)


def log_interval(spec: RunSpec) -> int:
    """Env steps between rows of ``train.csv``: a hundredth of the run (at most 1000); for the
    agents that learn from rollouts of ``n_steps`` per env, at most one rollout, so that every
    update has its own row and a short run's diagnostics still draw as curves."""
    every = max(min(1000, spec.steps // 100), spec.num_envs)
    rollout = spec.hyperparameters.get("n_steps")
    if isinstance(rollout, int) and rollout > 0:
        every = min(every, rollout * spec.num_envs)
    return every


def _learn(
    trainer, eval_envs: list, spec: RunSpec, directory: Path, options: RunOptions, checkpoint: Checkpoint | None
) -> Run:
    """The run in its claimed directory: config, supervisor, learning, the saved agent and result."""
    spec = replace(spec, hyperparameters=trainer.hyperparameters())  # every value, defaults included
    config = {**spec.to_dict(), "agent_class": trainer.agent_class}
    config.update(command=" ".join(sys.argv), versions=library_versions())
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

    def evaluate() -> dict[str, float]:
        if not eval_envs:
            eval_envs.extend(evaluation_envs(spec.env, spec.evaluation.episodes, trainer.agent))
        episodes = run_episodes(trainer.agent, eval_envs, spec.evaluation.episodes, spec.evaluation.seed)
        return EvaluationResult(spec.env.id, *episodes).stats

    logger = RunLogger(
        directory, tensorboard=options.tensorboard, resume_after_step=None if state is None else state.step
    )
    supervisor = Supervisor(
        spec.steps,
        log_every=log_interval(spec),
        eval_every=spec.evaluation.every,
        evaluate=evaluate,
        checkpoint_every=spec.checkpoints.every,
        logger=logger,
        options=options,
        description=f"{spec.agent} on {spec.env.id}",
        state=state,
    )
    try:
        with supervisor.running():
            trainer.learn(supervisor)
    except FloatingPointError as error:  # a NaN or inf loss: the agent holds its last good update
        trainer.save(directory, spec.env)
        write_yaml(directory / RESULT_FILE, {"error": str(error), "interrupted": True})
        raise RLKitError(f"{error}. The last good agent is saved in {directory}") from None
    finally:
        logger.close()
    trainer.save(directory, spec.env)
    result = supervisor.result()
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
    return Run(directory, trainer.agent, spec, result, config)
