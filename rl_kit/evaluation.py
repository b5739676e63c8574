"""Evaluation: run an agent's deterministic policy for whole episodes and summarize them.

Episode ``i`` starts from ``env.reset(seed=seed + i)``, so the same seed gives the same
episodes for every agent: the protocol of a fair comparison.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from rl_kit import registry
from rl_kit.stats import summarize


@dataclass
class EvaluationResult:
    """Per-episode returns and lengths, with their summary statistics."""

    env_id: str
    returns: np.ndarray
    lengths: np.ndarray
    successes: np.ndarray | None = None  # per episode, where the env reports ``is_success``
    stats: dict[str, float] = field(init=False)

    def __post_init__(self):
        self.stats = summarize(self.returns)
        self.stats["mean_length"] = float(np.mean(self.lengths))
        if self.successes is not None:
            self.stats["success_rate"] = float(np.mean(self.successes))

    def __getattr__(self, name):
        stats = self.__dict__.get("stats", {})
        if name in stats:
            return stats[name]
        raise AttributeError(name)

    @property
    def episodes(self) -> int:
        return len(self.returns)

    def as_dict(self) -> dict:
        out = {"env": self.env_id, "episodes": self.episodes, **self.stats}
        out["returns"] = self.returns.tolist()
        out["lengths"] = self.lengths.tolist()
        return out

    def __str__(self) -> str:
        s = self.stats
        text = (
            f"{self.env_id}: {self.episodes} episodes, return {s['mean']:.3f} ± {s['std']:.3f} "
            f"(IQM {s['iqm']:.3f}, 95% CI [{s['ci_low']:.3f}, {s['ci_high']:.3f}]), "
            f"length {s['mean_length']:.1f}"
        )
        if "success_rate" in s:
            text += f", success {100 * s['success_rate']:.0f}%"
        return text


def run_episodes(agent, env, episodes: int, seed: int) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
    """Play `episodes` greedy episodes on a single env: returns, lengths and successes.

    Successes are None unless the env reports ``info["is_success"]`` at the end of some
    episode; an episode that ends without it (a time limit) counts as no success.
    """
    returns, lengths = np.zeros(episodes), np.zeros(episodes, dtype=np.int64)
    successes, reported = np.zeros(episodes, dtype=bool), False
    for i in range(episodes):
        obs, info = env.reset(seed=seed + i)
        done = False
        while not done:
            action = agent.act(np.asarray(obs)[None], explore=False)[0]
            obs, reward, terminated, truncated, info = env.step(action)
            returns[i] += reward
            lengths[i] += 1
            done = terminated or truncated
        if "is_success" in info:
            reported = True
            successes[i] = bool(info["is_success"])
    return returns, lengths, (successes if reported else None)


def evaluate(
    agent_or_path, env: str | None = None, *, episodes: int = 100, seed: int = 0, env_kwargs: dict | None = None
) -> EvaluationResult:
    """Evaluate an agent (or a saved agent's path) greedily for `episodes` episodes.

    Args:
        agent_or_path: an agent object, or the path of a saved agent or of a run directory.
        env: env id; defaults to the one a saved agent was trained on.
        episodes: how many episodes; episode ``i`` is seeded ``seed + i``.
        seed: the first episode's seed.
        env_kwargs: keyword arguments of the env (default: those it was trained with).
    """
    from rl_kit.checkpoint import load_agent, saved_env

    if episodes < 1:
        raise ValueError(f"episodes must be at least 1, got {episodes}")
    agent = agent_or_path
    if isinstance(agent_or_path, (str, Path)):
        agent = load_agent(agent_or_path)
        trained_on, trained_kwargs = saved_env(agent_or_path)
        env = env or trained_on
        env_kwargs = trained_kwargs if env_kwargs is None and env == trained_on else env_kwargs
    if env is None:
        raise ValueError("evaluate needs an env id for an agent object")
    single = registry.make_env(env, env_kwargs)
    try:
        from rl_kit.checkpoint import check_spaces

        check_spaces(agent, single, env)
        returns, lengths, successes = run_episodes(agent, single, episodes, seed)
    finally:
        single.close()
    return EvaluationResult(env, returns, lengths, successes)
