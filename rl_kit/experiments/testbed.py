"""The k-armed testbed (Sutton & Barto 2.3): bandit methods compared over thousands of problems.

Each method meets the same `runs` independent bandit problems (the same seed draws the same
true values for everyone), learns each from scratch for `steps` pulls, and is summed up by
two curves over the steps, averaged over the runs: the average reward, and the fraction of
pulls that chose the optimal arm. All runs step together in the env's native vector version,
so the book's 2000 runs x 1000 steps take about a second per method.

A method is written as ``NAME[:KEY=VALUE[:KEY=VALUE...]]``, for instance
``epsilon_greedy_bandit:epsilon=0.1``, ``epsilon_greedy_bandit:epsilon=0:q_init=5:alpha=0.1``
(optimistic), ``ucb_bandit:c=2`` or ``gradient_bandit:alpha=0.1:baseline=false``.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from rl_kit.agents.base import Transitions
from rl_kit.core import registry
from rl_kit.core.capabilities import BanditEnvs
from rl_kit.core.spec import check_env_id
from rl_kit.errors import RLKitError
from rl_kit.infrastructure.atomic_files import atomic_write
from rl_kit.infrastructure.budget import check_count, check_memory
from rl_kit.infrastructure.yaml_text import load_yaml

# Figure 2.2 of the book: greedy and two epsilon-greedy methods, sample averages.
DEFAULT_METHODS = (
    "epsilon_greedy_bandit:epsilon=0",
    "epsilon_greedy_bandit:epsilon=0.01",
    "epsilon_greedy_bandit:epsilon=0.1",
)


@dataclass
class Curves:
    """One method's testbed result: per step, the mean reward and the fraction of optimal pulls."""

    method: str
    average_reward: np.ndarray
    optimal_action: np.ndarray

    def summary(self) -> str:
        tail = max(len(self.average_reward) // 10, 1)
        return (
            f"{self.method:48} average reward {self.average_reward.mean():6.3f} "
            f"(last {tail} steps {self.average_reward[-tail:].mean():6.3f}), "
            f"optimal action {100 * self.optimal_action[-tail:].mean():5.1f}% at the end"
        )


def parse_method(text: str) -> tuple[str, dict[str, Any]]:
    """``"ucb_bandit:c=2"`` -> ``("ucb_bandit", {"c": 2})``; values read as YAML."""
    name, *pairs = text.split(":")
    values = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key:
            raise RLKitError(f"method {text!r}: expected NAME:KEY=VALUE[:KEY=VALUE...], got {pair!r}")
        values[key.strip()] = load_yaml(value, f"method {text[:80]!r}'s {key.strip()[:40]}")
    if name not in registry.BANDIT_AGENTS:
        raise RLKitError(f"method {text!r}: {name!r} is not a bandit agent ({', '.join(registry.BANDIT_AGENTS)})")
    return name, values


def testbed(
    methods: list[str] | tuple[str, ...] = DEFAULT_METHODS,
    *,
    env: str = "rl_kit/Bandit-v0",
    runs: int = 2000,
    steps: int | None = None,
    seed: int = 0,
    env_kwargs: dict[str, Any] | None = None,
    progress: bool = True,
) -> list[Curves]:
    """Run every method on the same `runs` problems for `steps` pulls (default: the env's episode).

    Args:
        methods: method texts (see the module's docstring).
        env: a bandit env id: ``rl_kit/Bandit-v0`` or ``rl_kit/BanditNonstationary-v0``.
        runs: independent problems, stepped together.
        steps: pulls per run (default: the env's ``max_episode_steps``: 1000, or 10,000 non-stationary).
        seed: draws the problems (the same for every method) and seeds each agent.
        env_kwargs: env options (``k``, ``walk_std``, ...).
    """
    import gymnasium as gym

    from rl_kit.infrastructure.progress import tqdm_class

    tqdm = tqdm_class()

    check_env_id(env)
    steps = steps or gym.spec(env).max_episode_steps or 1000
    if runs < 1 or steps < 1:
        raise RLKitError(f"runs and steps must be at least 1, got {runs} and {steps}")
    # each run is a problem with its k arms' values and an agent's estimates and counts per arm
    check_memory(f"{runs:,} bandit runs", runs * 64 * 8 * 6, "lower --runs")
    check_count("steps x runs", steps * runs, 10**10)
    parsed = [parse_method(m) for m in methods]
    results = []
    for text, (name, values) in zip(methods, parsed, strict=True):
        try:
            envs = gym.make_vec(
                env,
                num_envs=runs,
                vectorization_mode="vector_entry_point",
                max_episode_steps=steps,
                **(env_kwargs or {}),
            )
        except (TypeError, ValueError) as error:
            raise RLKitError(f"cannot make {env}: {error}") from None
        if not isinstance(envs, BanditEnvs):
            raise RLKitError(f"{env} is not a bandit env: the testbed needs to know each problem's optimal arm")
        agent = registry.make_agent(
            name, envs.single_observation_space, envs.single_action_space, seed=seed, hyperparameters=values
        )
        reward, optimal = np.zeros(steps), np.zeros(steps)
        obs, _ = envs.reset(seed=seed)
        for t in tqdm(range(steps), desc=text, disable=not progress, leave=False, dynamic_ncols=True):
            best = envs.optimal_actions
            actions = agent.act(obs)
            next_obs, rewards, terminated, truncated, _ = envs.step(actions)
            agent.observe(Transitions(obs, actions, rewards, next_obs, terminated, truncated))
            reward[t], optimal[t] = rewards.mean(), (actions == best).mean()
            obs = next_obs
        envs.close()
        results.append(Curves(text, reward, optimal))
    return results


def write_testbed(curves: list[Curves], output: str | Path, *, title: str) -> tuple[Path, Path]:
    """The book's two panels (average reward; % optimal action) as a PNG, and the curves as CSV beside it."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    output = Path(output)
    output.parent.mkdir(parents=True, exist_ok=True)
    steps = np.arange(1, len(curves[0].average_reward) + 1)
    figure, (top, bottom) = plt.subplots(2, 1, figsize=(8, 7), sharex=True)
    for c in curves:
        top.plot(steps, c.average_reward, linewidth=1, label=c.method)
        bottom.plot(steps, 100 * c.optimal_action, linewidth=1, label=c.method)
    top.set_ylabel("average reward")
    bottom.set_ylabel("% optimal action")
    bottom.set_ylim(0, 100)
    bottom.set_xlabel("steps")
    top.legend(fontsize=8, loc="lower right")
    top.set_title(title)
    for axes in (top, bottom):
        axes.grid(alpha=0.3)
    figure.tight_layout()
    figure.savefig(output, dpi=110)
    plt.close(figure)
    table = io.StringIO()
    writer = csv.writer(table)
    writer.writerow(["step", *(f"{c.method} {kind}" for c in curves for kind in ("reward", "optimal"))])
    for i, step in enumerate(steps):
        writer.writerow([step, *(f"{v:.5g}" for c in curves for v in (c.average_reward[i], c.optimal_action[i]))])
    data = output.with_suffix(".csv")
    atomic_write(data, table.getvalue())
    return output, data
