"""Statistics a careful reader needs from a handful of noisy returns.

- the interquartile mean (IQM): the mean of the middle 50% of values, robust to outliers
  and less noisy than the median (Agarwal et al. 2021, "Deep RL at the edge of the
  statistical precipice"); computed like ``scipy.stats.trim_mean(x, 0.25)``;
- a percentile bootstrap confidence interval of the mean: resample the values with
  replacement, take the mean of each resample, and report the central quantiles.
"""

from __future__ import annotations

import numpy as np


def iqm(values) -> float:
    """Mean of the values left after cutting ``floor(n / 4)`` from each end of the sorted list."""
    x = np.sort(np.asarray(values, dtype=float).ravel())
    if x.size == 0:
        raise ValueError("iqm of no values")
    cut = int(0.25 * x.size)
    return float(x[cut : x.size - cut].mean())


def bootstrap_ci(values, *, confidence: float = 0.95, resamples: int = 10_000, seed: int = 0) -> tuple[float, float]:
    """Percentile bootstrap interval of the mean at `confidence`, reproducible through `seed`."""
    x = np.asarray(values, dtype=float).ravel()
    if x.size == 0:
        raise ValueError("bootstrap of no values")
    rng = np.random.default_rng(seed)
    means = x[rng.integers(x.size, size=(resamples, x.size))].mean(axis=1)
    tail = (1.0 - confidence) / 2
    low, high = np.quantile(means, [tail, 1.0 - tail])
    return float(low), float(high)


def summarize(values) -> dict[str, float]:
    """mean, std (ddof=0), iqm, 95% bootstrap CI, min and max of the values."""
    x = np.asarray(values, dtype=float)
    low, high = bootstrap_ci(x)
    return {
        "mean": float(x.mean()),
        "std": float(x.std()),
        "iqm": iqm(x),
        "ci_low": low,
        "ci_high": high,
        "min": float(x.min()),
        "max": float(x.max()),
    }
