"""Exercise `off_policy`: the heart of DDPG, TD3 and SAC (chapter 11).

Actions live in [-1, 1]^n, the actor's output a = tanh(u). Write:

- the deterministic actor's gradient through the critic: for L = -1/B sum_i Q(s_i, tanh(u_i)),
  dL/du_i = -(1/B) dQ/da(s_i, a_i) * (1 - a_i^2), given dQ/da (the critic's input gradient);
- TD3's target action: a' = clip(mu'(s') + clip(eps, -c, c), -1, 1) (target policy smoothing);
- TD3's target: y = r + gamma (1 - terminated) min(Q_1'(s', a'), Q_2'(s', a')) (clipped double Q);
- SAC's soft target: y = r + gamma (1 - terminated) [min_k Q_k'(s', a') - alpha log pi(a'|s')];
- the tanh-squashed Gaussian's log-probability, a = tanh(m + sigma * eps):
  log pi(a|s) = sum_j [-eps_j^2 / 2 - log sigma_j - log(2 pi) / 2] - sum_j log(1 - a_j^2 + 1e-6).

A terminated step has no future; a truncated one does (it is not terminated). ``rl-kit check
off_policy.py`` grades each function on hand-made inputs, then trains rl-kit's TD3 with your
actor gradient and target on Pendulum-v1 (a greedy mean of at least -400 at its best
evaluation; random play scores about -1,200). The SAC functions are graded on their values.
"""

import numpy as np

from rl_kit.agents.td3 import TD3

EXERCISE = "off_policy"


def deterministic_actor_gradient(dq_da, actions):
    """dL/du, shape (B, n), for L = -1/B sum_i Q(s_i, a_i): dq_da (B, n) and actions a = tanh(u) (B, n)."""
    # SOLUTION
    return -dq_da * (1.0 - actions**2) / len(actions)
    # END SOLUTION


def actor_objective_of_a_linear_critic(u, dq_da):
    """Given (not yours): L = -1/B sum_i Q(s_i, tanh(u_i)) for a critic linear in the action,
    Q = sum_j dq_da_ij a_ij; the check differentiates it to test your gradient."""
    return -np.sum(dq_da * np.tanh(u)) / len(u)


def smoothed_target_action(target_action, noise, noise_clip):
    """a' (B, n): the target actor's action plus the noise clipped to +-noise_clip, kept in [-1, 1]."""
    # SOLUTION
    return np.clip(target_action + np.clip(noise, -noise_clip, noise_clip), -1.0, 1.0)
    # END SOLUTION


def clipped_double_q_target(rewards, next_q, terminated, gamma):
    """y (B,): rewards (B,), next_q the target critics' Q_k'(s', a') (2, B), terminated 0.0 / 1.0 (B,)."""
    # SOLUTION
    return rewards + gamma * (1.0 - terminated) * next_q.min(axis=0)
    # END SOLUTION


def soft_target(rewards, next_q, next_log_prob, terminated, gamma, alpha):
    """y (B,): as the clipped double-Q target, with the entropy term -alpha log pi(a'|s') (next_log_prob (B,))."""
    # SOLUTION
    return rewards + gamma * (1.0 - terminated) * (next_q.min(axis=0) - alpha * next_log_prob)
    # END SOLUTION


def squashed_gaussian_log_prob(noise, log_std, actions):
    """log pi(a|s) (B,): noise eps (B, n), log_std log sigma (B, n), actions a = tanh(m + sigma eps) (B, n)."""
    # SOLUTION
    gaussian = (-0.5 * noise**2 - log_std - 0.5 * np.log(2 * np.pi)).sum(axis=1)
    return gaussian - np.log(1.0 - actions**2 + 1e-6).sum(axis=1)
    # END SOLUTION


class Agent(TD3):
    """rl-kit's TD3 with your target action, target and actor gradient."""

    def targets(self, batch):
        hp = self.hyperparameters
        next_x = self.encode(batch["next_obs"])
        next_actions = self.actor_target.forward(next_x)
        noise = self.rng.normal(0.0, hp.target_policy_noise, next_actions.shape)
        next_actions = np.asarray(smoothed_target_action(next_actions, noise, hp.target_noise_clip), dtype=np.float32)
        next_q = self.critics_target.forward(next_x, next_actions)
        y = clipped_double_q_target(batch["rewards"], next_q, batch["terminated"], hp.gamma)
        return np.asarray(y, dtype=np.float32)

    def actor_step(self, x, learning_rate):
        actions = self.actor.forward(x, keep=True)
        q = self.critics.forward(x, actions, keep=True)
        unit = np.zeros_like(q)
        unit[0] = 1.0  # dQ_1/da: the first critic's input gradient
        d_u = deterministic_actor_gradient(self.critics.action_gradient(unit), actions)
        self.actor.body.backward(np.asarray(d_u, dtype=np.float32))
        self.actor.apply_gradient(learning_rate)
        return -float(q[0].mean()), float((np.abs(actions) > 0.99).mean())
