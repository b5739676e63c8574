"""Running mean and variance of a stream of batches (Chan et al.'s parallel update).

Used to normalize observations: ``(x - mean) / sqrt(var + eps)``, clipped. The statistics are
part of what an agent learns, so they are saved and loaded with it.
"""

from __future__ import annotations

import numpy as np


class RunningMeanStd:
    def __init__(self, shape: tuple[int, ...], epsilon: float = 1e-4):
        self.mean = np.zeros(shape, dtype=np.float64)
        self.var = np.ones(shape, dtype=np.float64)
        self.count = epsilon  # a tiny prior count keeps the first update well defined

    def update(self, batch: np.ndarray) -> None:
        batch = np.asarray(batch, dtype=np.float64)
        batch_mean, batch_var, n = batch.mean(axis=0), batch.var(axis=0), batch.shape[0]
        delta = batch_mean - self.mean
        total = self.count + n
        self.mean = self.mean + delta * n / total
        self.var = (self.var * self.count + batch_var * n + delta**2 * self.count * n / total) / total
        self.count = total

    def normalize(self, x: np.ndarray, clip: float = 10.0) -> np.ndarray:
        return np.clip((x - self.mean) / np.sqrt(self.var + 1e-8), -clip, clip)

    def state_dict(self) -> dict[str, np.ndarray]:
        return {"mean": self.mean.copy(), "var": self.var.copy(), "count": np.array([self.count])}

    def load_state_dict(self, state: dict[str, np.ndarray]) -> None:
        self.mean, self.var = np.array(state["mean"], dtype=np.float64), np.array(state["var"], dtype=np.float64)
        self.count = float(np.asarray(state["count"]).reshape(-1)[0])
