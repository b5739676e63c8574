"""The operation counter of ``rl-kit bench --suite calls`` counts what it says it counts."""

import numpy as np

from rl_kit.experiments.call_count import (
    COUNTS,
    CountedArray,
    dqn_update_operations,
    step_operations,
    update_operations,
)


def test_operators_products_reductions_and_functions_are_each_one_operation():
    COUNTS.clear()
    a = np.ones((2, 3)).view(CountedArray)
    b = np.exp(a) + a  # two
    (b @ np.ones((3, 1))).sum()  # two
    np.where(a > 0, a, 0.0)  # two: the comparison and where
    a *= 2  # one, in place
    assert sum(COUNTS.values()) == 7
    assert COUNTS["add"] == 1 and COUNTS["add.reduce"] == 1 and COUNTS["where"] == 1
    np.ones(3) + np.ones(3)  # arrays no counted array touched
    assert sum(COUNTS.values()) == 7


def test_a_population_shares_its_operations_among_its_members():
    alone, together = sum(update_operations().values()), sum(update_operations(8).values())
    assert alone > 60  # the forward and backward passes, the loss, clipping and Adam are all in
    assert together / 8 < alone / 4
    step_alone, step_together = sum(step_operations().values()), sum(step_operations(8).values())
    assert step_alone > 10 and step_together / 8 < step_alone / 4
    dqn_alone, dqn_together = sum(dqn_update_operations().values()), sum(dqn_update_operations(8).values())
    assert dqn_alone > 40 and dqn_together / 8 < dqn_alone / 4
