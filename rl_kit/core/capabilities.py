"""What an agent or an env can do beyond the protocol every one of them has, named once.

Every agent acts (``act``) and every env steps; some do more, and the workbench uses it where
they do: a table agent shows its values, an env that publishes its model lets planners and
exact optima read it, a native vector env saves its state for an exact resume. Each capability
is a :class:`typing.Protocol` here, checked with ``isinstance`` (they are ``runtime_checkable``:
the check is that the methods are there), so a reader sees what a branch asks for, and mypy
sees the same. Gymnasium's own envs and a user's agents have a capability by having its
methods; nothing needs to subclass anything.
"""

from __future__ import annotations

from typing import Any, Protocol, runtime_checkable

import numpy as np


@runtime_checkable
class TableAgent(Protocol):
    """A tabular agent: state values and a greedy action for every state (``explain``, the
    overlay on grid worlds, exact optima)."""

    def state_values(self) -> np.ndarray: ...

    def greedy_policy(self) -> np.ndarray: ...


@runtime_checkable
class StateIndexedAgent(Protocol):
    """An agent that maps observations to one state index and has Q for each (``watch``)."""

    state_index: Any

    def action_values(self, states: np.ndarray) -> np.ndarray: ...


@runtime_checkable
class PolicyAgent(Protocol):
    """A network agent that shows its policy: probabilities or means, and V (``watch``, ``explain``)."""

    def policy_outputs(self, obs: Any) -> dict[str, np.ndarray]: ...


@runtime_checkable
class CriticAgent(Protocol):
    """An agent with a critic Q(s, a) over continuous actions (DDPG, TD3, SAC): ``explain`` draws
    it along the actions, for env states (B, ...) and actions (B, G, n) in the env's bounds."""

    action_space: Any

    def action_value_grid(self, obs: Any, actions: np.ndarray) -> np.ndarray: ...


@runtime_checkable
class ModelEnv(Protocol):
    """An env that publishes its model, as Gymnasium's toy-text envs do: ``P[s][a] = [(prob,
    next_state, reward, terminated), ...]`` and the start distribution (planners, exact optima)."""

    P: dict
    initial_state_distrib: np.ndarray


@runtime_checkable
class OverlayEnv(Protocol):
    """An env that draws an agent's values and greedy actions over its map."""

    def set_overlay(self, values: np.ndarray | None, actions: np.ndarray | None = None) -> None: ...


@runtime_checkable
class TrailEnv(Protocol):
    """An env that draws the cells an episode has left behind it."""

    def show_trail(self, length: int) -> None: ...


@runtime_checkable
class ResumableEnvs(Protocol):
    """A vector env that saves its sub-envs' states and generator, so a resumed run equals an
    uninterrupted one (our native vector envs; Gymnasium's cannot)."""

    def training_state(self) -> tuple[dict[str, np.ndarray], dict]: ...

    def load_training_state(self, arrays: dict[str, np.ndarray], rest: dict) -> None: ...


@runtime_checkable
class BanditEnvs(Protocol):
    """A vector env of bandit problems that knows each problem's optimal arm (the testbed)."""

    @property
    def optimal_actions(self) -> np.ndarray: ...


def unwrapped(env: Any) -> Any:
    """The env inside Gymnasium's wrappers (the env itself when it has none)."""
    return getattr(env, "unwrapped", env)
