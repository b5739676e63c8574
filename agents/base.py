"""What every agent shares: the batch of transitions it learns from, and space checks.

An agent is a small object with two verbs (see docs/architecture.md)::

    actions = agent.act(observations, explore=True)   # a batch in, a batch out
    metrics = agent.observe(transitions)              # learn from one batch; returns metrics

plus ``state_dict()`` / ``load_state_dict()`` for everything it has learned, and
``hyperparameters``, a frozen dataclass. Agents never import ``envs`` or ``rl_kit``: they work
on any Gymnasium env whose spaces they support.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar, Protocol

import numpy as np
from gymnasium import spaces


@dataclass(frozen=True)
class Transitions:
    """One step of ``num_envs`` environments, arrays with a leading ``num_envs`` axis.

    For an episode that ended at this step, ``next_obs`` is the true final observation (not
    the first observation of the next episode). A ``terminated`` step has no future value;
    a ``truncated`` one (time limit) does, so learning bootstraps from ``next_obs``.

    ``valid`` (None: every row) marks the rows that are transitions. Vector envs that reset in
    the step *after* an episode ends (Gymnasium's ``NEXT_STEP`` autoreset, as its native
    vector CartPole does) spend that step resetting: its row is not a transition, and agents
    must not learn from it.
    """

    obs: np.ndarray
    action: np.ndarray
    reward: np.ndarray
    next_obs: np.ndarray
    terminated: np.ndarray
    truncated: np.ndarray
    valid: np.ndarray | None = None


class Agent(Protocol):
    name: ClassVar[str]
    hyperparameters: Any

    def act(self, obs: np.ndarray, *, explore: bool = True) -> np.ndarray: ...
    def observe(self, transitions: Transitions) -> dict[str, float]: ...
    def state_dict(self) -> dict[str, np.ndarray]: ...
    def load_state_dict(self, state: dict[str, np.ndarray]) -> None: ...


class SpaceError(ValueError):
    """An agent was given an observation or action space it cannot handle."""


class NonFiniteLossError(FloatingPointError):
    """A loss, gradient or TD error became NaN or infinite; the update that produced it was not applied."""


def check_finite(agent: str, at_step: int, **quantities) -> None:
    """Raise :class:`NonFiniteLossError` naming the first of `quantities` (numbers, arrays or
    torch tensors) that holds a NaN or an infinity."""
    for name, value in quantities.items():
        if hasattr(value, "detach"):  # a torch tensor: no autograd warning, no graph kept
            value = value.detach().cpu().numpy()
        values = np.asarray(value, dtype=np.float64)
        if not np.isfinite(values).all():
            bad = values[~np.isfinite(values)].reshape(-1)[0]
            raise NonFiniteLossError(f"{agent}: {name} is {bad} at env step {at_step}; training stopped")


def describe(space: spaces.Space) -> str:
    """A space in one short line, for messages (a Box's bounds can fill a screen)."""
    if isinstance(space, spaces.Box):
        low, high = np.unique(space.low), np.unique(space.high)
        bounds = f"{low[0]:g}, {high[0]:g}, " if len(low) == 1 and len(high) == 1 else ""
        return f"Box({bounds}shape={space.shape}, {space.dtype})"
    text = " ".join(str(space).split())
    return text if len(text) <= 120 else text[:117] + "..."


def discrete_size(space: spaces.Space, role: str, agent: str) -> int:
    """The number of values of a Discrete space starting at 0, or a SpaceError naming it."""
    if not isinstance(space, spaces.Discrete):
        raise SpaceError(
            f"{agent} needs a Discrete {role} space, but got {describe(space)}. "
            "Tabular agents need finitely many states and actions; "
            "for Box spaces use a policy-gradient agent."
        )
    if int(space.start) != 0:
        raise SpaceError(f"{agent} needs a Discrete {role} space starting at 0, got {describe(space)}")
    return int(space.n)
