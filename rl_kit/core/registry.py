"""Our agents by name: agent names to the hand-written agent classes in ``rl_kit.agents``.

stable-baselines3's agents are named by their backend (:mod:`rl_kit.core.sb3_backend`);
:mod:`rl_kit.core.backends` answers for both.
"""

from __future__ import annotations

from typing import Any

from rl_kit import agents
from rl_kit.core.capabilities import ModelEnv, unwrapped
from rl_kit.errors import InvalidType, InvalidValue, RLKitError, unknown_name

# Agent names; the network agents' classes are imported only when one is asked for.
BANDIT_AGENTS: dict[str, type] = {cls.name: cls for cls in agents.BANDIT_AGENT_CLASSES}
TABULAR_AGENTS: dict[str, type] = {cls.name: cls for cls in agents.TABULAR_AGENT_CLASSES}
NETWORK_AGENTS = tuple(agents.NETWORK_AGENTS)
AGENTS = (*BANDIT_AGENTS, *TABULAR_AGENTS, *NETWORK_AGENTS)


def agent_class(name: str) -> type[Any]:
    """Our agent class of `name`."""
    if name in TABULAR_AGENTS:
        return TABULAR_AGENTS[name]
    if name in BANDIT_AGENTS:
        return BANDIT_AGENTS[name]
    if name in NETWORK_AGENTS:
        return agents.network_agent_class(name)
    raise unknown_name("agent", name, AGENTS)


def make_agent(
    name: str,
    observation_space,
    action_space,
    *,
    seed: int | tuple[int, ...] | None = None,
    hyperparameters: dict | None = None,
    env=None,
    member_values: list[dict] | None = None,
):
    """Build agent `name` for these spaces; a model-based planner gets ``env``'s model P.
    A tuple of seeds builds a population (:mod:`rl_kit.core.population`), its members' own
    values in `member_values`."""
    cls = agent_class(name)
    try:
        extra = {} if member_values is None else {"member_values": member_values}
        agent = cls(observation_space, action_space, seed=seed, **extra, **(hyperparameters or {}))
    except ValueError as error:  # a hyperparameter out of range, a space the agent does not take
        raise InvalidValue(str(error)) from None
    except TypeError as error:
        raise InvalidType(str(error)) from None
    if getattr(cls, "needs_model", False):
        model = unwrapped(env)
        if not isinstance(model, ModelEnv):
            raise RLKitError(f"{name} plans with the env's model P, which this env does not publish")
        agent.plan(model.P)
    return agent
