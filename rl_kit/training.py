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
from rl_kit.checkpoint import AGENT_FILE, save_agent
from rl_kit.errors import RLKitError
from rl_kit.evaluation import EvaluationResult, run_episodes
from rl_kit.logs import RunLogger
from rl_kit.loop import LoopResult, run_loop
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
    env: str,
    agent: str,
    *,
    steps: int,
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
    tuned: bool = True,
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
        tuned: start from ``rl_kit/hyperparams/<agent>.yml``'s entry for `env` (where it has one).
    Returns:
        the :class:`Run`, with its directory and trained agent.
    Ctrl-C stops training early; the agent learned so far is saved all the same.
    """
    if steps < 1:
        raise ValueError(f"steps must be at least 1, got {steps}")
    registry.check_env_id(env)
    sb3 = agent.startswith("sb3_")
    cls = None if sb3 else registry.agent_class(agent)
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
    write_yaml(directory / "config.yaml", config)

    def evaluate() -> dict[str, float]:
        return EvaluationResult(env, *run_episodes(learner, eval_env, eval_episodes, EVAL_SEED)).stats

    def save() -> None:
        if sb3:
            learner.save(directory, env, env_kwargs)
        else:
            save_agent(learner, directory, env_id=env, env_kwargs=env_kwargs)

    logger = RunLogger(directory, tensorboard=tensorboard)
    loop_arguments = dict(
        steps=steps,
        logger=logger,
        progress=progress,
        eval_every=eval_every,
        evaluate=evaluate,
        callback=callback,
        callback_every=callback_every,
        description=f"{agent} on {env}",
    )
    try:
        if sb3:
            result = baselines.learn(learner, **loop_arguments)
        else:
            result = run_loop(
                learner, envs, seed=seed, log_every=max(min(1000, steps // 100), num_envs), **loop_arguments
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
