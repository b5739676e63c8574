"""One writer per directory, and only its own files: an OS file lock that dies with its process.

``with directory_lock(path):`` holds an exclusive ``flock`` on ``path/.lock`` (the holder's
process id written inside) for as long as the block runs. A second process asking for it is
refused at once, told which process holds it. The kernel drops the lock when the holder exits,
however it exits (SIGKILL included), so a dead run never leaves its directory locked.

No symbolic link is followed: the directory is opened with ``O_NOFOLLOW`` and the lock file
relative to it (``openat``), also with ``O_NOFOLLOW``, and it must be a regular file. A link
named ``.lock`` would otherwise have the writer truncate whatever file it points at (as root,
any file on the machine). :func:`refuse_links` checks a whole directory the same way, so that
a run that prunes checkpoints or rewrites logs never reaches through a link into another's.
"""

from __future__ import annotations

import errno
import fcntl
import os
import stat
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from rl_kit.errors import RLKitError

LOCK_FILE = ".lock"


class DirectoryLocked(Exception):
    """Another live process holds the directory's lock."""


class ForeignPath(RLKitError):
    """A path inside a directory rl-kit writes that is a link to elsewhere, or not what it should be."""


def _link_error(path: Path, owner: Path) -> ForeignPath:
    return ForeignPath(
        f"{path} is a symbolic link; rl-kit writes, locks and deletes only its own files in {owner}, "
        "so it follows none: remove the link or choose another directory"
    )


def refuse_links(directory: str | os.PathLike) -> None:
    """Raise :class:`ForeignPath` if `directory` or anything inside it is a symbolic link."""
    directory = Path(directory)
    if directory.is_symlink():
        raise _link_error(directory, directory)
    for root, folders, files in os.walk(directory, followlinks=False):
        for name in folders + files:
            path = Path(root) / name
            if path.is_symlink():
                raise _link_error(path, directory)


@contextmanager
def directory_lock(directory: str | os.PathLike) -> Iterator[Path]:
    directory = Path(directory)
    try:
        folder = os.open(directory, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW)
    except OSError as error:
        if error.errno in (errno.ELOOP, errno.ENOTDIR) and directory.is_symlink():
            raise _link_error(directory, directory) from None
        raise
    try:
        try:
            fd = os.open(LOCK_FILE, os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW | os.O_NONBLOCK, 0o644, dir_fd=folder)
        except OSError as error:
            if error.errno == errno.ELOOP:
                raise _link_error(directory / LOCK_FILE, directory) from None
            raise
    finally:
        os.close(folder)
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):  # a FIFO or device named .lock
            raise ForeignPath(f"{directory / LOCK_FILE} is not a regular file: remove it or choose another directory")
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


@contextmanager
def owned_directory(directory: str | os.PathLike, *, what: str, empty: bool) -> Iterator[Path]:
    """`directory`, made, checked for links and locked for this process while the block runs.

    With `empty`, a directory that already holds anything (but the lock) is refused: rl-kit
    never overwrites a run, a comparison or a tuning study's outputs. The check is made under
    the lock, so two processes given the same directory at once cannot both pass it.
    `what` names the directory's kind in the errors ("a run", "a comparison").
    """
    directory = Path(directory)
    if directory.is_symlink():
        raise _link_error(directory, directory)
    directory.mkdir(parents=True, exist_ok=True)
    try:
        with directory_lock(directory):
            refuse_links(directory)
            if empty and any(p.name != LOCK_FILE for p in directory.iterdir()):
                raise RLKitError(
                    f"{directory} already holds {what}, and rl-kit never overwrites one: choose a fresh --out"
                )
            yield directory
    except DirectoryLocked as error:
        raise RLKitError(f"{error}: wait for it to finish, or choose another --out") from None
