"""The run loop: the one place that steps envs and feeds agents.

    obs = envs.reset(seed)
    repeat until `steps` env steps:
        actions = agent.act(obs)
        next_obs, rewards, terminated, truncated, infos = envs.step(actions)
        agent.observe(Transitions(obs, actions, rewards, final next_obs, terminated, truncated))
        obs = next_obs

A single env is a vector of one. Where the vector env resets finished sub-envs in the same
step (``SAME_STEP``), the loop swaps in the true final observation from ``infos["final_obs"]``
before the agent sees the transition. Where it resets them in the next step (``NEXT_STEP``,
like Gymnasium's native vector CartPole), the observation returned at the end is already the
final one, and the loop marks the following reset step's rows as not valid. Everything around the two verbs lives here once:
episode statistics, the progress bar, periodic evaluation, logs and Ctrl-C.
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from agents.base import Transitions


@dataclass
class LoopState:
    """Everything the loop carries from one step to the next: enough to resume it exactly."""

    step: int
    episodes: int
    obs: np.ndarray
    episode_return: np.ndarray
    episode_length: np.ndarray
    resetting: np.ndarray
    recent: list[float]
    next_log: int
    next_eval: int
    next_callback: int
    metric_sums: dict[str, float]
    metric_count: int

    ARRAYS = ("obs", "episode_return", "episode_length", "resetting")

    def split(self) -> tuple[dict[str, np.ndarray], dict]:
        """(arrays, JSON-able rest), for a checkpoint file."""
        arrays = {name: np.asarray(getattr(self, name)) for name in self.ARRAYS}
        rest = {k: v for k, v in self.__dict__.items() if k not in self.ARRAYS}
        return arrays, rest

    @classmethod
    def join(cls, arrays: dict[str, np.ndarray], rest: dict) -> LoopState:
        return cls(**{**rest, **{name: np.array(arrays[name]) for name in cls.ARRAYS}})


@dataclass
class LoopResult:
    steps: int
    episodes: int
    interrupted: bool
    wall_time: float
    recent_return: float | None


def progress_bar(steps: int, description: str, shown: bool):
    """The training progress bar: env steps, steps/s, and (set by the caller) the recent return."""
    from tqdm.auto import tqdm

    return tqdm(
        total=steps,
        unit="step",
        unit_scale=True,
        desc=description,
        disable=not shown,
        dynamic_ncols=True,
        mininterval=0.5,
    )


def final_observations(next_obs: np.ndarray, done: np.ndarray, infos: dict) -> np.ndarray:
    """`next_obs` with each finished sub-env's true last observation in place of its reset one."""
    fixed = next_obs.copy()
    fixed[done] = np.stack(list(infos["final_obs"][done]))
    return fixed


def stop_on_sigterm() -> None:
    """Let SIGTERM (a scheduler stopping the job) stop training like Ctrl-C: saved, clean exit."""
    import signal

    def interrupt(signum, frame):
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, interrupt)


