"""The native vector GridWorld holds the single env's dynamics."""

import gymnasium as gym
import numpy as np
import pytest
from gymnasium.vector import AutoresetMode

from rl_kit.envs import GRID_ENV_IDS, GridWorldVectorEnv


def make_vec(env_id, n, **kwargs):
    return gym.make_vec(env_id, num_envs=n, vectorization_mode="vector_entry_point", **kwargs)


@pytest.mark.parametrize("env_id", GRID_ENV_IDS)
def test_one_env_vector_replays_the_single_env(env_id):
    """Same seed, same actions: the same observations, rewards, ends and resets."""
    single, vec = gym.make(env_id), make_vec(env_id, 1)
    assert isinstance(vec, GridWorldVectorEnv)
    assert vec.metadata["autoreset_mode"] == AutoresetMode.SAME_STEP
    obs, _ = single.reset(seed=7)
    vobs, _ = vec.reset(seed=7)
    assert vobs.tolist() == [obs]
    actions = np.random.default_rng(0).integers(4, size=3000)
    ends = 0
    for a in actions:
        obs, r, term, trunc, _ = single.step(int(a))
        vobs, vr, vterm, vtrunc, vinfo = vec.step(np.array([a]))
        assert (vr[0], vterm[0], vtrunc[0]) == (r, term, trunc)
        if term or trunc:
            ends += 1
            assert vinfo["final_obs"][0] == obs and vinfo["_final_obs"][0]
            obs, _ = single.reset()
        assert vobs[0] == obs
    assert ends > 0


def test_many_envs_sample_the_model_P():
    vec = make_vec("rl_kit/FrozenLake4x4-v0", 30_000)
    vec.reset(seed=0)
    model = vec.model
    state, action = 9, 1  # slippery, with three distinct non-terminal outcomes
    vec.states[:] = state
    next_obs, _, terminated, _, _ = vec.step(np.full(30_000, action))
    assert not terminated.any()
    expected = {}
    for p, s2, _, _ in model.P[state][action]:
        expected[s2] = expected.get(s2, 0.0) + p
    counts = np.bincount(next_obs, minlength=16) / 30_000
    for s2, p in expected.items():
        assert counts[s2] == pytest.approx(p, abs=0.015)
    assert counts.sum() == pytest.approx(sum(expected.values()))


def test_time_limit_truncates_and_resets():
    vec = make_vec("rl_kit/GridWorld-v0", 3, max_episode_steps=5)
    vec.reset(seed=0)
    for _ in range(4):
        _, _, _, trunc, _ = vec.step(np.zeros(3, dtype=np.int64))  # left into the border: stay
        assert not trunc.any()
    obs, _, term, trunc, info = vec.step(np.zeros(3, dtype=np.int64))
    assert trunc.all() and not term.any() and info["_final_obs"].all()


def test_bad_actions_and_options():
    vec = make_vec("rl_kit/GridWorld-v0", 2)
    vec.reset(seed=0)
    with pytest.raises(ValueError, match="actions must be 2 integers"):
        vec.step(np.array([0, 4]))
    with pytest.raises(ValueError, match="actions must be 2 integers"):
        vec.step(np.array([0]))
    with pytest.raises(ValueError, match="unknown reset options"):
        vec.reset(options={"foo": 1})


def test_reset_mask_resets_only_masked_envs():
    vec = make_vec("rl_kit/GridWorld-v0", 2)
    vec.reset(seed=0)
    vec.step(np.array([1, 1]))
    obs, _ = vec.reset(options={"reset_mask": np.array([True, False])})
    assert obs[0] == 0 and obs[1] != 0


def test_vector_frames():
    vec = make_vec("rl_kit/GridWorld-v0", 2, render_mode="rgb_array")
    vec.reset(seed=0)
    frames = vec.render()
    assert len(frames) == 2 and frames[0].ndim == 3
