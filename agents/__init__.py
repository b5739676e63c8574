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


# The network agents by name -> (module, class): imported on demand, as the command starts
# faster without them. The one list of their names.
NETWORK_AGENTS = {"reinforce": ("reinforce", "Reinforce"), "a2c": ("a2c", "A2C"), "ppo": ("ppo", "PPO"),
                  "dqn": ("dqn", "DQN"), "ddpg": ("ddpg", "DDPG"), "td3": ("td3", "TD3"),
                  "sac": ("sac", "SAC")}  # fmt: skip


def network_agent_class(name: str) -> type:
    """The network agent class named `name` (a key of :data:`NETWORK_AGENTS`), imported now."""
    from importlib import import_module

    module, cls = NETWORK_AGENTS[name]
    return getattr(import_module(f".{module}", __name__), cls)


__all__ = [
    "TABULAR_AGENT_CLASSES",
    "NETWORK_AGENTS",
    "network_agent_class",
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
