"""Resuming a run from its checkpoint equals never having stopped it."""

import csv

import numpy as np
import pytest
import torch

import rl_kit
from rl_kit.core.backends import load_agent
from rl_kit.errors import RLKitError


def rows(path, columns=("step", "episode", "return", "length")):
    with open(path, newline="") as f:
        return [tuple(row[c] for c in columns) for row in csv.DictReader(f)]


def stop_at(limit):
    def callback(step, agent):
        if step >= limit:
            raise KeyboardInterrupt  # as Ctrl-C would, between two steps
        return False

    return callback


@pytest.mark.parametrize(
    "agent, env, num_envs",
    [
        ("q_learning", "rl_kit/FrozenLake4x4-v0", 4),
        ("sarsa", "rl_kit/CliffWalking-v0", 2),
        ("double_q_learning", "rl_kit/GridWorld-v0", 1),
        ("monte_carlo_control", "rl_kit/FrozenLake4x4-v0", 4),  # its episodes in progress are restored
        ("gradient_bandit", "rl_kit/Bandit-v0", 8),
    ],
)
def test_tabular_resume_equals_an_uninterrupted_run(tmp_path, agent, env, num_envs):
    common = dict(
        steps=20_000,
        seed=3,
        num_envs=num_envs,
        progress=False,
        tensorboard=False,
        checkpoint_every=4_000,
        eval_every=5_000,
    )
    whole = rl_kit.train(env, agent, out=tmp_path / "whole", **common)
    broken = rl_kit.train(env, agent, out=tmp_path / "broken", callback=stop_at(13_000), callback_every=500, **common)
    assert broken.result.interrupted and broken.result.steps < 20_000
    resumed = rl_kit.train(resume=tmp_path / "broken", progress=False)
    assert resumed.result.steps == whole.result.steps
    saved, learned = load_agent(tmp_path / "broken").state_dict(), whole.agent.state_dict()
    assert saved.keys() == learned.keys()
    assert all(np.array_equal(saved[key], learned[key]) for key in learned)
    assert rows(tmp_path / "broken" / "episodes.csv") == rows(tmp_path / "whole" / "episodes.csv")
    assert rows(tmp_path / "broken" / "eval.csv", ("step", "mean")) == rows(
        tmp_path / "whole" / "eval.csv", ("step", "mean")
    )


def whole_and_resumed(tmp_path, agent: str, stop: int, env: str = "rl_kit/Catch-v0", **settings):
    """The same run (on Catch by default) twice: whole, and stopped at `stop` then resumed from
    its checkpoints. Returns both runs and the resumed run's saved state."""
    common = dict(progress=False, tensorboard=False, checkpoint_every=1_000, eval_every=0, **settings)
    whole = rl_kit.train(env, agent, out=tmp_path / "whole", **common)
    rl_kit.train(env, agent, out=tmp_path / "broken", callback=stop_at(stop), callback_every=100, **common)
    resumed = rl_kit.train(resume=tmp_path / "broken", progress=False)
    return whole, resumed, load_agent(tmp_path / "broken").state_dict()


def assert_same_state(whole, saved: dict) -> None:
    for key, value in whole.agent.state_dict().items():
        assert np.array_equal(value, saved[key]), key


@pytest.mark.parametrize("backend", ["numpy", "torch"])
def test_ppo_resume_continues_exactly_on_our_envs(backend, tmp_path):
    torch.use_deterministic_algorithms(True)
    try:
        hyperparameters = {"n_steps": 64, "batch_size": 64, "n_epochs": 2, "backend": backend}
        whole, _, saved = whole_and_resumed(
            tmp_path, "ppo", 3_500, steps=6_000, seed=1, num_envs=4, hyperparameters=hyperparameters
        )
    finally:
        torch.use_deterministic_algorithms(False)
    assert any(key.startswith("optimizer.") for key in saved)  # Adam's moments, resumed too
    assert_same_state(whole, saved)


def test_gsde_resume_continues_exactly_with_the_exploration_it_held(tmp_path):
    """The checkpoint at 3,000 steps falls inside a 256-step rollout: its theta must travel."""
    hyperparameters = {"n_steps": 64, "use_sde": True, "log_std_init": -1.0}
    whole, resumed, saved = whole_and_resumed(
        tmp_path,
        "a2c",
        3_500,
        env="rl_kit/PointGoal-v0",
        steps=5_000,
        seed=4,
        num_envs=4,
        hyperparameters=hyperparameters,
    )
    assert saved["net.head.log_std"].shape == (64, 2) and whole.agent.exploration.shape == (4, 64, 2)
    assert np.array_equal(resumed.agent.exploration, whole.agent.exploration)
    assert_same_state(whole, saved)


def test_dqn_resume_continues_exactly_replay_buffer_included(tmp_path):
    hyperparameters = {"learning_starts": 200, "train_freq": 4, "batch_size": 32, "target_update_interval": 300}
    whole, resumed, saved = whole_and_resumed(
        tmp_path, "dqn", 2_500, steps=4_000, seed=2, num_envs=2, hyperparameters=hyperparameters
    )
    assert resumed.agent.replay.size == whole.agent.replay.size > 0
    for name, array in whole.agent.replay.arrays.items():
        assert np.array_equal(array, resumed.agent.replay.arrays[name]), name
    assert any(key.endswith("adam.m") for key in saved) and whole.agent.updates > 0
    assert_same_state(whole, saved)


def test_resume_needs_a_checkpoint(tmp_path, quiet_train):
    quiet_train("rl_kit/GridWorld-v0", "q_learning", steps=2_000, out=tmp_path)
    with pytest.raises(RLKitError, match="no checkpoint to resume from"):
        rl_kit.train(resume=tmp_path)


def test_checkpoints_keep_the_last_k(tmp_path, quiet_train):
    quiet_train(
        "rl_kit/GridWorld-v0",
        "q_learning",
        steps=10_000,
        out=tmp_path,
        checkpoint_every=1_000,
        keep_checkpoints=2,
    )
    assert sorted(p.name for p in (tmp_path / "checkpoints").iterdir()) == [
        "step_000000009000.safetensors",
        "step_000000010000.safetensors",
    ]


@pytest.mark.parametrize("vector_env", ["native", "sync"])
def test_sac_with_gsde_resumes_exactly_on_a_classic_control_twin(tmp_path, vector_env):
    """MountainCarContinuous's twin checkpoints its sub-envs (states, step counts, generators):
    stopped mid-episode, the resumed run is the whole one. Gymnasium's sync env cannot, and
    its resumed episodes start afresh, so the run differs: the twin is what makes it exact."""
    from rl_kit.core.spec import EnvConfig

    env = EnvConfig("MountainCarContinuous-v0", {"vector_env": vector_env}, max_episode_steps=300)
    hyperparameters = {"hidden_sizes": "16", "learning_starts": 100, "batch_size": 32, "use_sde": True,
                       "train_freq": 8, "gradient_steps": 8}  # fmt: skip
    whole, _, saved = whole_and_resumed(
        tmp_path, "sac", 1_400, env=env, steps=2_000, seed=2, num_envs=2, hyperparameters=hyperparameters
    )
    same = all(np.array_equal(value, saved[key]) for key, value in whole.agent.state_dict().items())
    assert same == (vector_env == "native")
