"""Training checkpoints: what resuming a run needs, in ``checkpoints/step_<N>.safetensors``. No pickle.

Tensors go under the prefixes ``agent.``, ``envs.`` and ``loop.``; generator states and the
supervisor's counters as JSON in the header. Envs without ``training_state`` (Gymnasium's)
are not saved: a resumed run starts their episodes afresh.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from rl_kit.core.supervisor import SupervisorState
from rl_kit.errors import AgentFileError, RLKitError
from rl_kit.infrastructure.atomic_files import atomic_path

FORMAT_VERSION = 2
CHECKPOINT_DIRECTORY = "checkpoints"
PARTS = ("agent", "envs", "loop")


@dataclass
class Checkpoint:
    """A checkpoint read back: arrays by part (``agent``, ``envs``, ``loop``) and the JSON header."""

    arrays: dict[str, dict[str, np.ndarray]]
    header: dict

    @property
    def supervisor(self) -> SupervisorState:
        return SupervisorState(**self.header["supervisor"])


def save_checkpoint(
    run_directory: Path, agent, envs, loop_arrays: dict[str, np.ndarray], supervisor: SupervisorState, keep: int = 3
) -> Path:
    """Write the checkpoint of step ``supervisor.step`` and keep the last `keep`."""
    from safetensors.numpy import save_file

    directory = Path(run_directory) / CHECKPOINT_DIRECTORY
    agent_arrays, agent_rest = agent.training_state()
    env_arrays, env_rest = envs.training_state() if hasattr(envs, "training_state") else ({}, None)
    tensors = {
        f"{prefix}.{k}": np.ascontiguousarray(v)
        for prefix, arrays in zip(PARTS, (agent_arrays, env_arrays, loop_arrays), strict=True)
        for k, v in arrays.items()
    }
    header = {
        "format_version": FORMAT_VERSION,
        "step": supervisor.step,
        "agent": agent_rest,
        "envs": env_rest,
        "supervisor": supervisor.to_dict(),
    }
    path = directory / f"step_{supervisor.step:012d}.safetensors"
    with atomic_path(path) as temporary:
        save_file(tensors, str(temporary), metadata={"rl_kit_checkpoint": json.dumps(header)})
    for old in sorted(directory.glob("step_*.safetensors"))[:-keep]:
        old.unlink()
    return path


def load_checkpoint(run_directory: Path) -> Checkpoint:
    """The latest checkpoint of a run."""
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
    if header.get("format_version") != FORMAT_VERSION:
        raise AgentFileError(
            f"{files[-1]} has checkpoint format {header.get('format_version')!r}; this rl-kit reads {FORMAT_VERSION}"
        )
    arrays: dict[str, dict[str, np.ndarray]] = {part: {} for part in PARTS}
    for key, value in tensors.items():
        prefix, _, name = key.partition(".")
        arrays[prefix][name] = value
    return Checkpoint(arrays, header)
