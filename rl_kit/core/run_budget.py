"""A run's feasibility, checked before anything is made: :func:`check_budget`.

The numbers that size a run's memory come from its user (``num_envs``, ``buffer_size``,
``hidden_sizes``, an env's own spaces); a run that cannot fit is refused in one line that names
the number to lower, before any allocation (:mod:`rl_kit.infrastructure.budget`).
"""

from __future__ import annotations

from typing import Any

import gymnasium as gym
import numpy as np

from rl_kit.core.spec import RunSpec
from rl_kit.errors import InvalidValue
from rl_kit.infrastructure.budget import MAX_EPISODES, check_count, check_memory


def check_budget(spec: RunSpec) -> None:
    """Refuse up front a run whose envs cannot all take a step, or whose memory cannot fit here.

    The estimate counts what grows with numbers a user gives: each env's observation held a
    few times over by the env, the loop and the agent (a policy-gradient rollout holds
    ``n_steps`` of them), each env's own state, a replay buffer's ``buffer_size`` transitions,
    and the networks ``hidden_sizes`` asks for (weights, gradients and two Adam moments). It is
    a floor, not a promise: it only catches the runs that cannot fit at all, before anything is
    allocated (:mod:`rl_kit.infrastructure.budget`).
    """
    if spec.num_envs > spec.steps:
        raise InvalidValue(
            f"num_envs ({spec.num_envs:,}) is more than steps ({spec.steps:,}): each step of the vector "
            "env takes num_envs env steps, so the run would overshoot its budget; lower num_envs"
        )
    check_count("eval_episodes", spec.evaluation.episodes, MAX_EPISODES)
    probe = spec.env.make()
    try:
        observation = probe.observation_space.sample()
        per_observation = max(np.asarray(observation).nbytes, 8)
        inputs = gym.spaces.flatdim(probe.observation_space) if is_flat(probe.observation_space) else 1
        outputs = gym.spaces.flatdim(probe.action_space) if is_flat(probe.action_space) else 1
    finally:
        probe.close()
    hp = spec.hyperparameters
    copies = 16 + 3 * whole_or_zero(hp.get("n_steps"))
    check_memory(f"{spec.num_envs:,} envs of {spec.env.id}", spec.num_envs * (per_observation * copies + 256),
                 "lower num_envs")  # fmt: skip
    buffer = whole_or_zero(hp.get("buffer_size"))
    check_memory(f"a replay buffer of {buffer:,} transitions", buffer * (2 * per_observation + 64), "lower buffer_size")
    widths = [inputs, *hidden_widths(hp.get("hidden_sizes")), outputs]
    weights = sum(a * b for a, b in zip(widths, widths[1:], strict=False))
    check_memory(f"networks of hidden sizes {str(hp.get('hidden_sizes'))[:60]}", weights * 8 * 4 * 2,
                 "lower hidden_sizes")  # fmt: skip


def is_flat(space) -> bool:
    try:
        gym.spaces.flatdim(space)
    except (ValueError, NotImplementedError, TypeError):
        return False
    return True


def whole_or_zero(value: Any) -> int:
    """A hyperparameter that sizes an allocation, as a number (0 if absent or not a number: the
    agent's own check names a bad value)."""
    if isinstance(value, bool):
        return 0
    if isinstance(value, str):  # "1e11" is text to YAML; the agents read it as a number
        try:
            value = float(value)
        except ValueError:
            return 0
    if isinstance(value, float) and value.is_integer() and value > 0:
        return int(value)
    return value if isinstance(value, int) and value > 0 else 0


def hidden_widths(text: Any) -> list[int]:
    """``"64,64"`` as ``[64, 64]``; nothing where it is not such text (the agent says why)."""
    try:
        return [int(x) for x in str(text).replace(" ", "").split(",") if x] if text is not None else []
    except ValueError:
        return []
