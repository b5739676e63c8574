"""rl-kit's workbench: train, evaluate, save, load, plot and watch agents.

>>> import rl_kit
>>> run = rl_kit.train("rl_kit/FrozenLake4x4-v0", "q_learning", steps=200_000, num_envs=16)
>>> rl_kit.evaluate(run.directory, episodes=100, seed=0)
>>> rl_kit.tune("CartPole-v1", "ppo", trials=30, steps=20_000).best_file  # Optuna
>>> rl_kit.testbed(["ucb_bandit:c=2", "gradient_bandit:alpha=0.1"])       # Sutton & Barto, chapter 2
>>> rl_kit.show(run)             # in a notebook: greedy episodes inline, and the learning curve

Importing ``rl_kit`` registers the envs (``rl_kit.envs``: gymnasium and numpy only) and
nothing else: every name below is imported at its first use, so ``import rl_kit`` and
``rl-kit --help`` load neither torch nor stable-baselines3. The rooms (see docs/architecture.md):

- ``rl_kit.api``: ``train`` with friendly keywords, building the values the core takes;
- ``rl_kit.envs``, ``rl_kit.agents``: the environments and the hand-written agents;
- ``rl_kit.core``: the run (its spec, the loop and the two backends, logs, saved agents, evaluation);
- ``rl_kit.experiments``: compare, generalize, tune, bench, the bandit testbed, the quickstart;
- ``rl_kit.presentation``: plots, watch, explain, diagnose;
- ``rl_kit.infrastructure``: the job pool and atomic files; ``rl_kit.cli``: the command.
"""

from __future__ import annotations

from importlib import import_module

from rl_kit import envs  # noqa: F401  (registers the rl_kit/... env ids)

# name -> module that defines it, imported on first use (PEP 562)
_LAZY = {
    "AgentFileError": "rl_kit.errors",
    "RLKitError": "rl_kit.errors",
    "EnvConfig": "rl_kit.core.spec",
    "RunSpec": "rl_kit.core.spec",
    "RunOptions": "rl_kit.core.spec",
    "Run": "rl_kit.core.training",
    "execute": "rl_kit.core.training",
    "plan": "rl_kit.core.training",
    "resume_run": "rl_kit.core.training",
    "train": "rl_kit.api",
    "fresh_directory": "rl_kit.core.run_directory",
    "EvaluationResult": "rl_kit.core.evaluation",
    "evaluate": "rl_kit.core.evaluation",
    "load_agent": "rl_kit.core.backends",
    "save_agent": "rl_kit.core.agent_files",
    "TabularReference": "rl_kit.core.optimum",
    "Comparison": "rl_kit.experiments.compare",
    "CompareSettings": "rl_kit.experiments.compare",
    "compare": "rl_kit.api",
    "GeneralizationStudy": "rl_kit.experiments.generalize",
    "generalize": "rl_kit.api",
    "TuneResult": "rl_kit.experiments.tuning",
    "TuneSettings": "rl_kit.experiments.tuning",
    "tune": "rl_kit.api",
    "testbed": "rl_kit.experiments.testbed",
    "show": "rl_kit.presentation.notebook",
}

__all__ = sorted([*_LAZY, "__version__"])


def _version() -> str:
    from importlib import metadata

    try:
        return metadata.version("rl-kit")
    except metadata.PackageNotFoundError:  # run from a checkout that was never installed
        return "0+unknown"


__version__ = _version()


# Old names, still answered with a DeprecationWarning: name -> (new name, why).
_RENAMED = {"EnvSpec": ("EnvConfig", "so that it no longer shares its name with gymnasium's EnvSpec")}


def __getattr__(name: str):
    if name in _RENAMED:
        import warnings

        new, why = _RENAMED[name]
        warnings.warn(f"rl_kit.{name} is now rl_kit.{new}, {why}", DeprecationWarning, stacklevel=2)
        return __getattr__(new)
    if name not in _LAZY:
        raise AttributeError(f"module 'rl_kit' has no attribute {name!r}")
    value = getattr(import_module(_LAZY[name]), name)
    globals()[name] = value  # the next access skips this function
    return value


def __dir__() -> list[str]:
    return sorted([*globals(), *_LAZY])
