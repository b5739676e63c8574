"""Hyperparameter tuning with Optuna: ``rl-kit tune``.

Each trial trains the agent with hyperparameters that Optuna's TPE sampler draws from the
agent's search space (declared beside its hyperparameter dataclass, see
:mod:`rl_kit.agents.search_space`), on the same seed and step budget as every other trial, and is
scored by its last greedy evaluation: the mean return of ``eval_episodes`` episodes at the end
of training. The periodic evaluations along the way feed a median pruner: a trial whose
evaluation at step t is below the median of the earlier trials' at t stops there, so the
budget goes to the promising ones.

The study lives in a database. By default that is an SQLite file in the tuning directory, so
a tuning run that was stopped (Ctrl-C, a kill, a reboot) and is started again with the same
command runs only the trials still missing. Any Optuna storage URL (``postgresql://...``,
``mysql+pymysql://...``) lets workers on several machines share one study.

Output, in ``runs/tune/<env>-<agent>/`` unless told otherwise::

    study.db        the Optuna study (the default storage)
    trials/NNNN/    each trial's run directory (config, logs, agent)
    trials.csv      one row per trial: number, state, score, steps, seconds, worker, hyperparameters
    best.yml        the best hyperparameters as an entry ``train`` accepts (``--hp-file``)
    history.png     Optuna's optimization history: each trial's score and the best so far
    importance.png  Optuna's hyperparameter importances (fANOVA)
"""

from __future__ import annotations

import csv
import io
import multiprocessing
import os
import socket
import time
import warnings
from contextlib import nullcontext
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np
import yaml

from rl_kit.agents.search_space import Choice, FloatRange, IntRange, SearchSpace
from rl_kit.core import registry
from rl_kit.core.backends import search_space
from rl_kit.core.spec import EnvConfig, EvaluationSpec, RunOptions, RunSpec
from rl_kit.errors import RLKitError
from rl_kit.infrastructure.atomic_files import atomic_write
from rl_kit.infrastructure.directory_lock import owned_directory
from rl_kit.infrastructure.signals import StopSignal, signal_name

# What a trial's score is: its last evaluation, or the mean of all of them (the area under the
# learning curve, which also rewards learning fast and so separates trials that all end at the maximum).
OBJECTIVES = ("final", "mean")


def import_optuna():
    try:
        import optuna
    except ImportError:
        raise RLKitError("tuning needs Optuna: pip install optuna") from None
    optuna.logging.set_verbosity(optuna.logging.WARNING)  # we print one line per trial instead
    return optuna


