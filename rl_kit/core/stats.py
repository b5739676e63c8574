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

Across several tasks (envs), scores come as a runs x tasks matrix, as rliable takes them:
:func:`aggregate_iqm` is the IQM of all its scores (normalise each task's first if they are
on different scales), :func:`stratified_bootstrap_ci` resamples the runs within each task
(tasks are fixed, runs are the noise), and :func:`probability_of_improvement` averages the
per-task P(X > Y) over tasks. A matrix is never flattened into one list of runs: that would
weigh tasks by their spread and pair runs of different tasks.
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
    """Percentile bootstrap interval of the mean at `confidence`, reproducible through `seed`.
    `values` are one sample; a runs x tasks matrix needs :func:`stratified_bootstrap_ci`."""
    x = np.asarray(values, dtype=float)
    if x.ndim > 1:
        raise ValueError(
            f"bootstrap_ci takes one sample, got shape {x.shape}: for runs x tasks use stratified_bootstrap_ci"
        )
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


def difference_ci(x, y, *, confidence: float = 0.95, resamples: int = 10_000, seed: int = 0) -> tuple[float, float]:
    """Percentile bootstrap interval of mean(x) - mean(y) for two independent samples (each
    resampled on its own): the generalization gap's interval, training levels against test levels."""
    x, y = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
    if x.ndim != 1 or y.ndim != 1 or not x.size or not y.size:
        raise ValueError(f"difference_ci takes two non-empty samples, got shapes {x.shape} and {y.shape}")
    rng = np.random.default_rng(seed)
    differences = x[rng.integers(x.size, size=(resamples, x.size))].mean(axis=1) - y[
        rng.integers(y.size, size=(resamples, y.size))
    ].mean(axis=1)
    tail = (1.0 - confidence) / 2
    low, high = np.quantile(differences, [tail, 1.0 - tail])
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


def as_runs_by_tasks(scores, name: str = "scores") -> np.ndarray:
    """`scores` as a (runs, tasks) matrix: a list of runs is one task's column."""
    x = np.asarray(scores, dtype=float)
    if x.ndim == 1:
        x = x[:, None]
    if x.ndim != 2 or x.size == 0:
        raise ValueError(f"{name} must be runs, or a runs x tasks matrix, got shape {np.shape(scores)}")
    return x


def probability_of_improvement(x, y) -> float:
    """P(X > Y) from the runs' scores `x` and `y` (see the module's docstring): runs, or runs x
    tasks matrices with the same tasks, the per-task probabilities averaged over tasks."""
    x, y = as_runs_by_tasks(x, "x"), as_runs_by_tasks(y, "y")
    if x.shape[1] != y.shape[1]:
        raise ValueError(f"x and y must cover the same tasks, got {x.shape[1]} and {y.shape[1]}")
    difference = x[:, None, :] - y[None, :, :]  # (runs of x, runs of y, tasks)
    return float(((difference > 0) + 0.5 * (difference == 0)).mean(axis=(0, 1)).mean())


def aggregate_iqm(scores) -> float:
    """rliable's aggregate IQM: the IQM of every score of a runs x tasks matrix."""
    return iqm(as_runs_by_tasks(scores))


def stratified_bootstrap_ci(
    scores, statistic=aggregate_iqm, *, confidence: float = 0.95, resamples: int = 2_000, seed: int = 0
) -> tuple[float, float]:
    """Percentile interval of `statistic` over resamples of a runs x tasks matrix, each task's
    runs resampled with replacement within that task (rliable's stratified bootstrap)."""
    x = as_runs_by_tasks(scores)
    runs, tasks = x.shape
    rng = np.random.default_rng(seed)
    estimates = np.empty(resamples)
    columns = np.arange(tasks)[None, :]
    for k in range(resamples):
        estimates[k] = statistic(x[rng.integers(runs, size=(runs, tasks)), columns])
    tail = (1.0 - confidence) / 2
    low, high = np.quantile(estimates, [tail, 1.0 - tail])
    return float(low), float(high)


def two_level_bootstrap_ci(
    groups, *, confidence: float = 0.95, resamples: int = 2_000, seed: int = 0
) -> tuple[float, float]:
    """Interval of the mean over groups of each group's mean (runs, each of many episodes) that
    covers both sources of noise: the groups are resampled with replacement, then the values
    within each group drawn. With few values a group, the episodes' noise counts too; with
    many, the interval is the groups' (seeds') alone."""
    groups = [np.asarray(g, dtype=float).ravel() for g in groups]
    if not groups or any(g.size == 0 for g in groups):
        raise ValueError("two_level_bootstrap_ci needs groups of at least one value each")
    rng = np.random.default_rng(seed)
    estimates = np.empty(resamples)
    for k in range(resamples):
        chosen = rng.integers(len(groups), size=len(groups))
        estimates[k] = np.mean([groups[i][rng.integers(groups[i].size, size=groups[i].size)].mean() for i in chosen])
    tail = (1.0 - confidence) / 2
    low, high = np.quantile(estimates, [tail, 1.0 - tail])
    return float(low), float(high)


def probability_of_improvement_ci(
    x, y, *, confidence: float = 0.95, resamples: int = 2_000, seed: int = 0
) -> tuple[float, float]:
    """Stratified bootstrap interval of P(X > Y): each side's runs resampled with replacement
    (within each task, for runs x tasks matrices)."""
    x, y = as_runs_by_tasks(x, "x"), as_runs_by_tasks(y, "y")
    rng = np.random.default_rng(seed)
    if x.shape[1] == 1 and y.shape[1] == 1:  # one task: all resamples at once
        x, y = x[:, 0], y[:, 0]
        xs = x[rng.integers(x.size, size=(resamples, x.size))]
        ys = y[rng.integers(y.size, size=(resamples, y.size))]
        difference = xs[:, :, None] - ys[:, None, :]
        estimates = ((difference > 0) + 0.5 * (difference == 0)).mean(axis=(1, 2))
    else:
        columns = np.arange(x.shape[1])[None, :]
        estimates = np.array([
            probability_of_improvement(x[rng.integers(len(x), size=x.shape), columns],
                                       y[rng.integers(len(y), size=y.shape), columns])
            for _ in range(resamples)
        ])  # fmt: skip
    tail = (1.0 - confidence) / 2
    low, high = np.quantile(estimates, [tail, 1.0 - tail])
    return float(low), float(high)
