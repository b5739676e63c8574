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
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import yaml

from rl_kit.agents.search_space import Choice, FloatRange, IntRange, SearchSpace
from rl_kit.core import registry
from rl_kit.core.backends import search_space
from rl_kit.core.hyperparameter_files import tuned_hyperparameters
from rl_kit.core.spec import EnvSpec
from rl_kit.errors import RLKitError
from rl_kit.infrastructure.atomic_files import atomic_write
from rl_kit.infrastructure.directory_lock import owned_directory
from rl_kit.infrastructure.signals import Terminated, signal_name

# Settings a study is created with; a later run against the same study must use the same
# ones, or its trials would not be comparable.
STUDY_SETTINGS = ("agent", "steps", "seed", "num_envs", "evaluations", "eval_episodes", "fixed", "objective")
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
    """Everything a tuning worker needs (it crosses to worker processes, so plain data)."""

    env: EnvSpec
    agent: str
    steps: int
    seed: int
    num_envs: int | None
    evaluations: int
    eval_episodes: int
    fixed: dict[str, Any]
    space: SearchSpace
    trials: int
    directory: str
    storage: str
    study: str
    shared: bool  # other workers may sample too: mix the process into the sampler's seed
    objective: str = "final"


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


def default_directory(env: EnvSpec, agent: str) -> Path:
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


