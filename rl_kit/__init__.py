"""rl-kit's workbench: train, evaluate, save, load, plot and watch agents.

>>> import rl_kit
>>> run = rl_kit.train("rl_kit/FrozenLake4x4-v0", "q_learning", steps=200_000, num_envs=16)
>>> rl_kit.evaluate(run.directory, episodes=100, seed=0)
>>> rl_kit.tune("CartPole-v1", "ppo", trials=30, steps=20_000).best_file  # Optuna
>>> rl_kit.testbed(["ucb_bandit:c=2", "gradient_bandit:alpha=0.1"])       # Sutton & Barto, chapter 2
"""

from rl_kit.bandits import testbed
from rl_kit.checkpoint import load_agent, save_agent
from rl_kit.compare import Comparison, compare
from rl_kit.errors import AgentFileError, RLKitError
from rl_kit.evaluation import EvaluationResult, evaluate
from rl_kit.optimum import TabularReference
from rl_kit.training import Run, resume_run, train
from rl_kit.tuning import TuneResult, tune

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
    "testbed",
    "train",
    "tune",
    "TuneResult",
]
