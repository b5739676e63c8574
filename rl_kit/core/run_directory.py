"""A run's directory: where it goes, who holds it, what it holds.

A run writes one directory (``runs/<env>/<agent>/seed<S>-<time>`` unless told otherwise), and
never one that another run holds: :func:`claimed` makes it, locks it for this process alone
(:func:`rl_kit.infrastructure.directory_lock.owned_directory`, which follows no link) and
refuses a directory that holds another run, unless the run resumes it. :data:`CONFIG_FILE`
holds the run's :class:`~rl_kit.core.spec.RunSpec` (:func:`read_spec` reads it back) and
:data:`RESULT_FILE` how it ended; :data:`RUN_FILES` lists everything a run writes.
"""

from __future__ import annotations

import shutil
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import yaml

from rl_kit.core.checkpoints import CHECKPOINT_DIRECTORY
from rl_kit.core.spec import RunSpec
from rl_kit.errors import RLKitError
from rl_kit.infrastructure.atomic_files import atomic_write
from rl_kit.infrastructure.directory_lock import LOCK_FILE, owned_directory
from rl_kit.infrastructure.yaml_text import read_yaml_file

CONFIG_FILE, RESULT_FILE = "config.yaml", "result.yaml"


def fresh_directory(path: str | Path) -> Path:
    """`path` if nothing is there yet, else the first free ``<path>-2``, ``<path>-3``, ... (as RL Zoo numbers its runs)."""
    path = Path(path)
    candidate, n = path, 1
    while candidate.exists():
        n += 1
        candidate = path.with_name(f"{path.name}-{n}")
    return candidate


def default_run_directory(spec: RunSpec, root: str | Path = "runs") -> Path:
    """``runs/<env>/<agent>/seed<S>-<time>``, numbered where that exists."""
    return fresh_directory(
        Path(root) / spec.env.slug / spec.agent / f"seed{spec.seed}-{time.strftime('%Y%m%d-%H%M%S')}"
    )


# What a run writes into its directory (docs above); a directory holding only these, with no
# checkpoint and no result, is what a run that died before its first checkpoint left behind.
RUN_FILES = frozenset({CONFIG_FILE, "episodes.csv", "train.csv", "eval.csv", "tensorboard", CHECKPOINT_DIRECTORY})


def abandoned(directory: Path) -> bool:
    """True if `directory` holds a run that ended before its first checkpoint and never finished:
    nothing to resume, nothing finished to keep (called under the directory's lock)."""
    members = {p.name for p in directory.iterdir() if p.name != LOCK_FILE and not p.name.startswith(".")}
    checkpoints = directory / CHECKPOINT_DIRECTORY
    return CONFIG_FILE in members and members <= RUN_FILES and not (checkpoints.is_dir() and any(checkpoints.iterdir()))


@contextmanager
def claimed(directory: Path, resuming: bool) -> Iterator[Path]:
    """`directory`, made and locked for this run alone while the block runs.

    A run never overwrites another: a directory that holds anything is refused unless the run
    resumes it, and a directory another live process writes is refused at once, naming it. A
    directory that a run left when it died before its first checkpoint (no checkpoint, no
    result) is started afresh, said in one line: it could not be resumed, and nothing in it is
    finished. A directory holding a link to elsewhere is refused (:func:`refuse_links`).
    """
    with owned_directory(directory, what="a run", empty=False):
        if not resuming and any(p.name != LOCK_FILE for p in directory.iterdir()):
            if not abandoned(directory):
                raise RLKitError(
                    f"{directory} already holds a run, and rl-kit never overwrites one: continue it with "
                    f"--resume {directory} (resume= in Python), or choose a fresh --out"
                )
            print(
                f"{directory} holds a run that ended before its first checkpoint (nothing to resume): "
                "starting it afresh",
                file=sys.stderr,
            )
            for member in directory.iterdir():
                if member.name == LOCK_FILE:
                    continue
                shutil.rmtree(member) if member.is_dir() else member.unlink()
        yield directory


POPULATION_KEY = "population"  # config.yaml's entry naming a member's population (rl_kit.core.population)


def is_population_member(directory: Path) -> bool:
    """True if `directory`'s run trained as a member of a population."""
    path = Path(directory) / CONFIG_FILE
    if not path.is_file():
        return False
    config = read_yaml_file(path, "run config")
    return isinstance(config, dict) and POPULATION_KEY in config


def write_yaml(path: Path, data: dict[str, Any]) -> None:
    atomic_write(path, yaml.safe_dump(data, sort_keys=False))


def read_spec(directory: str | Path) -> RunSpec:
    """The :class:`RunSpec` a run directory's ``config.yaml`` holds."""
    config_path = Path(directory) / CONFIG_FILE
    if not config_path.is_file():
        raise RLKitError(f"{directory} is not a run directory (no {CONFIG_FILE})")
    config = read_yaml_file(config_path, "run config")
    if not isinstance(config, dict):
        raise RLKitError(f"{config_path} is not a run config")
    return RunSpec.from_dict(config)
