"""Exercise `value_iteration`: value iteration (Sutton & Barto, section 4.4).

With the model R[s, a] (expected reward) and T[s, a, s'] (probability of going on to s'; 0
into a terminal state), the optimal values satisfy the Bellman optimality equation

    V*(s) = max_a ( R[s, a] + gamma * sum_s' T[s, a, s'] V*(s') )

Iterating it as an update converges to V* from any start; the greedy policy of V* is optimal:

    pi*(s) = argmax_a ( R[s, a] + gamma * sum_s' T[s, a, s'] V*(s') )

Write the backup and the greedy policy. ``rl-kit check value_iteration.py`` grades them on a
hand-made MDP, then runs your value iteration on FrozenLake 4x4 and Cliff Walking and values
its greedy policy exactly: it must be within 1% of the optimum.
"""

import numpy as np

EXERCISE = "value_iteration"


def action_values(R, T, V, gamma):
    """Q(s, a) = R[s, a] + gamma * sum_s' T[s, a, s'] V(s'), shape (S, A)."""
    # SOLUTION
    return R + gamma * T @ V
    # END SOLUTION


def optimality_backup(R, T, V, gamma):
    """One sweep of the Bellman optimality backup: the new V, shape (S,)."""
    # SOLUTION
    return action_values(R, T, V, gamma).max(axis=1)
    # END SOLUTION


def greedy_policy(R, T, V, gamma):
    """The greedy action of every state under V (the first best on ties), ints, shape (S,)."""
    # SOLUTION
    return action_values(R, T, V, gamma).argmax(axis=1)
    # END SOLUTION


def value_iteration(R, T, gamma, theta=1e-10, max_sweeps=100_000):
    """Sweep from V = 0 until the largest change is below theta; returns (V, sweeps). Given."""
    V = np.zeros(R.shape[0])
    for sweep in range(1, max_sweeps + 1):
        new = optimality_backup(R, T, V, gamma)
        if np.max(np.abs(new - V)) < theta:
            return new, sweep
        V = new
    return V, max_sweeps