@dataclass(frozen=True)
class TuneSettings:
    """One tuning study, whole, checked when made (it crosses to worker processes: plain data).

    Attributes:
        base: every trial's run before the sampled values (:func:`rl_kit.core.training.plan`):
            env, agent, steps per trial, seed, num_envs, the values fixed for every trial (its
            explicitly given hyperparameters) and the episodes per evaluation.
        trials: finished (complete or pruned) trials the study should have.
        evaluations: greedy evaluations per trial: the pruner's checkpoints; the last is the score.
        objective: a trial's score: "final", its last evaluation's mean return; "mean", the mean
            over all its evaluations (the area under its learning curve: learning fast counts too).
        space: the search space (default: the agent's, less the fixed values).
        directory: the tuning directory (default ``runs/tune/<env>-<agent>``).
        storage: an Optuna storage URL (default: ``sqlite:///<directory>/study.db``, this study's own).
        study: the study's name (default ``<agent>-<env>``).
        workers: worker processes on this machine, sharing the study through the storage.
        progress: show a progress bar over trials.
        population: trials each worker asks for at once; where their sampled values keep one
            network shape and differ only in values a population's members may differ in
            (:func:`rl_kit.core.population.population_reason`: fix the shapes with ``--hp``), they
            train as one population, in one process; otherwise one after another.
    """

    base: RunSpec
    trials: int = 20
    evaluations: int = 10
    objective: str = "final"
    space: SearchSpace | None = None
    directory: str | Path | None = None
    storage: str | None = None
    study: str | None = None
    workers: int = 1
    progress: bool = True
    population: int = 1

    def __post_init__(self):
        agent = self.base.agent
        if agent in registry.BANDIT_AGENTS:
            raise RLKitError(
                f"{agent} learns while it acts, so a greedy evaluation cannot score it: compare its settings "
                f"on the testbed instead, e.g. rl-kit bandit {agent}:alpha=0.1 {agent}:alpha=0.2"
            )
        space = search_space(agent) if self.space is None else self.space
        space = {k: v for k, v in space.items() if k not in self.fixed}
        if not space:
            raise RLKitError(f"{agent} has no hyperparameters to tune (its search space is empty or all fixed)")
        if self.objective not in OBJECTIVES:
            raise RLKitError(f"objective must be one of {', '.join(OBJECTIVES)}, got {self.objective!r}")
        if self.trials < 1 or self.workers < 1 or self.evaluations < 1 or self.population < 1:
            raise RLKitError("trials, workers, evaluations, eval_episodes and population must be at least 1")
        if self.directory is not None and not str(self.directory).strip():
            raise RLKitError("--out is empty: give the tuning directory")
        object.__setattr__(self, "space", space)
        object.__setattr__(self, "directory", Path(self.directory or default_directory(self.base.env, agent)))

    @property
    def fixed(self) -> dict[str, Any]:
        """The values every trial keeps: those given explicitly, left out of the search."""
        return {k: self.base.hyperparameters[k] for k in self.base.hyperparameters_overridden}

    @property
    def path(self) -> Path:
        """The tuning directory (set when made)."""
        assert self.directory is not None
        return Path(self.directory)

    @property
    def own_storage(self) -> bool:
        """The study lives in the tuning directory's database, which no other command shares."""
        return self.storage is None

    @property
    def storage_url(self) -> str:
        return self.storage or f"sqlite:///{(self.path / 'study.db').resolve()}"

    @property
    def study_name(self) -> str:
        return self.study or f"{self.base.agent}-{self.base.env.id}"

    @property
    def shared(self) -> bool:
        """Other workers may sample too: mix the process into the sampler's seed."""
        return self.workers > 1 or not self.own_storage

    def recorded(self) -> dict[str, Any]:
        """What the study records and a later run against it must match, or its trials would
        not be comparable."""
        base = self.base
        return {
            "env": base.env.id,
            "env_kwargs": dict(base.env.kwargs),
            "agent": base.agent,
            "steps": base.steps,
            "seed": base.seed,
            "num_envs": base.num_envs,
            "evaluations": self.evaluations,
            "eval_episodes": base.evaluation.episodes,
            "fixed": self.fixed,
            "objective": self.objective,
        }


@dataclass
class TuneResult:
    """What a tuning run leaves: the study, its best trial, and the files written."""

    directory: Path
    study: str
    storage: str
    finished: int
    steps: int
    best_value: float | None = None
    best_trial: int | None = None
    best_hyperparameters: dict[str, Any] = field(default_factory=dict)
    best_file: Path | None = None
    stopped_by: str | None = None  # "SIGINT" (Ctrl-C) or "SIGTERM" when the tuning was stopped

    @property
    def interrupted(self) -> bool:
        return self.stopped_by is not None

    @property
    def trials_file(self) -> Path:
        return self.directory / "trials.csv"


def suggest(trial, space: SearchSpace) -> dict[str, Any]:
    """Draw one value per dimension of `space` through Optuna's `trial`."""
    values = {}
    for name, dimension in space.items():
        if isinstance(dimension, FloatRange):
            values[name] = trial.suggest_float(name, dimension.low, dimension.high, log=dimension.log)
        elif isinstance(dimension, IntRange):
            values[name] = trial.suggest_int(name, dimension.low, dimension.high, log=dimension.log)
        elif isinstance(dimension, Choice):
            values[name] = trial.suggest_categorical(name, list(dimension.options))
        else:
            raise TypeError(f"search space entry {name} is a {type(dimension).__name__}, not a dimension")
    return values


def default_directory(env: EnvConfig, agent: str) -> Path:
    return Path("runs") / "tune" / f"{env.slug}-{agent}"


DRIVERS = {"postgresql": "pip install 'psycopg[binary]'", "mysql": "pip install pymysql (and a mysql+pymysql:// URL)"}


