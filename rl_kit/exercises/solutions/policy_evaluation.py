"""Exercise `policy_evaluation`: iterative policy evaluation (Sutton & Barto, section 4.1).

The model of a finite MDP, as rl-kit's TabularModel holds it (from an env's ``P``):

    R[s, a]     expected reward of taking a in s
    T[s, a, s'] probability of going on to s' (0 into a terminal state: it has no future)

The value of a deterministic policy pi satisfies the Bellman expectation equation

    V(s) = R[s, pi(s)] + gamma * sum_s' T[s, pi(s), s'] V(s')

and iterating it as an update (one *sweep* updates every state from the previous V) converges
to V^pi from any start. Write the sweep, then the loop that sweeps until V moves less than
theta. ``rl-kit check policy_evaluation.py`` grades them on a hand-made MDP, then against the
exact V^pi of FrozenLake 4x4 (a linear solve).
"""

import numpy as np

EXERCISE = "policy_evaluation"


def expectation_backup(R, T, V, policy, gamma):
    """One synchronous sweep of the Bellman expectation backup.

    Args:
        R: expected rewards, shape (S, A).  T: continuation probabilities, shape (S, A, S).
        V: the current values, shape (S,).  policy: the action of each state, ints, shape (S,).
        gamma: the discount factor.

    Returns:
        the new values, shape (S,), every state updated from the old V.
    """
    # SOLUTION
    states = np.arange(len(V))
    return R[states, policy] + gamma * T[states, policy] @ V
    # END SOLUTION


def evaluate_policy(R, T, policy, gamma, theta=1e-10):
    """V^pi: sweep from V = 0 until the largest change of a sweep is below theta.

    Returns:
        (V, sweeps): the values, shape (S,), and how many sweeps it took.
    """
    # SOLUTION
    V = np.zeros(R.shape[0])
    sweeps = 0
    while True:
        new = expectation_backup(R, T, V, policy, gamma)
        sweeps += 1
        if np.max(np.abs(new - V)) < theta:
            return new, sweeps
        V = new
    # END SOLUTION
