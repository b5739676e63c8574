"""The two backends behind one interface, and the questions asked of an agent by name or file.

A backend turns a :class:`~rl_kit.core.spec.RunSpec` into a :class:`Trainer` and knows its
agents' names, search spaces and saved files:

- :data:`rl_kit.core.native_backend.BACKEND`: our agents on our run loop;
- :data:`rl_kit.core.sb3_backend.BACKEND`: stable-baselines3's algorithms on SB3's loop.

Everything else asks here (:func:`backend_for`, :func:`load_agent`, :func:`search_space`), so
no other module tells the two apart.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Protocol

from rl_kit.agents.search_space import SearchSpace
from rl_kit.core import native_backend, sb3_backend
from rl_kit.core.checkpoints import Checkpoint
from rl_kit.core.spec import EnvConfig, RunSpec
from rl_kit.core.supervisor import Supervisor, SupervisorState
from rl_kit.errors import AgentFileError, RLKitError, unknown_name


class Trainer(Protocol):
    """One run's agent and envs, built from its spec by a backend."""

    agent: Any  # has act(obs, *, explore) -> actions
    agent_class: str  # "module.Class", recorded in config.yaml

    def hyperparameters(self) -> dict[str, Any]: ...  # every hyperparameter, as recorded

    def learn(self, supervisor: Supervisor) -> None: ...  # until the budget, or the supervisor says stop

    def restore(self, checkpoint: Checkpoint) -> SupervisorState: ...  # resume where it left off

    def save(self, directory: Path, env: EnvConfig) -> Path: ...  # the saved agent's file

    def close(self) -> None: ...


class TrainerBackend(Protocol):
    file_name: str  # its saved agent's file name in a run directory

    def agent_names(self) -> tuple[str, ...]: ...

    def claims(self, agent: str) -> bool: ...

    def build(self, spec: RunSpec, directory: Path) -> Trainer: ...

    def search_space(self, agent: str) -> SearchSpace: ...

    def describe(self, agent: str) -> str: ...

    def load(self, file: Path) -> Any: ...

    def saved_env(self, file: Path) -> EnvConfig | None: ...


TRAINER_BACKENDS: tuple[TrainerBackend, ...] = (native_backend.BACKEND, sb3_backend.BACKEND)


def agent_names() -> tuple[str, ...]:
    """Every agent name `rl-kit list` shows."""
    return tuple(name for backend in TRAINER_BACKENDS for name in backend.agent_names())


def backend_for(agent: str) -> TrainerBackend:
    """The backend of agent `agent`; an unknown name gets an error with the closest ones."""
    if isinstance(agent, str):
        for backend in TRAINER_BACKENDS:
            if backend.claims(agent):
                return backend
    raise unknown_name("agent", str(agent), agent_names())


def search_space(agent: str) -> SearchSpace:
    """What ``rl-kit tune`` varies for `agent` (empty when nothing is tunable)."""
    return backend_for(agent).search_space(agent)


def agent_file(path: str | os.PathLike) -> tuple[TrainerBackend, Path]:
    """The saved agent at `path` (its file, or a run directory holding one) and its backend."""
    path = Path(path)
    if path.is_dir():
        for backend in TRAINER_BACKENDS:
            if (path / backend.file_name).is_file():
                return backend, path / backend.file_name
        raise AgentFileError(f"no saved agent in {path} (no {' or '.join(b.file_name for b in TRAINER_BACKENDS)})")
    if not path.is_file():
        raise AgentFileError(f"no saved agent at {path}" + (" (not a regular file)" if path.exists() else ""))
    for backend in TRAINER_BACKENDS[1:]:
        if path.suffix == Path(backend.file_name).suffix:
            return backend, path
    return TRAINER_BACKENDS[0], path  # ours, or an error that says what is wrong with the file


def load_agent(path: str | os.PathLike):
    """Rebuild a saved agent from its file (or run directory), ours or SB3's; raises AgentFileError."""
    backend, file = agent_file(path)
    return backend.load(file)


def saved_env(path: str | os.PathLike) -> EnvConfig | None:
    """The env a saved agent was trained on (None if its file names none)."""
    backend, file = agent_file(path)
    return backend.saved_env(file)


def load_agent_and_env(
    path: str | os.PathLike, env: str | EnvConfig | None = None, max_episode_steps: int | None = None
) -> tuple[Any, EnvConfig]:
    """A saved agent and the env to play it on: `env`, by default the one it was trained on.

    An env id equal to the one it was trained on means that env with its options too
    (``--env-kwarg slip=0`` at training stays); an :class:`EnvConfig` is taken as it is.
    `max_episode_steps` overrides the env's time limit.
    """
    agent = load_agent(path)
    trained = saved_env(path)
    limit = {} if max_episode_steps is None else {"max_episode_steps": max_episode_steps}
    if env is None:
        if trained is None:
            raise RLKitError(f"{path} does not say which env it was trained on: name one")
        return agent, EnvConfig.of(trained, limit)
    if isinstance(env, str) and trained is not None and env == trained.id:
        return agent, EnvConfig.of(trained, limit)
    return agent, EnvConfig.of(env, limit)
