"""What defines a run, as values: :class:`EnvConfig` (which env), :class:`RunSpec` (the whole
run) and :class:`RunOptions` (how this process runs it: where it writes, what it shows).

A run is one frozen value. The fronts (``rl_kit.train(...)``, ``rl-kit train``, compare, tune)
build it, :func:`rl_kit.core.training.execute` takes it with its options, the backends read it,
``config.yaml`` holds it as it is (:meth:`RunSpec.to_dict`), and resuming reads it back
(:meth:`RunSpec.from_dict`): nothing that defines a run travels as a loose parameter.
"""

from __future__ import annotations

import os
import re
import sys
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any

import gymnasium as gym
from gymnasium.vector import AutoresetMode

from rl_kit.errors import InvalidType, InvalidValue, RLKitError, unknown_name

EVAL_SEED = 1_000_000  # evaluation episodes are seeded apart from training ones
# An env registered without a time limit (Gymnasium's CliffWalking-v1, a user's own) gets this
# cap, said out loud once: a greedy policy that walks into a wall would otherwise play forever.
DEFAULT_MAX_EPISODE_STEPS = 1_000
_announced: set[str] = set()


def check_env_id(env_id: str) -> str:
    """`env_id` if Gymnasium knows it, else an error that suggests the closest ids."""
    if not isinstance(env_id, str):
        raise RLKitError(f"an env id must be text, got {type(env_id).__name__}")
    if env_id not in gym.registry:
        raise unknown_name("env", env_id, gym.registry)
    return env_id


VECTOR_ENVS = ("native", "sync")  # how an EnvConfig's copies run (its vector_env)
MAX_EPISODE_STEPS = 10_000_000  # a time limit's bound: a saved agent's may not make evaluation endless
MAX_FRAME_STACK = 64  # frames an agent sees at once (the Zoo stacks 4 on Atari); a saved agent may declare more


