"""A run's logs: CSV files appended row by row, and the same scalars as TensorBoard events.

- ``episodes.csv``: step, episode, return, length, wall_time (one row per finished episode);
- ``train.csv``: step, wall_time and the agent's metrics, averaged over each log interval;
- ``eval.csv``: step, wall_time and the evaluation statistics.
"""

from __future__ import annotations

import csv
import io
import os
import sys
import time
from pathlib import Path
from typing import Any

from rl_kit.errors import RLKitError


def whole_row(row: dict[str, Any], columns: list[str]) -> bool:
    """True if a CSV row read back has every column and a numeric step (no torn or text row)."""
    if None in row or any(row.get(column) is None for column in columns):
        return False
    try:
        float(row["step"])
    except (TypeError, ValueError, KeyError):
        return False
    return True


class CsvLog:
    """One CSV file, its columns fixed by the first row, appended in whole rows only.

    Rows are kept in memory and written at most every `flush_seconds` (and on ``flush`` and
    ``close``) by a single ``os.write`` of complete lines on an unbuffered file, so a run
    killed at any moment leaves a file whose every row is whole.
    """

    def __init__(self, path: Path, flush_seconds: float = 1.0, resume_after_step: int | None = None):
        self.path = Path(path)
        self.flush_seconds = flush_seconds
        self.columns: list[str] | None = None
        self._fd: int | None = None
        self._pending = io.StringIO()
        self._writer: csv.DictWriter | None = None
        self._last_flush = time.monotonic()
        self.last_wall_time = 0.0
        if resume_after_step is not None and self.path.is_file():
            self._resume(resume_after_step)

    def _resume(self, step: int) -> None:
        """Keep the rows up to `step` (those the checkpoint knows of) and append after them."""
        from rl_kit.infrastructure.atomic_files import atomic_write

        try:
            with open(self.path, newline="", encoding="utf-8") as f:
                rows = list(csv.DictReader(f))
        except (UnicodeDecodeError, csv.Error) as error:
            raise RLKitError(f"{self.path} is not a readable log ({error}): the run cannot be resumed") from None
        if not rows:
            return
        self.columns = list(rows[0])
        whole = [row for row in rows if whole_row(row, self.columns)]  # power lost mid-write can tear a row
        if len(whole) < len(rows):
            print(f"note: {self.path}: {len(rows) - len(whole)} torn or damaged rows dropped", file=sys.stderr)
        kept = [row for row in whole if float(row["step"]) <= step]
        if kept and "wall_time" in kept[-1]:
            self.last_wall_time = float(kept[-1]["wall_time"])
        text = io.StringIO()
        writer = csv.DictWriter(text, fieldnames=self.columns, lineterminator="\n")
        writer.writeheader()
        writer.writerows(kept)
        atomic_write(self.path, text.getvalue())
        self._fd = os.open(self.path, os.O_WRONLY | os.O_APPEND)
        self._writer = csv.DictWriter(
            self._pending, fieldnames=self.columns, extrasaction="ignore", lineterminator="\n"
        )

    def write(self, row: dict[str, Any]) -> None:
        if self._writer is None:
            self.columns = list(row)
            self._fd = os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_NOFOLLOW, 0o644)
            self._writer = csv.DictWriter(
                self._pending, fieldnames=self.columns, extrasaction="ignore", lineterminator="\n"
            )
            self._writer.writeheader()
            self.flush()  # the header is on disk at once: a failed flush later cuts back to whole rows, never below it
        self._writer.writerow(row)
        if time.monotonic() - self._last_flush >= self.flush_seconds:
            self.flush()

    def flush(self) -> None:
        """Append the pending rows; if the disk refuses (full, gone read-only), cut the file back
        to its last whole row, drop the pending rows and raise the OSError."""
        data = self._pending.getvalue()
        if self._fd is not None and data:
            self._pending.seek(0)
            self._pending.truncate()
            whole = os.lseek(self._fd, 0, os.SEEK_END)
            remaining = memoryview(data.encode("utf-8"))
            try:
                while remaining:  # os.write may write less than asked
                    remaining = remaining[os.write(self._fd, remaining) :]
            except OSError as error:
                os.ftruncate(self._fd, whole)
                error.filename = error.filename or str(self.path)
                raise
        self._last_flush = time.monotonic()

    def close(self) -> None:
        self.flush()
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None


class TensorBoardLog:
    """Scalars as TensorBoard event files, written with tensorboard's own writer (no torch)."""

    def __init__(self, directory: Path):
        from tensorboard.summary.writer.event_file_writer import EventFileWriter

        self._writer = EventFileWriter(str(directory))

    def scalars(self, prefix: str, values: dict[str, float], step: int) -> None:
        from tensorboard.compat.proto.event_pb2 import Event
        from tensorboard.compat.proto.summary_pb2 import Summary

        summary = Summary(value=[Summary.Value(tag=f"{prefix}/{k}", simple_value=float(v)) for k, v in values.items()])
        self._writer.add_event(Event(wall_time=time.time(), step=int(step), summary=summary))

    def close(self) -> None:
        self._writer.close()


class RunLogger:
    """All the logs of one run directory."""

    def __init__(self, directory: Path, tensorboard: bool = True, resume_after_step: int | None = None):
        """`resume_after_step`: continue the logs of an interrupted run from that step."""
        self.directory = Path(directory)
        logs = [
            CsvLog(self.directory / name, resume_after_step=resume_after_step)
            for name in ("episodes.csv", "train.csv", "eval.csv")
        ]
        self.episodes, self.train, self.eval = logs
        self.tensorboard = TensorBoardLog(self.directory / "tensorboard") if tensorboard else None
        self.start = time.perf_counter() - max(log.last_wall_time for log in logs)  # wall time goes on

    def wall_time(self) -> float:
        return time.perf_counter() - self.start

    def episode(self, step: int, episode: int, episode_return: float, length: int) -> None:
        self.episodes.write(
            {
                "step": step,
                "episode": episode,
                "return": episode_return,
                "length": length,
                "wall_time": round(self.wall_time(), 4),
            }
        )

    def metrics(self, step: int, metrics: dict[str, float], episode_return: float | None = None) -> None:
        self.train.write({"step": step, "wall_time": round(self.wall_time(), 4), **metrics})
        if self.tensorboard:
            self.tensorboard.scalars("train", metrics, step)
            if episode_return is not None:
                self.tensorboard.scalars("rollout", {"episode_return": episode_return}, step)

    def evaluation(self, step: int, stats: dict[str, float]) -> None:
        self.eval.write({"step": step, "wall_time": round(self.wall_time(), 4), **stats})
        if self.tensorboard:
            self.tensorboard.scalars("eval", stats, step)
        self.flush()

    def flush(self) -> None:
        for log in (self.episodes, self.train, self.eval):
            log.flush()

    def close(self) -> None:
        for log in (self.episodes, self.train, self.eval):
            log.close()
        if self.tensorboard:
            self.tensorboard.close()
