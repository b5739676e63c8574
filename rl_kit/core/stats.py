"""Statistics a careful reader needs from a handful of noisy returns.

- the interquartile mean (IQM): the mean of the middle 50% of values, robust to outliers
  and less noisy than the median (Agarwal et al. 2021, "Deep RL at the edge of the
  statistical precipice"); computed like ``scipy.stats.trim_mean(x, 0.25)``;
- a percentile bootstrap confidence interval of the mean: resample the values with
  replacement, take the mean of each resample, and report the central quantiles;
- the probability of improvement P(X > Y) (Agarwal et al. 2021, as rliable defines it): the
  chance that a run of X scores above a run of Y, ties counting one half,

      P(X > Y) = 1 / (N M) sum_i sum_j S(x_i, y_j),   S = 1 if x_i > y_j, 1/2 if equal, else 0

  over X's N runs and Y's M runs (one score per run: its mean return), with a stratified
  bootstrap interval: X's runs and Y's runs resampled each within its own set.
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
    # in blocks of resamples, so that 100,000 episodes need not hold a 10,000 x 100,000 index array
    block = max(1, 2_000_000 // x.size)
    means = np.concatenate(
        [
            x[rng.integers(x.size, size=(min(block, resamples - start), x.size))].mean(axis=1)
            for start in range(0, resamples, block)
        ]
    )
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


def probability_of_improvement(x, y) -> float:
    """P(X > Y) from the runs' scores `x` and `y` (see the module's docstring)."""
    x, y = np.asarray(x, dtype=float).ravel(), np.asarray(y, dtype=float).ravel()
    if x.size == 0 or y.size == 0:
        raise ValueError("probability of improvement of no runs")
    difference = x[:, None] - y[None, :]
    return float(((difference > 0) + 0.5 * (difference == 0)).mean())


def probability_of_improvement_ci(
    x, y, *, confidence: float = 0.95, resamples: int = 2_000, seed: int = 0
) -> tuple[float, float]:
    """Stratified bootstrap interval of P(X > Y): each side's runs resampled with replacement."""
    x, y = np.asarray(x, dtype=float).ravel(), np.asarray(y, dtype=float).ravel()
    rng = np.random.default_rng(seed)
    xs = x[rng.integers(x.size, size=(resamples, x.size))]
    ys = y[rng.integers(y.size, size=(resamples, y.size))]
    difference = xs[:, :, None] - ys[:, None, :]
    estimates = ((difference > 0) + 0.5 * (difference == 0)).mean(axis=(1, 2))
    tail = (1.0 - confidence) / 2
    low, high = np.quantile(estimates, [tail, 1.0 - tail])
    return float(low), float(high)
