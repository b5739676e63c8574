"""``train``: one call from an env id and an agent name to a trained, saved, logged agent.

A run writes one directory that reproduces and explains it (DESIGN.md)::

    runs/<env>/<agent>/<run>/
        config.yaml        env id and kwargs, agent and every hyperparameter, seed, steps, versions
        episodes.csv       one row per finished training episode
        train.csv          the agent's metrics, averaged per log interval
        eval.csv           periodic deterministic evaluations
        result.yaml        steps done, episodes, wall time, interrupted or not
        agent.safetensors  the saved agent
        tensorboard/       the same scalars as TensorBoard events
"""

from __future__ import annotations

import platform
import sys
import time
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from typing import Any

import yaml

from rl_kit import registry
from rl_kit.atomic import atomic_write
from rl_kit.checkpoint import AGENT_FILE, load_checkpoint, save_agent, save_checkpoint
from rl_kit.errors import RLKitError
from rl_kit.evaluation import EvaluationResult, run_episodes
from rl_kit.logs import RunLogger
from rl_kit.loop import LoopResult, LoopState, run_loop
from rl_kit.tuned import TunedEntry, tuned_hyperparameters

EVAL_SEED = 1_000_000  # evaluation episodes are seeded apart from training ones


@dataclass
class Run:
    """A finished (or interrupted) training run."""

    directory: Path
    agent: Any
    env_id: str
    config: dict[str, Any]
    result: LoopResult

    @property
    def agent_path(self) -> Path:
        return self.directory / AGENT_FILE


def library_versions() -> dict[str, str]:
    versions = {"python": platform.python_version()}
    for name in ("rl-kit", "gymnasium", "numpy", "torch", "stable-baselines3", "pygame-ce"):
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = "not installed"
    return versions


def default_run_directory(env_id: str, agent: str, seed: int, root: str | Path = "runs") -> Path:
    base = Path(root) / env_id.replace("/", "-") / agent
    stamp = time.strftime("%Y%m%d-%H%M%S")
    directory = base / f"seed{seed}-{stamp}"
    n = 1
    while directory.exists():
        n += 1
        directory = base / f"seed{seed}-{stamp}-{n}"
    return directory


def write_yaml(path: Path, data: dict[str, Any]) -> None:
    atomic_write(path, yaml.safe_dump(data, sort_keys=False))


