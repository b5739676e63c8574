"""stable-baselines3 agents as files: saved in SB3's format beside a JSON description, loaded
unpickling nothing.

An SB3 run directory holds ``agent.zip`` (SB3's own format) and ``agent.json`` (agent name, env,
hyperparameters, spaces). :func:`load` rebuilds the model with every pickled entry of the zip
replaced (the spaces from ``agent.json``, the policy class by name, schedules by constants) or
refused, after checking the zip's sizes and the weights its ``policy_kwargs`` declare: loading a
stranger's file cannot run code. The loaded agent has the same ``act`` as ours (:class:`SB3Agent`).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np

from rl_kit.core.agent_files import check_regular_file, env_description, space_from_json, space_to_json
from rl_kit.core.spec import EnvConfig
from rl_kit.errors import AgentFileError, RLKitError, unknown_name
from rl_kit.infrastructure.atomic_files import atomic_path, atomic_write

PREFIX = "sb3_"
MODEL_FILE, DESCRIPTION_FILE = "agent.zip", "agent.json"


def algorithm(name: str) -> type[Any]:
    """The stable-baselines3 class for ``sb3_<name>`` (``sb3_ppo`` -> ``stable_baselines3.PPO``)."""
    import stable_baselines3

    wanted = name[len(PREFIX) :].lower()
    classes = {n.lower(): getattr(stable_baselines3, n) for n in stable_baselines3.__all__ if n.isupper()}
    if wanted not in classes:
        raise unknown_name("agent", name, [PREFIX + n for n in classes])
    return classes[wanted]


class SB3Hyperparameters(dict):
    """The keyword arguments given to the SB3 algorithm, as given (schedules as text)."""

    def to_dict(self) -> dict[str, Any]:
        return dict(self)


class SB3Agent:
    """An SB3 model seen through our agent interface: ``act`` (batch in, batch out)."""

    def __init__(self, name: str, model, hyperparameters: dict[str, Any]):
        self.name, self.model = name, model
        self.hyperparameters = SB3Hyperparameters(hyperparameters)
        self.observation_space, self.action_space = model.observation_space, model.action_space

    def act(self, obs, *, explore: bool = True) -> np.ndarray:
        actions, _ = self.model.predict(np.asarray(obs), deterministic=not explore)
        return actions

    def save(self, directory: Path, env: EnvConfig) -> Path:
        directory.mkdir(parents=True, exist_ok=True)
        with atomic_path(directory / MODEL_FILE) as temporary:
            self.model.save(temporary.with_suffix(".zip"))  # SB3 adds .zip to names without it
            temporary.with_suffix(".zip").replace(temporary)
        description = {
            "agent": self.name,
            **env_description(env),
            "hyperparameters": self.hyperparameters.to_dict(),
            "observation_space": space_to_json(self.observation_space),
            "action_space": space_to_json(self.action_space),
        }
        atomic_write(directory / DESCRIPTION_FILE, json.dumps(description, indent=2))
        return directory / MODEL_FILE


# SB3 pickles these entries of its zip; we replace each so that loading unpickles nothing.
# Schedules and training state are not needed to act; the spaces come from agent.json.
REPLACED_WHEN_LOADING = {
    "lr_schedule": lambda _: 0.0,
    "learning_rate": 0.0,
    "clip_range": lambda _: 0.0,
    "clip_range_vf": None,
    "exploration_schedule": lambda _: 0.0,
    "_last_obs": None,
    "_last_episode_starts": None,
    "_last_original_obs": None,
    "ep_info_buffer": None,
    "ep_success_buffer": None,
    "train_freq": None,
    "rollout_buffer_class": None,
    "replay_buffer_class": None,  # None: SB3's default buffer
}


def safe_custom_objects(model_file: Path, cls: type[Any], description: dict) -> dict[str, Any]:
    """A replacement for every pickled entry of the zip's data, or an error naming the one we refuse."""
    import zipfile

    check_regular_file(model_file)
    try:
        with zipfile.ZipFile(model_file) as archive:
            check_zip_sizes(model_file, archive)
            data = json.loads(archive.read("data").decode("utf-8"))
            if not isinstance(data, dict):
                raise ValueError("its data is not a JSON object")
            spaces = {k: space_from_json(description[k]) for k in ("observation_space", "action_space")}
            held = sum(entry.file_size for entry in archive.infolist() if entry.filename.endswith(".pth"))
    except (zipfile.BadZipFile, KeyError, ValueError, RecursionError, OSError) as error:
        raise AgentFileError(f"{model_file} is not a readable SB3 agent: {type(error).__name__} {error}") from None
    policy_kwargs = data.get("policy_kwargs")
    if not isinstance(policy_kwargs, dict) or ":serialized:" in policy_kwargs:
        policy_kwargs = description.get("hyperparameters", {}).get("policy_kwargs") or {}
    declared = declared_weights(policy_kwargs, spaces["observation_space"])
    if declared * 4 > 2 * held + (1 << 20):  # float32 weights: every one of them is in the zip
        raise AgentFileError(
            f"{model_file}: its policy_kwargs declare {declared:,} weights, but the zip holds {held:,} bytes of "
            "tensors: refused before anything is built"
        )
    replacements: dict[str, Any] = {}
    for key, value in data.items():
        if not (isinstance(value, dict) and ":serialized:" in value):
            continue
        if key in spaces:
            replacements[key] = spaces[key]
        elif key == "policy_class":
            replacements[key] = cls.policy_aliases["MlpPolicy"]
        elif key == "train_freq":  # off-policy algorithms: rebuilt from the recorded hyperparameter
            from stable_baselines3.common.type_aliases import TrainFreq, TrainFrequencyUnit

            frequency = description.get("hyperparameters", {}).get("train_freq", 4)
            replacements[key] = TrainFreq(
                int(frequency if isinstance(frequency, int) else frequency[0]), TrainFrequencyUnit.STEP
            )
        elif key == "policy_kwargs":
            replacements[key] = description.get("hyperparameters", {}).get("policy_kwargs") or {}
        elif key in REPLACED_WHEN_LOADING:
            replacements[key] = REPLACED_WHEN_LOADING[key]
        else:
            raise AgentFileError(
                f"{model_file} holds a pickled entry {key!r}; rl-kit refuses to unpickle it (it could run code)"
            )
    return replacements