@dataclass(frozen=True)
class EnvConfig:
    """An env: its registered id, the keyword arguments it is made with, and its time limit.

    (Not Gymnasium's ``EnvSpec``, the registration an id names: this is how a run makes it.)

    ``max_episode_steps`` overrides the registered time limit (as in ``gymnasium.make``; it may
    also come in `kwargs`). An env registered without one is capped at
    :data:`DEFAULT_MAX_EPISODE_STEPS` steps, so that every episode rl-kit plays ends.

    ``vector_env`` says how its copies run (it may also come in `kwargs`): "native" (the default)
    takes the env's native vector version where it has one (ours, Gymnasium's CartPole's, and
    :mod:`rl_kit.envs.classic_control`'s for Acrobot, MountainCar, MountainCarContinuous and
    Pendulum, which equal Gymnasium's bit for bit); "sync" always takes Gymnasium's
    ``SyncVectorEnv``.

    ``frame_stack`` k > 1 (it may also come in `kwargs`) shows the agent the last k observations
    side by side (:class:`rl_kit.envs.frame_stack.StackFrames`: an image's channels, a vector's
    entries), where one observation cannot show motion; its copies then run in Gymnasium's
    ``SyncVectorEnv``, each stacking its own frames.

    >>> EnvConfig("rl_kit/FrozenLake4x4-v0", {"slip": 0.0}).make()
    """

    id: str
    kwargs: Mapping[str, Any] = field(default_factory=dict)
    max_episode_steps: int | None = None
    vector_env: str = "native"
    frame_stack: int = 1

    def __post_init__(self):
        check_env_id(self.id)
        kwargs = dict(self.kwargs or {})  # a copy: the caller's dict may change
        vector_env = kwargs.pop("vector_env", self.vector_env)
        if vector_env not in VECTOR_ENVS:
            raise RLKitError(f"vector_env must be one of {list(VECTOR_ENVS)}, got {vector_env!r}")
        object.__setattr__(self, "vector_env", vector_env)
        limit = kwargs.pop("max_episode_steps", self.max_episode_steps)
        if limit is not None and (
            isinstance(limit, bool) or not isinstance(limit, int) or not 1 <= limit <= MAX_EPISODE_STEPS
        ):
            raise RLKitError(f"max_episode_steps must be a whole number from 1 to {MAX_EPISODE_STEPS:,}, got {limit!r}")
        object.__setattr__(self, "max_episode_steps", limit)
        stack = kwargs.pop("frame_stack", self.frame_stack)
        if isinstance(stack, bool) or not isinstance(stack, int) or not 1 <= stack <= MAX_FRAME_STACK:
            raise RLKitError(f"frame_stack must be a whole number from 1 to {MAX_FRAME_STACK}, got {stack!r}")
        object.__setattr__(self, "frame_stack", stack)
        map_file = kwargs.get("map")
        if isinstance(map_file, (str, os.PathLike)) and "\n" not in str(map_file) and os.path.isfile(map_file):
            # a grid map given as a file is held by its text: the spec reproduces the run without
            # the file, and a saved agent names no path for a stranger's machine to open
            kwargs["map"] = Path(map_file).read_text(encoding="utf-8")
        object.__setattr__(self, "kwargs", kwargs)

    @classmethod
    def of(cls, env: str | EnvConfig | gym.Env, kwargs: Mapping[str, Any] | None = None) -> EnvConfig:
        """The spec of `env` (an id, a spec, or an env made by ``gymnasium.make``, as
        stable-baselines3 accepts one), with `kwargs` added to its own."""
        if isinstance(env, gym.Env):
            made = env.spec
            if made is None:
                raise InvalidType(f"{env} was not made by gymnasium.make: pass its registered id instead")
            env = cls(made.id, {k: v for k, v in (made.kwargs or {}).items() if k != "render_mode"})
        if isinstance(env, EnvConfig):
            if not kwargs:
                return env
            limit = kwargs.get("max_episode_steps", env.max_episode_steps)
            vector_env = kwargs.get("vector_env", env.vector_env)
            stack = kwargs.get("frame_stack", env.frame_stack)
            return replace(env, kwargs={**env.kwargs, **kwargs}, max_episode_steps=limit, vector_env=vector_env,
                           frame_stack=stack)  # fmt: skip
        if not isinstance(env, str):
            raise InvalidType(f"env must be an env id, an EnvConfig or a gymnasium env, got {type(env).__name__}")
        return cls(env, kwargs or {})

    def __str__(self) -> str:
        """The env as a reader names it: ``CartPole-v1``, ``rl_kit/FrozenLake4x4-v0 (slip=0.2)``."""
        options = [f"{k}={short_value(v)}" for k, v in self.kwargs.items()]
        if self.max_episode_steps is not None:
            options.append(f"max_episode_steps={self.max_episode_steps}")
        if self.vector_env != "native":
            options.append(f"vector_env={self.vector_env}")
        if self.frame_stack > 1:
            options.append(f"frame_stack={self.frame_stack}")
        return f"{self.id} ({', '.join(options)})" if options else self.id

    @property
    def slug(self) -> str:
        """The id as a folder name (``rl_kit/GridWorld-v0`` -> ``rl_kit-GridWorld-v0``)."""
        return self.id.replace("/", "-")

    @property
    def time_limit(self) -> int:
        """The episodes' step limit: ours, else the registered one, else the default cap."""
        if self.max_episode_steps is not None:
            return self.max_episode_steps
        registered = gym.spec(self.id).max_episode_steps
        if registered is not None:
            return registered
        if self.id not in _announced:
            _announced.add(self.id)
            print(
                f"note: {self.id} is registered without a time limit; rl-kit ends its episodes after "
                f"{DEFAULT_MAX_EPISODE_STEPS:,} steps (--max-episode-steps N to change)",
                file=sys.stderr,
            )
        return DEFAULT_MAX_EPISODE_STEPS

    def _limit_to_set(self) -> dict[str, int]:
        """``max_episode_steps`` for ``gymnasium.make`` where the registered limit is not the one."""
        limit = self.time_limit
        return {} if limit == gym.spec(self.id).max_episode_steps else {"max_episode_steps": limit}

    def make(self, **make_kwargs) -> gym.Env:
        """``gymnasium.make`` with the time limit, and a clear error for bad keyword arguments."""
        try:
            env = gym.make(self.id, **{**self._limit_to_set(), **self.kwargs, **make_kwargs})
            return env if self.frame_stack == 1 else self.stacked(env)
        except (TypeError, ValueError, gym.error.DependencyNotInstalled) as error:
            raise RLKitError(f"cannot make {self.id}: {error}") from None

    def stacked(self, env: gym.Env) -> gym.Wrapper:
        """`env` showing its last ``frame_stack`` observations."""
        from rl_kit.envs.frame_stack import StackFrames

        return StackFrames(env, self.frame_stack)

    def make_vector(self, num_envs: int) -> gym.vector.VectorEnv:
        """`num_envs` copies: with ``vector_env`` "native", the env's native vector version where
        it has one (ours, Gymnasium's CartPole, the classic-control twins of
        :mod:`rl_kit.envs.classic_control`, ``SAME_STEP``), else Gymnasium's ``SyncVectorEnv``
        with ``SAME_STEP`` autoreset."""
        from rl_kit.envs.classic_control import NATIVE_VECTOR_ENVS

        if num_envs < 1:
            raise RLKitError(f"num_envs must be at least 1, got {num_envs}")
        registered = gym.spec(self.id)
        limit = self._limit_to_set()
        native = self.vector_env == "native" and self.frame_stack == 1  # a native one stacks no frames
        try:
            if native and self.id in NATIVE_VECTOR_ENVS:
                twin = NATIVE_VECTOR_ENVS[self.id]
                return twin(num_envs, max_episode_steps=self.time_limit, autoreset_mode=AutoresetMode.SAME_STEP,
                            **self.kwargs)  # fmt: skip
            if native and registered.vector_entry_point is not None and not limit:
                vec = gym.make_vec(self.id, num_envs=num_envs, vectorization_mode="vector_entry_point", **self.kwargs)
                if vec.metadata.get("autoreset_mode") in (AutoresetMode.SAME_STEP, AutoresetMode.NEXT_STEP):
                    return vec
                vec.close()
            if limit:  # a copy of the registration with our limit: make_vec has no argument for it
                registered = replace(registered, max_episode_steps=limit["max_episode_steps"])
            return gym.make_vec(
                registered,
                num_envs=num_envs,
                vectorization_mode="sync",
                vector_kwargs={"autoreset_mode": AutoresetMode.SAME_STEP},
                wrappers=None if self.frame_stack == 1 else [self.stacked],
                **self.kwargs,
            )
        except (TypeError, ValueError, gym.error.DependencyNotInstalled) as error:
            raise RLKitError(f"cannot make {self.id}: {error}") from None

    def to_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {"id": self.id, "kwargs": dict(self.kwargs)}
        if self.max_episode_steps is not None:
            data["max_episode_steps"] = self.max_episode_steps
        data["vector_env"] = self.vector_env
        if self.frame_stack > 1:
            data["frame_stack"] = self.frame_stack
        return data

    @classmethod
    def from_dict(cls, data: Mapping[str, Any], *, source: str = "the run config") -> EnvConfig:
        """The spec `data` describes (a ``config.yaml``'s ``env``, a saved agent's env). Its
        options are values only: one that names a file is refused unopened (a run holds its
        map's text; a path there was put by hand, and reading it would show a stranger's file)."""
        kwargs = data.get("kwargs") or {}
        if not isinstance(kwargs, Mapping):
            raise RLKitError(f"{source}'s env options are not a mapping")
        refuse_paths(kwargs, source)
        return cls(data["id"], kwargs, data.get("max_episode_steps"), data.get("vector_env", "native"),
                   data.get("frame_stack", 1))  # fmt: skip


