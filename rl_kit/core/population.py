"""A population: K runs of one of our agents on one env that differ only in seed (and in values
no network shape depends on, such as the learning rate), trained in one process as one
computation.

The agent is built with the K seeds (:mod:`rl_kit.agents.policy_gradient`: a leading member
axis through its networks, optimizer, rollout and updates) and steps one vector env of K x N
sub-envs, member k's being envs kN .. kN + N - 1, so each Python step of the run loop
(:func:`rl_kit.core.loop.run_loop`, unchanged) moves every member. Around it, each member is
a run of its own, laid out exactly as if it had run alone: its directory (claimed and locked),
``config.yaml`` (its spec, plus a ``population`` entry naming its fellow members),
``episodes.csv``, ``train.csv``, ``eval.csv``, checkpoints, its saved agent and
``result.yaml``, each from its own :class:`~rl_kit.core.supervisor.Supervisor`; the
:class:`PopulationSupervisor` routes episodes, metrics and steps to them.

What differs from K runs apart: one generator samples every member's actions and minibatches,
and envs whose vector version takes a single seed (Gymnasium's CartPole) draw the members'
starts from the first member's seed. A member's outcome is therefore a draw from the same
distribution as its run alone, not the same numbers (tests hold the learning outcome over
seeds); a killed population resumes (all members together, from any member's directory) to
the same files as an uninterrupted one.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from contextlib import ExitStack
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np

from rl_kit.core import agent_files, registry
from rl_kit.core.capabilities import ResumableEnvs
from rl_kit.core.checkpoints import Checkpoint, load_checkpoint, save_checkpoint
from rl_kit.core.evaluation import PeriodicEvaluation
from rl_kit.core.logs import RunLogger
from rl_kit.core.loop import LoopState, run_loop
from rl_kit.core.run_budget import check_budget
from rl_kit.core.run_directory import (
    CONFIG_FILE,
    POPULATION_KEY,
    RESULT_FILE,
    claimed,
    is_population_member,
    read_spec,
    write_yaml,
)
from rl_kit.core.spec import RunOptions, RunSpec
from rl_kit.core.supervisor import Cadence, RunResult, Supervisor, SupervisorState
from rl_kit.errors import RLKitError


def population_reason(specs: Sequence[RunSpec]) -> str | None:
    """Why `specs` cannot train as one population, in a few words; None when they can: two or
    more runs of one of our agents that learns as a population (PPO, A2C, REINFORCE, DQN), equal
    in everything but their seeds and the values members may differ in (the agent's
    ``MEMBER_VALUES``), no two the same, with hyperparameters a population can run."""
    if len(specs) < 2:
        return "a single run"
    first = specs[0]
    if first.agent not in registry.AGENTS or not hasattr(registry.agent_class(first.agent), "member"):
        return f"{first.agent} does not train as a population"
    if any(shared_part(spec) != shared_part(first) for spec in specs):
        return f"the runs differ in more than their seeds and {', '.join(member_value_names(first.agent))}"
    if len({(spec.seed, tuple(sorted(member_values(spec, specs).items()))) for spec in specs}) != len(specs):
        return "two runs are the same run"
    cls = registry.agent_class(first.agent)
    try:
        cls.check_population(cls.Hyperparameters.from_dict(dict(first.hyperparameters), agent=first.agent))
    except (ValueError, TypeError) as error:
        return str(error)
    return None


def member_value_names(agent: str) -> tuple[str, ...]:
    """What members of a population of `agent` may differ in besides the seed."""
    return tuple(getattr(registry.agent_class(agent), "MEMBER_VALUES", ()))


def shared_part(spec: RunSpec) -> RunSpec:
    """What every member of a population has in common: `spec` without its seed and member values."""
    names = member_value_names(spec.agent)
    shared = {k: v for k, v in spec.hyperparameters.items() if k not in names}
    return replace(spec, seed=0, hyperparameters=shared, hyperparameters_overridden=())


def member_values(spec: RunSpec, specs: Sequence[RunSpec]) -> dict[str, Any]:
    """`spec`'s own values of the member values any of `specs` gives (the agent's default where it gives none)."""
    names = member_value_names(spec.agent)
    keys = sorted({k for s in specs for k in s.hyperparameters if k in names})
    defaults = registry.agent_class(spec.agent).Hyperparameters().to_dict()
    return {k: spec.hyperparameters.get(k, defaults[k]) for k in keys}


def member_value(value: Any, member: int, members: int) -> float:
    """Member `member`'s entry of a population's metric (one per member, or one for all)."""
    values = np.asarray(value, dtype=np.float64).reshape(-1)
    return float(values[member] if values.size == members else values[0])


class PopulationSupervisor:
    """The run loop's supervisor for a population: it has a :class:`Supervisor`'s three verbs
    and counts env steps of all K x N sub-envs, and hands each member's share to the member's
    own supervisor (its steps are the population's divided by K, so every member meets its
    logs, evaluations and checkpoints at the steps its run alone would)."""

    def __init__(self, members: list[Supervisor], envs_per_member: int):
        self.members, self.envs_per_member = members, envs_per_member
        self.count = len(members)
        self.step = members[0].step * self.count
        self.budget = members[0].budget * self.count
        self.checkpoints_due: list[int] = []

    def episode(self, step: int, episode_return: float, length: int, sub_env: int = 0) -> None:
        self.members[sub_env // self.envs_per_member].episode(step // self.count, episode_return, length)

    def metrics(self, values: dict[str, Any]) -> None:
        for k, supervisor in enumerate(self.members):
            supervisor.metrics({key: member_value(value, k, self.count) for key, value in values.items()})

    def after_step(self, step: int, agent: Any = None, checkpoint: Callable[[], None] | None = None) -> bool:
        """Each member's `after_step`; a member whose checkpoint is due is noted and written once
        all have spoken. Stops on a signal (every member is marked interrupted), or when every
        member asks to (one pruned member alone does not stop the others)."""
        self.step = step
        signal = next((s.stop_signal for s in self.members if s.stop_signal is not None), None)
        stops = []
        for k, supervisor in enumerate(self.members):
            if signal is not None:
                supervisor.stop_signal = signal
            due = None if checkpoint is None else (lambda k=k: self.checkpoints_due.append(k))
            stops.append(supervisor.after_step(step // self.count, None, due))
        if self.checkpoints_due and checkpoint is not None:
            checkpoint()
        self.checkpoints_due = []
        return signal is not None or all(stops)

    def result(self) -> RunResult:
        return self.members[0].result()


class MemberEvaluation:
    """Member `k`'s periodic evaluation, of its state at that moment."""

    def __init__(self, evaluation: PeriodicEvaluation, agent, k: int):
        self.evaluation, self.agent, self.k = evaluation, agent, k

    def __call__(self) -> dict[str, float]:
        self.agent.member(self.k)  # the evaluation's agent is the member's own copy: bring it up to date
        return self.evaluation()


