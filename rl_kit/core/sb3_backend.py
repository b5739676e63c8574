"""stable-baselines3 agents through the same train, evaluate, watch and compare as ours.

``sb3_ppo``, ``sb3_a2c``, ``sb3_dqn`` (and ``sb3_<name>`` for any algorithm stable-baselines3
exports) train with SB3's own loop. The bridge, an SB3 callback, only translates that loop's
events for the run's :class:`~rl_kit.core.supervisor.Supervisor` (episodes from SB3's
``Monitor``, the metrics of each update, the step counter), which does everything else exactly
as it does for our loop: so a comparison follows one protocol for both.

stable-baselines3 (and so torch) is imported only when an ``sb3_`` agent is built or loaded.
The saved agent's files, and loading them without unpickling, are :mod:`rl_kit.core.sb3_files`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from rl_kit.agents.off_policy import OffPolicyHyperparameters
from rl_kit.agents.search_space import Choice, FloatRange, SearchSpace
from rl_kit.core.agent_files import saved_env
from rl_kit.core.checkpoints import Checkpoint
from rl_kit.core.sb3_files import MODEL_FILE, PREFIX, SB3Agent, algorithm, load, read_description
from rl_kit.core.spec import EnvConfig, RunSpec
from rl_kit.core.supervisor import Supervisor, SupervisorState
from rl_kit.errors import RLKitError

BASELINE_AGENTS = (
    "sb3_ppo",
    "sb3_a2c",
    "sb3_dqn",
    "sb3_sac",
    "sb3_td3",
    "sb3_ddpg",
)  # listed; any other sb3_<algorithm> works too
# Values given as schedules in our hyperparameter files, turned into SB3's callables.
SCHEDULED = ("learning_rate", "clip_range", "clip_range_vf")
# SB3 metric names -> ours, so dashboards and comparisons line up.
METRIC_NAMES = {
    "policy_gradient_loss": "policy_loss",
    "value_loss": "value_loss",
    "approx_kl": "approx_kl",
    "clip_fraction": "clip_fraction",
    "explained_variance": "explained_variance",
    "learning_rate": "learning_rate",
    "loss": "loss",
    "clip_range": "clip_range",
    "n_updates": "updates",
    "std": "action_std",
}
_ON_POLICY: SearchSpace = {
    "learning_rate": FloatRange(1e-5, 1e-2, log=True),
    "gamma": Choice(0.95, 0.98, 0.99, 0.995, 0.999),
    "gae_lambda": Choice(0.9, 0.95, 0.98, 1.0),
    "ent_coef": FloatRange(1e-6, 0.1, log=True),
    "max_grad_norm": Choice(0.3, 0.5, 1.0, 5.0),
}
# What `rl-kit tune` varies for sb3_<name>: SB3 has no hyperparameter dataclass, so the spaces
# live here, beside the bridge, named as SB3's keyword arguments.
SEARCH_SPACES: dict[str, SearchSpace] = {
    "ppo": {
        **_ON_POLICY,
        "n_steps": Choice(16, 32, 64, 128, 256, 512),
        "n_epochs": Choice(1, 4, 10, 20),
        "batch_size": Choice(32, 64, 128, 256),
        "clip_range": Choice(0.1, 0.2, 0.3),
    },
    "a2c": {**_ON_POLICY, "n_steps": Choice(5, 8, 16, 32, 64)},
    "dqn": {
        "learning_rate": FloatRange(1e-5, 1e-2, log=True),
        "gamma": Choice(0.95, 0.98, 0.99, 0.995, 0.999),
        "batch_size": Choice(32, 64, 128, 256),
        "buffer_size": Choice(10_000, 50_000, 100_000),
        "exploration_fraction": FloatRange(0.05, 0.5),
        "exploration_final_eps": FloatRange(0.01, 0.1),
        "target_update_interval": Choice(1, 100, 1000, 10_000),
        "learning_starts": Choice(0, 1000, 10_000),
        "train_freq": Choice(1, 4, 8, 16),
    },
}
# SB3's SAC, TD3 and DDPG vary what ours do (the keys share SB3's names), less our network text
_OFF_POLICY_CONTINUOUS: SearchSpace = {
    key: values for key, values in OffPolicyHyperparameters.search_space.items() if key != "hidden_sizes"
}
SEARCH_SPACES.update({"sac": _OFF_POLICY_CONTINUOUS, "td3": _OFF_POLICY_CONTINUOUS, "ddpg": _OFF_POLICY_CONTINUOUS})


def _from_text(value: Any) -> Any:
    """A value given as text on the command line (``--hp n_steps=64``) as the number, bool,
    list or dict it spells; schedule text such as ``linear(...)`` stays text."""
    if not isinstance(value, str):
        return value
    for convert in (int, float):
        try:
            return convert(value)
        except ValueError:
            pass
    from rl_kit.infrastructure.yaml_text import load_yaml

    try:
        parsed = load_yaml(value, "a hyperparameter")
    except RLKitError:
        return value
    return parsed if isinstance(parsed, (bool, list, dict)) or parsed is None else value


def sb3_arguments(hyperparameters: dict[str, Any], total_steps: int) -> dict[str, Any]:
    """Our hyperparameter values as SB3 arguments: schedule text becomes a callable of SB3's
    ``progress_remaining`` (1 at the start, 0 at the end) evaluated at the same env step."""
    from rl_kit.agents.schedules import Schedule

    arguments = {}
    for key, value in hyperparameters.items():
        value = _from_text(value)
        if key in SCHEDULED and isinstance(value, str):
            schedule = Schedule.parse(value)
            arguments[key] = lambda remaining, s=schedule: s((1.0 - remaining) * total_steps)
        else:
            arguments[key] = value
    return arguments


class SB3Trainer:
    """One run of an SB3 agent: the model on `num_envs` copies of the env (SB3's DummyVecEnv with Monitor)."""

    def __init__(self, spec: RunSpec, directory: Path):
        import torch
        from stable_baselines3.common.env_util import make_vec_env
        from stable_baselines3.common.logger import Logger

        # One thread, as our agents use: small networks gain nothing from more, and a seed's
        # result then does not depend on the machine's core count.
        torch.set_num_threads(1)
        if spec.checkpoints.every:
            raise RLKitError(f"{spec.agent}: checkpoints and resume are for our agents; SB3's own loop holds its state")
        self.spec = spec
        cls = algorithm(spec.agent)
        self.agent_class = f"{cls.__module__}.{cls.__qualname__}"
        hyperparameters = {key: _from_text(value) for key, value in spec.hyperparameters.items()}
        try:
            arguments = {
                "policy": "MlpPolicy",
                "seed": spec.seed,
                "device": "cpu",
                "verbose": 0,
                **sb3_arguments(hyperparameters, spec.steps),
            }
        except ValueError as error:  # a schedule that does not parse
            raise RLKitError(f"{spec.agent}: {error}") from None
        # made by our EnvConfig, as our loop makes its envs: the same time limit, kwargs and wrappers
        vec_env = make_vec_env(spec.env.make, n_envs=spec.num_envs, seed=spec.seed)
        try:
            model = cls(env=vec_env, **arguments)
            # a logger of our own, writing nowhere: the bridge reads its values; SB3's default
            # would leave an empty SB3-<time> folder in the temp directory on every run
            model.set_logger(Logger(folder=None, output_formats=[]))
        except (TypeError, ValueError, AssertionError) as error:
            vec_env.close()
            raise RLKitError(
                f"{spec.agent} cannot be built with these hyperparameters on {spec.env.id}: {error}"
            ) from None
        self.agent = SB3Agent(spec.agent, model, hyperparameters)

    def hyperparameters(self) -> dict:
        return self.agent.hyperparameters.to_dict()

    def learn(self, supervisor: Supervisor) -> None:
        # the supervisor's budget, as our loop runs to it: one source for the run's length
        self.agent.model.learn(total_timesteps=supervisor.budget, callback=bridge(supervisor, self.agent))

    def restore(self, checkpoint: Checkpoint) -> SupervisorState:
        raise RLKitError("resuming stable-baselines3 agents is not supported: SB3's own loop holds their state")

    def save(self, directory: Path, env: EnvConfig) -> Path:
        return self.agent.save(directory, env)

    def close(self) -> None:
        self.agent.model.get_env().close()


def bridge(supervisor: Supervisor, agent: SB3Agent):
    """An SB3 callback that translates SB3's loop for the supervisor, and stops it when told."""
    from stable_baselines3.common.callbacks import BaseCallback

    class Bridge(BaseCallback):
        """Each env step is told to the supervisor when the next one comes, or after the
        update that follows it: SB3 updates after its rollout ends (``train()`` comes after
        ``on_rollout_end``), ours inside the step. So the row logged at a step holds the update
        made at that step on both backends, and the last update of a run is logged too."""

        pending: int | None = None  # the last step, not yet told to the supervisor
        stop = False

        def _on_step(self) -> bool:
            if self.tell() or self.stop:
                return False
            for info in self.locals.get("infos", []):
                episode = info.get("episode")  # added by SB3's Monitor when an episode ends
                if episode is not None:
                    supervisor.episode(self.num_timesteps, float(episode["r"]), int(episode["l"]))
            self.pending = self.num_timesteps
            return True

        def _on_rollout_start(self) -> None:
            self.read_update()
            self.stop = self.tell()  # a stop asked for here ends the run at its next step

        def _on_training_end(self) -> None:
            self.read_update()
            self.tell()

        def read_update(self) -> None:
            """The metrics of SB3's last ``train()``, taken out of its logger so none is read twice."""
            values = self.model.logger.name_to_value
            metrics = sb3_metrics(values)
            for key in [k for k in values if k.startswith("train/")]:
                del values[key]
            if metrics:
                supervisor.metrics(metrics)

        def tell(self) -> bool:
            """The pending step to the supervisor; True if it says stop."""
            step, self.pending = self.pending, None
            return step is not None and supervisor.after_step(step, agent)

    return Bridge(verbose=0)


def sb3_metrics(values: dict[str, Any]) -> dict[str, float]:
    """SB3's logged values under our metric names."""
    metrics = {}
    for key, value in values.items():
        group, _, name = key.partition("/")
        if group == "train" and name != "entropy_loss":
            metrics[METRIC_NAMES.get(name, name)] = float(value)
        if key == "train/entropy_loss":
            metrics["entropy"] = -float(value)
        if key == "rollout/exploration_rate":
            metrics["epsilon"] = float(value)
    return metrics


class SB3Backend:
    """stable-baselines3's algorithms, named ``sb3_<algorithm>``."""

    file_name = MODEL_FILE

    def agent_names(self) -> tuple[str, ...]:
        return BASELINE_AGENTS

    def claims(self, agent: str) -> bool:
        return agent.startswith(PREFIX)

    def build(self, spec: RunSpec, directory: Path) -> SB3Trainer:
        return SB3Trainer(spec, directory)

    def search_space(self, agent: str) -> SearchSpace:
        algorithm(agent)  # an unknown algorithm fails here, with suggestions
        return dict(SEARCH_SPACES.get(agent[len(PREFIX) :].lower(), {}))

    def describe(self, agent: str) -> str:
        # from the name, so that `rl-kit list` need not import stable-baselines3 (and torch)
        return f"stable-baselines3 {agent[len(PREFIX) :].upper()} (any sb3_<algorithm> works)"

    def load(self, file: Path) -> SB3Agent:
        return load(file)

    def saved_env(self, file: Path) -> EnvConfig | None:
        return saved_env(read_description(file))


BACKEND = SB3Backend()
