"""Run a grid of independent jobs on a local process pool or on a Ray cluster.

A job is one call of a top-level function: train one agent on one seed (``rl-kit compare``),
time one benchmark run (``rl-kit bench``). Wherever it runs, a job gets a process of its own,
started from the caller's directory (its agents compute on one thread), so the same job gives the same
numbers on the local pool and on Ray, and its peak memory is its own.

- Local (the default): ``workers`` processes at once (default: one per core), from a fork server.
- Ray (``ray_address``): ``"auto"`` joins the cluster running on this machine (``ray start --head``)
  or, if there is none, starts one; ``"ray://host:10001"`` or ``"host:6379"`` joins a remote one;
  an already initialized Ray (``ray.init(...)`` in the calling program) is used as it is. Each job
  asks for one CPU. A job that ran on another machine sends its output directory back, so the
  report is written here as if it had run here. Every machine needs rl-kit installed.
"""

from __future__ import annotations

import os
import time
import traceback
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from rl_kit.errors import RLKitError

STOP_S = 15.0  # a stopped job's run ends within its grace (rl_kit.core.supervisor.GRACE_S); then it is killed
RAY_INSTALL = "pip install 'rl-kit[ray]' (or pip install 'ray[default]')"


@dataclass(frozen=True)
class Job:
    """``function(*args)``; `directory` is what it writes, brought back from a remote machine."""

    function: Callable[..., Any]
    args: tuple = ()
    directory: str | None = None


@dataclass
class Outcome:
    """A finished job: its return value, or the error that stopped its process."""

    job: Job
    value: Any = None
    error: str | None = None


def call(job: Job) -> Any:
    """Run one job in this (fresh) process. Agents compute on one thread (numpy's BLAS and torch
    alike, see the agents), so the grid is what uses the cores."""
    return job.function(*job.args)


def run_grid(jobs: Iterable[Job], *, workers: int | None = None, ray_address: str | None = None) -> Iterator[Outcome]:
    """Run every job; yield their outcomes as they finish (not in order).

    Args:
        jobs: the jobs.
        workers: processes at once on the local pool (default: one per core); Ray schedules by CPUs.
        ray_address: run on Ray instead (see the module's docstring); None: the local pool.
    """
    jobs = list(jobs)
    if not jobs:
        return
    if ray_address is not None:
        yield from _run_on_ray(jobs, ray_address)
    else:
        yield from _run_on_pool(jobs, max(1, min(workers or os.cpu_count() or 1, len(jobs))))


def _error(error: BaseException) -> str:
    return "".join(traceback.format_exception_only(type(error), error)).strip()


def _child(job: Job, connection, cwd: str) -> None:
    """A pool process: run one job (from the caller's directory) and send back ("ok", value) or ("error", text)."""
    from rl_kit.infrastructure.signals import stop_on_sigterm

    stop_on_sigterm()  # the parent's SIGTERM on a stop: the job's run stops as a run does, saved
    try:
        os.chdir(cwd)  # a forkserver child starts where the server started, not where the caller is now
        connection.send(("ok", call(job)))
    except BaseException as error:  # reported to the parent, which goes on with the other jobs
        connection.send(("error", _error(error)))
    finally:
        connection.close()