class MemberCallback:
    """The user's ``callback(step, agent)``, given member `k` as an agent of its own."""

    def __init__(self, callback: Callable[[int, Any], bool], agent, k: int):
        self.callback, self.agent, self.k = callback, agent, k

    def __call__(self, step: int, _agent: Any) -> bool:
        return self.callback(step, self.agent.member(self.k))


class MemberTraining:
    """Member `k` of a population agent as a checkpoint sees an agent: its ``training_state``."""

    def __init__(self, agent, k: int):
        self.agent, self.k = agent, k

    def training_state(self) -> tuple[dict[str, np.ndarray], dict]:
        return self.agent.member_training_state(self.k)


def member_directories(directory: Path) -> list[Path]:
    """The directories of the population `directory`'s run belongs to, from its config (all
    siblings of it: a config names its fellows by name only, never a path elsewhere)."""
    from rl_kit.infrastructure.yaml_text import read_yaml_file

    config = read_yaml_file(directory / CONFIG_FILE, "run config")
    entry = config.get(POPULATION_KEY) if isinstance(config, dict) else None
    names = entry.get("members") if isinstance(entry, dict) else None
    if not isinstance(names, list) or not all(isinstance(n, str) and n and os.sep not in n for n in names):
        raise RLKitError(f"{directory / CONFIG_FILE} has no readable list of its population's members")
    return [directory.parent / name for name in names]


