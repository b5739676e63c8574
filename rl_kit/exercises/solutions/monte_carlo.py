"""Exercise `monte_carlo`: the returns of an episode and first-visit Monte Carlo control
(Sutton & Barto, sections 5.1 and 5.3).

An episode S_0, A_0, R_1, S_1, A_1, R_2, ..., R_T has a return at every step:

    G_t = R_{t+1} + gamma * R_{t+2} + ... = R_{t+1} + gamma * G_{t+1}

computed backwards from the end, where G_T is 0 if the episode terminated. An episode cut by
a time limit (truncated) did not end there: its tail G_T is the value of where it stopped,
which the agent estimates and passes in as `tail`.

First-visit Monte Carlo updates Q(S_t, A_t) toward G_t only at the first time t the pair
(S_t, A_t) occurs in the episode. Write the returns and the first-visit mask; the agent (its
epsilon-greedy policy, the step sizes, the bookkeeping of episodes) is given.
``rl-kit check monte_carlo.py`` grades them on hand-made episodes, then trains the agent on a
grid world until its greedy policy is within 1% of the optimum (from the env's model P).
"""

import numpy as np

from rl_kit.agents.monte_carlo import MonteCarloControl

EXERCISE = "monte_carlo"


def discounted_returns(rewards, gamma, tail=0.0):
    """The return G_t of every step of one episode.

    Args:
        rewards: R_1 ... R_T, the reward that followed each step, shape (T,).
        gamma: the discount factor.
        tail: G_T, the value after the last step (0 when the episode terminated).

    Returns:
        G_0 ... G_{T-1}, shape (T,).
    """
    # SOLUTION
    returns = np.zeros(len(rewards))
    g = tail
    for t in range(len(rewards) - 1, -1, -1):
        g = rewards[t] + gamma * g
        returns[t] = g
    return returns
    # END SOLUTION


def first_visits(states, actions):
    """True at each step t where the pair (S_t, A_t) occurs for the first time in the episode, shape (T,)."""
    # SOLUTION
    seen, first = set(), np.zeros(len(states), dtype=bool)
    for t, pair in enumerate(zip(states, actions, strict=True)):
        if pair not in seen:
            seen.add(pair)
            first[t] = True
    return first
    # END SOLUTION


class Agent(MonteCarloControl):
    """rl-kit's first-visit MC control, learning from each episode with your functions."""

    def learn_from_episode(self, episode, tail):
        states, actions, rewards = (np.array(column) for column in zip(*episode, strict=True))
        alpha = self.hyperparameters.alpha(self.steps)
        returns = discounted_returns(rewards.astype(float), self.hyperparameters.gamma, tail)
        errors = []
        for t in np.flatnonzero(first_visits(states.tolist(), actions.tolist())):
            s, a = int(states[t]), int(actions[t])
            self.n[s, a] += 1
            step = 1.0 / self.n[s, a] if alpha == 0.0 else alpha
            error = returns[t] - self.q[s, a]
            self.q[s, a] += step * error
            errors.append(error)
        return errors
