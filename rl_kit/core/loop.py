"""The run loop: the one place that steps envs and feeds our agents (the native backend's loop).

    obs = envs.reset(seed)
    repeat until the budget of env steps:
        actions = agent.act(obs)
        next_obs, rewards, terminated, truncated, infos = envs.step(actions)
        agent.observe(Transitions(obs, actions, rewards, final next_obs, terminated, truncated))
        obs = next_obs

A single env is a vector of one. Where the vector env resets finished sub-envs in the same
step (``SAME_STEP``), the loop swaps in the true final observation from ``infos["final_obs"]``
before the agent sees the transition. Where it resets them in the next step (``NEXT_STEP``,
like Gymnasium's native vector CartPole), the observation returned at the end is already the
final one, and the loop marks the following reset step's rows as not valid. Everything around
the two verbs (episode statistics, progress, evaluation, logs, checkpoints, callbacks, Ctrl-C)
is the :class:`~rl_kit.core.supervisor.Supervisor`'s, which stable-baselines3's loop reports to too.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from rl_kit.agents import spaces as observation_spaces
from rl_kit.agents.base import Transitions
from rl_kit.core.supervisor import LoopSupervisor, RunResult


@dataclass
class LoopState:
    """What the loop carries from one step to the next besides the supervisor's counters."""

    obs: np.ndarray
    episode_return: np.ndarray
    episode_length: np.ndarray
    resetting: np.ndarray  # NEXT_STEP autoreset: sub-envs whose next step is a reset

    def arrays(self) -> dict[str, np.ndarray]:
        return {name: np.asarray(value) for name, value in self.__dict__.items()}

    @classmethod
    def from_arrays(cls, arrays: dict[str, np.ndarray]) -> LoopState:
        return cls(**{name: np.array(arrays[name]) for name in cls.__dataclass_fields__})

    @classmethod
    def start(cls, envs, seed: int | list[int]) -> LoopState:
        """Fresh episodes in every sub-env, the first reset seeded `seed` (or one seed per sub-env)."""
        obs, _ = envs.reset(seed=seed)
        obs = observation_spaces.from_vector(envs.single_observation_space, obs)
        n = envs.num_envs
        return cls(obs, np.zeros(n), np.zeros(n, dtype=np.int64), np.zeros(n, dtype=bool))


def final_observations(next_obs: np.ndarray, done: np.ndarray, infos: dict, space) -> np.ndarray:
    """`next_obs` with each finished sub-env's true last observation in place of its reset one."""
    fixed = next_obs.copy()
    fixed[done] = observation_spaces.stack(space, list(infos["final_obs"][done]))
    return fixed


def run_loop(
    agent,
    envs,
    supervisor: LoopSupervisor,
    *,
    seed: int | list[int] = 0,
    state: LoopState | None = None,
    checkpoint: Callable[[LoopState], None] | None = None,
) -> RunResult:
    """Train `agent` on the vector env `envs` until the supervisor's budget of env steps
    (all sub-envs counted, rounded up to whole vector steps) or until it says stop.

    Args:
        agent: has ``act(obs, explore=True)`` and ``observe(transitions)``.
        envs: a Gymnasium vector env with ``SAME_STEP`` or ``NEXT_STEP`` autoreset.
        supervisor: told of every episode, metric and step; its counters say where the run is.
        seed: seed of the first reset (when not resuming), or one per sub-env.
        state: a :class:`LoopState` to resume from (the envs and agent restored to match).
        checkpoint: writes a checkpoint of the loop's state, when the supervisor says one is due.
    """
    from gymnasium.vector import AutoresetMode

    next_step_reset = envs.metadata.get("autoreset_mode", AutoresetMode.NEXT_STEP) == AutoresetMode.NEXT_STEP
    num_envs, space = envs.num_envs, envs.single_observation_space
    state = LoopState.start(envs, seed) if state is None else state
    obs, resetting = state.obs, state.resetting.copy()
    episode_return, episode_length = state.episode_return.copy(), state.episode_length.copy()
    step, budget = supervisor.step, supervisor.budget

    def write_checkpoint() -> None:
        assert checkpoint is not None
        checkpoint(LoopState(obs.copy(), episode_return.copy(), episode_length.copy(), resetting.copy()))

    save = write_checkpoint if checkpoint is not None else None
    while step < budget:
        actions = agent.act(obs)
        next_obs, rewards, terminated, truncated, infos = envs.step(actions)
        next_obs = observation_spaces.from_vector(space, next_obs)  # one array, whatever the space
        done = terminated | truncated
        any_done = done.any()
        if next_step_reset:
            valid = ~resetting if resetting.any() else None
            resetting = done
            transitions = Transitions(obs, actions, rewards, next_obs, terminated, truncated, valid)
        else:
            fixed = final_observations(next_obs, done, infos, space) if any_done else next_obs
            transitions = Transitions(obs, actions, rewards, fixed, terminated, truncated)
        metrics = agent.observe(transitions)
        obs = next_obs
        step += num_envs
        episode_return += rewards
        episode_length += 1 if transitions.valid is None else transitions.valid
        if metrics:
            supervisor.metrics(metrics)
        if any_done:
            for i in np.flatnonzero(done):
                supervisor.episode(step, float(episode_return[i]), int(episode_length[i]), sub_env=int(i))
            episode_return[done] = 0.0
            episode_length[done] = 0
        if supervisor.after_step(step, agent, save):
            break
    return supervisor.result()
