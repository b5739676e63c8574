"""Fuzzing the loader: random and mutated files only ever raise AgentFileError."""

import json

import gymnasium as gym
import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from safetensors.numpy import save_file

from rl_kit.agents import QLearning
from rl_kit.core.agent_files import read_metadata, save_agent
from rl_kit.core.backends import load_agent
from rl_kit.core.spec import EnvConfig
from rl_kit.errors import AgentFileError

SETTINGS = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


@pytest.fixture(scope="module")
def valid_bytes(tmp_path_factory):
    env = gym.make("rl_kit/FrozenLake4x4-v0")
    agent = QLearning(env.observation_space, env.action_space, seed=0)
    path = save_agent(
        agent, tmp_path_factory.mktemp("v") / "agent.safetensors", env=EnvConfig("rl_kit/FrozenLake4x4-v0")
    )
    return path.read_bytes()


def load_bytes(tmp_path, content: bytes):
    path = tmp_path / "fuzzed.safetensors"
    path.write_bytes(content)
    try:
        load_agent(path)
    except AgentFileError:
        return False
    return True


@SETTINGS
@given(content=st.binary(max_size=2048))
def test_random_bytes(tmp_path, content):
    assert load_bytes(tmp_path, content) is False


@SETTINGS
@given(data=st.data())
def test_mutated_valid_files(tmp_path, valid_bytes, data):
    content = bytearray(valid_bytes)
    for _ in range(data.draw(st.integers(1, 8))):
        position = data.draw(st.integers(0, len(content) - 1))
        content[position] = data.draw(st.integers(0, 255))
    cut = data.draw(st.integers(1, len(content)))
    load_bytes(tmp_path, bytes(content[:cut]))  # loads or raises AgentFileError, nothing else


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=10),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4),
    max_leaves=12,
)


@SETTINGS
@given(
    field=st.sampled_from(["agent", "hyperparameters", "observation_space", "action_space", "format_version"]),
    value=json_values,
)
def test_any_metadata_value(tmp_path, valid_bytes, field, value):
    path = tmp_path / "valid.safetensors"
    path.write_bytes(valid_bytes)
    metadata = read_metadata(path)
    metadata[field] = value
    bad = tmp_path / "meta.safetensors"
    save_file({"q": np.zeros((16, 4)), "steps": np.array([0])}, str(bad), metadata={"rl_kit": json.dumps(metadata)})
    load_bytes(tmp_path, bad.read_bytes())


def test_header_claiming_more_data_than_exists(tmp_path, valid_bytes):
    header_size = int.from_bytes(valid_bytes[:8], "little")
    lying = (header_size + 10_000).to_bytes(8, "little") + valid_bytes[8:]
    assert load_bytes(tmp_path, lying) is False


def test_wrong_dtype(tmp_path, valid_bytes):
    path = tmp_path / "valid.safetensors"
    path.write_bytes(valid_bytes)
    metadata = read_metadata(path)
    save_file(
        {"q": np.zeros((16, 4), dtype=np.int32), "steps": np.array([0])},
        str(path),
        metadata={"rl_kit": json.dumps(metadata)},
    )
    with pytest.raises(AgentFileError, match="dtype"):
        load_agent(path)


def peak_mb() -> float:
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(states=st.integers(1, 2**40), actions=st.integers(1, 2**20))
def test_declared_sizes_cost_no_memory(tmp_path, valid_bytes, states, actions):
    """Whatever sizes the metadata declares, loading allocates nothing of them before checking."""
    path = tmp_path / "valid.safetensors"
    path.write_bytes(valid_bytes)
    metadata = read_metadata(path)
    metadata["observation_space"]["n"], metadata["action_space"]["n"] = states, actions
    save_file({"q": np.zeros((16, 4)), "steps": np.array([0])}, str(path), metadata={"rl_kit": json.dumps(metadata)})
    before = peak_mb()
    loaded = load_bytes(tmp_path, path.read_bytes())
    assert loaded is (states == 16 and actions == 4)
    assert peak_mb() - before < 200
