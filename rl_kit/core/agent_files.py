"""Saved agents: tensors in safetensors, metadata as JSON in the same file. No pickle.

A saved agent is one ``.safetensors`` file. Its header's metadata holds, under ``rl_kit``, a
JSON object: format version, agent name, hyperparameters, observation and action spaces, and
the env it was trained on. Loading parses only that JSON and raw arrays, so a file from a
stranger cannot run code; anything wrong with it raises :class:`AgentFileError`.

Nor can it exhaust memory: every size the metadata declares (spaces, network widths) is
checked against the tensors the file really holds, and against sane bounds, before anything
is allocated; only regular, non-sparse files are opened; the env it names may not point at a
local file or change how rl-kit renders (:func:`saved_env`).
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
from gymnasium import spaces

from rl_kit.agents.base import describe
from rl_kit.agents.networks import ImageTorso, is_image
from rl_kit.core.spec import EnvConfig, refuse_paths
from rl_kit.errors import AgentFileError, RLKitError
from rl_kit.infrastructure.atomic_files import write_safetensors

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
    if isinstance(space, spaces.MultiDiscrete) and space.nvec.ndim == 1:
        return {"type": "MultiDiscrete", "nvec": space.nvec.tolist(), "start": space.start.tolist()}
    if isinstance(space, spaces.MultiBinary) and np.ndim(space.n) == 0:
        return {"type": "MultiBinary", "n": int(np.asarray(space.n))}
    if isinstance(space, spaces.Tuple):
        return {"type": "Tuple", "spaces": [space_to_json(member) for member in space.spaces]}
    if isinstance(space, spaces.Dict):
        return {"type": "Dict", "spaces": {key: space_to_json(member) for key, member in space.spaces.items()}}
    raise RLKitError(
        f"cannot save an agent for the space {describe(space)}: Discrete, Box, MultiDiscrete, MultiBinary, Tuple and Dict are supported"
    )


MAX_SPACE_SIZE = 2**31  # values of a Discrete space, elements of a Box: beyond any agent we build
BOX_DTYPES = ("float16", "float32", "float64", "int8", "int16", "int32", "int64", "uint8", "uint16", "uint32")


def space_from_json(data: dict[str, Any]) -> spaces.Space:
    """The space a JSON description gives, checked before anything of its size is allocated."""
    if not isinstance(data, dict):
        raise ValueError(f"a space must be a JSON object, got {type(data).__name__}")
    kind = str(data.get("type"))
    if kind not in SPACE_READERS:
        raise ValueError(f"unknown space type {kind!r}")
    needed, read = SPACE_READERS[kind]
    missing = [key for key in needed if key not in data]
    if missing:
        raise ValueError(f"a {kind} space needs {', '.join(missing)}")
    return read(data)


def discrete_from_json(data: dict[str, Any]) -> spaces.Space:
    n, start = int(data["n"]), int(data.get("start", 0))
    if not 1 <= n <= MAX_SPACE_SIZE:
        raise ValueError(f"a Discrete space of {n} values is out of bounds")
    return spaces.Discrete(n, start=start)


def composite_from_json(data: dict[str, Any]) -> spaces.Space:
    """A Tuple (members as a list) or Dict (as an object) of 1 to 64 member spaces."""
    kind, members = data["type"], data["spaces"]
    if not isinstance(members, dict if kind == "Dict" else list) or not 1 <= len(members) <= 64:
        raise ValueError(f"a {kind} space needs 1 to 64 member spaces, got {members!r}"[:200])
    if isinstance(members, list):
        return spaces.Tuple([space_from_json(member) for member in members])
    return spaces.Dict({str(key): space_from_json(member) for key, member in members.items()})


def parts_from_json(data: dict[str, Any]) -> spaces.Space:
    """A MultiBinary of `n` parts or a MultiDiscrete of sizes `nvec` and `start`, 1 to 64 parts."""
    kind = data["type"]
    sizes = data["nvec"] if kind == "MultiDiscrete" else data["n"]
    count = len(sizes) if isinstance(sizes, list) else sizes
    if not isinstance(count, int) or not 1 <= count <= 64:
        raise ValueError(f"a {kind} space of {sizes!r} parts is out of bounds"[:200])
    if kind == "MultiBinary":
        return spaces.MultiBinary(count)
    starts = data["start"]
    if not isinstance(starts, list) or len(starts) != count:
        raise ValueError("a MultiDiscrete space needs one start per part")
    if not all(isinstance(n, int) and 1 <= n <= MAX_SPACE_SIZE for n in sizes):
        raise ValueError(f"a MultiDiscrete space of sizes {sizes!r} is out of bounds"[:200])
    return spaces.MultiDiscrete(sizes, start=[int(x) for x in starts])


def box_from_json(data: dict[str, Any]) -> spaces.Space:
    shape = data["shape"]
    if not isinstance(shape, list) or not all(isinstance(d, int) and d >= 0 for d in shape) or len(shape) > 8:
        raise ValueError(f"a Box shape must be a short list of sizes, got {shape!r}")
    if int(np.prod(shape, dtype=np.float64)) > MAX_SPACE_SIZE or data["dtype"] not in BOX_DTYPES:
        raise ValueError(f"a Box of shape {shape} and dtype {data['dtype']!r} is out of bounds")
    return spaces.Box(
        np.array(data["low"], dtype=data["dtype"]),
        np.array(data["high"], dtype=data["dtype"]),
        shape=tuple(shape),
        dtype=data["dtype"],
    )


# Each space type: the keys its description needs, and what reads it.
SPACE_READERS: dict[str, tuple[tuple[str, ...], Callable[[dict[str, Any]], spaces.Space]]] = {
    "Discrete": (("n",), discrete_from_json),
    "Box": (("shape", "dtype", "low", "high"), box_from_json),
    "MultiDiscrete": (("nvec", "start"), parts_from_json),
    "MultiBinary": (("n",), parts_from_json),
    "Tuple": (("spaces",), composite_from_json),
    "Dict": (("spaces",), composite_from_json),
}


def save_agent(agent, path: str | os.PathLike, *, env: EnvConfig | None = None) -> Path:
    """Write `agent` (state and description) to `path`, a file or a run directory
    (``<run>/agent.safetensors``); `env` is recorded as the env it was trained on."""
    path = Path(path)
    path = path / AGENT_FILE if path.is_dir() else path
    path.parent.mkdir(parents=True, exist_ok=True)
    metadata = {
        "format_version": FORMAT_VERSION,
        "agent": agent.name,
        "hyperparameters": agent.hyperparameters.to_dict(),
        "observation_space": space_to_json(agent.observation_space),
        "action_space": space_to_json(agent.action_space),
        **env_description(env),
    }
    tensors = {k: np.ascontiguousarray(v) for k, v in agent.state_dict().items()}
    return write_safetensors(path, tensors, {"rl_kit": json.dumps(metadata)})


def env_description(env: EnvConfig | None) -> dict[str, Any]:
    """What a saved agent records of the env it was trained on (read back by :func:`saved_env`):
    its id and options, and where the run set them its time limit (an agent trained on 100-step
    episodes is evaluated on them) and its frame stack (the agent sees k frames at once)."""
    if env is None:
        return {"env_id": None, "env_kwargs": {}}
    described: dict[str, Any] = {"env_id": env.id, "env_kwargs": dict(env.kwargs)}
    if env.max_episode_steps is not None:
        described["max_episode_steps"] = env.max_episode_steps
    if env.frame_stack > 1:
        described["frame_stack"] = env.frame_stack
    return described


def check_regular_file(file: Path) -> None:
    """Open only a regular file that holds its bytes: a FIFO would block, and a sparse file can
    declare gigabytes that reading would allocate."""
    if not file.is_file():
        raise AgentFileError(f"no saved agent at {file} (or not a regular file)")
    status = file.stat()
    if status.st_size > 1 << 20 and status.st_blocks * 512 < status.st_size // 2:
        raise AgentFileError(f"{file} is a sparse file ({status.st_size:,} bytes, mostly holes): not a saved agent")


def tensor_sizes(file: Path) -> dict[str, int]:
    """The number of elements of each tensor the file holds, read from its header only."""
    from safetensors import safe_open

    with safe_open(str(file), framework="numpy") as f:
        return {key: int(np.prod(f.get_slice(key).get_shape(), dtype=np.int64)) for key in f.keys()}


def read_metadata(file: Path) -> dict[str, Any]:
    """The JSON description of a saved agent, checked; raises AgentFileError."""
    from safetensors import safe_open

    check_regular_file(file)
    try:
        with safe_open(str(file), framework="numpy") as f:
            header = f.metadata() or {}
    except Exception as error:  # safetensors raises its own error types for every kind of damage
        raise AgentFileError(f"{file} is not a readable agent file (damaged or not safetensors): {error}") from None
    if "rl_kit" not in header:
        raise AgentFileError(f"{file} is a safetensors file but not an rl-kit agent (no rl_kit metadata)")
    try:
        metadata = json.loads(header["rl_kit"])
    except (json.JSONDecodeError, RecursionError) as error:  # deep nesting overflows the parser
        raise AgentFileError(f"{file} has damaged rl-kit metadata: {type(error).__name__}") from None
    version = metadata.get("format_version") if isinstance(metadata, dict) else None
    if version != FORMAT_VERSION:
        raise AgentFileError(f"{file} has format version {version!r}; this rl-kit reads version {FORMAT_VERSION}")
    missing = {"agent", "hyperparameters", "observation_space", "action_space"} - set(metadata)
    if missing:
        raise AgentFileError(f"{file} metadata lacks {sorted(missing)}")
    return metadata


# Options a saved file may not set: they change how rl-kit shows an env, not which env it is.
PRESENTATION_OPTIONS = ("render_mode",)


def saved_env(metadata: dict[str, Any]) -> EnvConfig | None:
    """The env a saved agent's description says it was trained on (None if it names none).

    The description may come from a stranger, so its options are only values: one that names a
    file or folder (a grid map given as a path, ``../../etc/hostname``) is refused without
    opening it, and rendering options are dropped.
    """
    if metadata.get("env_id") is None:
        return None
    kwargs = metadata.get("env_kwargs") or {}
    if not isinstance(kwargs, dict):
        raise AgentFileError("the saved agent's env options are not a JSON object")
    try:
        refuse_paths(kwargs, "the saved agent")
    except RLKitError as error:
        raise AgentFileError(str(error)) from None
    kwargs = {k: v for k, v in kwargs.items() if k not in PRESENTATION_OPTIONS}
    check_map_fits(kwargs.get("map"), metadata.get("observation_space"))
    try:
        return EnvConfig(metadata["env_id"], kwargs, max_episode_steps=metadata.get("max_episode_steps"),
                         frame_stack=metadata.get("frame_stack", 1))  # fmt: skip
    except (RLKitError, TypeError, ValueError) as error:
        raise AgentFileError(f"the saved agent names an env that cannot be used: {error}") from None


def check_map_fits(map_text: Any, observation_space: Any) -> None:
    """A grid map's cells against the Discrete observation space the agent declares, from the
    text alone: the env (and its transition table) is built only for a map that fits."""
    if not isinstance(map_text, str) or not isinstance(observation_space, dict):
        return
    if observation_space.get("type") != "Discrete" or not isinstance(observation_space.get("n"), int):
        return
    rows = [row.strip() for row in map_text.splitlines() if row.strip()]
    cells = len(rows) * len(rows[0]) if rows else 0
    if cells != observation_space["n"]:
        raise AgentFileError(
            f"the saved agent declares {observation_space['n']:,} states, but the map it names has {cells:,} cells: "
            "refused before the env is built"
        )


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
        hyperparameters = cls.Hyperparameters.from_dict(metadata["hyperparameters"], agent=cls.name)
        declared, held = (
            declared_size(hyperparameters, observation_space, action_space),
            sum(tensor_sizes(file).values()),
        )
        if declared > held + 1024:
            raise ValueError(f"its metadata declares {declared:,} learned values, but the file holds {held:,}")
        agent = cls(observation_space, action_space, **dict(metadata["hyperparameters"]))
    except Exception as error:  # whatever the JSON says, a stranger's file gets our error
        raise AgentFileError(f"{file} describes an agent that cannot be built: {error}") from None
    try:
        state = load_file(str(file))
    except Exception as error:
        raise AgentFileError(f"{file} holds damaged tensors: {error}") from None
    refuse_non_finite(file, state)
    try:
        agent.load_state_dict(state)
    except Exception as error:
        raise AgentFileError(f"{file} holds mismatched tensors: {error}") from None
    return agent


def refuse_non_finite(file: Path, state: dict[str, np.ndarray]) -> None:
    """Raise AgentFileError if a learned value is NaN or infinite: such an agent would act as if
    every value were equal (the greedy action always 0), and say nothing."""
    for key, value in state.items():
        if value.dtype.kind == "f" and not np.isfinite(value).all():
            count = int(np.count_nonzero(~np.isfinite(value)))
            raise AgentFileError(f"{file} holds {count:,} NaN or infinite values in {key!r}: not a usable agent")


def declared_size(hyperparameters, observation_space: spaces.Space, action_space: spaces.Space) -> int:
    """How many values an agent built from this description learns (a floor): its table, or its
    networks' weights. Every one of them is in its saved file, so a larger figure is a lie."""
    inputs, outputs = spaces.flatdim(observation_space), spaces.flatdim(action_space)
    if not hasattr(hyperparameters, "hidden"):
        return inputs * outputs
    torso = 0
    if hasattr(hyperparameters, "convolutions") and is_image(observation_space):
        # the torso's kernels and the width they hand the MLP, from the layout alone: a file
        # that declares huge kernels is refused here, before anything is allocated
        layout = ImageTorso(observation_space, hyperparameters.convolutions(), "", "the saved agent")
        torso, inputs = layout.parameter_count(), layout.features
    widths = [inputs, *hyperparameters.hidden()]
    return torso + sum(a * b for a, b in zip(widths, widths[1:], strict=False)) * 2 + widths[-1] * (outputs + 1)


def check_spaces(agent, env, env_id: str) -> None:
    """Raise a clear error if `agent` was built for other spaces than `env` (named `env_id`) has."""
    for role in ("observation_space", "action_space"):
        mine, theirs = getattr(agent, role), getattr(env, role)
        if mine != theirs:
            raise RLKitError(
                f"the agent's {role.replace('_', ' ')} is {mine}, but {env_id} has {theirs}: "
                "an agent only works on envs with the spaces it was trained on"
            )