def short_value(value: Any) -> str:
    """A value in a label: a map's text as its size, anything long cut."""
    if isinstance(value, str) and "\n" in value.strip():
        rows = value.strip().splitlines()
        return f"<{len(rows)}x{len(rows[0].strip())} map>"
    text = repr(value) if isinstance(value, str) else str(value)
    return text if len(text) <= 30 else text[:27] + "..."


def refuse_paths(kwargs: Mapping[str, Any], source: str) -> None:
    """Raise if an env option from `source` names a file or folder (checked without opening it)."""
    for key, value in kwargs.items():
        if isinstance(value, (str, os.PathLike)) and "\n" not in str(value):
            text = str(value)
            if os.sep in text or os.path.lexists(text):
                raise RLKitError(
                    f"{source}'s env option {key!r} names a path; rl-kit opens no file that {source} names "
                    "(pass the env with its options yourself to use it)"
                )


@dataclass(frozen=True)
class EvaluationSpec:
    """Periodic greedy evaluation: every `every` env steps (0: never), `episodes` episodes,
    episode ``i`` seeded ``seed + i``."""

    every: int = 0
    episodes: int = 10
    seed: int = EVAL_SEED

    def __post_init__(self):
        whole("eval_every", self.every, 0)
        whole("eval_episodes", self.episodes, 1)
        whole("evaluation seed", self.seed, 0)


