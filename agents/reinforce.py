"""REINFORCE with a learned baseline (Williams 1992; Sutton & Barto 2018, section 13.4).

    grad J = E[ sum_t grad log pi(a_t|s_t) * (G_t - b(s_t)) ],   G_t = sum_k gamma^k r_{t+k}

with the reward-to-go G_t, and the baseline b = V, a learned value function fitted to G_t by
least squares. Each rollout of ``n_steps`` steps per env is used for one gradient step. G_t
is the Monte Carlo return to the episode's end (GAE with lambda = 1); an episode still
running when the rollout ends is completed by V at that point, so keep ``n_steps`` longer
than most episodes to stay close to the textbook estimator.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from .a2c import A2C
from .policy_gradient import PolicyGradientHyperparameters
from .schedules import Schedule
from .search_space import Choice, SearchSpace


@dataclass(frozen=True)
class ReinforceHyperparameters(PolicyGradientHyperparameters):
    """REINFORCE's defaults: long rollouts of whole episodes, Monte Carlo returns."""

    n_steps: int = 512
    gae_lambda: float = 1.0
    learning_rate: Schedule = Schedule("constant", 1e-3)
    normalize_advantage: bool = True

    search_space: ClassVar[SearchSpace] = {  # Monte Carlo returns: gae_lambda stays 1
        **{k: v for k, v in PolicyGradientHyperparameters.search_space.items() if k != "gae_lambda"},
        "n_steps": Choice(128, 256, 512, 1024, 2048),
    }

    def __post_init__(self) -> None:
        super().__post_init__()
        if self.gae_lambda != 1.0:
            raise ValueError("REINFORCE uses Monte Carlo returns: gae_lambda must be 1 (use a2c for lambda < 1)")


class Reinforce(A2C):
    """REINFORCE with baseline. Its loss is A2C's: log-probability times (G_t - V(s_t)),
    plus the baseline's squared error; what makes it REINFORCE is G_t, the full Monte Carlo
    return-to-go, instead of A2C's short bootstrapped one."""

    name = "reinforce"
    Hyperparameters = ReinforceHyperparameters
