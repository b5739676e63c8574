"""Training checkpoints: what resuming a run needs, in ``checkpoints/step_<N>.safetensors``. No pickle.

Tensors go under the prefixes ``agent.``, ``envs.`` and ``loop.``; generator states and the
supervisor's counters as JSON in the header. Envs without ``training_state`` (Gymnasium's)
are not saved: a resumed run starts their episodes afresh.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from rl_kit.core.capabilities import ResumableEnvs
from rl_kit.core.supervisor import SupervisorState
from rl_kit.errors import AgentFileError, RLKitError
from rl_kit.infrastructure.atomic_files import write_safetensors

FORMAT_VERSION = 2
CHECKPOINT_DIRECTORY = "checkpoints"
PARTS = ("agent", "envs", "loop")


@dataclass
class Checkpoint:
    """A checkpoint read back: arrays by part (``agent``, ``envs``, ``loop``) and the JSON header;
    `skipped` names the newer checkpoints that could not be read, each with why."""

    path: Path
    arrays: dict[str, dict[str, np.ndarray]]
    header: dict
    skipped: list[str] = field(default_factory=list)

    @property
    def supervisor(self) -> SupervisorState:
        return SupervisorState(**self.header["supervisor"])


def save_checkpoint(
    run_directory: Path,
    agent,
    envs,
    loop_arrays: dict[str, np.ndarray],
    supervisor: SupervisorState,
    keep: int = 3,
    run: dict[str, str] | None = None,
) -> Path:
    """Write the checkpoint of step ``supervisor.step`` and keep the last `keep`; `run` names the
    agent and env that wrote it (``{"agent": "q_learning", "env": "rl_kit/GridWorld-v0"}``), so
    that a config edited to name another is refused on resume."""
    directory = Path(run_directory) / CHECKPOINT_DIRECTORY
    agent_arrays, agent_rest = agent.training_state()
    env_arrays, env_rest = envs.training_state() if isinstance(envs, ResumableEnvs) else ({}, None)
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
        "run": run or {},
    }
    path = directory / f"step_{supervisor.step:012d}.safetensors"
    write_safetensors(path, tensors, {"rl_kit_checkpoint": json.dumps(header)})
    for old in sorted(directory.glob("step_*.safetensors"))[:-keep]:
        if old.is_file() and not old.is_symlink():  # only our own files (the run refused links when it began)
            old.unlink()
    return path


def read_checkpoint(path: Path) -> Checkpoint:
    """One checkpoint file; AgentFileError says what is wrong with it. Only a regular file is
    opened (a FIFO named like a checkpoint would block forever)."""
    from safetensors import safe_open
    from safetensors.numpy import load_file

    if not path.is_file():
        raise AgentFileError(f"{path} is not a regular file")
    try:
        with safe_open(str(path), framework="numpy") as f:
            header = json.loads((f.metadata() or {})["rl_kit_checkpoint"])
        if not isinstance(header, dict) or header.get("format_version") != FORMAT_VERSION:
            version = header.get("format_version") if isinstance(header, dict) else None
            raise ValueError(f"checkpoint format {version!r}; this rl-kit reads {FORMAT_VERSION}")
        SupervisorState(**header["supervisor"])  # the counters are whole
        tensors = load_file(str(path))
        arrays: dict[str, dict[str, np.ndarray]] = {part: {} for part in PARTS}
        for key, value in tensors.items():
            prefix, _, name = key.partition(".")
            arrays[prefix][name] = value
    except Exception as error:  # safetensors, JSON and our own checks each raise their own kind
        raise AgentFileError(f"{path} is not a readable checkpoint: {error}") from None
    return Checkpoint(path, arrays, header)


def load_checkpoint(run_directory: Path) -> Checkpoint:
    """The newest checkpoint of a run that can be read; the newer damaged ones are named in its
    ``skipped``. A run whose every checkpoint is damaged gets an error naming each."""
    files = sorted((Path(run_directory) / CHECKPOINT_DIRECTORY).glob("step_*.safetensors"), reverse=True)
    if not files:
        raise RLKitError(f"{run_directory} has no checkpoint to resume from (train with --checkpoint-every N)")
    skipped = []
    for path in files:
        try:
            checkpoint = read_checkpoint(path)
        except AgentFileError as error:
            skipped.append(str(error))
            continue
        checkpoint.skipped = skipped
        return checkpoint
    raise AgentFileError(f"{run_directory} has no readable checkpoint: {'; '.join(skipped)}")
