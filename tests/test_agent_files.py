"""Saved agents: round trip, and a clear error for every kind of bad file. No pickle."""

import json
import pickle

import gymnasium as gym
import numpy as np
import pytest
from safetensors.numpy import load_file, save_file

import rl_kit
from rl_kit.agents import QLearning
from rl_kit.core.agent_files import read_metadata, save_agent
from rl_kit.core.backends import load_agent
from rl_kit.core.spec import EnvConfig
from rl_kit.errors import AgentFileError, RLKitError


@pytest.fixture
def saved(tmp_path):
    env = gym.make("rl_kit/FrozenLake4x4-v0")
    agent = QLearning(env.observation_space, env.action_space, alpha="linear(0.5, 0.1, 100)", seed=0)
    agent.q[:] = np.random.default_rng(0).normal(size=agent.q.shape)
    agent.steps = 17
    path = save_agent(agent, tmp_path / "agent.safetensors", env=EnvConfig("rl_kit/FrozenLake4x4-v0"))
    return agent, path


def test_round_trip(saved):
    agent, path = saved
    loaded = load_agent(path)
    assert type(loaded) is QLearning and loaded.hyperparameters == agent.hyperparameters
    assert np.array_equal(loaded.q, agent.q) and loaded.steps == 17
    obs = np.arange(16)
    assert np.array_equal(loaded.act(obs, explore=False), agent.act(obs, explore=False))
    assert read_metadata(path)["env_id"] == "rl_kit/FrozenLake4x4-v0"


def test_missing_and_garbage_files(tmp_path):
    with pytest.raises(AgentFileError, match="no saved agent"):
        load_agent(tmp_path / "nothing.safetensors")
    garbage = tmp_path / "garbage.safetensors"
    garbage.write_bytes(b"\x00\x01not a file at all")
    with pytest.raises(AgentFileError, match="damaged or not safetensors"):
        load_agent(garbage)


def test_truncated_file(saved, tmp_path):
    _, path = saved
    cut = tmp_path / "cut.safetensors"
    cut.write_bytes(path.read_bytes()[:-40])
    with pytest.raises(AgentFileError):
        load_agent(cut)


def test_pickle_payload_is_refused_without_running(tmp_path):
    class Boom:
        def __reduce__(self):
            return (exec, ("import pathlib; pathlib.Path('PWNED').write_text('x')",))

    path = tmp_path / "evil.safetensors"
    path.write_bytes(pickle.dumps(Boom()))
    with pytest.raises(AgentFileError):
        load_agent(path)
    assert not (tmp_path / "PWNED").exists()


def test_foreign_or_future_metadata(tmp_path):
    plain = tmp_path / "plain.safetensors"
    save_file({"q": np.zeros((2, 2))}, str(plain))
    with pytest.raises(AgentFileError, match="not an rl-kit agent"):
        load_agent(plain)
    future = tmp_path / "future.safetensors"
    save_file({"q": np.zeros((2, 2))}, str(future), metadata={"rl_kit": json.dumps({"format_version": 99})})
    with pytest.raises(AgentFileError, match="format version 99"):
        load_agent(future)


def test_wrong_tensor_shape(saved, tmp_path):
    agent, path = saved
    meta = read_metadata(path)
    bad = tmp_path / "bad.safetensors"
    save_file({"q": np.zeros((3, 4)), "steps": np.array([0])}, str(bad), metadata={"rl_kit": json.dumps(meta)})
    with pytest.raises(AgentFileError, match="shape"):
        load_agent(bad)


def test_agent_used_on_env_of_other_spaces(saved):
    _, path = saved
    with pytest.raises(
        RLKitError, match="observation space is Discrete\\(16\\), but rl_kit/FrozenLake8x8-v0 has Discrete\\(64\\)"
    ):
        rl_kit.evaluate(path, "rl_kit/FrozenLake8x8-v0", episodes=1)


def test_evaluate_a_saved_agent_defaults_to_its_env(saved):
    _, path = saved
    result = rl_kit.evaluate(path, episodes=5, seed=0)
    assert result.env_id == "rl_kit/FrozenLake4x4-v0" and result.episodes == 5
    assert "success_rate" in result.stats and len(result.returns) == 5


def test_a_saved_agent_is_evaluated_on_the_time_limit_it_was_trained_with(tmp_path):
    """A run on 20-step episodes of a 100-step env: evaluating it plays 20-step episodes, and the
    env an agent was given by name with its own limit keeps the name's (the registered) one."""
    env = gym.make("rl_kit/FrozenLake4x4-v0")
    agent = QLearning(env.observation_space, env.action_space, seed=0)  # all-zero Q: always left, never ends
    trained = EnvConfig("rl_kit/FrozenLake4x4-v0", {"slip": 0.0}, max_episode_steps=20)
    path = save_agent(agent, tmp_path / "agent.safetensors", env=trained)
    assert read_metadata(path)["max_episode_steps"] == 20
    assert (rl_kit.evaluate(path, episodes=3).lengths == 20).all()
    assert (rl_kit.evaluate(path, "rl_kit/FrozenLake4x4-v0", episodes=3).lengths == 20).all()
    registered = EnvConfig("rl_kit/FrozenLake4x4-v0", {"slip": 0.0}).time_limit
    assert (rl_kit.evaluate(path, EnvConfig("rl_kit/FrozenLake4x4-v0", {"slip": 0.0}), episodes=3).lengths
            == registered).all()  # fmt: skip


@pytest.mark.parametrize(
    "option, message",
    [("frame_stack", "frame_stack must be a whole number from 1 to 64"),  # the stack's bounds alone: gigabytes
     ("max_episode_steps", "max_episode_steps must be a whole number from 1 to 10,000,000")],  # endless play
)  # fmt: skip
def test_a_saved_agent_declaring_a_huge_env_option_is_refused_in_one_line(saved, tmp_path, option, message):
    _, path = saved
    metadata = read_metadata(path)
    metadata[option] = 10**12
    crafted = tmp_path / "crafted.safetensors"
    save_file(load_file(str(path)), str(crafted), metadata={"rl_kit": json.dumps(metadata)})
    with pytest.raises(AgentFileError, match=message) as error:
        rl_kit.evaluate(crafted, episodes=1)
    assert "\n" not in str(error.value)
