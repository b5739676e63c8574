"""Tuned hyperparameters as files, RL Zoo style: ``rl_kit/hyperparams/<agent>.yml``.

Each file maps env ids to an entry of hyperparameters, plus two run settings: ``num_envs``
(envs stepped together) and ``n_timesteps`` (a sensible budget). ``train`` starts from the
entry of its env, records which file and entry it used, and lets explicit values override.
Another file in the same format (``best.yml`` from ``rl-kit tune``) can stand in for the built-in one.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from rl_kit.errors import RLKitError
from rl_kit.infrastructure.yaml_text import read_yaml_file

HYPERPARAMETER_DIRECTORY = Path(__file__).parents[1] / "hyperparams"  # rl_kit/hyperparams
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
        if self.file is None:
            return None
        name = self.file.name if self.file.parent == HYPERPARAMETER_DIRECTORY else str(self.file)
        return f"{name}#{self.env_id}"


def tuned_hyperparameters(agent: str, env_id: str, file: str | Path | None = None) -> TunedEntry:
    """The entry for `env_id` in `agent`'s built-in file (empty if none), or in `file`, which must have one."""
    path = HYPERPARAMETER_DIRECTORY / f"{agent}.yml" if file is None else Path(file)
    if file is None and not path.is_file():
        return TunedEntry(agent, env_id)
    entries = read_yaml_file(path, "hyperparameter file") or {}
    if not isinstance(entries, dict) or not all(isinstance(v, dict) for v in entries.values()):
        raise RLKitError(f"hyperparameter file {path} must map env ids to entries of hyperparameters")
    if env_id not in entries:
        if file is not None:
            raise RLKitError(f"{path} has no entry for {env_id}; its entries: {', '.join(map(str, entries)) or 'none'}")
        return TunedEntry(agent, env_id)
    entry = dict(entries[env_id])
    settings = {key: entry.pop(key, None) for key in RUN_SETTINGS}
    for key, value in settings.items():  # RL Zoo files write budgets as floats (1e6)
        if value is None:
            continue
        if isinstance(value, bool) or not isinstance(value, (int, float)) or value != int(value) or value < 1:
            raise RLKitError(
                f"{path}'s entry for {env_id}: {key} must be a whole number of at least 1, got {value!r}"[:300]
            )
        settings[key] = int(value)
    return TunedEntry(agent, env_id, path, entry, settings["num_envs"], settings["n_timesteps"])


def starting_entry(agent: str, env_id: str, *, tuned: bool = True, file: str | Path | None = None) -> TunedEntry:
    """Where a run's values start: `file`'s entry for `env_id` (it must have one), else the
    built-in tuned entry (`tuned`), else none (the agent's defaults). An unknown agent fails
    here, before any file is read."""
    from rl_kit.core.backends import backend_for

    backend_for(agent)
    if file is not None:
        return tuned_hyperparameters(agent, env_id, file)
    return tuned_hyperparameters(agent, env_id) if tuned else TunedEntry(agent, env_id)
