"""Exercise `gae`: generalized advantage estimation (Schulman et al. 2016).

A rollout holds T steps of N envs: rewards r_t, values V(s_t), and dones d_t (the episode ended at
step t; a time limit's cut has already had gamma * V(final state) added to its reward, so a done
step never bootstraps). With V(s_T) of the state after the rollout (`next_values`):

    delta_t = r_t + gamma * V(s_{t+1}) * (1 - d_t) - V(s_t)               the TD error
    A_t     = delta_t + gamma * lambda * (1 - d_t) * A_{t+1}               computed backwards
    returns = A_t + V(s_t)                                                 the critic's targets

lambda = 0 gives the one-step TD error, lambda = 1 the Monte Carlo return minus V: lambda trades
bias for variance. The running sum must stop at an episode's end, or one episode's future leaks
into another's advantages. Write it; PPO around it is given. ``rl-kit check gae.py`` grades it on
hand-made rollouts, then trains PPO with your advantages on CartPole-v1 (a greedy mean of 475).
"""

import numpy as np

from rl_kit.agents.ppo import PPO

EXERCISE = "gae"


def generalized_advantages(rewards, values, dones, next_values, gamma, lam):
    """Advantages and returns of a rollout.

    Args:
        rewards, values, dones: shape (T, N); dones as 0.0 / 1.0.
        next_values: V of the state after the last step, shape (N,).
        gamma: the discount factor.  lam: GAE's lambda.

    Returns:
        (advantages, returns), each of shape (T, N).
    """
    # SOLUTION
    advantages = np.zeros_like(rewards, dtype=np.float64)
    last = np.zeros(rewards.shape[1])
    for t in reversed(range(rewards.shape[0])):
        following = next_values if t == rewards.shape[0] - 1 else values[t + 1]
        continues = 1.0 - dones[t]
        delta = rewards[t] + gamma * following * continues - values[t]
        last = delta + gamma * lam * continues * last
        advantages[t] = last
    return advantages, advantages + values
    # END SOLUTION


class Agent(PPO):
    """rl-kit's PPO, its advantages and returns computed by your function."""

    advantage_estimator = staticmethod(generalized_advantages)
