"""Gymnasium's own env tests, the same properties written out on every rl_kit/ id: a seeded
rollout is deterministic, an env pickles and goes on the same, its spec survives the JSON round
trip, and a native vector env's info is the one Gymnasium's sync vector env gives."""

import pickle

import gymnasium as gym
import numpy as np
import pytest
from gymnasium.envs.registration import EnvSpec as GymnasiumSpec
from gymnasium.vector import AutoresetMode

import rl_kit.envs  # noqa: F401  (registers the ids)

IDS = sorted(i for i in gym.registry if i.startswith("rl_kit/"))
VECTOR_IDS = [i for i in IDS if gym.spec(i).vector_entry_point is not None]


def same(a, b, where: str = "") -> None:
    """`a` equals `b`, dicts key by key, arrays by dtype and value (object arrays element-wise)."""
    if isinstance(a, dict):
        assert isinstance(b, dict) and sorted(a) == sorted(b), (
            where,
            sorted(a),
            sorted(b) if isinstance(b, dict) else b,
        )
        for key in a:
            same(a[key], b[key], f"{where}.{key}")
        return
    a, b = np.asarray(a), np.asarray(b)
    assert a.shape == b.shape, (where, a, b)
    if a.dtype == object or b.dtype == object:
        for x, y in zip(a.ravel(), b.ravel(), strict=True):
            assert np.array_equal(x, y) if isinstance(x, np.ndarray) else x == y, (where, x, y)
    else:
        assert a.dtype == b.dtype and np.array_equal(a, b), (where, a.dtype, b.dtype, a, b)


def rollout(env, steps: int, seed: int):
    env.action_space.seed(seed)
    trajectory = [env.reset(seed=seed)]
    for _ in range(steps):
        step = env.step(env.action_space.sample())
        trajectory.append(step)
        if step[2] or step[3]:
            trajectory.append(env.reset())
    return trajectory


@pytest.mark.parametrize("env_id", IDS)
def test_the_spec_survives_gymnasiums_json_round_trip(env_id):
    """Before, WindyGridworld's wind was registered as a tuple and came back a list."""
    spec = gym.spec(env_id)
    assert GymnasiumSpec.from_json(spec.to_json()) == spec


@pytest.mark.parametrize("env_id", IDS)
def test_a_seeded_rollout_is_deterministic_and_an_env_pickles_mid_episode(env_id):
    first, second = (rollout(gym.make(env_id), 200, seed=7) for _ in range(2))
    for a, b in zip(first, second, strict=True):
        for x, y in zip(a, b, strict=True):  # (obs, info) of a reset; (obs, reward, terminated, truncated, info)
            same(x, y, env_id)
    env = gym.make(env_id)
    env.reset(seed=3)
    env.action_space.seed(3)
    actions = [env.action_space.sample() for _ in range(20)]
    env.step(actions[0])
    copy = pickle.loads(pickle.dumps(env))
    for action in actions[1:]:
        here, there = env.step(action), copy.step(action)
        for x, y in zip(here, there, strict=True):
            same(x, y, env_id)
        if here[2] or here[3]:
            break


@pytest.mark.parametrize("env_id", VECTOR_IDS)
def test_a_native_vector_env_gives_the_info_gymnasiums_sync_vector_env_gives(env_id):
    """Before, grid steps gave `prob` without its `_prob` mask, reset info was empty, and
    `final_info` lacked `outcome`: code written against Gymnasium's vector envs read less."""
    native = gym.make_vec(env_id, num_envs=1, vectorization_mode="vector_entry_point")
    sync = gym.make_vec(env_id, num_envs=1, vectorization_mode="sync",
                        vector_kwargs={"autoreset_mode": AutoresetMode.SAME_STEP})  # fmt: skip
    same(native.reset(seed=3)[1], sync.reset(seed=3)[1], "reset")
    space = native.single_action_space
    space.seed(0)
    ended = 0
    for t in range(600):
        action = np.array([space.sample()])
        ours, theirs = native.step(action), sync.step(action)
        for x, y in zip(ours, theirs, strict=True):
            same(x, y, f"step {t}")
        ended += int(ours[2][0] or ours[3][0])
    if "Bandit" not in env_id:
        assert ended, "the rollout should end episodes, so that final_info is compared"
