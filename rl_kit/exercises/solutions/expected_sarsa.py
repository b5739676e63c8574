"""Exercise `expected_sarsa`: Expected SARSA's target (Sutton & Barto, section 6.6).

Expected SARSA replaces SARSA's sampled Q(S', A') by its expectation under the policy:

    R + gamma * sum_a pi(a | S') Q(S', a)

For the epsilon-greedy policy, every action has probability epsilon / A, and the greedy
actions share the remaining 1 - epsilon (split equally among ties). As always, no future
after a terminal S'; a truncated episode (time limit) still bootstraps.

Write the policy's probabilities and the target; the agent is given. ``rl-kit check
expected_sarsa.py`` grades them on hand-made transitions, then trains the agent on Cliff
Walking until its greedy policy is within 1% of the optimum.
"""

import numpy as np

from rl_kit.agents.expected_sarsa import ExpectedSarsa

EXERCISE = "expected_sarsa"


def epsilon_greedy_probabilities(q, epsilon):
    """pi(a | s) of the epsilon-greedy policy for each row of q, shape (n, A); rows sum to 1."""
    # SOLUTION
    greedy = q == q.max(axis=1, keepdims=True)
    return epsilon / q.shape[1] + (1.0 - epsilon) * greedy / greedy.sum(axis=1, keepdims=True)
    # END SOLUTION


def expected_sarsa_target(rewards, next_q, epsilon, terminated, truncated, gamma):
    """The targets of a batch of transitions: shapes as in Q-learning's, epsilon the policy's."""
    # SOLUTION
    expected = (epsilon_greedy_probabilities(next_q, epsilon) * next_q).sum(axis=1)
    return rewards + gamma * np.where(terminated, 0.0, expected)
    # END SOLUTION


class Agent(ExpectedSarsa):
    """rl-kit's tabular Expected SARSA, its target computed by your function."""

    def td_target(self, t, gamma):
        next_q = self.q[self.state_index(t.next_obs)]
        rewards = np.asarray(t.reward, dtype=np.float64)
        terminated, truncated = np.asarray(t.terminated, bool), np.asarray(t.truncated, bool)
        return expected_sarsa_target(rewards, next_q, self.epsilon, terminated, truncated, gamma)