def train_population(
    specs: Sequence[RunSpec],
    directories: Sequence[Path],
    options: RunOptions = RunOptions(),
    on_evaluations: Sequence[Callable[[int, dict[str, float]], bool]] | None = None,
) -> list:
    """Train `specs` (see :func:`population_reason`) as one population, member k into `directories[k]`.

    Returns one :class:`~rl_kit.core.training.Run` per member, in order. `options` apply to
    every member (its directory is ignored; the progress bar is the first member's);
    `on_evaluations`, one per member, take the place of ``options.on_evaluation`` (a tuner's
    trials, each pruned by its own evaluations).
    """
    member_options = [options] * len(specs)
    if on_evaluations is not None:
        member_options = [replace(options, on_evaluation=f) for f in on_evaluations]
    return _train(list(specs), [Path(d) for d in directories], member_options, None)


def train_seeds(spec: RunSpec, count: int, options: RunOptions = RunOptions(), together: bool = True) -> list:
    """`count` runs of `spec`, seeds ``spec.seed`` onwards, into ``<options.directory>/seed<S>``
    (default ``runs/<env>/<agent>/seeds<S>-<time>/seed<S>``): as one population where they can
    be, else (or with `together` False) one after another, the reason said on standard error."""
    import sys
    import time

    from rl_kit.core.run_directory import fresh_directory
    from rl_kit.core.training import execute

    specs = [replace(spec, seed=spec.seed + i) for i in range(count)]
    root = options.directory
    if root is None:
        root = fresh_directory(
            Path("runs") / spec.env.slug / spec.agent / f"seeds{spec.seed}-{time.strftime('%Y%m%d-%H%M%S')}"
        )
    directories = [Path(root) / f"seed{s.seed}" for s in specs]
    reason = population_reason(specs) if together else "--population off"
    if reason is None:
        print(f"{count} seeds of {spec.agent} on {spec.env.id} as one population, into {root}", file=sys.stderr)
        return train_population(specs, directories, options)
    print(f"{count} seeds of {spec.agent} one after another ({reason}), into {root}", file=sys.stderr)
    return [execute(s, replace(options, directory=d)) for s, d in zip(specs, directories, strict=True)]


def resume(run: str | Path, *, steps: int | None = None, options: RunOptions | None = None):
    """Continue the run in `run` from its latest checkpoint: with all its fellow members where
    it trained in a population (returned: its own run), else as
    :func:`rl_kit.core.training.resume_run` does."""
    from rl_kit.core.training import resume_run

    directory = Path(run)
    if not is_population_member(directory):
        return resume_run(directory, steps=steps, options=options)
    runs = resume_population(directory, steps=steps, options=options)
    return next(member for member in runs if member.directory == directory)


def resume_population(directory: str | Path, *, steps: int | None = None, options: RunOptions | None = None) -> list:
    """Resume the population that the run in `directory` belongs to, every member from its
    latest checkpoint (which must all be of the same step), to `steps` (default: their own)."""
    from rl_kit.core.training import whole_number
    from rl_kit.infrastructure.directory_lock import refuse_links

    directories = member_directories(Path(directory))
    for member in directories:
        refuse_links(member)
    specs = [read_spec(member) for member in directories]
    if steps is not None:
        specs = [replace(spec, steps=whole_number("steps", steps)) for spec in specs]
    checkpoints = [load_checkpoint(member) for member in directories]
    if len({checkpoint.supervisor.step for checkpoint in checkpoints}) != 1:
        found = ", ".join(f"{d.name}: {c.supervisor.step}" for d, c in zip(directories, checkpoints, strict=True))
        raise RLKitError(f"the population's latest checkpoints are of different steps ({found}); it cannot resume")
    return _train(specs, directories, [options or RunOptions()] * len(specs), checkpoints)