def run_loop(
    agent,
    envs,
    *,
    steps: int,
    seed: int,
    logger=None,
    progress: bool = True,
    log_every: int = 1000,
    eval_every: int = 0,
    evaluate: Callable[[], dict[str, float]] | None = None,
    callback: Callable[[int, object], bool] | None = None,
    callback_every: int = 1000,
    on_evaluation: Callable[[int, dict[str, float]], bool] | None = None,
    description: str = "training",
    state: LoopState | None = None,
    checkpoint: Callable[[LoopState], None] | None = None,
    checkpoint_every: int = 0,
) -> LoopResult:
    """Train `agent` on the vector env `envs` for `steps` env steps (all sub-envs counted).

    Args:
        agent: has ``act(obs, explore=True)`` and ``observe(transitions)``.
        envs: a Gymnasium vector env with ``SAME_STEP`` autoreset.
        steps: env steps to take in total (rounded up to whole vector steps).
        seed: seed of the first reset.
        logger: a :class:`rl_kit.logs.RunLogger`, or None.
        progress: show a progress bar with steps/s and the recent return.
        log_every: env steps between rows of averaged agent metrics.
        eval_every: env steps between calls of `evaluate` (0: never).
        evaluate: returns evaluation statistics to log.
        callback: called every `callback_every` env steps with (step, agent); True stops.
        on_evaluation: called with (step, statistics) after each evaluation; True stops (a tuner's pruning).
        state: a :class:`LoopState` to resume from (the envs and agent restored to match).
        checkpoint: called with the loop's state every `checkpoint_every` env steps.
    Ctrl-C stops the loop cleanly; the result says it was interrupted.
    """
    from gymnasium.vector import AutoresetMode

    next_step_reset = envs.metadata.get("autoreset_mode", AutoresetMode.NEXT_STEP) == AutoresetMode.NEXT_STEP
    resetting = np.zeros(envs.num_envs, dtype=bool)  # NEXT_STEP: sub-envs whose next step is a reset
    num_envs = envs.num_envs
    if state is None:
        obs, _ = envs.reset(seed=seed)
        state = LoopState(
            0,
            0,
            obs,
            np.zeros(num_envs),
            np.zeros(num_envs, dtype=np.int64),
            resetting,
            [],
            log_every,
            eval_every,
            callback_every,
            {},
            0,
        )
    step, episodes, obs = state.step, state.episodes, state.obs
    episode_return, episode_length, resetting = (
        state.episode_return.copy(),
        state.episode_length.copy(),
        state.resetting.copy(),
    )
    recent = deque(state.recent, maxlen=100)
    metric_sums, metric_count = dict(state.metric_sums), state.metric_count
    next_log, next_eval, next_callback = state.next_log, state.next_eval, state.next_callback
    next_checkpoint = (step // checkpoint_every + 1) * checkpoint_every if checkpoint_every else None

    def snapshot() -> LoopState:
        return LoopState(
            step,
            episodes,
            obs.copy(),
            episode_return.copy(),
            episode_length.copy(),
            resetting.copy(),
            list(recent),
            next_log,
            next_eval,
            next_callback,
            dict(metric_sums),
            metric_count,
        )

    interrupted = False
    start = time.perf_counter()
    bar = progress_bar(steps, description, progress)
    bar.update(step)
    try:
        while step < steps:
            actions = agent.act(obs)
            next_obs, rewards, terminated, truncated, infos = envs.step(actions)
            done = terminated | truncated
            any_done = done.any()
            if next_step_reset:
                valid = ~resetting if resetting.any() else None
                resetting = done
                transitions = Transitions(obs, actions, rewards, next_obs, terminated, truncated, valid)
            else:
                fixed = final_observations(next_obs, done, infos) if any_done else next_obs
                transitions = Transitions(obs, actions, rewards, fixed, terminated, truncated)
            metrics = agent.observe(transitions)
            obs = next_obs
            step += num_envs
            episode_return += rewards
            episode_length += 1 if transitions.valid is None else transitions.valid
            if metrics:
                metric_count += 1
                for key, value in metrics.items():
                    metric_sums[key] = metric_sums.get(key, 0.0) + value
            if any_done:
                for i in np.flatnonzero(done):
                    episodes += 1
                    recent.append(float(episode_return[i]))
                    if logger is not None:
                        logger.episode(step, episodes, float(episode_return[i]), int(episode_length[i]))
                episode_return[done] = 0.0
                episode_length[done] = 0
            if step >= next_log:
                next_log += log_every
                if logger is not None and metric_count:
                    averaged = {k: v / metric_count for k, v in metric_sums.items()}
                    logger.metrics(step, averaged, float(np.mean(recent)) if recent else None)
                metric_sums, metric_count = {}, 0
                bar.update(step - bar.n)
                if recent:
                    bar.set_postfix_str(f"return {np.mean(recent):.3g}", refresh=False)
            if eval_every and step >= next_eval and evaluate is not None:
                next_eval += eval_every
                stats = evaluate()
                if logger is not None:
                    logger.evaluation(step, stats)
                if on_evaluation is not None and on_evaluation(step, stats):
                    break
            if checkpoint is not None and next_checkpoint is not None and step >= next_checkpoint:
                next_checkpoint += checkpoint_every
                checkpoint(snapshot())
            if callback is not None and step >= next_callback:
                next_callback += callback_every
                if callback(step, agent):
                    break
    except KeyboardInterrupt:  # no checkpoint here: Ctrl-C may land mid-step; the last periodic one is whole
        interrupted = True
    finally:
        bar.update(step - bar.n)
        bar.close()
    return LoopResult(
        step, episodes, interrupted, time.perf_counter() - start, float(np.mean(recent)) if recent else None
    )
