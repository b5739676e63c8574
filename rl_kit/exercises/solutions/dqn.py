"""Exercise `dqn`: DQN's targets, its Huber loss and the target network's schedule (Mnih et al. 2015).

DQN regresses Q_theta(s, a) on targets from a *target network*, a copy of theta refreshed only
every so many env steps, so that the regression target holds still between refreshes:

    y_i = r_i + gamma * (1 - terminated_i) * max_a' Q_target(s'_i, a')

(a time limit's cut is not terminated: it still bootstraps). The loss is the Huber loss of the
error e_i = Q(s_i, a_i) - y_i, quadratic near 0 and linear beyond 1, so one large error cannot
blow up the gradient:

    L = (1/n) sum_i ( e_i^2 / 2  if |e_i| <= 1,  else |e_i| - 1/2 ),   dL/dQ(s_i, a_i) = clip(e_i, -1, 1) / n

Write the targets, the loss, its gradient, and when the target network is due (the env steps
crossed a multiple of the interval). Replay, exploration and the network are given.
``rl-kit check dqn.py`` grades them, checks your gradient against finite differences of your loss,
then trains DQN with them on CartPole-v1 (a greedy mean of 475 within 50,000 steps).
"""

import numpy as np

from rl_kit.agents.dqn import DQN

EXERCISE = "dqn"


def dqn_targets(rewards, next_q_target, terminated, gamma):
    """y, shape (n,): rewards (n,), next_q_target Q_target(s', .) (n, A), terminated 0.0 / 1.0 (n,)."""
    # SOLUTION
    return rewards + gamma * (1.0 - terminated) * next_q_target.max(axis=1)
    # END SOLUTION


def huber_loss(q_taken, targets):
    """L, a float: q_taken Q(s_i, a_i) and targets y_i of shape (n,)."""
    # SOLUTION
    error = np.abs(q_taken - targets)
    return np.where(error <= 1.0, 0.5 * error**2, error - 0.5).mean()
    # END SOLUTION


def huber_loss_gradient(q_taken, targets):
    """dL / dQ(s_i, a_i), shape (n,)."""
    # SOLUTION
    return np.clip(q_taken - targets, -1.0, 1.0) / len(q_taken)
    # END SOLUTION


def time_to_update_target(steps_before, steps_after, interval):
    """True when the env steps went past a multiple of `interval` (from steps_before to steps_after)."""
    # SOLUTION
    return steps_after // interval > steps_before // interval
    # END SOLUTION


class Agent(DQN):
    """rl-kit's DQN with your targets, loss, gradient and target-network schedule."""

    td_loss = staticmethod(lambda xp, q_taken, targets: huber_loss(q_taken, targets))
    td_loss_gradient = staticmethod(huber_loss_gradient)

    def targets(self, batch):
        next_q = self.target.forward(self.target.encode(batch["next_obs"]))
        y = dqn_targets(batch["rewards"], next_q, batch["terminated"], self.hyperparameters.gamma)
        return np.asarray(y, dtype=self.q.dtype)

    def target_update_due(self, before, after):
        return bool(time_to_update_target(before, after, self.hyperparameters.target_update_interval))
