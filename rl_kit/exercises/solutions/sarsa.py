"""Exercise `sarsa`: SARSA's target (Sutton & Barto, section 6.4).

SARSA learns the values of the policy it follows: it moves Q(S, A) toward

    R + gamma * Q(S', A')

where A' is the action the agent will actually take in S' (so exploration is valued too:
on Cliff Walking it learns the safe path). Whether the future counts:
- S' is terminal (*terminated*): no future, the target is R.
- The episode was *truncated* by a time limit: S' still has a future; bootstrap from it.

Write the target; the agent (choosing A' epsilon-greedily and then taking it, the update, several
envs at once) is given. ``rl-kit check sarsa.py`` grades it on hand-made transitions, then trains
the agent on Cliff Walking until its greedy policy is within 1% of the optimum.
"""

import numpy as np

from rl_kit.agents.sarsa import Sarsa

EXERCISE = "sarsa"


def sarsa_target(rewards, next_q_taken, terminated, truncated, gamma):
    """The targets of a batch of transitions.

    Args:
        rewards: R, shape (n,).  next_q_taken: Q(S', A') for the action A' to be taken next, shape (n,).
        terminated: S' is terminal, bools (n,).  truncated: the time limit ended the episode at S', bools (n,).
        gamma: the discount factor.

    Returns:
        the targets, shape (n,).
    """
    # SOLUTION
    return rewards + gamma * np.where(terminated, 0.0, next_q_taken)
    # END SOLUTION


class Agent(Sarsa):
    """rl-kit's tabular SARSA, its target computed by your function."""

    def td_target(self, t, gamma):
        next_obs = self.state_index(t.next_obs)
        next_action = self.epsilon_greedy(self.q[next_obs])
        ended = np.asarray(t.terminated) | np.asarray(t.truncated)
        self._next_obs = np.where(ended, -1, next_obs)  # A' is taken next where the episode goes on
        self._next_action = next_action
        rewards = np.asarray(t.reward, dtype=np.float64)
        taken = self.q[next_obs, next_action]
        return sarsa_target(rewards, taken, np.asarray(t.terminated, bool), np.asarray(t.truncated, bool), gamma)