def open_storage(url: str, attempts: int = 5):
    """An RDB storage with heartbeats, so a trial whose worker died is failed and retried once.

    Workers that start together on a new database race to create its tables; the losers
    wait a moment and open it again.
    """
    optuna = import_optuna()
    engine_kwargs = {"connect_args": {"timeout": 60}} if url.startswith("sqlite") else {}
    retry = getattr(optuna.storages, "RetryHeartbeatStaleTrialCallback", None)  # Optuna >= 4.9
    for attempt in range(attempts):
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", optuna.exceptions.ExperimentalWarning)  # heartbeats are "experimental"
                if retry is not None:
                    on_stale = {"heartbeat_stale_trial_callback": retry(max_retry=1)}
                else:
                    on_stale = {"failed_trial_callback": optuna.storages.RetryFailedTrialCallback(max_retry=1)}
                return optuna.storages.RDBStorage(
                    url, engine_kwargs=engine_kwargs, heartbeat_interval=20, grace_period=60, **on_stale
                )
        except Exception as error:  # SQLAlchemy's errors: a bad URL, a missing driver, a refused connection
            message = str(error).splitlines()[0]
            if "DB access module" in message or isinstance(error, ImportError):
                scheme = url.split(":", 1)[0].split("+", 1)[0]
                hint = DRIVERS.get(scheme, "install the database driver SQLAlchemy needs for it")
                raise RLKitError(f"cannot open the Optuna storage {url}: no database driver; {hint}") from None
            if attempt == attempts - 1:
                raise RLKitError(f"cannot open the Optuna storage {url}: {message}") from None
            time.sleep(1.0 + attempt)


def fail_dead_trials(study) -> int:
    """Mark failed the running trials whose worker process, on this machine, is gone (killed):
    the heartbeat would say so only after its 60 s grace, and a rerun meanwhile listed them as
    running forever. Returns how many it failed."""
    optuna = import_optuna()
    host, failed = socket.gethostname(), 0
    for trial in study.get_trials(deepcopy=False, states=(optuna.trial.TrialState.RUNNING,)):
        worker_host, _, pid = str(trial.user_attrs.get("worker", "")).rpartition(":")
        if worker_host != host or not pid.isdigit() or process_alive(int(pid)):
            continue
        study._storage.set_trial_state_values(trial._trial_id, state=optuna.trial.TrialState.FAIL)
        failed += 1
    return failed


def process_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # alive, another user's
        return True
    return True