@dataclass(frozen=True)
class CheckpointSpec:
    """Checkpoints (what resuming needs) every `every` env steps (0: none), the latest `keep` kept."""

    every: int = 0
    keep: int = 3

    def __post_init__(self):
        whole("checkpoint_every", self.every, 0)
        whole("keep_checkpoints", self.keep, 1)


def whole(name: str, value: Any, minimum: int) -> None:
    """Raise InvalidValue unless `value` is a whole number of at least `minimum`."""
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise InvalidValue(f"{name} must be a whole number of at least {minimum}, got {value!r}"[:200])


NO_EVALUATION = EvaluationSpec(0)  # a run judged only after it ends, by its caller


# A schedule over the whole run, whatever its budget: ``linear(0.001, 0.0, run)`` (the RL Zoo's lin_0.001)
RUN_LONG_SCHEDULE = re.compile(r"^(\s*(?:linear|exp)\s*\([^()]*,\s*)run(\s*\)\s*)$")


def over_the_run(value: Any, steps: int) -> Any:
    """A schedule whose length is written ``run`` with the run's `steps` in its place; any other value as it is."""
    return RUN_LONG_SCHEDULE.sub(rf"\g<1>{steps}\g<2>", value) if isinstance(value, str) else value


@dataclass(frozen=True)
class RunSpec:
    """One run, whole: which env, which agent with which hyperparameters, seed and budget.

    Attributes:
        env: the env.
        agent: the agent's name (``"q_learning"``, ``"ppo"``, ``"sb3_ppo"``; see ``rl-kit list``).
        steps: env steps in total, over all `num_envs` envs.
        seed: seeds the envs' first reset and the agent's generator.
        num_envs: envs stepped together.
        hyperparameters: the agent's hyperparameters (in ``config.yaml``: every one of them). A
            schedule's length written ``run`` (``linear(0.001, 0.0, run)``) is `steps`, put in
            when the spec is made (a spec replaced to other steps keeps the number).
        evaluation: when and how the run evaluates its greedy policy.
        checkpoints: when the run writes what resuming needs.
        hyperparameters_file: where the starting values came from (``ppo.yml#CartPole-v1``), if a file.
        hyperparameters_overridden: the names given explicitly, over the file's values.
    """

    env: EnvConfig
    agent: str
    steps: int
    seed: int = 0
    num_envs: int = 1
    hyperparameters: Mapping[str, Any] = field(default_factory=dict)
    evaluation: EvaluationSpec = EvaluationSpec()
    checkpoints: CheckpointSpec = CheckpointSpec()
    hyperparameters_file: str | None = None
    hyperparameters_overridden: tuple[str, ...] = ()

    def __post_init__(self):
        values = {key: over_the_run(value, self.steps) for key, value in (self.hyperparameters or {}).items()}
        object.__setattr__(self, "hyperparameters", values)
        object.__setattr__(self, "hyperparameters_overridden", tuple(self.hyperparameters_overridden))

    def with_hyperparameters(self, values: Mapping[str, Any]) -> RunSpec:
        """This spec with `values` over its hyperparameters, recorded as given explicitly."""
        if not values:
            return self
        return replace(
            self,
            hyperparameters={**self.hyperparameters, **values},
            hyperparameters_overridden=tuple(sorted({*self.hyperparameters_overridden, *values})),
        )

    def with_evaluation(self, every: int | None = None, episodes: int | None = None) -> RunSpec:
        """This spec evaluating every `every` env steps (0: never) for `episodes` episodes
        (None: as it does now)."""
        evaluation = self.evaluation
        return replace(
            self,
            evaluation=replace(
                evaluation,
                every=evaluation.every if every is None else every,
                episodes=evaluation.episodes if episodes is None else episodes,
            ),
        )

    def to_dict(self) -> dict[str, Any]:
        """The spec as plain data, for ``config.yaml``."""
        return {
            "env": self.env.to_dict(),
            "agent": self.agent,
            "hyperparameters": dict(self.hyperparameters),
            "hyperparameters_file": self.hyperparameters_file,
            "hyperparameters_overridden": list(self.hyperparameters_overridden),
            "seed": self.seed,
            "steps": self.steps,
            "num_envs": self.num_envs,
            "evaluation": asdict(self.evaluation),
            "checkpoints": asdict(self.checkpoints),
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> RunSpec:
        """The spec a ``config.yaml`` holds (other keys, such as ``versions``, are ignored)."""
        try:
            return cls(
                env=EnvConfig.from_dict(data["env"]),
                agent=data["agent"],
                steps=int(data["steps"]),
                seed=int(data["seed"]),
                num_envs=int(data["num_envs"]),
                hyperparameters=data.get("hyperparameters") or {},
                evaluation=EvaluationSpec(**(data.get("evaluation") or {})),
                checkpoints=CheckpointSpec(**(data.get("checkpoints") or {})),
                hyperparameters_file=data.get("hyperparameters_file"),
                hyperparameters_overridden=data.get("hyperparameters_overridden") or (),
            )
        except (KeyError, TypeError, ValueError, AttributeError) as error:
            raise RLKitError(f"not a run config: {type(error).__name__} {error}") from None


@dataclass(frozen=True)
class RunOptions:
    """How this process runs a spec: where it writes and how it is watched. Not part of the
    spec, so not in ``config.yaml``: the same spec run with other options is the same run.

    Attributes:
        directory: the run directory (None: ``runs/<env>/<agent>/seed<S>-<time>``).
        progress: show a progress bar with steps/s and the recent return.
        tensorboard: also write TensorBoard events.
        callback: ``callback(step, agent) -> bool`` every `callback_every` env steps; True stops.
        callback_every: env steps between callbacks.
        on_evaluation: ``on_evaluation(step, statistics) -> bool`` after each periodic evaluation
            (``statistics["mean"]`` is the mean greedy return); True stops (a tuner's pruning).
    """

    directory: str | Path | None = None
    progress: bool = True
    tensorboard: bool = True
    callback: Callable[[int, Any], bool] | None = None
    callback_every: int = 1000
    on_evaluation: Callable[[int, dict[str, float]], bool] | None = None

    def __post_init__(self):
        if self.directory is not None:
            if not str(self.directory).strip():
                raise InvalidValue("out is empty: give the run directory (or leave it out for runs/<env>/<agent>/...)")
            object.__setattr__(self, "directory", Path(self.directory))
        whole("callback_every", self.callback_every, 1)


QUIET = RunOptions(progress=False, tensorboard=False)  # a run inside another job: no bar, no events
