"""Evaluation: run an agent's deterministic policy for whole episodes and summarize them.

Episode ``i`` starts from ``env.reset(seed=seed + i)``, so the same seed gives the same
episodes for every agent: the protocol of a fair comparison.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from rl_kit.core.spec import EnvSpec
from rl_kit.core.stats import summarize


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
    agent_or_path,
    env: str | EnvSpec | None = None,
    *,
    episodes: int = 100,
    seed: int = 0,
    env_kwargs: dict | None = None,
) -> EvaluationResult:
    """Evaluate an agent (or a saved agent's path) greedily for `episodes` episodes.

    Args:
        agent_or_path: an agent object, or the path of a saved agent or of a run directory.
        env: env id or :class:`EnvSpec`; defaults to the one a saved agent was trained on
            (with its options, as an id equal to it does).
        episodes: how many episodes; episode ``i`` is seeded ``seed + i``.
        seed: the first episode's seed.
        env_kwargs: keyword arguments of the env, added to those of `env`.
    """
    from rl_kit.core.agent_files import check_spaces
    from rl_kit.core.backends import load_agent_and_env

    if episodes < 1:
        raise ValueError(f"episodes must be at least 1, got {episodes}")
    if isinstance(agent_or_path, (str, Path)):
        agent, spec = load_agent_and_env(agent_or_path, env)
    elif env is None:
        raise ValueError("evaluate needs an env for an agent object")
    else:
        agent, spec = agent_or_path, EnvSpec.of(env)
    spec = EnvSpec.of(spec, env_kwargs)
    single = spec.make()
    try:
        check_spaces(agent, single, spec.id)
        returns, lengths, successes = run_episodes(agent, single, episodes, seed)
    finally:
        single.close()
    return EvaluationResult(spec.id, returns, lengths, successes)
