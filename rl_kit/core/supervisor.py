"""What happens around learning, written once for both backends: the :class:`Supervisor`.

A backend runs its own loop (ours, :mod:`rl_kit.core.loop`, or stable-baselines3's) and tells
the supervisor three things as they happen:

- :meth:`Supervisor.episode`: an episode ended, with its return and length;
- :meth:`Supervisor.metrics`: the agent reported training metrics (averaged per log interval);
- :meth:`Supervisor.after_step`: the env step counter moved; True means stop.

On `after_step` the supervisor does whatever is due at that step, in this order: a row of
averaged metrics and the progress bar, a greedy evaluation (then ``on_evaluation``, which may
stop the run), a checkpoint, the user's callback (which may stop it). Inside
:meth:`Supervisor.running`, Ctrl-C (and SIGTERM, see :func:`stop_on_sigterm`) ends the run
cleanly, marked interrupted. Its counters are a :class:`SupervisorState`, saved in checkpoints,
so a resumed run goes on exactly where it stopped.
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from typing import Any, Protocol

import numpy as np

from rl_kit.core.spec import RunOptions
from rl_kit.infrastructure.signals import StopSignal, raise_terminated, signal_name, stop_on_sigterm  # noqa: F401  (here for callers)


@dataclass(frozen=True)
class Cadence:
    """When the supervisor's work is due, in env steps.

    Attributes:
        log_every: env steps between rows of averaged metrics.
        eval_every: env steps between greedy evaluations (0: never).
        checkpoint_every: env steps between checkpoints (0: none); the backend writes them.
    """

    log_every: int = 1000
    eval_every: int = 0
    checkpoint_every: int = 0


@dataclass
class SupervisorState:
    """The supervisor's counters: enough, with the backend's own state, to resume a run exactly."""

    step: int = 0
    episodes: int = 0
    recent: list[float] = field(default_factory=list)  # the last 100 episode returns
    next_log: int = 0
    next_eval: int = 0
    next_callback: int = 0
    metric_sums: dict[str, float] = field(default_factory=dict)
    metric_count: int = 0  # updates reported since the last row
    metric_counts: dict[str, int] | None = None  # updates that reported each metric (None: written before it)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class RunResult:
    steps: int
    episodes: int
    interrupted: bool
    wall_time: float
    recent_return: float | None
    stopped_by: str | None = None  # "SIGINT" (Ctrl-C) or "SIGTERM" when interrupted


def progress_bar(steps: int, description: str, shown: bool):
    """A progress bar over env steps (tqdm), with steps/s."""
    from rl_kit.infrastructure.progress import tqdm_class

    tqdm = tqdm_class()

    return tqdm(
        total=steps,
        unit="step",
        unit_scale=True,
        desc=description,
        disable=not shown,
        dynamic_ncols=True,
        mininterval=0.5,
    )


GRACE_S = 5.0  # how long a stop request waits for the next step before it raises where it is


@contextmanager
def stop_requests(supervisor: Supervisor) -> Iterator[None]:
    """While the block runs, Ctrl-C and (where :func:`stop_on_sigterm` was called) SIGTERM set
    ``supervisor.stop_signal`` instead of raising wherever the program happens to be; a second
    one raises at once, and so does the first once :data:`GRACE_S` seconds have passed without
    the run reaching its next step (one update can take minutes: 300 epochs of PPO, SB3's own
    ``train()``, which calls no callback). So a stop is clean when the loop is between steps,
    and bounded always. Signals a program handles its own way are left to it; so are threads
    other than the main one, where Python cannot install handlers."""
    import os
    import signal
    import threading

    if threading.current_thread() is not threading.main_thread():
        yield
        return
    own = {signal.SIGINT: signal.default_int_handler, signal.SIGTERM: raise_terminated}
    previous = {number: signal.getsignal(number) for number in own}

    timers: list[threading.Timer] = []

    def request_stop(signum, frame):
        if supervisor.stop_signal is not None:
            own[signum](signum, frame)
        supervisor.stop_signal = signal.Signals(signum).name
        timer = threading.Timer(GRACE_S, os.kill, (os.getpid(), signum))  # the same signal again: raise
        timer.daemon = True
        timer.start()
        timers.append(timer)

    deferred = [number for number, handler in own.items() if previous[number] is handler]
    for number in deferred:
        signal.signal(number, request_stop)
    try:
        yield
    finally:
        for timer in timers:
            timer.cancel()
        for number in deferred:
            signal.signal(number, previous[number])


class LoopSupervisor(Protocol):
    """What a run loop tells as it runs: a :class:`Supervisor`, or a population's
    (:class:`~rl_kit.core.population.PopulationSupervisor`), which hands it on to its members'."""

    step: int
    budget: int

    def episode(self, step: int, episode_return: float, length: int, sub_env: int = 0) -> None: ...

    def metrics(self, values: dict[str, Any]) -> None: ...

    def after_step(self, step: int, agent: Any = None, checkpoint: Callable[[], None] | None = None) -> bool: ...

    def result(self) -> RunResult: ...


