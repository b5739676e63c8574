"""Running mean and variance of a stream of batches (Chan et al.'s parallel update).

Used to normalize observations: ``(x - mean) / sqrt(var + eps)``, clipped. The statistics are
part of what an agent learns, so they are saved and loaded with it.
"""

from __future__ import annotations

import numpy as np


class RunningMeanStd:
    """The running mean and variance of values of `shape`; with `members` K, one set per member
    of a population (mean (K, *shape), count (K,)), updated from (K, n, *shape) batches."""

    def __init__(self, shape: tuple[int, ...], epsilon: float = 1e-4, members: int | None = None):
        rows = () if members is None else (members,)
        self.members = members
        self.mean = np.zeros((*rows, *shape), dtype=np.float64)
        self.var = np.ones((*rows, *shape), dtype=np.float64)
        # a tiny prior count keeps the first update well defined
        self.count: float | np.ndarray = epsilon if members is None else np.full(members, epsilon)

    def update(self, batch: np.ndarray) -> None:
        batch = np.asarray(batch, dtype=np.float64)
        batch_mean, batch_var, n = batch.mean(axis=0), batch.var(axis=0), batch.shape[0]
        delta = batch_mean - self.mean
        total = self.count + n
        self.mean = self.mean + delta * n / total
        self.var = (self.var * self.count + batch_var * n + delta**2 * self.count * n / total) / total
        self.count = total

    def update_members(self, batch: np.ndarray, valid: np.ndarray | None = None) -> None:
        """A population's update: `batch` (K, n, *shape), each member's rows where `valid` (K, n) holds."""
        batch = np.asarray(batch, dtype=np.float64)
        trailing = (1,) * (batch.ndim - 2)
        if valid is None:
            n = np.full(batch.shape[0], float(batch.shape[1]))
            batch_mean, batch_var = batch.mean(axis=1), batch.var(axis=1)
        else:
            weights = np.asarray(valid, dtype=np.float64).reshape(*valid.shape, *trailing)
            n = weights.sum(axis=1).reshape(-1)
            safe = np.maximum(n, 1.0).reshape(-1, *trailing)
            batch_mean = (batch * weights).sum(axis=1) / safe
            batch_var = (((batch - batch_mean[:, None]) ** 2) * weights).sum(axis=1) / safe
        count = np.asarray(self.count).reshape(-1, *trailing)
        n = n.reshape(-1, *trailing)
        delta, total = batch_mean - self.mean, count + n
        self.mean = self.mean + delta * n / total
        self.var = (self.var * count + batch_var * n + delta**2 * count * n / total) / total
        self.count = total.reshape(-1)

    def member(self, k: int) -> dict[str, np.ndarray]:
        """Member `k`'s statistics, as :meth:`state_dict` of a single set has them."""
        return {"mean": self.mean[k].copy(), "var": self.var[k].copy(), "count": np.array([np.asarray(self.count)[k]])}

    def load_member(self, k: int, state: dict[str, np.ndarray]) -> None:
        self.mean[k], self.var[k] = state["mean"], state["var"]
        np.asarray(self.count)[k] = float(np.asarray(state["count"]).reshape(-1)[0])

    def normalize(self, x: np.ndarray, clip: float = 10.0) -> np.ndarray:
        """(x - mean) / sqrt(var + 1e-8), clipped; a population's x (K, n, *shape) by each member's statistics."""
        mean, var = (self.mean, self.var) if self.members is None else (self.mean[:, None], self.var[:, None])
        return np.clip((x - mean) / np.sqrt(var + 1e-8), -clip, clip)

    def state_dict(self) -> dict[str, np.ndarray]:
        return {"mean": self.mean.copy(), "var": self.var.copy(), "count": np.array([self.count])}

    def load_state_dict(self, state: dict[str, np.ndarray]) -> None:
        self.mean, self.var = np.array(state["mean"], dtype=np.float64), np.array(state["var"], dtype=np.float64)
        self.count = float(np.asarray(state["count"]).reshape(-1)[0])