def train(
    env: str | None = None,
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
        env: a registered env id (``"rl_kit/FrozenLake4x4-v0"``, ``"Taxi-v4"``, ...).
        agent: an agent name (``"q_learning"``, ``"ppo"``, ``"sb3_ppo"``; see ``rl-kit list``).
        steps: env steps in total, over all `num_envs` envs.
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
            (``statistics["mean"]`` is the mean greedy return); True stops. ``rl_kit.tuning`` prunes with it.
        tuned: start from ``rl_kit/hyperparams/<agent>.yml``'s entry for `env` (where it has one).
        hyperparameters_file: start from this YAML file's entry for `env` instead (RL Zoo format, as
            ``rl-kit tune`` writes in ``best.yml``); it must have one.
        checkpoint_every: env steps between checkpoints in ``checkpoints/`` (0: none); see :func:`resume_run`.
        keep_checkpoints: how many of the latest checkpoints to keep.
        resume: a run directory to continue from its latest checkpoint instead (see :func:`resume_run`);
            `steps` may then raise its budget, and the other arguments come from its config.
    Returns:
        the :class:`Run`, with its directory and trained agent.
    Ctrl-C stops training early; the agent learned so far is saved all the same.
    """
    if resume is not None:
        return resume_run(resume, steps=steps, progress=progress, callback=callback, callback_every=callback_every)
    if env is None or agent is None or steps is None:
        raise ValueError("train needs env, agent and steps (or resume=RUN)")
    arguments = {k: v for k, v in locals().items() if k != "resume"}
    return _train(**arguments)


def resume_run(
    run: str | Path, *, steps: int | None = None, progress: bool = True, callback=None, callback_every: int = 1000
) -> Run:
    """Continue a run from its latest checkpoint, with the config it recorded, to `steps` (default: its own).

    For our agents on our envs (their native vector versions), the resumed run equals an
    uninterrupted one exactly: the agent (and its optimizer and rollout so far), every random
    generator, the envs' states, the counters, the schedules' clock and the logs are restored
    (rows logged after the checkpoint are dropped). Gymnasium's own envs cannot save their
    state; a resumed run on them starts their episodes afresh. torch agents resume exactly on
    the CPU, where torch's operations here are deterministic.
    """
    directory = Path(run)
    config_path = directory / "config.yaml"
    if not config_path.is_file():
        raise RLKitError(f"{directory} is not a run directory (no config.yaml)")
    config = yaml.safe_load(config_path.read_text(encoding="utf-8"))
    if config["agent"].startswith("sb3_"):
        raise RLKitError("resuming stable-baselines3 agents is not supported: SB3's own loop holds their state")
    parts, header = load_checkpoint(directory)
    return _train(
        env=config["env"],
        agent=config["agent"],
        steps=steps or config["steps"],
        seed=config["seed"],
        num_envs=config["num_envs"],
        hyperparameters=config["hyperparameters"],
        out=directory,
        env_kwargs=config["env_kwargs"],
        eval_every=config["eval_every"],
        eval_episodes=config["eval_episodes"],
        progress=progress,
        tensorboard=True,
        callback=callback,
        callback_every=callback_every,
        tuned=False,
        checkpoint_every=config.get("checkpoint_every", 0),
        keep_checkpoints=config.get("keep_checkpoints", 3),
        resume_from=(parts, header),
    )


def _train(
    *,
    env,
    agent,
    steps,
    seed,
    num_envs,
    hyperparameters,
    out,
    env_kwargs,
    eval_every,
    eval_episodes,
    progress,
    tensorboard,
    callback,
    callback_every,
    on_evaluation=None,
    tuned,
    hyperparameters_file=None,
    checkpoint_every,
    keep_checkpoints,
    resume_from=None,
) -> Run:
    if steps < 1:
        raise ValueError(f"steps must be at least 1, got {steps}")
    registry.check_env_id(env)
    sb3 = agent.startswith("sb3_")
    cls = None if sb3 else registry.agent_class(agent)
    if hyperparameters_file is not None:
        entry = tuned_hyperparameters(agent, env, hyperparameters_file)
    else:
        entry = tuned_hyperparameters(agent, env) if tuned else TunedEntry(agent, env)
    chosen = {**entry.hyperparameters, **(hyperparameters or {})}
    num_envs = num_envs or entry.num_envs or 1
    eval_env = registry.make_env(env, env_kwargs)
    if sb3:
        from rl_kit import baselines

        learner = baselines.build(agent, env, num_envs, seed, chosen, env_kwargs, steps)
        envs = learner.model.get_env()
        class_name = f"{type(learner.model).__module__}.{type(learner.model).__qualname__}"
    else:
        envs = registry.make_vector_env(env, num_envs, env_kwargs)
        learner = registry.make_agent(
            agent,
            envs.single_observation_space,
            envs.single_action_space,
            seed=seed,
            hyperparameters=chosen,
            env=eval_env,
        )
        class_name = f"{cls.__module__}.{cls.__qualname__}"
    directory = Path(out) if out is not None else default_run_directory(env, agent, seed)
    directory.mkdir(parents=True, exist_ok=True)
    eval_every = max(steps // 10, 1) if eval_every is None else eval_every
    config = {
        "env": env,
        "env_kwargs": dict(env_kwargs or {}),
        "agent": agent,
        "agent_class": class_name,
        "hyperparameters": learner.hyperparameters.to_dict(),
        "hyperparameters_file": entry.source,
        "hyperparameters_overridden": sorted(hyperparameters or {}),
        "seed": seed,
        "steps": steps,
        "num_envs": num_envs,
        "eval_every": eval_every,
        "eval_episodes": eval_episodes,
        "eval_seed": EVAL_SEED,
        "command": " ".join(sys.argv),
        "versions": library_versions(),
    }
    config.update(checkpoint_every=checkpoint_every, keep_checkpoints=keep_checkpoints)
    loop_state = None
    if resume_from is None:
        write_yaml(directory / "config.yaml", config)
    else:  # the run's own config.yaml stays; the checkpoint puts everything back where it was
        if sb3:
            raise RLKitError("resuming stable-baselines3 agents is not supported")
        parts, header = resume_from
        learner.load_training_state(parts["agent"], header["agent"])
        loop_state = LoopState.join(parts["loop"], header["loop"])
        if header["envs"] is not None and hasattr(envs, "load_training_state"):
            envs.load_training_state(parts["envs"], header["envs"])
        else:
            loop_state.obs, _ = envs.reset(seed=seed + loop_state.step)
            loop_state.episode_return[:] = 0.0
            loop_state.episode_length[:] = 0
            loop_state.resetting[:] = False

    def evaluate() -> dict[str, float]:
        return EvaluationResult(env, *run_episodes(learner, eval_env, eval_episodes, EVAL_SEED)).stats

    def save() -> None:
        if sb3:
            learner.save(directory, env, env_kwargs)
        else:
            save_agent(learner, directory, env_id=env, env_kwargs=env_kwargs)

    logger = RunLogger(
        directory, tensorboard=tensorboard, resume_after_step=None if loop_state is None else loop_state.step
    )
    loop_arguments = dict(
        steps=steps,
        logger=logger,
        progress=progress,
        eval_every=eval_every,
        evaluate=evaluate,
        callback=callback,
        callback_every=callback_every,
        on_evaluation=on_evaluation,
        description=f"{agent} on {env}",
    )
    try:
        if sb3:
            result = baselines.learn(learner, **loop_arguments)
        else:
            result = run_loop(
                learner,
                envs,
                seed=seed,
                log_every=max(min(1000, steps // 100), num_envs),
                state=loop_state,
                checkpoint=lambda state: save_checkpoint(directory, learner, envs, state, keep_checkpoints),
                checkpoint_every=checkpoint_every,
                **loop_arguments,
            )
    except FloatingPointError as error:  # a NaN or inf loss: the agent holds its last good update
        save()
        write_yaml(directory / "result.yaml", {"error": str(error), "interrupted": True})
        raise RLKitError(f"{error}. The last good agent is saved in {directory}") from None
    finally:
        logger.close()
        envs.close()
        eval_env.close()
    save()
    write_yaml(
        directory / "result.yaml",
        {
            "steps_done": result.steps,
            "episodes": result.episodes,
            "wall_time_s": round(result.wall_time, 3),
            "interrupted": result.interrupted,
            "recent_return": result.recent_return,
        },
    )
    return Run(directory, learner, env, config, result)
