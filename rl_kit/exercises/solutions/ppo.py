"""Exercise `ppo`: the clipped surrogate objective and its gradient, by hand (Schulman et al. 2017).

With the probability ratio rho_i = pi(a_i|s_i) / pi_old(a_i|s_i) = exp(log pi - log pi_old) and
advantages A_i, PPO minimises

    L = - (1/n) sum_i min( rho_i A_i, clip(rho_i, 1 - eps, 1 + eps) A_i )

The minimum makes the objective a pessimistic bound: the clip only ever removes the incentive to
move rho beyond 1 +- eps, never adds one. Its gradient with respect to log pi(a_i|s_i) uses
d rho / d log pi = rho:

    dL / d log pi_i = - rho_i A_i / n   where the unclipped term is the minimum (or rho is inside the clip)
                    = 0                 where the clipped term is the smaller (it is constant in log pi)

Write the loss and its gradient; the rest of PPO (rollouts, epochs, minibatches, the value and
entropy terms, backpropagation) is given. ``rl-kit check ppo.py`` grades them on hand-made
ratios on both sides of the clip, checks your gradient against finite differences of your loss,
then trains PPO with them on CartPole-v1 (a greedy mean of 475).
"""

import numpy as np

from rl_kit.agents.ppo import PPO

EXERCISE = "ppo"


def clipped_surrogate_loss(log_prob, old_log_prob, advantages, clip):
    """L, a float; log_prob, old_log_prob and advantages of shape (n,), clip the epsilon."""
    # SOLUTION
    ratio = np.exp(log_prob - old_log_prob)
    return -np.minimum(ratio * advantages, np.clip(ratio, 1 - clip, 1 + clip) * advantages).mean()
    # END SOLUTION


def clipped_surrogate_gradient(log_prob, old_log_prob, advantages, clip):
    """dL / d log_prob, shape (n,)."""
    # SOLUTION
    ratio = np.exp(log_prob - old_log_prob)
    unclipped, clipped = ratio * advantages, np.clip(ratio, 1 - clip, 1 + clip) * advantages
    flows = (unclipped < clipped) | ((ratio >= 1 - clip) & (ratio <= 1 + clip))
    return -np.where(flows, unclipped, 0.0) / len(log_prob)
    # END SOLUTION


class Agent(PPO):
    """rl-kit's PPO, its policy loss and gradient yours."""

    policy_loss = staticmethod(lambda xp, *args: clipped_surrogate_loss(*args))
    policy_loss_gradient = staticmethod(clipped_surrogate_gradient)