class TrialReport:
    """One trial's evaluations, reported to the pruner as they come (``on_evaluation``), and its
    score: the last evaluation's mean return, or (objective "mean") the mean over all."""

    def __init__(self, trial, settings: TuneSettings):
        self.trial, self.settings = trial, settings
        self.eval_every = max(settings.base.steps // settings.evaluations, 1)
        self.scores: list[float] = []
        self.last: dict[str, Any] = {}

    def __call__(self, step: int, stats: dict[str, float]) -> bool:
        if self.last.get("pruned"):  # a pruned member of a population trains on with the others
            return True
        self.scores.append(stats["mean"])
        final_score = stats["mean"] if self.settings.objective == "final" else float(np.mean(self.scores))
        self.last.update(step=step, score=final_score)
        self.trial.report(final_score, step)
        final = step + self.eval_every > self.settings.base.steps  # a trial that ran its whole budget keeps its score
        self.last["pruned"] = not final and self.trial.should_prune()
        return self.last["pruned"]

    def score(self, run) -> float:
        """The trial's score once `run` ended, or TrialPruned, or an error if it never evaluated."""
        optuna = import_optuna()
        if run.result.interrupted and not self.last.get("pruned"):
            raise StopSignal if run.result.stopped_by == "SIGTERM" else KeyboardInterrupt
        self.trial.set_user_attr("steps", run.result.steps)
        if "score" not in self.last:
            raise RLKitError("the trial ended before its first evaluation")
        if self.last.get("pruned"):
            raise optuna.TrialPruned(f"pruned at step {self.last['step']}")
        return self.last["score"]


def trial_spec(trial, settings: TuneSettings) -> tuple[RunSpec, Path]:
    """The run of `trial`: the base with its sampled values and the study's evaluations, and its directory."""
    base = settings.base
    out = settings.path / "trials" / f"{trial.number:04d}"
    trial.set_user_attr("worker", f"{socket.gethostname()}:{os.getpid()}")
    trial.set_user_attr("run", str(out))
    eval_every = max(base.steps // settings.evaluations, 1)
    spec = replace(
        base.with_hyperparameters(suggest(trial, settings.space)),
        evaluation=EvaluationSpec(eval_every, base.evaluation.episodes),
    )
    return spec, out


def objective(trial, settings: TuneSettings) -> float:
    """Train one trial's agent; report each evaluation to the pruner; return its score."""
    from rl_kit.core.training import execute

    spec, out = trial_spec(trial, settings)
    report = TrialReport(trial, settings)
    run = execute(spec, RunOptions(out, progress=False, tensorboard=False, on_evaluation=report))
    return report.score(run)


def population_of_trials(study, settings: TuneSettings, count: int, on_trial=None) -> None:
    """Ask for `count` trials and train them as one population where they can be (else one after
    another); tell the study each one's score, pruning or failure."""
    optuna = import_optuna()
    from rl_kit.core.population import population_reason, train_population

    trials = [study.ask() for _ in range(count)]
    runs = [trial_spec(trial, settings) for trial in trials]
    specs = [spec for spec, _ in runs]
    if count > 1 and population_reason(specs) is None:
        reports = [TrialReport(trial, settings) for trial in trials]
        try:
            members = train_population(specs, [out for _, out in runs], RunOptions(progress=False, tensorboard=False),
                                       on_evaluations=reports)  # fmt: skip
        except (RLKitError, ValueError, FloatingPointError) as error:
            for trial in trials:
                tell(study, trial, on_trial, failure=error)
            return
        for trial, report, member in zip(trials, reports, members, strict=True):
            trial.set_user_attr("population", len(trials))
            try:
                tell(study, trial, on_trial, value=report.score(member))
            except optuna.TrialPruned:
                tell(study, trial, on_trial, pruned=True)
            except RLKitError as error:
                tell(study, trial, on_trial, failure=error)
        return
    for trial in trials:  # shapes differ: one after another, each as study.optimize would run it
        try:
            tell(study, trial, on_trial, value=objective(trial, settings))
        except optuna.TrialPruned:
            tell(study, trial, on_trial, pruned=True)
        except (RLKitError, ValueError, FloatingPointError) as error:
            tell(study, trial, on_trial, failure=error)


def tell(study, trial, on_trial, value: float | None = None, pruned: bool = False, failure=None) -> None:
    optuna = import_optuna()
    if failure is not None:
        trial.set_user_attr("error", str(failure)[:300])
        study.tell(trial, state=optuna.trial.TrialState.FAIL)
    elif pruned:
        study.tell(trial, state=optuna.trial.TrialState.PRUNED)
    else:
        study.tell(trial, value)
    if on_trial is not None:
        on_trial(optuna_trial(study, trial.number))


def optuna_trial(study, number: int):
    """The frozen trial `number` of `study`, as callbacks get it."""
    return next(t for t in study.get_trials(deepcopy=False) if t.number == number)


def finished_trials(study) -> int:
    optuna = import_optuna()
    states = (optuna.trial.TrialState.COMPLETE, optuna.trial.TrialState.PRUNED)
    return len(study.get_trials(deepcopy=False, states=states))


def describe_trial(trial) -> str:
    params = ", ".join(f"{k}={v:.3g}" if isinstance(v, float) else f"{k}={v}" for k, v in trial.params.items())
    if trial.state.name == "COMPLETE":
        outcome = f"score {trial.value:.4g}"
    elif trial.state.name == "PRUNED":
        last = trial.last_step
        outcome = f"pruned at step {last:,}" if last is not None else "pruned"
    else:
        outcome = trial.state.name.lower()
    return f"trial {trial.number}: {outcome}  ({params})"


def sampler_seed(settings: TuneSettings, worker: int, finished: int) -> int:
    """The TPE sampler's seed: reproducible for one worker; distinct per worker (and per process
    where other commands may share the study), so workers do not draw the same trials."""
    entropy = [settings.base.seed, worker, finished] + ([os.getpid()] if settings.shared else [])
    return int(np.random.SeedSequence(entropy).generate_state(1)[0])


def run_worker(settings: TuneSettings, worker: int = 0, on_trial=None) -> None:
    """Run trials of the study until it has ``settings.trials`` finished ones (pruned count)."""
    optuna = import_optuna()
    # Each trial's agent computes on one thread (see the agents), as in compare: the same numbers
    # however many workers run.
    storage = open_storage(settings.storage_url)
    finished = finished_trials(optuna.load_study(study_name=settings.study_name, storage=storage))
    if finished >= settings.trials:
        return
    study = optuna.load_study(  # again, now with a sampler seeded by what the study already holds
        study_name=settings.study_name,
        storage=storage,
        sampler=optuna.samplers.TPESampler(seed=sampler_seed(settings, worker, finished)),
        pruner=optuna.pruners.MedianPruner(n_startup_trials=5, n_warmup_steps=settings.base.steps // 4),
    )
    if settings.population > 1:
        asked, cap = 0, settings.trials - finished  # a cap, so that trials that keep failing end too
        while asked < cap and (remaining := settings.trials - finished_trials(study)) > 0:
            count = min(settings.population, remaining, cap - asked)
            population_of_trials(study, settings, count, on_trial)
            asked += count
        return
    states = (optuna.trial.TrialState.COMPLETE, optuna.trial.TrialState.PRUNED)
    callbacks = [optuna.study.MaxTrialsCallback(settings.trials, states=states)]
    if on_trial is not None:
        callbacks.append(lambda study, trial: on_trial(trial))
    study.optimize(
        lambda trial: objective(trial, settings),
        n_trials=settings.trials - finished,  # a cap, so that trials that keep failing end too
        callbacks=callbacks,
        catch=(RLKitError, ValueError, FloatingPointError),  # a bad combination fails its trial only
    )


def worker_process(settings: TuneSettings, worker: int) -> None:
    """A spawned worker: prints one line per trial; SIGTERM and Ctrl-C stop it cleanly."""
    from rl_kit.infrastructure.signals import stop_on_sigterm

    stop_on_sigterm()
    try:
        run_worker(
            settings, worker, on_trial=lambda trial: print(f"[worker {worker}] {describe_trial(trial)}", flush=True)
        )
    except KeyboardInterrupt:
        pass


def check_study_settings(study, settings: TuneSettings) -> None:
    """Record the settings in a new study; refuse to mix a different budget, seed or env into an old one."""
    wanted = settings.recorded()
    recorded = study.user_attrs
    if not recorded.get("settings"):
        study.set_user_attr("settings", wanted)
        return
    for key, value in wanted.items():
        if key in recorded["settings"] and recorded["settings"][key] != value:
            raise RLKitError(
                f"study {settings.study_name!r} in {settings.storage_url} was tuned with "
                f"{key}={recorded['settings'].get(key)!r}, not {value!r}: resume it with the same settings, "
                "or start another study with --study NAME"
            )


def run_tuning(settings: TuneSettings) -> TuneResult:
    """Tune until the study has ``settings.trials`` finished trials; a study that was stopped
    runs only the rest, and one that has them already just writes its output.

    ``rl_kit.tune(env, agent, ...)`` (:mod:`rl_kit.api`) and ``rl-kit tune`` build the settings.
    Returns a :class:`TuneResult`; ``best.yml``, ``trials.csv`` and the plots are in its directory.
    """
    import_optuna()  # missing Optuna is said before anything is made
    directory = settings.path
    # The study's own directory is this command's alone while it runs (its workers write trials
    # into it); a study in a storage of the user's may be shared by several commands on purpose.
    with owned_directory(directory, what="a tuning study", empty=False) if settings.own_storage else nullcontext():
        return run_study(settings)


def run_study(settings: TuneSettings) -> TuneResult:
    """Run the study's remaining trials (in ``settings.workers`` processes) and write its outputs."""
    optuna = import_optuna()
    base, trials, workers = settings.base, settings.trials, settings.workers
    directory = settings.path
    directory.mkdir(parents=True, exist_ok=True)
    the_study = optuna.create_study(
        study_name=settings.study_name,
        storage=open_storage(settings.storage_url),
        direction="maximize",
        load_if_exists=True,
    )
    check_study_settings(the_study, settings)
    if settings.own_storage and fail_dead_trials(the_study):
        print("note: trials whose worker was killed are marked failed (their study goes on without them)")
    stop = None
    before = finished_trials(the_study)
    if before >= trials:
        print(
            f"Study {settings.study_name!r} already has {before} finished trials (asked for {trials}): "
            "writing its results"
        )
    else:
        print(
            f"Tuning {base.agent} on {base.env.id}: {trials} trials of {base.steps:,} steps"
            + (f" ({before} done before)" if before else "")
            + f", {workers} worker{'s' if workers > 1 else ''}; study {settings.study_name!r} in {settings.storage_url}"
        )
        try:
            if workers == 1:
                run_in_process(settings, before)
            else:
                run_in_processes(settings, before)
        except KeyboardInterrupt as signal:
            stop = signal_name(signal)
            print("Stopped. Run the same command again to resume the study.")
    return write_outputs(the_study, settings, stop)


def trials_bar(settings: TuneSettings, initial: int):
    from rl_kit.infrastructure.progress import tqdm_class

    tqdm = tqdm_class()

    return tqdm(
        total=settings.trials,
        initial=initial,
        unit="trial",
        desc=f"tune {settings.base.agent} on {settings.base.env.id}",
        disable=not settings.progress,
        dynamic_ncols=True,
    )


def run_in_process(settings: TuneSettings, before: int) -> None:
    bar = trials_bar(settings, before)

    def on_trial(trial) -> None:
        bar.write(describe_trial(trial))
        bar.update(1)

    try:
        run_worker(settings, 0, on_trial)
    finally:
        bar.close()


def run_in_processes(settings: TuneSettings, before: int) -> None:
    """``settings.workers`` spawned processes share the study; this one shows progress by reading it."""
    optuna = import_optuna()
    context = multiprocessing.get_context("spawn")  # fresh interpreters: torch and fork do not mix
    processes = [context.Process(target=worker_process, args=(settings, k), daemon=False)
                 for k in range(settings.workers)]  # fmt: skip
    for process in processes:
        process.start()
    bar = trials_bar(settings, before)
    study = optuna.load_study(study_name=settings.study_name, storage=open_storage(settings.storage_url))
    try:
        while any(p.is_alive() for p in processes):
            time.sleep(1.0)
            bar.update(min(finished_trials(study), settings.trials) - bar.n)
    except KeyboardInterrupt:
        stop_workers(processes)
        raise
    finally:
        bar.update(min(finished_trials(study), settings.trials) - bar.n)
        bar.close()
    failed = [p.exitcode for p in processes if p.exitcode]
    if failed:
        raise RLKitError(f"{len(failed)} tuning worker(s) failed (exit codes {failed}); see their output above")


WORKER_STOP_S = 15.0  # a worker stops within its run's grace (rl_kit.core.supervisor.GRACE_S); then it is killed


def stop_workers(processes: list) -> None:
    """Ask every worker to stop (SIGTERM: a kill of the parent alone never reached them; Ctrl-C
    at a terminal reaches them too), wait at most :data:`WORKER_STOP_S` in all, kill the rest."""
    for process in processes:
        if process.is_alive():
            process.terminate()
    deadline = time.monotonic() + WORKER_STOP_S
    for process in processes:
        process.join(timeout=max(0.0, deadline - time.monotonic()))
        if process.is_alive():
            process.kill()
            process.join()


def trial_table(study) -> tuple[list[str], list[list[Any]]]:
    """The trial table: one row per trial, with its hyperparameters as columns."""
    trials = study.get_trials(deepcopy=False)
    names = sorted({name for t in trials for name in t.params})
    header = ["number", "state", "score", "steps", "seconds", "worker", *names]
    rows = []
    for t in trials:
        seconds = t.duration.total_seconds() if t.duration is not None else None
        rows.append(
            [
                t.number,
                t.state.name.lower(),
                t.value,
                t.user_attrs.get("steps", t.last_step),
                None if seconds is None else round(seconds, 2),
                t.user_attrs.get("worker"),
                *(t.params.get(name) for name in names),
            ]
        )
    return header, rows


def write_outputs(study, settings: TuneSettings, stopped_by: str | None) -> TuneResult:
    optuna = import_optuna()
    directory = settings.path
    study = optuna.load_study(study_name=settings.study_name, storage=open_storage(settings.storage_url))
    header, rows = trial_table(study)
    text = io.StringIO()
    writer = csv.writer(text)
    writer.writerow(header)
    writer.writerows(rows)
    atomic_write(directory / "trials.csv", text.getvalue())
    result = TuneResult(
        directory,
        settings.study_name,
        settings.storage_url,
        finished_trials(study),
        settings.base.steps,
        stopped_by=stopped_by,
    )
    complete = study.get_trials(deepcopy=False, states=(optuna.trial.TrialState.COMPLETE,))
    if not complete:
        print(f"No trial has finished yet; the trial table is in {result.trials_file}")
        return result
    best = study.best_trial
    result.best_value, result.best_trial = best.value, best.number
    result.best_hyperparameters = {**settings.base.hyperparameters, **best.params}
    result.best_file = write_best_entry(result, settings)
    plot_study(study, directory, len(complete))
    print_summary(result, settings, complete)
    return result


def write_best_entry(result: TuneResult, settings: TuneSettings) -> Path:
    """``best.yml``: an entry in the format of ``rl_kit/hyperparams/<agent>.yml``, for ``--hp-file``."""
    path = result.directory / "best.yml"
    entry = {
        settings.base.env.id: {
            "num_envs": settings.base.num_envs,
            "n_timesteps": settings.base.steps,
            **result.best_hyperparameters,
        }
    }
    what = "final greedy return" if settings.objective == "final" else "mean greedy return over its evaluations"
    comment = (
        f"# The best of study {settings.study_name!r}: trial {result.best_trial}, {what} {result.best_value:.4g}\n"
        f"# ({settings.base.evaluation.episodes} episodes each) after {settings.base.steps:,} steps on seed {settings.base.seed}, out of "
        f"{result.finished} finished trials.\n"
        f"# Train with it: rl-kit train --env {settings.base.env.id} --agent {settings.base.agent} --steps {settings.base.steps} "
        f"--hp-file {path}\n"
    )
    atomic_write(path, comment + yaml.safe_dump(entry, sort_keys=False))
    return path


def plot_study(study, directory: Path, complete: int) -> None:
    """Optuna's own history and importance plots, drawn with matplotlib into PNGs."""
    import matplotlib

    matplotlib.use("Agg")

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # Optuna marks its matplotlib plots as experimental
        from optuna.visualization import matplotlib as optuna_plots

        save_figure(optuna_plots.plot_optimization_history(study), directory / "history.png")
        if complete < 2:
            print("Importance needs at least two complete trials; importance.png not drawn")
            return
        try:
            axes = optuna_plots.plot_param_importances(study)
        except (RuntimeError, ValueError, ZeroDivisionError) as error:  # e.g. every trial scored the same
            print(f"importance.png not drawn: {error}")
            return
        save_figure(axes, directory / "importance.png")


def save_figure(axes, path: Path) -> None:
    """An Optuna plot's figure as a PNG, closed after."""
    import matplotlib.pyplot as plt

    figure = axes.figure
    figure.set_size_inches(8, 4.5)
    figure.savefig(path, dpi=110, bbox_inches="tight")
    plt.close(figure)


def print_summary(result: TuneResult, settings: TuneSettings, complete: list) -> None:
    print(f"\n{result.finished} finished trials; the best {min(5, len(complete))}:")
    for trial in sorted(complete, key=lambda t: t.value, reverse=True)[:5]:
        print(f"  {describe_trial(trial)}")
    print(f"\nBest: trial {result.best_trial}, score {result.best_value:.4g}")
    print(f"Wrote {result.best_file}, {result.trials_file} and the plots in {result.directory}")
    print(
        f"Train with it: rl-kit train --env {settings.base.env.id} --agent {settings.base.agent} --steps {settings.base.steps} "
        f"--hp-file {result.best_file}"
    )


__all__ = ["TuneResult", "TuneSettings", "run_tuning", "suggest", "run_worker"]
