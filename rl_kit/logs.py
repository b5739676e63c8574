"""A run's logs: CSV files appended row by row, and the same scalars as TensorBoard events.

- ``episodes.csv``: step, episode, return, length, wall_time (one row per finished episode);
- ``train.csv``: step, wall_time and the agent's metrics, averaged over each log interval;
- ``eval.csv``: step, wall_time and the evaluation statistics.
"""

from __future__ import annotations

import csv
import time
from pathlib import Path
from typing import Any


class CsvLog:
    """One CSV file; its columns are fixed by the first row written."""

    def __init__(self, path: Path):
        self.path = Path(path)
        self._file = None
        self._writer = None
        self.columns: list[str] | None = None

    def write(self, row: dict[str, Any]) -> None:
        if self._writer is None:
            self.columns = list(row)
            self._file = open(self.path, "w", newline="", encoding="utf-8")
            self._writer = csv.DictWriter(self._file, fieldnames=self.columns, extrasaction="ignore")
            self._writer.writeheader()
        self._writer.writerow(row)

    def flush(self) -> None:
        if self._file is not None:
            self._file.flush()

    def close(self) -> None:
        if self._file is not None:
            self._file.close()
            self._file = None


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

    def __init__(self, directory: Path, tensorboard: bool = True):
        self.directory = Path(directory)
        self.episodes = CsvLog(self.directory / "episodes.csv")
        self.train = CsvLog(self.directory / "train.csv")
        self.eval = CsvLog(self.directory / "eval.csv")
        self.tensorboard = TensorBoardLog(self.directory / "tensorboard") if tensorboard else None
        self.start = time.perf_counter()

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
