import numpy as np
import pytest

from rl_kit.core.stats import bootstrap_ci, iqm, summarize


def test_iqm_is_the_mean_of_the_middle_half():
    assert iqm([1, 2, 3, 4, 5, 6, 7, 100]) == pytest.approx(np.mean([3, 4, 5, 6]))
    assert iqm(np.arange(10)) == pytest.approx(np.mean([2, 3, 4, 5, 6, 7]))  # cut floor(10/4) = 2 each side
    assert iqm([5.0]) == 5.0


def test_bootstrap_ci_matches_direct_computation_and_is_reproducible():
    data = np.array([0.0, 1.0, 1.0, 0.0, 1.0, 1.0, 1.0, 0.0])
    low, high = bootstrap_ci(data, seed=3, resamples=2000)
    rng = np.random.default_rng(3)
    means = data[rng.integers(8, size=(2000, 8))].mean(axis=1)
    assert (low, high) == pytest.approx(tuple(np.quantile(means, [0.025, 0.975])))
    assert bootstrap_ci(data, seed=3, resamples=2000) == (low, high)
    assert low <= data.mean() <= high


def test_ci_narrows_with_more_data():
    rng = np.random.default_rng(0)
    small, large = rng.normal(size=20), rng.normal(size=2000)
    (a, b), (c, d) = bootstrap_ci(small), bootstrap_ci(large)
    assert d - c < (b - a) / 5


def test_summarize_fields():
    s = summarize([1.0, 2.0, 3.0])
    assert s["mean"] == 2.0 and s["std"] == pytest.approx(np.std([1, 2, 3])) and s["min"] == 1.0 and s["max"] == 3.0


def test_probability_of_improvement_against_a_hand_computation():
    from rl_kit.core.stats import probability_of_improvement, probability_of_improvement_ci

    x, y = [1.0, 2.0, 3.0], [2.0, 2.0, 0.0]
    # pairs (x_i, y_j): 1 beats only 0; 2 ties two 2s (1/2 each) and beats 0; 3 beats all three
    assert probability_of_improvement(x, y) == pytest.approx((1 + (0.5 + 0.5 + 1) + 3) / 9)
    assert probability_of_improvement(y, x) == pytest.approx(1 - 6 / 9)  # P(X > Y) + P(Y > X) = 1
    low, high = probability_of_improvement_ci(x, y, resamples=4000)
    assert 0.0 <= low < 6 / 9 < high <= 1.0
    assert probability_of_improvement_ci(x, y) == probability_of_improvement_ci(x, y)  # seeded
    assert probability_of_improvement_ci([5, 6, 7], [1, 2, 3]) == (1.0, 1.0)  # always better


# --- across tasks: runs x tasks matrices, as rliable takes them -------------------------------------

X = [[1.0, 10.0], [2.0, 20.0]]  # 2 runs x 2 tasks
Y = [[1.5, 30.0], [0.0, 5.0]]


def test_probability_of_improvement_over_tasks_averages_each_tasks_own():
    """Task 0: 3 of 4 pairs favour X; task 1: 2 of 4: 0.625. Before, the matrices were
    flattened into one list of runs, pairing runs of different tasks: 9 of 16, 0.5625."""
    from rl_kit.core.stats import probability_of_improvement

    assert probability_of_improvement(X, Y) == pytest.approx(0.625)
    assert probability_of_improvement(np.ravel(X), np.ravel(Y)) == pytest.approx(0.5625)  # one task of 4 runs
    with pytest.raises(ValueError, match="same tasks"):
        probability_of_improvement(X, [[1.0], [2.0]])


def test_a_stratified_bootstrap_resamples_runs_within_each_task_only():
    from rl_kit.core.stats import aggregate_iqm, bootstrap_ci, stratified_bootstrap_ci

    constant_tasks = np.array([[1.0, 5.0, 9.0]] * 6)  # every run of a task scores the same
    assert stratified_bootstrap_ci(constant_tasks, lambda s: float(s.mean())) == pytest.approx((5.0, 5.0))
    scores = np.random.default_rng(1).normal(size=(8, 4))
    low, high = stratified_bootstrap_ci(scores)
    assert low <= aggregate_iqm(scores) <= high and (low, high) == stratified_bootstrap_ci(scores)
    with pytest.raises(ValueError, match="stratified_bootstrap_ci"):
        bootstrap_ci(scores)


def test_the_aggregate_metrics_equal_rliables():
    metrics = pytest.importorskip("rliable.metrics")
    from rl_kit.core.stats import aggregate_iqm, probability_of_improvement

    rng = np.random.default_rng(0)
    for _ in range(5):
        x, y = rng.normal(1.0, 1.0, size=(5, 3)), rng.normal(0.8, 2.0, size=(7, 3))
        assert probability_of_improvement(x, y) == pytest.approx(metrics.probability_of_improvement(x, y))
        assert aggregate_iqm(x) == pytest.approx(metrics.aggregate_iqm(x))
