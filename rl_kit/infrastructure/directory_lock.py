"""One writer per directory: an OS file lock that dies with its process.

``with directory_lock(path):`` holds an exclusive ``flock`` on ``path/.lock`` (the holder's
process id written inside) for as long as the block runs. A second process asking for it is
refused at once, told which process holds it. The kernel drops the lock when the holder exits,
however it exits (SIGKILL included), so a dead run never leaves its directory locked.
"""

from __future__ import annotations

import fcntl
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

LOCK_FILE = ".lock"


class DirectoryLocked(Exception):
    """Another live process holds the directory's lock."""


@contextmanager
def directory_lock(directory: str | os.PathLike) -> Iterator[Path]:
    directory = Path(directory)
    fd = os.open(directory / LOCK_FILE, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.pread(fd, 32, 0).decode("ascii", "replace").strip() or "unknown"
            raise DirectoryLocked(f"{directory} is being written by another process (pid {holder})") from None
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"{os.getpid()}\n".encode("ascii"), 0)
        yield directory
    finally:
        os.close(fd)  # closing the descriptor releases the lock
