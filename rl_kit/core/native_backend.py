"""The native backend: our hand-written agents (``rl_kit.agents``) on our run loop.

It builds the agent for the env's spaces and the env's vector version, runs
:func:`rl_kit.core.loop.run_loop` under the run's :class:`~rl_kit.core.supervisor.Supervisor`,
writes checkpoints when the supervisor says one is due, and restores them exactly: the agent
(with its optimizer and rollout so far), every random generator, the envs' states and the
loop's arrays.
"""

from __future__ import annotations

from pathlib import Path

from rl_kit.agents.base import SpaceError
from rl_kit.agents.search_space import SearchSpace
from rl_kit.core import agent_files, registry
from rl_kit.core.capabilities import ResumableEnvs
from rl_kit.core.checkpoints import Checkpoint, save_checkpoint
from rl_kit.core.loop import LoopState, run_loop
from rl_kit.core.spec import EnvConfig, RunSpec
from rl_kit.core.supervisor import Supervisor, SupervisorState
from rl_kit.errors import RLKitError


class NativeTrainer:
    """One run of one of our agents: the agent, its vector env, and how to learn, save and resume."""

    def __init__(self, spec: RunSpec, directory: Path):
        self.spec, self.directory = spec, directory
        cls = registry.agent_class(spec.agent)
        self.agent_class = f"{cls.__module__}.{cls.__qualname__}"
        self.envs = spec.env.make_vector(spec.num_envs)
        model_env = spec.env.make() if getattr(cls, "needs_model", False) else None  # a planner reads P
        try:
            self.agent = registry.make_agent(
                spec.agent,
                self.envs.single_observation_space,
                self.envs.single_action_space,
                seed=spec.seed,
                hyperparameters=dict(spec.hyperparameters),
                env=model_env,
            )
        except BaseException:
            self.envs.close()
            raise
        finally:
            if model_env is not None:
                model_env.close()
        self.loop_state: LoopState | None = None

    def hyperparameters(self) -> dict:
        return self.agent.hyperparameters.to_dict()

    def learn(self, supervisor: Supervisor) -> None:
        keep = self.spec.checkpoints.keep
        identity = {"agent": self.spec.agent, "env": self.spec.env.id}

        def checkpoint(loop_state: LoopState) -> None:
            save_checkpoint(
                self.directory, self.agent, self.envs, loop_state.arrays(), supervisor.state(), keep, run=identity
            )

        try:
            run_loop(
                self.agent, self.envs, supervisor, seed=self.spec.seed, state=self.loop_state, checkpoint=checkpoint
            )
        except SpaceError as error:  # an env that returns what its own space does not hold
            raise RLKitError(f"{self.spec.env.id}: {error}") from None

    def restore(self, checkpoint: Checkpoint) -> SupervisorState:
        """Put the agent, envs and loop back where `checkpoint` left them; the supervisor's counters."""
        self.agent.load_training_state(checkpoint.arrays["agent"], checkpoint.header["agent"])
        state = checkpoint.supervisor
        if checkpoint.header["envs"] is not None and isinstance(self.envs, ResumableEnvs):
            self.envs.load_training_state(checkpoint.arrays["envs"], checkpoint.header["envs"])
            self.loop_state = LoopState.from_arrays(checkpoint.arrays["loop"])
        else:  # Gymnasium's envs cannot save their state: their episodes start afresh
            self.loop_state = LoopState.start(self.envs, self.spec.seed + state.step)
        return state

    def save(self, directory: Path, env: EnvConfig) -> Path:
        return agent_files.save_agent(self.agent, directory, env=env)

    def close(self) -> None:
        self.envs.close()


class NativeBackend:
    """Our agents, by the names in :mod:`rl_kit.core.registry`."""

    file_name = agent_files.AGENT_FILE

    def agent_names(self) -> tuple[str, ...]:
        return registry.AGENTS

    def claims(self, agent: str) -> bool:
        return agent in registry.AGENTS

    def build(self, spec: RunSpec, directory: Path) -> NativeTrainer:
        return NativeTrainer(spec, directory)

    def search_space(self, agent: str) -> SearchSpace:
        return dict(registry.agent_class(agent).Hyperparameters.search_space)

    def describe(self, agent: str) -> str:
        defaults = registry.agent_class(agent).Hyperparameters().to_dict()
        return ", ".join(f"{k}={v}" for k, v in defaults.items())

    def load(self, file: Path):
        return agent_files.load(file)

    def saved_env(self, file: Path) -> EnvConfig | None:
        return agent_files.saved_env(agent_files.read_metadata(file))


BACKEND = NativeBackend()
