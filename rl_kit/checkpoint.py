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

from rl_kit.atomic import atomic_path
from rl_kit.errors import AgentFileError, RLKitError

FORMAT_VERSION = 1
AGENT_FILE = "agent.safetensors"
SB3_FILE = "agent.zip"  # stable-baselines3's own format, with agent.json beside it


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


def agent_file(path: str | os.PathLike) -> Path:
    """The agent file of `path`: the file itself, or the saved agent in a run directory
    (``agent.safetensors``, or ``agent.zip`` for a stable-baselines3 agent)."""
    path = Path(path)
    if path.is_dir():
        return (
            path / SB3_FILE if (path / SB3_FILE).is_file() and not (path / AGENT_FILE).is_file() else path / AGENT_FILE
        )
    return path


def save_agent(agent, path: str | os.PathLike, *, env_id: str | None = None, env_kwargs: dict | None = None) -> Path:
    """Write `agent` (state and description) to `path`, a file or a run directory."""
    from safetensors.numpy import save_file

    path = agent_file(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    metadata = {
        "format_version": FORMAT_VERSION,
        "agent": agent.name,
        "hyperparameters": agent.hyperparameters.to_dict(),
        "observation_space": space_to_json(agent.observation_space),
        "action_space": space_to_json(agent.action_space),
        "env_id": env_id,
        "env_kwargs": env_kwargs or {},
    }
    tensors = {k: np.ascontiguousarray(v) for k, v in agent.state_dict().items()}
    with atomic_path(path) as temporary:
        save_file(tensors, str(temporary), metadata={"rl_kit": json.dumps(metadata)})
    return path


def read_metadata(path: str | os.PathLike) -> dict[str, Any]:
    """The JSON description of a saved agent, checked; raises AgentFileError."""
    from safetensors import safe_open

    file = agent_file(path)
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


def saved_env(path: str | os.PathLike) -> tuple[str | None, dict]:
    """The env id and kwargs a saved agent was trained on."""
    if agent_file(path).suffix == ".zip":
        from rl_kit.baselines import description

        metadata = description(agent_file(path))
        return metadata.get("env_id"), metadata.get("env_kwargs") or {}
    metadata = read_metadata(path)
    return metadata.get("env_id"), metadata.get("env_kwargs") or {}


def load_agent(path: str | os.PathLike):
    """Rebuild a saved agent from its file (or run directory); raises AgentFileError."""
    from safetensors.numpy import load_file

    from rl_kit.registry import agent_class

    file = agent_file(path)
    if file.suffix == ".zip" and file.is_file():
        from rl_kit.baselines import load

        return load(file)
    metadata = read_metadata(path)
    try:
        if not isinstance(metadata["agent"], str) or metadata["agent"].startswith("sb3_"):
            raise ValueError(f"agent {metadata['agent']!r} is not one of ours")
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
    """Raise a clear error if `agent` was built for other spaces than `env` has."""
    for role in ("observation_space", "action_space"):
        mine, theirs = getattr(agent, role), getattr(env, role)
        if mine != theirs:
            raise RLKitError(
                f"the agent's {role.replace('_', ' ')} is {mine}, but {env_id} has {theirs}: "
                "an agent only works on envs with the spaces it was trained on"
            )


# --- training checkpoints: what resuming a run needs ----------------------------------------
CHECKPOINT_DIRECTORY = "checkpoints"


def save_checkpoint(run_directory: Path, agent, envs, loop_state, keep: int = 3) -> Path:
    """Write ``checkpoints/step_<N>.safetensors`` (agent, envs, loop; no pickle), keep the last `keep`.

    Tensors go under the prefixes ``agent.``, ``envs.`` and ``loop.``; generator states and
    counters as JSON in the header. Envs without ``training_state`` (Gymnasium's) are not
    saved: a resumed run starts their episodes afresh.
    """
    from safetensors.numpy import save_file

    directory = Path(run_directory) / CHECKPOINT_DIRECTORY
    agent_arrays, agent_rest = agent.training_state()
    env_arrays, env_rest = envs.training_state() if hasattr(envs, "training_state") else ({}, None)
    loop_arrays, loop_rest = loop_state.split()
    tensors = {
        f"{prefix}.{k}": np.ascontiguousarray(v)
        for prefix, arrays in (("agent", agent_arrays), ("envs", env_arrays), ("loop", loop_arrays))
        for k, v in arrays.items()
    }
    header = {
        "format_version": FORMAT_VERSION,
        "step": loop_state.step,
        "agent": agent_rest,
        "envs": env_rest,
        "loop": loop_rest,
    }
    path = directory / f"step_{loop_state.step:012d}.safetensors"
    with atomic_path(path) as temporary:
        save_file(tensors, str(temporary), metadata={"rl_kit_checkpoint": json.dumps(header)})
    for old in sorted(directory.glob("step_*.safetensors"))[:-keep]:
        old.unlink()
    return path


def load_checkpoint(run_directory: Path) -> tuple[dict[str, dict[str, np.ndarray]], dict]:
    """The latest checkpoint of a run: arrays by part ("agent", "envs", "loop") and the header."""
    from safetensors import safe_open
    from safetensors.numpy import load_file

    files = sorted((Path(run_directory) / CHECKPOINT_DIRECTORY).glob("step_*.safetensors"))
    if not files:
        raise RLKitError(f"{run_directory} has no checkpoint to resume from (train with --checkpoint-every N)")
    try:
        with safe_open(str(files[-1]), framework="numpy") as f:
            header = json.loads((f.metadata() or {})["rl_kit_checkpoint"])
        tensors = load_file(str(files[-1]))
    except Exception as error:
        raise AgentFileError(f"{files[-1]} is not a readable checkpoint: {error}") from None
    parts: dict[str, dict[str, np.ndarray]] = {"agent": {}, "envs": {}, "loop": {}}
    for key, value in tensors.items():
        prefix, _, name = key.partition(".")
        parts[prefix][name] = value
    return parts, header