class Supervisor:
    """Episode statistics, progress bar, evaluation, logs, checkpoints, callbacks and Ctrl-C of one run.

    Args:
        budget: the run's total in env steps (:attr:`step` is the counter that moves towards it).
        cadence: when metrics rows, evaluations and checkpoints are due (:class:`Cadence`).
        evaluate: plays greedy episodes and returns their statistics (None: no evaluation).
        logger: a :class:`rl_kit.core.logs.RunLogger`, or None.
        options: progress bar and callbacks (:class:`~rl_kit.core.spec.RunOptions`).
        description: the progress bar's label.
        state: counters to resume from.
    """

    def __init__(
        self,
        budget: int,
        cadence: Cadence = Cadence(),
        *,
        evaluate: Callable[[], dict[str, float]] | None = None,
        logger: Any = None,
        options: RunOptions = RunOptions(progress=False),
        description: str = "training",
        state: SupervisorState | None = None,
    ):
        self.budget, self.logger, self.options = budget, logger, options
        self.log_every, self.checkpoint_every = cadence.log_every, cadence.checkpoint_every
        self.eval_every = cadence.eval_every if evaluate is not None else 0
        self.evaluate, self.description = evaluate, description
        if state is None:
            state = SupervisorState(next_log=self.log_every, next_eval=self.eval_every,
                                    next_callback=options.callback_every)  # fmt: skip
        checkpoint_every = self.checkpoint_every
        self.step, self.episodes = state.step, state.episodes
        self.recent: deque[float] = deque(state.recent, maxlen=100)
        self.next_log, self.next_eval, self.next_callback = state.next_log, state.next_eval, state.next_callback
        self.metric_sums, self.metric_count = dict(state.metric_sums), state.metric_count
        counts = state.metric_counts
        self.metric_counts = dict(counts) if counts is not None else dict.fromkeys(self.metric_sums, self.metric_count)
        self.next_checkpoint = (self.step // checkpoint_every + 1) * checkpoint_every if checkpoint_every else None
        self.interrupted, self.wall_time = False, 0.0
        self.stopped_by: str | None = None
        self.stop_signal: str | None = None  # "SIGINT" or "SIGTERM" once one asked for a stop
        self.bar: Any = None  # the tqdm bar while running
        self._update_next_due()

    def _update_next_due(self) -> None:
        """The first step at which anything is due: `after_step` is one comparison until then."""
        due = [self.next_log]
        if self.eval_every:
            due.append(self.next_eval)
        if self.next_checkpoint is not None:
            due.append(self.next_checkpoint)
        if self.options.callback is not None:
            due.append(self.next_callback)
        self._next_due = min(due)

    @property
    def recent_return(self) -> float | None:
        return float(np.mean(self.recent)) if self.recent else None

    def state(self) -> SupervisorState:
        return SupervisorState(
            self.step,
            self.episodes,
            list(self.recent),
            self.next_log,
            self.next_eval,
            self.next_callback,
            dict(self.metric_sums),
            self.metric_count,
            dict(self.metric_counts),
        )

    def episode(self, step: int, episode_return: float, length: int, sub_env: int = 0) -> None:
        """An episode ended at env step `step` (in sub-env `sub_env`: a population's
        :class:`~rl_kit.core.population.PopulationSupervisor` hands it to that env's member)."""
        self.episodes += 1
        self.recent.append(episode_return)
        if self.logger is not None:
            self.logger.episode(step, self.episodes, episode_return, length)

    def metrics(self, values: dict[str, float]) -> None:
        """Training metrics of one update, averaged into the next row of ``train.csv``: each
        over the updates that reported it (TD3's actor loss comes every other update), a NaN
        (not measured yet) counting for none; a metric none reported in a row is NaN there."""
        self.metric_count += 1
        sums, counts = self.metric_sums, self.metric_counts
        for key, value in values.items():
            sums.setdefault(key, 0.0)
            counts.setdefault(key, 0)
            if value == value:  # not NaN
                sums[key] += value
                counts[key] += 1

    def after_step(self, step: int, agent: Any = None, checkpoint: Callable[[], None] | None = None) -> bool:
        """The env step counter is now `step`: do what is due; True asks the backend to stop.

        `agent` is handed to the user's callback; `checkpoint` writes one (the backend's own).
        """
        self.step = step
        if self.stop_signal is not None:
            return True
        if step < self._next_due:
            return False
        stop = False
        if step >= self.next_log:
            self.next_log += self.log_every
            if self.logger is not None and self.metric_count:
                counts = self.metric_counts
                averaged = {k: v / counts[k] if counts[k] else float("nan") for k, v in self.metric_sums.items()}
                self.logger.metrics(step, averaged, self.recent_return)
            self.metric_sums, self.metric_count, self.metric_counts = {}, 0, {}
            self._show_progress()
        if self.eval_every and step >= self.next_eval:
            self.next_eval += self.eval_every
            assert self.evaluate is not None  # eval_every is 0 without it
            stats = self.evaluate()
            if self.logger is not None:
                self.logger.evaluation(step, stats)
            on_evaluation = self.options.on_evaluation
            stop = on_evaluation is not None and bool(on_evaluation(step, stats))
        if not stop and self.next_checkpoint is not None and step >= self.next_checkpoint:
            self.next_checkpoint += self.checkpoint_every
            if checkpoint is not None:
                if self.logger is not None:  # every row the checkpoint counts is on disk before it
                    self.logger.flush()
                checkpoint()
        callback = self.options.callback
        if not stop and callback is not None and step >= self.next_callback:
            self.next_callback += self.options.callback_every
            stop = bool(callback(step, agent))
        self._update_next_due()
        return stop or self.stop_signal is not None  # a signal during an evaluation stops here

    def _show_progress(self) -> None:
        if self.bar is not None:
            self.bar.update(self.step - self.bar.n)
            if self.recent:
                self.bar.set_postfix_str(f"return {self.recent_return:.3g}", refresh=False)

    @contextmanager
    def running(self) -> Iterator[Supervisor]:
        """The span of learning: the progress bar and wall clock run, Ctrl-C ends it cleanly.

        No checkpoint is written on Ctrl-C: it may land mid-step; the last periodic one is whole.
        """
        start = time.perf_counter()
        self.bar = progress_bar(self.budget, self.description, self.options.progress)
        self.bar.update(self.step)
        try:
            with stop_requests(self):
                yield self
        except KeyboardInterrupt as signal:  # a second signal, or a callback's KeyboardInterrupt
            self.interrupted = True
            self.stopped_by = signal_name(signal)
        finally:
            if self.stop_signal is not None:
                self.interrupted, self.stopped_by = True, self.stop_signal
            self._show_progress()
            self.bar.close()
            self.bar = None
            self.wall_time = time.perf_counter() - start

    def result(self) -> RunResult:
        return RunResult(
            self.step, self.episodes, self.interrupted, self.wall_time, self.recent_return, self.stopped_by
        )
