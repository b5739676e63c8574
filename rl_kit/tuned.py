"""Tuned hyperparameters as files, RL Zoo style: ``rl_kit/hyperparams/<agent>.yml``.

Each file maps env ids to an entry of hyperparameters, plus two run settings: ``num_envs``
(envs stepped together) and ``n_timesteps`` (a sensible budget). ``train`` starts from the
entry of its env, records which file and entry it used, and lets explicit values override.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

HYPERPARAMETER_DIRECTORY = Path(__file__).parent / "hyperparams"
RUN_SETTINGS = ("num_envs", "n_timesteps")


@dataclass
class TunedEntry:
    """The entry of one (agent, env) pair; empty when the file has none."""

    agent: str
    env_id: str
    file: Path | None = None
    hyperparameters: dict[str, Any] = field(default_factory=dict)
    num_envs: int | None = None
    n_timesteps: int | None = None

    @property
    def source(self) -> str | None:
        return f"{self.file.name}#{self.env_id}" if self.file else None


def tuned_hyperparameters(agent: str, env_id: str) -> TunedEntry:
    path = HYPERPARAMETER_DIRECTORY / f"{agent}.yml"
    if not path.is_file():
        return TunedEntry(agent, env_id)
    entries = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    if env_id not in entries:
        return TunedEntry(agent, env_id)
    entry = dict(entries[env_id])
    settings = {key: entry.pop(key, None) for key in RUN_SETTINGS}
    return TunedEntry(agent, env_id, path, entry, settings["num_envs"], settings["n_timesteps"])