def _run_on_pool(jobs: list[Job], workers: int) -> Iterator[Outcome]:
    """At most `workers` processes at once, one per job. Unlike a ProcessPoolExecutor, a process
    that dies (killed, out of memory) fails its own job only, not the whole pool.

    The processes come from a fork server where there is one (Linux, macOS): a small process
    that imports nothing heavy, so torch is never forked mid-use, and each job's peak memory
    (``ru_maxrss``) is its own. A spawned child would report the caller's peak instead, since
    Linux keeps it across exec.
    """
    import multiprocessing
    from multiprocessing.connection import wait

    methods = multiprocessing.get_all_start_methods()
    context: Any = multiprocessing.get_context("forkserver" if "forkserver" in methods else "spawn")  # a concrete one
    cwd = os.getcwd()
    waiting = list(reversed(jobs))
    running: dict[Any, tuple[Job, Any, Any]] = {}  # process sentinel -> (job, process, connection)
    try:
        while waiting or running:
            while waiting and len(running) < workers:
                job = waiting.pop()
                receiver, sender = context.Pipe(duplex=False)
                process = context.Process(target=_child, args=(job, sender, cwd), daemon=True)
                process.start()
                sender.close()  # the child holds the only writer, so its death reads as end of file
                running[process.sentinel] = (job, process, receiver)
            ready = set(wait([*running, *(entry[2] for entry in running.values())]))
            for sentinel, (job, process, receiver) in list(running.items()):
                if sentinel not in ready and receiver not in ready:
                    continue
                try:
                    status, payload = receiver.recv()
                except EOFError:
                    status, payload = "error", None
                process.join()
                receiver.close()
                del running[sentinel]
                if status == "ok":
                    yield Outcome(job, value=payload)
                else:
                    yield Outcome(job, error=payload or f"its process ended with exit code {process.exitcode}")
    finally:  # stopped (a signal, an error): the jobs still running are stopped too, not orphaned
        for _job, process, _receiver in running.values():
            process.terminate()
        deadline = time.monotonic() + STOP_S
        for _job, process, receiver in running.values():
            process.join(timeout=max(0.0, deadline - time.monotonic()))
            if process.is_alive():
                process.kill()
                process.join()
            receiver.close()


def import_ray():
    try:
        import ray
    except ImportError:
        raise RLKitError(f"--ray needs Ray, which is not installed: {RAY_INSTALL}") from None
    return ray


def connect_ray(address: str):
    """Ray, initialized: as the caller left it, or joined to `address` ("auto": this machine's)."""
    import logging

    ray = import_ray()
    if ray.is_initialized():
        return ray
    options = {"logging_level": logging.WARNING, "log_to_driver": True}
    try:
        ray.init(address=address, **options)
    except ConnectionError:
        if address != "auto":
            raise RLKitError(f"cannot reach the Ray cluster at {address}") from None
        print("No Ray cluster runs on this machine: starting a local one")
        ray.init(include_dashboard=False, **options)
    return ray


def _ray_call(job: Job, driver_node: str, driver_cwd: str) -> tuple[Any, dict[str, bytes] | None]:
    """On a Ray worker: run the job; from another machine, also return the files it wrote."""
    import ray

    here = ray.get_runtime_context().get_node_id() == driver_node
    if here:
        os.chdir(driver_cwd)  # relative paths mean what they mean to the caller
    value = call(job)
    files = None
    if job.directory is not None and not here:
        root = Path(job.directory)
        files = {str(p.relative_to(root)): p.read_bytes() for p in root.rglob("*") if p.is_file()}
    return value, files


def _run_on_ray(jobs: list[Job], address: str) -> Iterator[Outcome]:
    ray = connect_ray(address)
    remote = ray.remote(num_cpus=1, max_calls=1)(_ray_call)  # max_calls=1: a fresh process per job
    driver_node = ray.get_runtime_context().get_node_id()
    pending = {remote.remote(job, driver_node, os.getcwd()): job for job in jobs}
    try:
        while pending:
            done, _ = ray.wait(list(pending), num_returns=1)
            job = pending.pop(done[0])
            try:
                value, files = ray.get(done[0])
            except Exception as error:  # the task's process died, or the job raised
                yield Outcome(job, error=_error(error))
                continue
            for name, data in (files or {}).items():
                path = Path(job.directory or ".") / name
                path.parent.mkdir(parents=True, exist_ok=True)
                path.write_bytes(data)
            yield Outcome(job, value=value)
    except BaseException:
        for reference in pending:
            ray.cancel(reference, force=True)
        raise
