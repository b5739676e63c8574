"""Saved agents: tensors in safetensors, metadata as JSON in the same file. No pickle.

A saved agent is one ``.safetensors`` file. Its header's metadata holds, under ``rl_kit``, a
JSON object: format version, agent name, hyperparameters, observation and action spaces, and
the env it was trained on. Loading parses only that JSON and raw arrays, so a file from a
stranger cannot run code; anything wrong with it raises :class:`AgentFileError`.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import numpy as np
from gymnasium import spaces

from rl_kit.core.spec import EnvSpec
from rl_kit.errors import AgentFileError, RLKitError
from rl_kit.infrastructure.atomic_files import atomic_path

FORMAT_VERSION = 1
AGENT_FILE = "agent.safetensors"


def space_to_json(space: spaces.Space) -> dict[str, Any]:
    if isinstance(space, spaces.Discrete):
        return {"type": "Discrete", "n": int(space.n), "start": int(space.start)}
    if isinstance(space, spaces.Box):
        return {
            "type": "Box",
            "shape": list(space.shape),
            "dtype": str(space.dtype),
            "low": space.low.tolist(),
            "high": space.high.tolist(),
        }
    raise RLKitError(f"cannot save an agent for the space {space}: only Discrete and Box are supported")


def space_from_json(data: dict[str, Any]) -> spaces.Space:
    if not isinstance(data, dict):
        raise ValueError(f"a space must be a JSON object, got {type(data).__name__}")
    kind = data.get("type")
    if kind == "Discrete":
        return spaces.Discrete(int(data["n"]), start=int(data.get("start", 0)))
    if kind == "Box":
        return spaces.Box(
            np.array(data["low"], dtype=data["dtype"]),
            np.array(data["high"], dtype=data["dtype"]),
            shape=tuple(data["shape"]),
            dtype=data["dtype"],
        )
    raise ValueError(f"unknown space type {kind!r}")


def save_agent(agent, path: str | os.PathLike, *, env: EnvSpec | None = None) -> Path:
    """Write `agent` (state and description) to `path`, a file or a run directory
    (``<run>/agent.safetensors``); `env` is recorded as the env it was trained on."""
    from safetensors.numpy import save_file

    path = Path(path)
    path = path / AGENT_FILE if path.is_dir() else path
    path.parent.mkdir(parents=True, exist_ok=True)
    metadata = {
        "format_version": FORMAT_VERSION,
        "agent": agent.name,
        "hyperparameters": agent.hyperparameters.to_dict(),
        "observation_space": space_to_json(agent.observation_space),
        "action_space": space_to_json(agent.action_space),
        "env_id": None if env is None else env.id,
        "env_kwargs": {} if env is None else dict(env.kwargs),
    }
    tensors = {k: np.ascontiguousarray(v) for k, v in agent.state_dict().items()}
    with atomic_path(path) as temporary:
        save_file(tensors, str(temporary), metadata={"rl_kit": json.dumps(metadata)})
    return path


def read_metadata(file: Path) -> dict[str, Any]:
    """The JSON description of a saved agent, checked; raises AgentFileError."""
    from safetensors import safe_open

    if not file.is_file():
        raise AgentFileError(f"no saved agent at {file}")
    try:
        with safe_open(str(file), framework="numpy") as f:
            header = f.metadata() or {}
    except Exception as error:  # safetensors raises its own error types for every kind of damage
        raise AgentFileError(f"{file} is not a readable agent file (damaged or not safetensors): {error}") from None
    if "rl_kit" not in header:
        raise AgentFileError(f"{file} is a safetensors file but not an rl-kit agent (no rl_kit metadata)")
    try:
        metadata = json.loads(header["rl_kit"])
    except json.JSONDecodeError as error:
        raise AgentFileError(f"{file} has damaged rl-kit metadata: {error}") from None
    version = metadata.get("format_version") if isinstance(metadata, dict) else None
    if version != FORMAT_VERSION:
        raise AgentFileError(f"{file} has format version {version!r}; this rl-kit reads version {FORMAT_VERSION}")
    missing = {"agent", "hyperparameters", "observation_space", "action_space"} - set(metadata)
    if missing:
        raise AgentFileError(f"{file} metadata lacks {sorted(missing)}")
    return metadata


def saved_env(metadata: dict[str, Any]) -> EnvSpec | None:
    """The env a saved agent's description says it was trained on (None if it names none)."""
    if metadata.get("env_id") is None:
        return None
    try:
        return EnvSpec(metadata["env_id"], metadata.get("env_kwargs") or {})
    except (RLKitError, TypeError, ValueError) as error:
        raise AgentFileError(f"the saved agent names an env that cannot be used: {error}") from None


def load(file: Path):
    """Rebuild one of our saved agents from its file; raises AgentFileError."""
    from safetensors.numpy import load_file

    from rl_kit.core.registry import agent_class

    metadata = read_metadata(file)
    try:
        if not isinstance(metadata["agent"], str):
            raise ValueError(f"agent {metadata['agent']!r} is not a name")
        cls = agent_class(metadata["agent"])
        observation_space = space_from_json(metadata["observation_space"])
        action_space = space_from_json(metadata["action_space"])
        agent = cls(observation_space, action_space, **dict(metadata["hyperparameters"]))
    except Exception as error:  # whatever the JSON says, a stranger's file gets our error
        raise AgentFileError(f"{file} describes an agent that cannot be built: {error}") from None
    try:
        state = load_file(str(file))
        agent.load_state_dict(state)
    except Exception as error:
        raise AgentFileError(f"{file} holds damaged or mismatched tensors: {error}") from None
    return agent


def check_spaces(agent, env, env_id: str) -> None:
    """Raise a clear error if `agent` was built for other spaces than `env` (named `env_id`) has."""
    for role in ("observation_space", "action_space"):
        mine, theirs = getattr(agent, role), getattr(env, role)
        if mine != theirs:
            raise RLKitError(
                f"the agent's {role.replace('_', ' ')} is {mine}, but {env_id} has {theirs}: "
                "an agent only works on envs with the spaces it was trained on"
            )
