"""Names to things: agent names to agent classes, env ids to (vector) envs."""

from __future__ import annotations

from typing import Any

import gymnasium as gym
from gymnasium.vector import AutoresetMode

import agents
import envs
from rl_kit.errors import RLKitError, unknown_name

# Agent names; the torch agents' classes are imported only when one is asked for.
BANDIT_AGENTS: dict[str, type] = {cls.name: cls for cls in agents.BANDIT_AGENT_CLASSES}
TABULAR_AGENTS: dict[str, type] = {cls.name: cls for cls in agents.TABULAR_AGENT_CLASSES}
POLICY_GRADIENT_AGENTS = ("reinforce", "a2c", "ppo")
BASELINE_AGENTS = ("sb3_ppo", "sb3_a2c", "sb3_dqn")  # and sb3_<name> for any other SB3 algorithm
AGENTS = (*BANDIT_AGENTS, *TABULAR_AGENTS, *POLICY_GRADIENT_AGENTS, *BASELINE_AGENTS)


def agent_class(name: str) -> type:
    """Our agent class of `name`; for ``sb3_`` names, the stable-baselines3 algorithm class."""
    if name.startswith("sb3_"):
        from rl_kit.baselines import algorithm

        return algorithm(name)
    if name in TABULAR_AGENTS:
        return TABULAR_AGENTS[name]
    if name in BANDIT_AGENTS:
        return BANDIT_AGENTS[name]
    if name in POLICY_GRADIENT_AGENTS:
        return {cls.name: cls for cls in agents.policy_gradient_agent_classes()}[name]
    raise unknown_name("agent", name, AGENTS)


def search_space(name: str):
    """What ``rl-kit tune`` varies for agent `name`: its hyperparameter dataclass's ``search_space``
    (for ``sb3_`` names, :data:`rl_kit.baselines.SEARCH_SPACES`); empty when nothing is tunable."""
    cls = agent_class(name)
    if name.startswith("sb3_"):
        from rl_kit.baselines import PREFIX, SEARCH_SPACES

        return dict(SEARCH_SPACES.get(name[len(PREFIX) :].lower(), {}))
    return dict(cls.Hyperparameters.search_space)


def make_agent(
    name: str,
    observation_space,
    action_space,
    *,
    seed: int | None = None,
    hyperparameters: dict | None = None,
    env=None,
):
    """Build agent `name` for these spaces; a model-based planner gets ``env``'s model P."""
    cls = agent_class(name)
    try:
        agent = cls(observation_space, action_space, seed=seed, **(hyperparameters or {}))
    except (ValueError, TypeError) as error:
        raise RLKitError(str(error)) from None
    if getattr(cls, "needs_model", False):
        P = getattr(getattr(env, "unwrapped", env), "P", None) if env is not None else None
        if P is None:
            raise RLKitError(f"{name} plans with the env's model P, which this env does not publish")
        agent.plan(P)
    return agent


def env_ids() -> list[str]:
    return sorted(gym.registry)


def check_env_id(env_id: str) -> str:
    if env_id not in gym.registry:
        raise unknown_name("env", env_id, gym.registry)
    return env_id


def make_env(env_id: str, env_kwargs: dict[str, Any] | None = None, **make_kwargs) -> gym.Env:
    """``gymnasium.make`` with a clear error for unknown ids and bad keyword arguments."""
    check_env_id(env_id)
    try:
        return gym.make(env_id, **(env_kwargs or {}), **make_kwargs)
    except (TypeError, ValueError) as error:
        raise RLKitError(f"cannot make {env_id}: {error}") from None


def make_vector_env(env_id: str, num_envs: int, env_kwargs: dict[str, Any] | None = None) -> gym.vector.VectorEnv:
    """The env's native vector version where it has one (ours, Gymnasium's CartPole), else
    Gymnasium's ``SyncVectorEnv`` over single envs with ``SAME_STEP`` autoreset.
    """
    check_env_id(env_id)
    if num_envs < 1:
        raise RLKitError(f"num_envs must be at least 1, got {num_envs}")
    kwargs = dict(env_kwargs or {})
    try:
        if gym.spec(env_id).vector_entry_point is not None:
            vec = gym.make_vec(env_id, num_envs=num_envs, vectorization_mode="vector_entry_point", **kwargs)
            if vec.metadata.get("autoreset_mode") in (AutoresetMode.SAME_STEP, AutoresetMode.NEXT_STEP):
                return vec
            vec.close()
        return gym.make_vec(
            env_id,
            num_envs=num_envs,
            vectorization_mode="sync",
            vector_kwargs={"autoreset_mode": AutoresetMode.SAME_STEP},
            **kwargs,
        )
    except (TypeError, ValueError) as error:
        raise RLKitError(f"cannot make {env_id}: {error}") from None


__all__ = ["AGENTS", "agent_class", "search_space", "make_agent", "make_env", "make_vector_env", "env_ids", "envs"]
