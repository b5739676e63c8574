"""The Python front: ``rl_kit.train(...)``, with friendly keywords, builds the values the core takes.

A front turns what its user says into values: a :class:`~rl_kit.core.spec.RunSpec` (what the
run is) and a :class:`~rl_kit.core.spec.RunOptions` (where it writes, what it shows), and hands
them to :func:`rl_kit.core.training.execute`. ``rl-kit train`` (:mod:`rl_kit.cli.run_commands`)
builds the same values from its flags; compare, tune and the benchmarks build them in
:mod:`rl_kit.experiments`. No layer below relays keywords.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from rl_kit.core.hyperparameter_files import starting_entry
from rl_kit.core.population import resume as resume_from_checkpoint
from rl_kit.core.spec import CheckpointSpec, EnvConfig, RunOptions
from rl_kit.core.training import Run, execute, plan

if TYPE_CHECKING:
    from rl_kit.agents.search_space import SearchSpace
    from rl_kit.experiments.compare import Comparison
    from rl_kit.experiments.tuning import TuneResult


def train(
    env: str | EnvConfig | None = None,
    agent: str | None = None,
    *,
    steps: int | None = None,
    seed: int = 0,
    num_envs: int | None = None,
    hyperparameters: dict[str, Any] | None = None,
    out: str | Path | None = None,
    env_kwargs: dict[str, Any] | None = None,
    eval_every: int | None = None,
    eval_episodes: int = 10,
    progress: bool = True,
    tensorboard: bool = True,
    callback: Callable[[int, Any], bool] | None = None,
    callback_every: int = 1000,
    on_evaluation: Callable[[int, dict[str, float]], bool] | None = None,
    tuned: bool = True,
    hyperparameters_file: str | Path | None = None,
    checkpoint_every: int = 0,
    keep_checkpoints: int = 3,
    resume: str | Path | None = None,
) -> Run:
    """Train agent `agent` on env `env` for `steps` env steps and save it in a run directory.

    Args:
        env: a registered env id (``"rl_kit/FrozenLake4x4-v0"``, ``"Taxi-v4"``, ...) or an :class:`EnvConfig`.
        agent: an agent name (``"q_learning"``, ``"ppo"``, ``"sb3_ppo"``; see ``rl-kit list``).
        steps: env steps in total, over all `num_envs` envs (default: the tuned entry's
            ``n_timesteps``, said on standard error; an error where it has none).
        seed: seeds the envs' first reset and the agent's generator.
        num_envs: envs stepped together (default: the tuned entry's, else 1).
        hyperparameters: values that override the tuned entry and the agent's defaults.
        out: the run directory (default ``runs/<env>/<agent>/seed<seed>-<time>``).
        env_kwargs: keyword arguments for the env (``{"map": ...}``, ``{"slip": 0.2}``).
        eval_every: env steps between greedy evaluations (default: steps / 10; 0: never).
        eval_episodes: episodes per evaluation.
        progress: show a progress bar.
        tensorboard: also write TensorBoard events.
        callback: ``callback(step, agent) -> bool`` every `callback_every` steps; True stops.
        on_evaluation: ``on_evaluation(step, statistics) -> bool`` after each periodic evaluation
            (``statistics["mean"]`` is the mean greedy return); True stops. ``rl_kit.tune`` prunes with it.
        tuned: start from ``rl_kit/hyperparams/<agent>.yml``'s entry for `env` (where it has one).
        hyperparameters_file: start from this YAML file's entry for `env` instead (RL Zoo format, as
            ``rl-kit tune`` writes in ``best.yml``); it must have one.
        checkpoint_every: env steps between checkpoints in ``checkpoints/`` (0: none); see :func:`rl_kit.core.population.resume`.
        keep_checkpoints: how many of the latest checkpoints to keep.
        resume: a run directory to continue from its latest checkpoint instead (see :func:`rl_kit.core.population.resume`);
            `steps` may then raise its budget, and the other arguments come from its config.
    Returns:
        the :class:`~rl_kit.core.training.Run`, with its directory, spec and trained agent.
    Ctrl-C stops training early; the agent learned so far is saved all the same.
    """
    options = RunOptions(out, progress, tensorboard, callback, callback_every, on_evaluation)
    if resume is not None:
        return resume_from_checkpoint(resume, steps=steps, options=options)
    if env is None or agent is None:
        raise ValueError("train needs env and agent (or resume=RUN)")
    env = EnvConfig.of(env, env_kwargs)
    spec = plan(
        env,
        agent,
        steps=steps,
        seed=seed,
        num_envs=num_envs,
        hyperparameters=hyperparameters,
        entry=starting_entry(agent, env.id, tuned=tuned, file=hyperparameters_file),
    )
    spec = spec.with_evaluation(eval_every, eval_episodes)
    return execute(replace(spec, checkpoints=CheckpointSpec(checkpoint_every, keep_checkpoints)), options)


def compare(
    env: str | EnvConfig,
    agents: list[str],
    *,
    steps: int,
    seeds: int = 5,
    out: str | Path | None = None,
    workers: int | None = None,
    episodes: int = 100,
    eval_every: int | None = None,
    hyperparameters: dict[str, dict] | None = None,
    env_kwargs: dict | None = None,
    progress: bool = True,
    ray: str | None = None,
    population: bool = True,
) -> Comparison:
    """Train every agent with seeds 0..seeds-1 on `env`, evaluate them by one protocol, and
    write the report directory (:mod:`rl_kit.experiments.compare`).

    Args:
        env: env id or :class:`EnvConfig`. agents: agent names (ours and ``sb3_*``).
        steps: env steps per run. seeds: seeds per agent.
        out: report directory (default ``runs/compare/<env>-<time>``).
        workers: runs at once (default: the number of cores). episodes: evaluation episodes.
        eval_every: steps between the evaluations that draw the learning curves (default steps/10).
        hyperparameters: per agent name, values overriding the tuned files.
        env_kwargs: keyword arguments of the env.
        progress: show a progress bar over runs.
        ray: run the grid on Ray at this address (``"auto"``: this machine's cluster, started if
            none runs) instead of the local process pool. Same seeds, same numbers.
        population: train an agent's seeds as one population where it can (PPO, A2C, REINFORCE, DQN;
            :mod:`rl_kit.core.population`); False runs each seed in a process of its own.
    """
    from rl_kit.experiments.compare import CompareSettings, run_comparison

    settings = CompareSettings(
        env=EnvConfig.of(env, env_kwargs),
        agents=tuple(agents),
        steps=steps,
        seeds=seeds,
        episodes=episodes,
        eval_every=eval_every,
        hyperparameters=hyperparameters or {},
        directory=out,
        workers=workers,
        ray=ray,
        progress=progress,
        population=population,
    )
    return run_comparison(settings)


def generalize(
    agent: str,
    env: str = "rl_kit/ProcGrid-v0",
    *,
    out: str | Path,
    levels: tuple[int, ...] = (1, 10, 100, 1000, 0),
    seeds: int = 3,
    steps: int | None = None,
    test_levels: int = 1000,
    episodes: int = 200,
    env_kwargs: dict | None = None,
    hyperparameters: dict | None = None,
    workers: int = 1,
    ray: str | None = None,
    population: bool = True,
) -> Path:
    """Train `agent` on N levels of the level family `env` for each N of `levels` (0:
    unlimited) and each of `seeds` seeds, and evaluate each run greedily on its training levels
    and on `test_levels` held-out ones that share no level with them
    (:mod:`rl_kit.experiments.generalize`); returns ``out/report.md`` (with ``summary.csv`` and
    ``generalization.png`` beside it). Runs stored in `out` are kept: a killed study resumes.

    Args:
        steps: env steps a run (default: the tuned entry's). episodes: greedy episodes each side.
        env_kwargs: the family's options (not num_levels, start_level or levels: set here).
        hyperparameters: values over the tuned entry's. workers, ray: where the runs go.
        population: an N's seeds train as one population where the agent can (False: apart).
    """
    from rl_kit.experiments.generalize import GeneralizationStudy, run_generalization

    study = GeneralizationStudy(env, agent, tuple(levels), seeds=seeds, steps=steps, test_levels=test_levels,
                                episodes=episodes, env_kwargs=env_kwargs, hyperparameters=hyperparameters)  # fmt: skip
    return run_generalization(study, out, workers=workers, ray=ray, population=population)


def tune(
    env: str | EnvConfig,
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
    population: int = 1,
) -> TuneResult:
    """Tune `agent` on `env` with Optuna until its study has `trials` finished trials
    (:mod:`rl_kit.experiments.tuning`).

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
        population: trials asked for at once, trained as one population where their values keep
            one network shape (fix the shapes in `hyperparameters`); else one after another.
    Returns:
        a :class:`~rl_kit.experiments.tuning.TuneResult`; ``best.yml``, ``trials.csv`` and the
        plots are in its directory.
    """
    from rl_kit.experiments.tuning import TuneSettings, import_optuna, run_tuning

    import_optuna()  # missing Optuna is said before anything is made
    env = EnvConfig.of(env, env_kwargs)
    base = plan(env, agent, steps=steps, seed=seed, num_envs=num_envs, hyperparameters=hyperparameters)
    settings = TuneSettings(
        base.with_evaluation(episodes=eval_episodes),
        trials=trials,
        evaluations=evaluations,
        objective=objective,
        space=space,
        directory=out,
        storage=storage,
        study=study,
        workers=workers,
        progress=progress,
        population=population,
    )
    return run_tuning(settings)
