"""Hand-written learning agents. Each module holds one algorithm, its math in the docstring.

Every agent is built as ``Agent(observation_space, action_space, seed=..., **hyperparameters)``
and has ``act``, ``observe``, ``state_dict`` and ``load_state_dict`` (see :mod:`agents.base`).
"""

from agents.base import Agent, SpaceError, Transitions
from agents.double_q_learning import DoubleQLearning
from agents.expected_sarsa import ExpectedSarsa
from agents.q_learning import QLearning
from agents.sarsa import Sarsa
from agents.schedules import Schedule
from agents.value_iteration import ValueIteration

AGENT_CLASSES = (QLearning, Sarsa, ExpectedSarsa, DoubleQLearning, ValueIteration)

__all__ = [
    "AGENT_CLASSES",
    "Agent",
    "DoubleQLearning",
    "ExpectedSarsa",
    "QLearning",
    "Sarsa",
    "Schedule",
    "SpaceError",
    "Transitions",
    "ValueIteration",
]
