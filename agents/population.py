"""What an agent that trains as a population shares with the others that do.

A population is K runs of one agent that differ in seed, and in values that change no shape
and no control flow (the agent's ``MEMBER_VALUES``), learning as one computation: ``seed`` is a
tuple of K seeds, the networks and optimizer carry a leading member axis, and the agent steps
K x N envs, member k's being envs kN .. kN + N - 1. This mixin holds the bookkeeping around
that axis: the members' own hyperparameters, each member's schedules at its own step (a column
that broadcasts over the member's samples), and the K x N envs' rows grouped by member. The
agents that use it: :class:`rl_kit.agents.policy_gradient.PolicyGradientAgent` (REINFORCE, A2C,
PPO) and :class:`rl_kit.agents.dqn.DQN`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, ClassVar

import numpy as np


class PopulationMembers:
    """The members of a population agent (``members`` None: the agent runs alone).

    A subclass sets ``name``, ``Hyperparameters`` and ``MEMBER_VALUES``, calls
    :meth:`join_population` first in its ``__init__``, and keeps ``steps`` (a number, or one per
    member) as the clock of its schedules.
    """

    name: ClassVar[str]
    Hyperparameters: ClassVar[Any]
    # What a population's members may differ in besides the seed: values no shape or branch depends on.
    MEMBER_VALUES: ClassVar[tuple[str, ...]] = ()
    hyperparameters: Any
    steps: Any
    seed: int | tuple[int, ...]
    observation_space: Any
    action_space: Any

    def join_population(
        self,
        seed: int | tuple[int, ...] | None,
        member_values: Sequence[Mapping[str, Any]] | None,
        hyperparameters: Mapping[str, Any],
    ) -> int | tuple[int, ...]:
        """Set ``members`` (K, or None alone) and ``member_hyperparameters`` from `seed` (a tuple
        of K seeds makes a population) and `member_values`; return the seed to build with (a
        fresh one where `seed` is None)."""
        self.members: int | None = None
        self.member_hyperparameters: list | None = None
        if isinstance(seed, tuple):
            self.members = len(seed)
            self.check_population(self.hyperparameters)
            if member_values is not None:
                self.member_hyperparameters = self.members_own(hyperparameters, member_values)
            return tuple(int(s) for s in seed)
        if member_values is not None:
            raise ValueError(f"{self.name}: member_values are a population's (seed: a tuple of seeds)")
        return int(np.random.SeedSequence(seed).generate_state(1)[0]) if seed is None else int(seed)

    @classmethod
    def population_refusals(cls, hp) -> list[str]:
        """What in `hp` would make a member step alone (the agent adds its own reasons)."""
        return ["backend torch"] if hp.backend != "numpy" else []

    @classmethod
    def check_population(cls, hp) -> None:
        """A population's members step together: what would make one of them step alone is refused."""
        reasons = cls.population_refusals(hp)
        if reasons:
            raise ValueError(f"{cls.name}: a population cannot run with {', '.join(reasons)}; run its members apart")

    def members_own(self, hyperparameters: Mapping[str, Any], member_values: Sequence[Mapping[str, Any]]) -> list:
        """Each member's hyperparameters: `hyperparameters` with its `member_values` over them."""
        if len(member_values) != self.members:
            raise ValueError(f"{self.name}: {len(member_values)} member_values for {self.members} members")
        for values in member_values:
            other = sorted(set(values) - set(self.MEMBER_VALUES))
            if other:
                allowed = ", ".join(self.MEMBER_VALUES)
                raise ValueError(f"{self.name}: a population's members differ only in {allowed}, not in {other[0]}")
        return [
            self.Hyperparameters.from_dict({**hyperparameters, **values}, agent=self.name) for values in member_values
        ]

    def hyperparameters_of(self, k: int):
        """Member `k`'s hyperparameters (the population's, where members have none of their own)."""
        return self.hyperparameters if self.member_hyperparameters is None else self.member_hyperparameters[k]

    def scheduled(self, name: str) -> Any:
        """The schedule `name` (a hyperparameter) at the agent's step: a number; in a population,
        each member's (its own schedule, with member values) at its own step, as a column (K, 1)
        that broadcasts over the member's samples."""
        if self.members is None:
            return getattr(self.hyperparameters, name)(self.steps)
        own = self.member_hyperparameters or [self.hyperparameters] * self.members
        return np.array([getattr(hp, name)(int(step)) for hp, step in zip(own, self.steps, strict=True)])[:, None]

    def value(self, name: str) -> Any:
        """Hyperparameter `name`: a number; one per member (K,) where the members have their own."""
        if self.member_hyperparameters is None or name not in self.MEMBER_VALUES:
            return getattr(self.hyperparameters, name)
        return np.array([float(getattr(hp, name)) for hp in self.member_hyperparameters])

    @staticmethod
    def per_env(value: Any, num_envs: int) -> Any:
        """A value per member (K,) repeated for each of its envs (K * N,); a number as it is."""
        return value if np.ndim(value) == 0 else np.repeat(value, num_envs // len(value))

    def flat(self, x: np.ndarray) -> np.ndarray:
        """A population's (K, N, ...) array as the K x N envs' rows (K * N, ...); else `x` itself."""
        return x if self.members is None else x.reshape(-1, *x.shape[2:])

    def by_member(self, x: np.ndarray, then=None) -> np.ndarray:
        """The K x N envs' rows (K * N, ...) as (K, N, ...), passed through `then` if given."""
        assert self.members is not None
        rows = np.asarray(x).reshape(self.members, -1, *np.shape(x)[1:])
        return rows if then is None else then(rows)

    def member(self, k: int):
        """Member `k` as an agent of its own (a copy: what it has learned, its counters), to save
        or evaluate; what it is in the middle of (a rollout, a replay buffer) and the generator
        are the agent's ``member_training_state``'s."""
        assert self.members is not None, "member() is a population's"
        seeds = self.seed
        assert isinstance(seeds, tuple)
        cached = self.__dict__.setdefault("_member_agents", {})
        if k not in cached:
            hp = self.hyperparameters_of(k).to_dict()
            agent_class: Any = type(self)
            cached[k] = agent_class(self.observation_space, self.action_space, seed=seeds[k], **hp)
        agent = cached[k]
        agent.load_state_dict(self.member_state(k))
        return agent

    def member_state(self, k: int) -> dict[str, np.ndarray]:
        """Member `k`'s ``state_dict``, as its run alone would save it (each agent's own)."""
        raise NotImplementedError
