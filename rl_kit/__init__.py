"""rl-kit's workbench: train, evaluate, save, load, plot and watch agents.

>>> import rl_kit
>>> run = rl_kit.train("rl_kit/FrozenLake4x4-v0", "q_learning", steps=200_000, num_envs=16)
>>> rl_kit.evaluate(run.directory, episodes=100, seed=0)
"""

from rl_kit.checkpoint import load_agent, save_agent
from rl_kit.compare import Comparison, compare
from rl_kit.errors import AgentFileError, RLKitError
from rl_kit.evaluation import EvaluationResult, evaluate
from rl_kit.optimum import TabularReference
from rl_kit.training import Run, resume_run, train

__all__ = [
    "AgentFileError",
    "Comparison",
    "compare",
    "EvaluationResult",
    "RLKitError",
    "Run",
    "TabularReference",
    "evaluate",
    "resume_run",
    "load_agent",
    "save_agent",
    "train",
]