def _train(
    specs: list[RunSpec], directories: list[Path], options: list[RunOptions], checkpoints: list[Checkpoint] | None
) -> list:
    from rl_kit.core.training import Run, run_config, write_result

    check_population(specs, directories)
    first, seeds = specs[0], [spec.seed for spec in specs]
    envs, agent = build(specs)
    cls = registry.agent_class(first.agent)
    agent_class = f"{cls.__module__}.{cls.__qualname__}"
    specs = [replace(spec, hyperparameters=agent.hyperparameters_of(k).to_dict()) for k, spec in enumerate(specs)]
    with ExitStack() as stack:
        stack.callback(envs.close)
        for directory in directories:
            stack.enter_context(claimed(directory, resuming=checkpoints is not None))
        states: list[SupervisorState | None] = [None] * len(specs)
        loop_state = None
        if checkpoints is None:
            for k, (spec, directory) in enumerate(zip(specs, directories, strict=True)):
                config = run_config(spec, agent_class)
                config[POPULATION_KEY] = {"members": [d.name for d in directories], "member": k, "seeds": seeds}
                write_yaml(directory / CONFIG_FILE, config)
        else:
            states, loop_state = restore(agent, envs, checkpoints, seeds, first.num_envs)
        supervisors = member_supervisors(stack, agent, specs, directories, options, states)
        population = PopulationSupervisor(supervisors, first.num_envs)
        identity = {"agent": first.agent, "env": first.env.id}

        def checkpoint(state: LoopState) -> None:
            arrays = state.arrays()
            for k in population.checkpoints_due:
                rows = slice(k * first.num_envs, (k + 1) * first.num_envs)
                member_loop = {name: value[rows] for name, value in arrays.items()}
                save_checkpoint(directories[k], MemberTraining(agent, k), envs, member_loop,
                                supervisors[k].state(), first.checkpoints.keep, run=identity)  # fmt: skip

        try:
            if loop_state is None:
                loop_state = first_state(envs, seeds, first.num_envs)
            run_loop(agent, envs, population, state=loop_state, checkpoint=checkpoint)
        except FloatingPointError as error:  # a NaN or inf loss: every member keeps its last good update
            for k, directory in enumerate(directories):
                agent_files.save_agent(agent.member(k), directory, env=specs[k].env)
                write_yaml(directory / RESULT_FILE, {"error": str(error), "interrupted": True})
            raise RLKitError(f"{error}. The members' last good agents are saved in {directories[0].parent}") from None
    stopped = next((s for s in supervisors if s.interrupted), None)
    for supervisor in supervisors:  # a Ctrl-C reached one member's supervisor: it stopped them all
        if stopped is not None and not supervisor.interrupted:
            supervisor.interrupted, supervisor.stopped_by = True, stopped.stopped_by
    runs = []
    for k, (spec, directory, supervisor) in enumerate(zip(specs, directories, supervisors, strict=True)):
        member = agent.member(k)
        agent_files.save_agent(member, directory, env=spec.env)
        result = supervisor.result()
        write_result(directory, result)
        runs.append(Run(directory, member, spec, result, run_config(spec, agent_class)))
    return runs


def check_population(specs: list[RunSpec], directories: list[Path]) -> None:
    """Refuse, in one line, specs that cannot train as one population or directories that do not fit them."""
    reason = population_reason(specs)
    if reason is not None:
        raise RLKitError(f"these runs cannot train as one population: {reason}")
    if len(directories) != len(specs) or len({d.parent for d in directories}) != 1:
        raise RLKitError("a population's members get one directory each, side by side in one folder")
    for spec in specs:
        check_budget(spec)