def declared_weights(policy_kwargs: dict, observation_space) -> int:
    """How many weights the networks `policy_kwargs`' ``net_arch`` asks for (a floor): each list
    of widths a chain of layers from the observation's size."""
    from gymnasium import spaces as gym_spaces

    try:
        inputs = gym_spaces.flatdim(observation_space)
    except (ValueError, NotImplementedError, TypeError):
        inputs = 1
    arch = policy_kwargs.get("net_arch") if isinstance(policy_kwargs, dict) else None
    chains: list = []
    for part in arch if isinstance(arch, list) else [arch]:
        if isinstance(part, dict):
            chains += [v for v in part.values() if isinstance(v, list)]
        elif isinstance(part, int):
            chains.append([part])
    if isinstance(arch, list) and all(isinstance(w, int) for w in arch):
        chains = [arch, arch]  # shared widths: the policy and the value network each get them
    total = 0
    for chain in chains:
        widths = [inputs, *(w for w in chain if isinstance(w, int) and not isinstance(w, bool))]
        total += sum(a * b for a, b in zip(widths, widths[1:], strict=False))
    return total


MAX_UNPACKED_BYTES = 256 << 20  # what a zip of a small policy may unpack to
MAX_RATIO = 100  # unpacked / packed per entry: torch tensors hardly compress; a zip bomb does


def check_zip_sizes(model_file: Path, archive) -> None:
    """Refuse a zip whose entries would unpack to far more than any saved policy, before reading one."""
    total = 0
    for entry in archive.infolist():
        total += entry.file_size
        if entry.file_size > MAX_RATIO * max(entry.compress_size, 1) + (1 << 20) or total > MAX_UNPACKED_BYTES:
            raise AgentFileError(
                f"{model_file}: its entry {entry.filename!r} unpacks to {entry.file_size:,} bytes from "
                f"{entry.compress_size:,}: refused (a saved policy unpacks to a few times its size)"
            )


def load(directory: Path) -> SB3Agent:
    """A saved SB3 agent from its run directory (or ``agent.zip``), unpickling nothing.

    stable-baselines3 stores some entries of its zip with cloudpickle, which runs code on
    load. Every such entry is replaced through ``custom_objects`` (the spaces from
    ``agent.json``, the policy class by name, schedules by constants) or refused.
    """
    directory = directory if directory.is_dir() else directory.parent
    description = read_description(directory)
    try:
        cls = algorithm(description["agent"])
    except RLKitError as error:
        raise AgentFileError(f"{directory / DESCRIPTION_FILE}: {error}") from None
    model_file = directory / MODEL_FILE
    replacements = safe_custom_objects(model_file, cls, description)
    try:
        model = cls.load(model_file, device="cpu", custom_objects=replacements)
    except Exception as error:  # a damaged zip or tensors that do not fit
        raise AgentFileError(f"{model_file} could not be loaded: {error}") from None
    return SB3Agent(description["agent"], model, description.get("hyperparameters", {}))


def read_description(directory: Path) -> dict[str, Any]:
    """``agent.json`` beside a saved SB3 agent, checked: a JSON object naming the agent and its spaces."""
    directory = directory if directory.is_dir() else directory.parent
    path = directory / DESCRIPTION_FILE
    if not path.is_file():
        raise AgentFileError(f"{directory} has no {DESCRIPTION_FILE}: not an rl-kit SB3 agent")
    if path.stat().st_size > 1 << 20:
        raise AgentFileError(f"{path} is {path.stat().st_size:,} bytes: far more than a description")
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (ValueError, RecursionError) as error:  # JSONDecodeError and UnicodeDecodeError are ValueErrors
        raise AgentFileError(f"{path} is not valid JSON: {type(error).__name__}") from None
    if not isinstance(data, dict) or not isinstance(data.get("agent"), str):
        raise AgentFileError(f'{path} must be a JSON object with the agent\'s name under "agent"')
    if not isinstance(data.get("hyperparameters", {}), dict):
        raise AgentFileError(f"{path}: its hyperparameters must be a JSON object")
    return data
