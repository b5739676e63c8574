"""Evaluation: run an agent's deterministic policy for whole episodes and summarize them.

Episode ``i`` starts from ``env.reset(seed=seed + i)``, so the same seed gives the same
episodes for every agent: the protocol of a fair comparison. Episodes are played side by side,
up to :data:`EVALUATION_BATCH` at once, each on its own copy of the env, with one call of the
agent per step for all of them: the returns are those of playing them one at a time (a test
holds it), in a fraction of the network calls.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

import gymnasium as gym
import numpy as np

from rl_kit.agents import spaces as observation_spaces
from rl_kit.core.spec import EnvConfig, EvaluationSpec
from rl_kit.core.stats import difference_ci, summarize
from rl_kit.errors import RLKitError
from rl_kit.infrastructure.budget import MAX_EPISODES, check_count


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


EVALUATION_BATCH = 16


def evaluation_envs(spec: EnvConfig, episodes: int, agent=None) -> list[gym.Env]:
    """The copies of `spec`'s env that `episodes` greedy episodes are played on (close them after).

    One copy for agents whose rows are separate problems (bandits: a second row would be an
    agent that has learned nothing), else up to :data:`EVALUATION_BATCH`.
    """
    batch = 1 if getattr(agent, "rows_are_separate_problems", False) else min(episodes, EVALUATION_BATCH)
    return [spec.make() for _ in range(batch)]


def close_all(envs: Sequence[gym.Env]) -> None:
    for env in envs:
        env.close()


def run_episodes(
    agent, envs: gym.Env | Sequence[gym.Env], episodes: int, seed: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
    """Play `episodes` greedy episodes: returns, lengths and successes.

    `envs` are copies of one env (see :func:`evaluation_envs`), or a single env. Episode ``i``
    starts from ``reset(seed=seed + i)`` on whichever copy is free; every step asks the agent
    for all running episodes' actions at once. Successes are None unless the env reports
    ``info["is_success"]`` at the end of some episode; an episode that ends without it (a time
    limit) counts as no success.
    """
    envs = [envs] if isinstance(envs, gym.Env) else list(envs)
    returns, lengths = np.zeros(episodes), np.zeros(episodes, dtype=np.int64)
    successes, reported = np.zeros(episodes, dtype=bool), False
    playing: dict[int, int] = {}  # env copy -> the episode it plays
    observations: dict[int, object] = {}
    started = 0

    def start(slot: int) -> None:
        nonlocal started
        observations[slot], _ = envs[slot].reset(seed=seed + started)
        playing[slot] = started
        started += 1

    for slot in range(min(len(envs), episodes)):
        start(slot)
    while playing:
        slots = list(playing)
        batch = observation_spaces.stack(envs[0].observation_space, [observations[s] for s in slots])
        actions = agent.act(batch, explore=False)
        for slot, action in zip(slots, actions, strict=True):
            episode = playing[slot]
            observations[slot], reward, terminated, truncated, info = envs[slot].step(action)
            returns[episode] += reward
            lengths[episode] += 1
            if terminated or truncated:
                if "is_success" in info:
                    reported = True
                    successes[episode] = bool(info["is_success"])
                del playing[slot]
                if started < episodes:
                    start(slot)
    return returns, lengths, (successes if reported else None)


class PeriodicEvaluation:
    """A run's periodic greedy evaluation: ``evaluation()`` plays ``spec.episodes`` episodes
    (episode ``i`` seeded ``spec.seed + i``) and returns their statistics. The envs are made at
    the first call, kept for the others and closed when the ``with`` block ends, all here.

    A run on a finite set of a level family's levels is also played on held-out levels (the
    same episodes' seeds): ``test_mean`` with its CI, and ``gap``, the training levels' mean
    less the held-out levels', with its CI (see :func:`held_out_config`)."""

    def __init__(self, env: EnvConfig, spec: EvaluationSpec, agent):
        self.env, self.spec, self.agent = env, spec, agent
        self.envs: list[gym.Env] = []
        self.test_envs: list[gym.Env] = []

    def __call__(self) -> dict[str, float]:
        if not self.envs:
            self.envs = evaluation_envs(self.env, self.spec.episodes, self.agent)
            held_out = held_out_config(self.env, self.envs[0])
            if held_out is not None:
                self.test_envs = evaluation_envs(held_out, self.spec.episodes, self.agent)
        episodes = run_episodes(self.agent, self.envs, self.spec.episodes, self.spec.seed)
        stats = EvaluationResult(self.env.id, *episodes).stats
        if self.test_envs:
            test_returns, _, _ = run_episodes(self.agent, self.test_envs, self.spec.episodes, self.spec.seed)
            stats.update(level_gap(episodes[0], test_returns))
        return stats

    def __enter__(self) -> PeriodicEvaluation:
        return self

    def __exit__(self, *exc_info) -> None:
        close_all(self.envs + self.test_envs)
        self.envs, self.test_envs = [], []


