"""Exercise `reinforce`: the returns, the loss and its gradient, by hand (Williams 1992;
Sutton & Barto, section 13.3).

REINFORCE raises the log-probability of each action in proportion to the return that followed:

    G_t = r_t + gamma * G_{t+1}   (G_t = r_t at the step an episode ends)     the reward-to-go
    L   = - (1/n) sum_i log pi(a_i | s_i) * G_i                                  the loss, minimised
    dL / d log pi(a_i | s_i) = - G_i / n                                         its gradient

Backpropagation carries dL/dlog pi on into the network (rl-kit's numpy networks do that part).
Write the reward-to-go of one env's rollout, the loss and its gradient; the agent is given
(it weighs log pi by its advantage estimates: the return, minus a baseline if it has one).
``rl-kit check reinforce.py`` grades them on hand-made inputs, checks your gradient against
finite differences of your loss, then trains REINFORCE with them on CartPole-v1.
"""

import numpy as np

from rl_kit.agents.reinforce import Reinforce

EXERCISE = "reinforce"


def rewards_to_go(rewards, dones, gamma):
    """G_t of every step of one env's rollout, shape (T,); dones[t] is True where an episode
    ended at step t (nothing after it counts), and nothing is known after the last step."""
    # SOLUTION
    returns = np.zeros(len(rewards))
    g = 0.0
    for t in range(len(rewards) - 1, -1, -1):
        g = rewards[t] + gamma * (0.0 if dones[t] else g)
        returns[t] = g
    return returns
    # END SOLUTION


def reinforce_loss(log_prob, weights):
    """L = - mean(log pi(a_i|s_i) * weights_i), a float; shapes (n,)."""
    # SOLUTION
    return -np.mean(log_prob * weights)
    # END SOLUTION


def reinforce_loss_gradient(log_prob, weights):
    """dL / d log pi(a_i|s_i), shape (n,)."""
    # SOLUTION
    return -np.asarray(weights, dtype=np.float64) / len(log_prob)
    # END SOLUTION


def rollout_returns(rewards, values, dones, next_values, gamma, lam):
    """Given: each env's returns by your rewards_to_go, the value after the rollout appended as a
    last reward where the episode goes on; the weights are the returns minus the critic's V."""
    returns = np.stack(
        [
            rewards_to_go(np.append(rewards[:, i], next_values[i]), np.append(dones[:, i] > 0, True), gamma)[:-1]
            for i in range(rewards.shape[1])
        ],
        axis=1,
    )
    return returns - values, returns


class Agent(Reinforce):
    """rl-kit's REINFORCE, with your returns, loss and gradient."""

    advantage_estimator = staticmethod(rollout_returns)
    policy_loss = staticmethod(lambda xp, log_prob, weights: reinforce_loss(log_prob, weights))
    policy_loss_gradient = staticmethod(reinforce_loss_gradient)