def objective(trial, settings: TuneSettings) -> float:
    """Train one trial's agent; report each evaluation to the pruner; return the score: the last
    evaluation's mean return, or (objective "mean") the mean over all evaluations."""
    optuna = import_optuna()
    from rl_kit.core.training import train

    values = {**settings.fixed, **suggest(trial, settings.space)}
    out = Path(settings.directory) / "trials" / f"{trial.number:04d}"
    trial.set_user_attr("worker", f"{socket.gethostname()}:{os.getpid()}")
    trial.set_user_attr("run", str(out))
    eval_every = max(settings.steps // settings.evaluations, 1)
    last: dict[str, float] = {}
    scores: list[float] = []

    def report(step: int, stats: dict[str, float]) -> bool:
        scores.append(stats["mean"])
        last.update(step=step, score=stats["mean"] if settings.objective == "final" else float(np.mean(scores)))
        trial.report(last["score"], step)
        final = step + eval_every > settings.steps  # a trial that ran its whole budget keeps its score
        last["pruned"] = not final and trial.should_prune()
        return last["pruned"]

    run = train(
        settings.env,
        settings.agent,
        steps=settings.steps,
        seed=settings.seed,
        num_envs=settings.num_envs,
        hyperparameters=values,
        out=out,
        eval_every=eval_every,
        eval_episodes=settings.eval_episodes,
        progress=False,
        tensorboard=False,
        on_evaluation=report,
    )
    if run.result.interrupted:
        raise Terminated if run.result.stopped_by == "SIGTERM" else KeyboardInterrupt
    trial.set_user_attr("steps", run.result.steps)
    if "score" not in last:
        raise RLKitError("the trial ended before its first evaluation")
    if last.get("pruned"):
        raise optuna.TrialPruned(f"pruned at step {last['step']}")
    return last["score"]


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
    entropy = [settings.seed, worker, finished] + ([os.getpid()] if settings.shared else [])
    return int(np.random.SeedSequence(entropy).generate_state(1)[0])


def run_worker(settings: TuneSettings, worker: int = 0, on_trial=None) -> None:
    """Run trials of the study until it has ``settings.trials`` finished ones (pruned count)."""
    optuna = import_optuna()
    # Each trial's agent computes on one thread (see the agents), as in compare: the same numbers
    # however many workers run.
    storage = open_storage(settings.storage)
    finished = finished_trials(optuna.load_study(study_name=settings.study, storage=storage))
    if finished >= settings.trials:
        return
    study = optuna.load_study(  # again, now with a sampler seeded by what the study already holds
        study_name=settings.study,
        storage=storage,
        sampler=optuna.samplers.TPESampler(seed=sampler_seed(settings, worker, finished)),
        pruner=optuna.pruners.MedianPruner(n_startup_trials=5, n_warmup_steps=settings.steps // 4),
    )
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
    wanted = {"env": settings.env.id, "env_kwargs": dict(settings.env.kwargs)}
    wanted.update({key: getattr(settings, key) for key in STUDY_SETTINGS})
    recorded = study.user_attrs
    if not recorded.get("settings"):
        study.set_user_attr("settings", wanted)
        return
    for key, value in wanted.items():
        if key in recorded["settings"] and recorded["settings"][key] != value:
            raise RLKitError(
                f"study {settings.study!r} in {settings.storage} was tuned with {key}={recorded['settings'].get(key)!r}, "
                f"not {value!r}: resume it with the same settings, or start another study with --study NAME"
            )


def tune(
    env: str | EnvSpec,
    agent: str,
    *,
    trials: int = 20,
    steps: int | None = None,
    seed: int = 0,
    storage: str | None = None,
    study: str | None = None,
    workers: int = 1,
    num_envs: int | None = None,
    evaluations: int = 10,
    eval_episodes: int = 10,
    objective: str = "final",
    hyperparameters: dict[str, Any] | None = None,
    env_kwargs: dict[str, Any] | None = None,
    space: SearchSpace | None = None,
    out: str | Path | None = None,
    progress: bool = True,
) -> TuneResult:
    """Tune `agent` on `env` with Optuna until its study has `trials` finished trials.

    Args:
        env: env id. agent: agent name (ours or ``sb3_ppo``, ``sb3_a2c``, ``sb3_dqn``).
        trials: finished (complete or pruned) trials the study should have; a study that was
            stopped runs only the rest, and a study that has them already just writes its output.
        steps: env steps per trial (default: the tuned entry's ``n_timesteps``).
        seed: the training seed of every trial (and the sampler's seed).
        storage: an Optuna storage URL (default: ``sqlite:///<out>/study.db``).
        study: the study's name (default ``<agent>-<env>``).
        workers: worker processes on this machine, sharing the study through `storage`.
        num_envs: envs per trial (default: the tuned entry's, else 1).
        evaluations: greedy evaluations per trial: the pruner's checkpoints; the last is the score.
        eval_episodes: episodes per evaluation.
        objective: a trial's score: "final", its last evaluation's mean return; "mean", the mean
            over all its evaluations (the area under its learning curve: learning fast counts too).
        hyperparameters: values fixed for every trial (left out of the search).
        env_kwargs: keyword arguments of the env.
        space: the search space (default: the agent's ``search_space``).
        out: the tuning directory (default ``runs/tune/<env>-<agent>``).
        progress: show a progress bar over trials.
    Returns:
        a :class:`TuneResult`; ``best.yml``, ``trials.csv`` and the plots are in its directory.
    """
    import_optuna()  # missing Optuna is said before anything is made
    env = EnvSpec.of(env, env_kwargs)
    if agent in registry.BANDIT_AGENTS:
        raise RLKitError(
            f"{agent} learns while it acts, so a greedy evaluation cannot score it: compare its settings "
            f"on the testbed instead, e.g. rl-kit bandit {agent}:alpha=0.1 {agent}:alpha=0.2"
        )
    fixed = dict(hyperparameters or {})
    space = {k: v for k, v in (search_space(agent) if space is None else space).items() if k not in fixed}
    if not space:
        raise RLKitError(f"{agent} has no hyperparameters to tune (its search space is empty or all fixed)")
    if objective not in OBJECTIVES:
        raise RLKitError(f"objective must be one of {', '.join(OBJECTIVES)}, got {objective!r}")
    if trials < 1 or workers < 1 or evaluations < 1 or eval_episodes < 1:
        raise RLKitError("trials, workers, evaluations and eval_episodes must be at least 1")
    entry = tuned_hyperparameters(agent, env.id)
    if steps is not None and (isinstance(steps, bool) or not isinstance(steps, int) or steps < 1):
        raise RLKitError(f"steps must be a whole number of at least 1, got {steps!r}")
    steps = steps or entry.n_timesteps
    if not steps:
        raise RLKitError(f"no tuned budget for {agent} on {env.id}: give the steps per trial (--steps)")
    if out is not None and not str(out).strip():
        raise RLKitError("--out is empty: give the tuning directory")
    directory = Path(out) if out is not None else default_directory(env, agent)
    settings = TuneSettings(
        env=env,
        agent=agent,
        steps=steps,
        seed=seed,
        num_envs=num_envs or entry.num_envs or 1,
        evaluations=evaluations,
        eval_episodes=eval_episodes,
        fixed=fixed,
        space=space,
        trials=trials,
        directory=str(directory),
        storage=storage or f"sqlite:///{(directory / 'study.db').resolve()}",
        study=study or f"{agent}-{env.id}",
        shared=workers > 1 or storage is not None,
        objective=objective,
    )
    # The study's own directory is this command's alone while it runs (its workers write trials
    # into it); a study in a storage of the user's may be shared by several commands on purpose.
    with owned_directory(directory, what="a tuning study", empty=False) if storage is None else nullcontext():
        return run_study(settings, entry, workers, progress, own_storage=storage is None)


def run_study(settings: TuneSettings, entry, workers: int, progress: bool, own_storage: bool) -> TuneResult:
    """Run the study's remaining trials (in `workers` processes) and write its outputs;
    `own_storage`: the study is in the directory's own database, which no other command shares."""
    optuna = import_optuna()
    agent, env, trials, steps, directory = (
        settings.agent,
        settings.env,
        settings.trials,
        settings.steps,
        Path(settings.directory),
    )
    directory.mkdir(parents=True, exist_ok=True)
    the_study = optuna.create_study(
        study_name=settings.study, storage=open_storage(settings.storage), direction="maximize", load_if_exists=True
    )
    check_study_settings(the_study, settings)
    if own_storage and fail_dead_trials(the_study):
        print("note: trials whose worker was killed are marked failed (their study goes on without them)")
    stop = None
    before = finished_trials(the_study)
    if before >= trials:
        print(
            f"Study {settings.study!r} already has {before} finished trials (asked for {trials}): writing its results"
        )
    else:
        print(
            f"Tuning {agent} on {env.id}: {trials} trials of {steps:,} steps"
            + (f" ({before} done before)" if before else "")
            + f", {workers} worker{'s' if workers > 1 else ''}; study {settings.study!r} in {settings.storage}"
        )
        try:
            if workers == 1:
                run_in_process(settings, before, progress)
            else:
                run_in_processes(settings, workers, before, progress)
        except KeyboardInterrupt as signal:
            stop = signal_name(signal)
            print("Stopped. Run the same command again to resume the study.")
    return write_outputs(the_study, settings, entry, directory, stop)


def trials_bar(settings: TuneSettings, initial: int, progress: bool):
    from rl_kit.infrastructure.progress import tqdm_class

    tqdm = tqdm_class()

    return tqdm(
        total=settings.trials,
        initial=initial,
        unit="trial",
        desc=f"tune {settings.agent} on {settings.env.id}",
        disable=not progress,
        dynamic_ncols=True,
    )


def run_in_process(settings: TuneSettings, before: int, progress: bool) -> None:
    bar = trials_bar(settings, before, progress)

    def on_trial(trial) -> None:
        bar.write(describe_trial(trial))
        bar.update(1)

    try:
        run_worker(settings, 0, on_trial)
    finally:
        bar.close()


def run_in_processes(settings: TuneSettings, workers: int, before: int, progress: bool) -> None:
    """`workers` spawned processes share the study; this one shows progress by reading it."""
    optuna = import_optuna()
    context = multiprocessing.get_context("spawn")  # fresh interpreters: torch and fork do not mix
    processes = [context.Process(target=worker_process, args=(settings, k), daemon=False) for k in range(workers)]
    for process in processes:
        process.start()
    bar = trials_bar(settings, before, progress)
    study = optuna.load_study(study_name=settings.study, storage=open_storage(settings.storage))
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


def write_outputs(study, settings: TuneSettings, entry, directory: Path, stopped_by: str | None) -> TuneResult:
    optuna = import_optuna()
    study = optuna.load_study(study_name=settings.study, storage=open_storage(settings.storage))
    header, rows = trial_table(study)
    text = io.StringIO()
    writer = csv.writer(text)
    writer.writerow(header)
    writer.writerows(rows)
    atomic_write(directory / "trials.csv", text.getvalue())
    result = TuneResult(
        directory, settings.study, settings.storage, finished_trials(study), settings.steps, stopped_by=stopped_by
    )
    complete = study.get_trials(deepcopy=False, states=(optuna.trial.TrialState.COMPLETE,))
    if not complete:
        print(f"No trial has finished yet; the trial table is in {result.trials_file}")
        return result
    best = study.best_trial
    result.best_value, result.best_trial = best.value, best.number
    result.best_hyperparameters = {**entry.hyperparameters, **settings.fixed, **best.params}
    result.best_file = write_best_entry(result, settings)
    plot_study(study, directory, len(complete))
    print_summary(result, settings, complete)
    return result


def write_best_entry(result: TuneResult, settings: TuneSettings) -> Path:
    """``best.yml``: an entry in the format of ``rl_kit/hyperparams/<agent>.yml``, for ``--hp-file``."""
    path = result.directory / "best.yml"
    entry = {
        settings.env.id: {"num_envs": settings.num_envs, "n_timesteps": settings.steps, **result.best_hyperparameters}
    }
    what = "final greedy return" if settings.objective == "final" else "mean greedy return over its evaluations"
    comment = (
        f"# The best of study {settings.study!r}: trial {result.best_trial}, {what} {result.best_value:.4g}\n"
        f"# ({settings.eval_episodes} episodes each) after {settings.steps:,} steps on seed {settings.seed}, out of "
        f"{result.finished} finished trials.\n"
        f"# Train with it: rl-kit train --env {settings.env.id} --agent {settings.agent} --steps {settings.steps} "
        f"--hp-file {path}\n"
    )
    atomic_write(path, comment + yaml.safe_dump(entry, sort_keys=False))
    return path


def plot_study(study, directory: Path, complete: int) -> None:
    """Optuna's own history and importance plots, drawn with matplotlib into PNGs."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # Optuna marks its matplotlib plots as experimental
        from optuna.visualization import matplotlib as optuna_plots

        axes = optuna_plots.plot_optimization_history(study)
        axes.figure.set_size_inches(8, 4.5)
        axes.figure.savefig(directory / "history.png", dpi=110, bbox_inches="tight")
        plt.close(axes.figure)
        if complete < 2:
            print("Importance needs at least two complete trials; importance.png not drawn")
            return
        try:
            axes = optuna_plots.plot_param_importances(study)
        except (RuntimeError, ValueError, ZeroDivisionError) as error:  # e.g. every trial scored the same
            print(f"importance.png not drawn: {error}")
            return
        axes.figure.set_size_inches(8, 4.5)
        axes.figure.savefig(directory / "importance.png", dpi=110, bbox_inches="tight")
        plt.close(axes.figure)


def print_summary(result: TuneResult, settings: TuneSettings, complete: list) -> None:
    print(f"\n{result.finished} finished trials; the best {min(5, len(complete))}:")
    for trial in sorted(complete, key=lambda t: t.value, reverse=True)[:5]:
        print(f"  {describe_trial(trial)}")
    print(f"\nBest: trial {result.best_trial}, score {result.best_value:.4g}")
    print(f"Wrote {result.best_file}, {result.trials_file} and the plots in {result.directory}")
    print(
        f"Train with it: rl-kit train --env {settings.env.id} --agent {settings.agent} --steps {settings.steps} "
        f"--hp-file {result.best_file}"
    )


__all__ = ["TuneResult", "TuneSettings", "tune", "suggest", "run_worker"]
