"""Writes that a crash cannot tear: a file is either the old one or the whole new one.

Write to a temporary file in the same directory, flush, fsync, then rename over the target
(``os.replace`` is atomic on POSIX), then fsync the directory so the rename itself survives.
"""

from __future__ import annotations

import errno
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


def _fsync_directory(directory: Path) -> None:
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


@contextmanager
def atomic_path(path: str | os.PathLike) -> Iterator[Path]:
    """A temporary path to write to; on success it replaces `path` whole, on error it is removed."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    # hidden, and ending in the target's suffix, so that a writer that picks its format by the
    # name (an MP4 encoder) can write to it; made afresh with O_EXCL | O_NOFOLLOW, so no stale
    # file or link of that name is written through
    temporary = path.with_name(f".{path.stem}.{os.getpid()}.tmp{path.suffix}")
    if temporary.is_symlink() or temporary.exists():
        temporary.unlink()
    os.close(os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o644))
    try:
        yield temporary
        with open(temporary, "rb+") as f:
            os.fsync(f.fileno())
        os.replace(temporary, path)
        _fsync_directory(path.parent)
    finally:
        if temporary.exists():
            temporary.unlink()


def atomic_write(path: str | os.PathLike, content: str | bytes) -> Path:
    """Write `content` (text as UTF-8) to `path` atomically."""
    data = content.encode("utf-8") if isinstance(content, str) else content
    with atomic_path(path) as temporary:
        temporary.write_bytes(data)
    return Path(path)


def write_safetensors(path: str | os.PathLike, tensors: dict, metadata: dict[str, str]) -> Path:
    """Write `tensors` with `metadata` to the safetensors file `path` atomically. safetensors
    raises its own error for a full disk; it becomes an OSError naming the file, as any other
    failed write does."""
    from safetensors.numpy import save_file

    path = Path(path)
    with atomic_path(path) as temporary:
        try:
            save_file(tensors, str(temporary), metadata=metadata)
        except OSError as error:
            error.filename = str(path)
            raise
        except Exception as error:  # SafetensorError: "No space left on device (os error 28)", ...
            raise OSError(errno.EIO, f"{type(error).__name__}: {error}", str(path)) from None
    return path