def build(specs: list[RunSpec]) -> tuple[Any, Any]:
    """The K x N vector env and the population agent (member k from seed k's spec)."""
    first = specs[0]
    envs = first.env.make_vector(len(specs) * first.num_envs)
    try:
        agent = registry.make_agent(
            first.agent,
            envs.single_observation_space,
            envs.single_action_space,
            seed=tuple(spec.seed for spec in specs),
            hyperparameters=dict(first.hyperparameters),
            member_values=[member_values(spec, specs) for spec in specs],
        )
    except BaseException:
        envs.close()
        raise
    return envs, agent


def member_supervisors(
    stack: ExitStack,
    agent,
    specs: list[RunSpec],
    directories: list[Path],
    options_of: list[RunOptions],
    states: list[SupervisorState | None],
) -> list[Supervisor]:
    """One supervisor per member, with its logs and evaluation, running inside `stack`."""
    from rl_kit.core.training import log_interval

    supervisors = []
    for k, (spec, directory) in enumerate(zip(specs, directories, strict=True)):
        state, options = states[k], options_of[k]
        logger = RunLogger(directory, tensorboard=options.tensorboard,
                           resume_after_step=None if state is None else state.step)  # fmt: skip
        stack.callback(logger.close)
        evaluation = stack.enter_context(PeriodicEvaluation(spec.env, spec.evaluation, agent.member(k)))
        member_options = replace(
            options,
            directory=directory,
            progress=options.progress and k == 0,
            callback=None if options.callback is None else MemberCallback(options.callback, agent, k),
        )
        supervisor = Supervisor(
            spec.steps,
            Cadence(log_interval(spec), spec.evaluation.every, spec.checkpoints.every),
            evaluate=MemberEvaluation(evaluation, agent, k),
            logger=logger,
            options=member_options,
            description=f"{spec.agent} on {spec.env.id}, {len(specs)} seeds in one population",
            state=state,
        )
        stack.enter_context(supervisor.running())
        supervisors.append(supervisor)
    return supervisors


def first_state(envs, seeds: list[int], envs_per_member: int) -> LoopState:
    """The first reset: member k's sub-env i seeded seed_k + i, as its run alone seeds them;
    a vector env that takes one seed (Gymnasium's CartPole) gets the first member's."""
    import gymnasium as gym

    listed = [seed + i for seed in seeds for i in range(envs_per_member)]
    try:
        return LoopState.start(envs, listed)
    except (gym.error.Error, TypeError, ValueError):
        return LoopState.start(envs, seeds[0])


def restore(
    agent, envs, checkpoints: list[Checkpoint], seeds: list[int], envs_per_member: int
) -> tuple[list[SupervisorState | None], LoopState]:
    """Put the population back where its members' checkpoints left it."""
    try:
        agent.load_member_training_states([(c.arrays["agent"], c.header["agent"]) for c in checkpoints])
        first = checkpoints[0]
        if first.header["envs"] is not None and isinstance(envs, ResumableEnvs):
            envs.load_training_state(first.arrays["envs"], first.header["envs"])  # the whole population's
            names = checkpoints[0].arrays["loop"]
            loop = LoopState.from_arrays({n: np.concatenate([c.arrays["loop"][n] for c in checkpoints]) for n in names})
        else:  # Gymnasium's envs cannot save their state: their episodes start afresh
            step = first.supervisor.step
            loop = first_state(envs, [seed + step for seed in seeds], envs_per_member)
    except (ValueError, KeyError, TypeError, IndexError) as error:
        raise RLKitError(f"{first.path} does not fit this population: {error}"[:400]) from None
    return [c.supervisor for c in checkpoints], loop
