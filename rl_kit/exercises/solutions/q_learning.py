"""Exercise `q_learning`: Q-learning's target (Sutton & Barto, section 6.5).

Q-learning moves Q(S, A) toward the target

    R + gamma * max_a Q(S', a)

whatever the agent does next: it learns the greedy policy's values while it explores. Two
cases decide whether the future counts:
- S' is terminal (the episode *terminated*: a goal, a hole): no future, the target is R.
- The episode was *truncated* (a time limit cut it): S' still has a future; bootstrap from it.

Write the target for a batch of transitions; the agent (epsilon-greedy acting, the update
Q += alpha * (target - Q), several envs at once) is given. ``rl-kit check q_learning.py``
grades it on hand-made transitions, then trains the agent on Cliff Walking until its greedy
policy is within 1% of the optimum (from the env's model P).
"""

import numpy as np

from rl_kit.agents.q_learning import QLearning

EXERCISE = "q_learning"


def q_learning_target(rewards, next_q, terminated, truncated, gamma):
    """The targets of a batch of transitions.

    Args:
        rewards: R, shape (n,).  next_q: Q(S', .) of each transition, shape (n, A).
        terminated: S' is terminal, bools (n,).  truncated: the time limit ended the episode at S', bools (n,).
        gamma: the discount factor.

    Returns:
        the targets, shape (n,).
    """
    # SOLUTION
    future = next_q.max(axis=1)
    return rewards + gamma * np.where(terminated, 0.0, future)
    # END SOLUTION


class Agent(QLearning):
    """rl-kit's tabular Q-learning, its target computed by your function."""

    def td_target(self, t, gamma):
        next_q = self.q[self.state_index(t.next_obs)]
        rewards = np.asarray(t.reward, dtype=np.float64)
        return q_learning_target(rewards, next_q, np.asarray(t.terminated, bool), np.asarray(t.truncated, bool), gamma)
