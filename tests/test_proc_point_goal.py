"""ProcPointGoal, a level family of physics: each level's wind, damping and gain a pure
function of its seed (the same on every machine), every level solvable, the level set obeyed,
the physics applied, and held-out levels found as for any level family."""

import hashlib

import gymnasium as gym
import numpy as np
import pytest

import rl_kit  # noqa: F401  (registers the envs)
from rl_kit.core.evaluation import held_out_config
from rl_kit.core.spec import EnvConfig
from rl_kit.envs.levels import TEST_START, level_family
from rl_kit.envs.point_goal import ACCELERATION, DT
from rl_kit.envs.proc_point_goal import GAIN, LEVEL, MAX_WIND, WIND_X, level_physics


def test_a_levels_physics_is_the_same_for_the_same_seed_on_every_machine():
    # made once on the development machine; a change of the generator (or of numpy's streams) shows here
    np.testing.assert_array_equal(
        level_physics(0), [-0.503011152992175, -0.11707464960769537, 0.8503223015594414, 0.9015701646508343]
    )
    table = np.array([level_physics(seed) for seed in range(100)])
    assert hashlib.sha256(table.tobytes()).hexdigest() == (
        "66c71deb6f021762c752107410e4964a9d73abd05d1f33ece05eab63a145756b"
    )
    env = gym.make("rl_kit/ProcPointGoal-v0").unwrapped
    assert env.level_hash(0) == "4e612c715c1923479023e0a2af2c2efc23926ffd8262cefa688c0aa8cbe9ef49"
    assert env.level_hash(1) != env.level_hash(0)


def test_every_level_can_be_solved_the_weakest_engine_out_pushes_the_strongest_wind():
    table = np.array([level_physics(seed) for seed in range(10_000)])
    wind, gain = np.abs(table[:, :2]).max(axis=1), table[:, 3]
    assert wind.max() <= MAX_WIND and (gain - wind).min() > 0.19


def test_the_env_plays_its_level_set_and_the_level_physics_moves_the_point():
    env = gym.make("rl_kit/ProcPointGoal-v0", levels=[7, 11]).unwrapped
    seen = set()
    for episode in range(20):
        env.reset(seed=episode)
        seen.add(int(env.state[0, LEVEL]))
    assert seen == {7, 11}
    env.reset(seed=0)
    state = env.state[0].copy()
    env.step(np.array([1.0, -0.5], dtype=np.float32))
    wind_x, wind_y, damping, gain = state[WIND_X : GAIN + 1]
    expected = damping * state[2:4] + ACCELERATION * DT * (gain * np.array([1.0, -0.5]) + [wind_x, wind_y])
    np.testing.assert_allclose(env.state[0, 2:4], expected, rtol=1e-12)


def test_held_out_levels_and_the_family_are_found_as_for_any_level_family():
    spec = EnvConfig("rl_kit/ProcPointGoal-v0", {"num_levels": 5})
    held_out = held_out_config(spec)
    assert held_out is not None and len(held_out.kwargs["levels"]) == 1000
    assert min(held_out.kwargs["levels"]) >= TEST_START
    vector = gym.make_vec("rl_kit/ProcPointGoal-v0", num_envs=3, vectorization_mode="vector_entry_point",
                          num_levels=5)  # fmt: skip
    family = level_family(vector)
    assert family is not None and family[0].num_levels == 5
    with pytest.raises(ValueError, match="num_levels"):
        gym.make("rl_kit/ProcPointGoal-v0", num_levels=-1)
