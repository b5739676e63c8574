"""Hand-written learning agents. Each module holds one algorithm, its math in the docstring.

Every agent is built as ``Agent(observation_space, action_space, seed=..., **hyperparameters)``
and has ``act``, ``observe``, ``state_dict`` and ``load_state_dict`` (see :mod:`rl_kit.agents.base`).
"""

from .bandits import BANDIT_AGENT_CLASSES, EpsilonGreedyBandit, GradientBandit, UCBBandit
from .base import Agent, SpaceError, Transitions
from .double_q_learning import DoubleQLearning
from .expected_sarsa import ExpectedSarsa
from .monte_carlo import MonteCarloControl
from .policy_iteration import PolicyIteration
from .q_learning import QLearning
from .sarsa import Sarsa
from .schedules import Schedule
from .value_iteration import ValueIteration

TABULAR_AGENT_CLASSES = (
    QLearning,
    Sarsa,
    ExpectedSarsa,
    DoubleQLearning,
    MonteCarloControl,
    ValueIteration,
    PolicyIteration,
)


def network_agent_classes() -> tuple[type, ...]:
    """REINFORCE, A2C, PPO and DQN: imported on demand, as the command starts faster without them."""
    from .a2c import A2C
    from .dqn import DQN
    from .ppo import PPO
    from .reinforce import Reinforce

    return (Reinforce, A2C, PPO, DQN)


__all__ = [
    "TABULAR_AGENT_CLASSES",
    "Agent",
    "BANDIT_AGENT_CLASSES",
    "EpsilonGreedyBandit",
    "GradientBandit",
    "UCBBandit",
    "DoubleQLearning",
    "ExpectedSarsa",
    "MonteCarloControl",
    "PolicyIteration",
    "QLearning",
    "Sarsa",
    "Schedule",
    "SpaceError",
    "Transitions",
    "ValueIteration",
]
