"""Twin Delayed DDPG (Fujimoto, van Hoof & Meger 2018): DDPG with three changes against the
overestimation of Q.

DDPG's actor climbs its critic, so it drifts towards the actions where the critic's error is
large and positive, and its target y = r + gamma Q'(s', mu'(s')) bootstraps from them: the
errors compound through the bootstrap (the paper measures the overestimation growing over
training on MuJoCo tasks; the chapter on off-policy control measures it on Pendulum). TD3 changes the update of
:mod:`rl_kit.agents.ddpg` in three places, each a hyperparameter there:

1. **Clipped double Q** (``n_critics`` = 2): two critics Q_1, Q_2 learn from one target that
   takes the smaller of their target networks' values,

       y = r + gamma (1 - terminated) min(Q_1'(s', a'), Q_2'(s', a'))

   An error has to fool both critics to raise y. The two run as one stacked network.
2. **Target policy smoothing** (``target_policy_noise`` 0.2, ``target_noise_clip`` 0.5): the
   target action is a' = clip(mu'(s') + clip(eps, -c, c), -1, 1) with eps ~ N(0, sigma^2), so
   y averages Q over a small neighbourhood of a' and a narrow peak of the critic cannot be
   exploited. Without the clip, a rare large eps would make y a value of an arbitrary action.
3. **Delayed policy updates** (``policy_delay`` 2): the actor and the targets move once per
   two critic updates, so the actor climbs a critic whose error has had time to shrink.

The actor's gradient is DDPG's, through the first critic: dJ/dtheta = 1/B sum_i dQ_1/da *
dmu/dtheta. Hyperparameters as stable-baselines3's TD3.
"""

from __future__ import annotations

from dataclasses import dataclass

from .ddpg import DDPG, DDPGHyperparameters


@dataclass(frozen=True)
class TD3Hyperparameters(DDPGHyperparameters):
    """DDPG's hyperparameters with TD3's three changes on (see the module's docstring)."""

    n_critics: int = 2
    policy_delay: int = 2
    target_policy_noise: float = 0.2
    target_noise_clip: float = 0.5


class TD3(DDPG):
    """TD3 for Box actions: DDPG's update with twin critics, target smoothing and delayed actor steps.

    Args: as :class:`rl_kit.agents.ddpg.DDPG`; hyperparameters :class:`TD3Hyperparameters`.
    """

    name = "td3"
    Hyperparameters = TD3Hyperparameters
