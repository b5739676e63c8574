"""Exercise `bandit`: the incremental action-value estimates of the k-armed bandit.

Sutton & Barto, sections 2.4 and 2.5. An estimate Q of an arm's value moves toward each new
reward R by a step:

    Q <- Q + step * (R - Q)

- The sample average takes step = 1/n, where n counts the rewards seen, this one included: after
  n rewards Q is exactly their mean, without storing them.
- A constant step alpha weights recent rewards more (an exponential recency-weighted average),
  which tracks arms whose values drift (a nonstationary problem).

Write both updates below; the agent around them (epsilon-greedy choice, one row of estimates
per problem) is given. ``rl-kit check bandit.py`` grades them: exact values on hand-made
rewards, then the agent on the 10-armed testbed (rl_kit/Bandit-v0).
"""

from rl_kit.agents.bandits import EpsilonGreedyBandit

EXERCISE = "bandit"


def sample_average_update(estimate, count, reward):
    """One step of the sample average.

    Args:
        estimate: Q, the mean of the rewards so far, shape (n,) (one arm of n problems).
        count: how many rewards Q averages so far, shape (n,).
        reward: the new reward R, shape (n,).

    Returns:
        (new_estimate, new_count): the mean including R, and the count including R.
    """
    # SOLUTION
    new_count = count + 1
    return estimate + (reward - estimate) / new_count, new_count
    # END SOLUTION


def constant_step_update(estimate, reward, alpha):
    """One step of the constant-step estimate: Q + alpha * (R - Q), shapes (n,)."""
    # SOLUTION
    return estimate + alpha * (reward - estimate)
    # END SOLUTION


class Agent(EpsilonGreedyBandit):
    """rl-kit's epsilon-greedy bandit, its estimates updated by your functions (alpha 0: the
    sample average)."""

    def update(self, rows, action, reward):
        n, q = self.rows["n"], self.rows["q"]
        alpha = self.hyperparameters.alpha
        if alpha == 0.0:
            q[rows, action], n[rows, action] = sample_average_update(q[rows, action], n[rows, action], reward)
        else:
            n[rows, action] += 1
            q[rows, action] = constant_step_update(q[rows, action], reward, alpha)
