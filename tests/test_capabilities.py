"""The capabilities the workbench asks of agents and envs (rl_kit/core/capabilities.py) are
recognised on ours and on Gymnasium's, and refused where they are missing."""

import gymnasium as gym
from gymnasium import spaces

import rl_kit  # noqa: F401  (registers the envs)
from rl_kit.core import registry
from rl_kit.core.capabilities import (
    BanditEnvs,
    ModelEnv,
    OverlayEnv,
    PolicyAgent,
    ResumableEnvs,
    StateIndexedAgent,
    TableAgent,
    TrailEnv,
    unwrapped,
)


def test_table_agents_are_table_agents_and_network_agents_show_their_policy():
    table = registry.make_agent("q_learning", spaces.Discrete(16), spaces.Discrete(4), seed=0)
    network = registry.make_agent("ppo", spaces.Box(-1, 1, (4,)), spaces.Discrete(2), seed=0)
    assert isinstance(table, TableAgent) and isinstance(table, StateIndexedAgent)
    assert not isinstance(table, PolicyAgent)
    assert isinstance(network, PolicyAgent) and not isinstance(network, TableAgent)


def test_gymnasium_toy_text_publishes_its_model_and_classic_control_does_not():
    assert isinstance(unwrapped(gym.make("FrozenLake-v1")), ModelEnv)
    assert isinstance(unwrapped(gym.make("rl_kit/FrozenLake4x4-v0")), ModelEnv)
    assert not isinstance(unwrapped(gym.make("CartPole-v1")), ModelEnv)


def test_our_grid_worlds_draw_overlays_and_trails_and_gymnasiums_do_not():
    ours, theirs = unwrapped(gym.make("rl_kit/GridWorld-v0")), unwrapped(gym.make("FrozenLake-v1"))
    assert isinstance(ours, OverlayEnv) and isinstance(ours, TrailEnv)
    assert not isinstance(theirs, OverlayEnv) and not isinstance(theirs, TrailEnv)


def test_native_vector_envs_resume_and_sync_vector_envs_do_not():
    native = gym.make_vec("rl_kit/GridWorld-v0", num_envs=2, vectorization_mode="vector_entry_point")
    sync = gym.make_vec("CartPole-v1", num_envs=2, vectorization_mode="sync")
    bandits = gym.make_vec("rl_kit/Bandit-v0", num_envs=2, vectorization_mode="vector_entry_point")
    assert isinstance(native, ResumableEnvs) and not isinstance(sync, ResumableEnvs)
    assert isinstance(bandits, BanditEnvs) and not isinstance(native, BanditEnvs)