def held_out_config(spec: EnvConfig, env: gym.Env | None = None) -> EnvConfig | None:
    """The env of `spec`'s held-out levels, when `spec` plays a finite set of a level family's
    levels (None otherwise): the same options, its levels the seeds of
    :func:`rl_kit.envs.levels.held_out_levels`, none of them a training level by content.
    `env`: an env of `spec` already made (one is made and closed otherwise)."""
    from rl_kit.envs.levels import LEVEL_OPTIONS, held_out_levels, level_family

    made = env is None
    env = spec.make() if env is None else env
    try:
        family = level_family(env)
    finally:
        if made:
            env.close()
    if family is None or family[0].unlimited:
        return None
    split = held_out_levels(*family)
    if not split.seeds:
        return None
    options = {name: value for name, value in spec.kwargs.items() if name not in LEVEL_OPTIONS}
    return replace(spec, kwargs={**options, "levels": list(split.seeds)})


def level_config(spec: EnvConfig, levels: str) -> EnvConfig:
    """`spec` playing the levels `levels` names: ``"train"`` (its own), ``"test"`` (held out:
    :func:`held_out_config`), a range ``"A-B"`` or a list ``"A,B,C"`` of level seeds. An env
    that is not of a level family is refused in one line."""
    from rl_kit.envs.levels import LEVEL_OPTIONS, level_family

    env = spec.make()
    try:
        family = level_family(env)
        if family is None:
            raise RLKitError(f"{spec.id} is not a level family (it has no level_set and level_hash): --levels "
                             f"needs one, like rl_kit/ProcGrid-v0")  # fmt: skip
        if levels == "train":
            return spec
        if levels == "test":
            held_out = held_out_config(spec, env)
            if held_out is None:
                raise RLKitError(f"{spec} plays {family[0].describe()}: no level is held out from it")
            return held_out
    finally:
        env.close()
    seeds = level_seeds(levels)
    options = {name: value for name, value in spec.kwargs.items() if name not in LEVEL_OPTIONS}
    return replace(spec, kwargs={**options, "levels": seeds})


def level_seeds(levels: str) -> list[int]:
    """The seeds of ``"A-B"`` (A to B, both in) or ``"A,B,C"``; anything else is refused in one line."""
    try:
        if "-" in levels:
            first, last = (int(part) for part in levels.split("-"))
            seeds = list(range(first, last + 1))
        else:
            seeds = [int(part) for part in levels.split(",")]
    except ValueError:
        seeds = []
    if not seeds or min(seeds) < 0 or len(seeds) > MAX_EPISODES:
        raise RLKitError(f"levels must be train, test, a range A-B or a list A,B,C of seeds of at least 0 "
                         f"(at most {MAX_EPISODES:,}), got {levels!r}")  # fmt: skip
    return seeds


def level_gap(train_returns, test_returns) -> dict[str, float]:
    """The held-out levels' mean return with its 95% CI, and the gap (training less held-out
    mean) with the CI of the difference of two independent means."""
    test = summarize(test_returns)
    gap_low, gap_high = difference_ci(train_returns, test_returns)
    return {
        "test_mean": test["mean"],
        "test_ci_low": test["ci_low"],
        "test_ci_high": test["ci_high"],
        "gap": round(float(np.mean(train_returns) - test["mean"]), 12),  # 0.57, not 0.5699999999999999
        "gap_ci_low": round(gap_low, 12),
        "gap_ci_high": round(gap_high, 12),
    }


def evaluate(
    agent_or_path,
    env: str | EnvConfig | None = None,
    *,
    episodes: int = 100,
    seed: int = 0,
    env_kwargs: dict | None = None,
) -> EvaluationResult:
    """Evaluate an agent (or a saved agent's path) greedily for `episodes` episodes.

    Args:
        agent_or_path: an agent object, or the path of a saved agent or of a run directory.
        env: env id or :class:`EnvConfig`; defaults to the one a saved agent was trained on
            (with its options, as an id equal to it does).
        episodes: how many episodes; episode ``i`` is seeded ``seed + i``.
        seed: the first episode's seed.
        env_kwargs: keyword arguments of the env, added to those of `env`.
    """
    from rl_kit.core.agent_files import check_spaces
    from rl_kit.core.backends import load_agent_and_env

    if episodes < 1:
        raise ValueError(f"episodes must be at least 1, got {episodes}")
    check_count("episodes", episodes, MAX_EPISODES)
    if isinstance(agent_or_path, (str, Path)):
        agent, spec = load_agent_and_env(agent_or_path, env)
    elif env is None:
        raise ValueError("evaluate needs an env for an agent object")
    else:
        agent, spec = agent_or_path, EnvConfig.of(env)
    spec = EnvConfig.of(spec, env_kwargs)
    envs = evaluation_envs(spec, episodes, agent)
    try:
        check_spaces(agent, envs[0], spec.id)
        returns, lengths, successes = run_episodes(agent, envs, episodes, seed)
    finally:
        close_all(envs)
    return EvaluationResult(spec.id, returns, lengths, successes)
