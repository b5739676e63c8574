"""Catch, PointGoal (and its level family), Lander and the bandits: checkers, seeding, the vector version, errors, rendering."""

import gymnasium as gym
import numpy as np
import pytest
from gymnasium.utils.env_checker import check_env
from stable_baselines3.common.env_checker import check_env as sb3_check_env

from rl_kit.envs import BANDIT_ENV_IDS, CONTROL_ENV_IDS

BATCHED_ENV_IDS = (*CONTROL_ENV_IDS, *BANDIT_ENV_IDS, "rl_kit/ProcPointGoal-v0")  # written once as batched dynamics


@pytest.mark.parametrize("env_id", BATCHED_ENV_IDS)
def test_env_checkers(env_id):
    env = gym.make(env_id)
    check_env(env.unwrapped, skip_render_check=True)
    sb3_check_env(env.unwrapped, warn=True)


def random_actions(space, n, seed):
    space.seed(seed)
    return [space.sample() for _ in range(n)]


@pytest.mark.parametrize("env_id", BATCHED_ENV_IDS)
def test_one_env_vector_replays_the_single_env(env_id):
    single = gym.make(env_id, max_episode_steps=500)
    vec = gym.make_vec(env_id, num_envs=1, vectorization_mode="vector_entry_point", max_episode_steps=500)
    obs, _ = single.reset(seed=11)
    vobs, _ = vec.reset(seed=11)
    assert np.array_equal(vobs[0], obs)
    ends = 0
    for action in random_actions(single.action_space, 1500, 0):
        obs, reward, term, trunc, _ = single.step(action)
        vobs, vreward, vterm, vtrunc, vinfo = vec.step(np.asarray(action)[None])
        assert (vreward[0], vterm[0], vtrunc[0]) == pytest.approx((reward, term, trunc))
        if term or trunc:
            ends += 1
            assert np.array_equal(vinfo["final_obs"][0], obs)
            obs, _ = single.reset()
        assert np.array_equal(vobs[0], obs)
    assert ends > 0


@pytest.mark.parametrize("env_id", BATCHED_ENV_IDS)
def test_invariants_under_random_actions(env_id):
    env = gym.make(env_id)
    env.reset(seed=0)
    for action in random_actions(env.action_space, 2000, 1):
        obs, reward, term, trunc, _ = env.step(action)
        assert env.observation_space.contains(obs) and np.isfinite(reward)
        if term or trunc:
            env.reset()


@pytest.mark.parametrize("env_id", BATCHED_ENV_IDS)
def test_bad_action_is_named(env_id):
    env = gym.make(env_id)
    env.reset(seed=0)
    bad = env.action_space.n if isinstance(env.action_space, gym.spaces.Discrete) else np.array([np.nan, 0.0])
    with pytest.raises(ValueError, match="not in the action space"):
        env.unwrapped.step(bad)


@pytest.mark.parametrize("env_id", BATCHED_ENV_IDS)
def test_frames(env_id):
    env = gym.make(env_id, render_mode="rgb_array")
    env.reset(seed=0)
    first = env.render()
    width, height = env.unwrapped.dynamics.size
    assert first.shape == (height, width, 3)
    for action in random_actions(env.action_space, 5, 0):
        env.step(action)
    assert not np.array_equal(first, env.render())


def test_human_mode_headless():
    import pygame

    env = gym.make("rl_kit/Lander-v0", render_mode="human")
    env.unwrapped.metadata = {**env.unwrapped.metadata, "render_fps": 1000}
    env.reset(seed=0)
    env.step(2)
    renderer = env.unwrapped._renderer
    assert renderer.window is not None and renderer.window.get_size() == env.unwrapped.dynamics.size
    assert pygame.surfarray.array3d(renderer.window).std() > 0  # the lander was drawn in the window
    env.close()


def test_catch_pays_for_catches_and_ends_after_the_balls():
    env = gym.make("rl_kit/Catch-v0")
    obs, _ = env.reset(seed=0)
    total, done, steps = 0.0, False, 0
    while not done:  # move the paddle under the ball: the perfect policy
        ball, paddle = obs[0] * 4, obs[2] * 4
        obs, reward, done, _, info = env.step(int(np.sign(round(ball - paddle))) + 1)
        total += reward
        steps += 1
    assert total == 10 and steps == 90 and info["is_success"]


def test_lander_crashes_if_it_falls_and_rests_when_landed_softly():
    env = gym.make("rl_kit/Lander-v0")
    env.reset(seed=0)
    done = False
    while not done:
        _, reward, done, _, info = env.step(0)  # engines off: it falls
    assert reward == -100 and not info["is_success"]


def test_drawing_survives_another_renderer_quitting_pygame():
    """Gymnasium's own renderers call pygame.quit() on close; our cached fonts must not break."""
    import pygame

    env = gym.make("rl_kit/Catch-v0", render_mode="rgb_array")
    env.reset(seed=0)
    first = env.render()
    pygame.quit()
    assert np.array_equal(env.render(), first)


def test_catch_in_pixels_passes_the_checkers_and_shows_the_ball_and_the_paddle():
    env = gym.make("rl_kit/Catch-v0", observation="pixels")
    check_env(env.unwrapped, skip_render_check=True)
    sb3_check_env(env.unwrapped, warn=False)
    assert env.observation_space == gym.spaces.Box(0, 255, (10, 5, 2), np.uint8)
    obs, _ = env.reset(seed=3)
    features, _ = gym.make("rl_kit/Catch-v0").reset(seed=3)  # the same ball, as numbers
    assert obs[0, round(features[0] * 4), 0] == 255 and obs[..., 0].sum() == 255
    assert obs[9, 2, 1] == 255 and obs[..., 1].sum() == 255  # the paddle starts in the middle of the bottom row
    obs, *_ = env.step(0)  # left: the paddle moves, the ball falls a row
    assert obs[9, 1, 1] == 255 and obs[1, round(features[0] * 4), 0] == 255
    vector = gym.make_vec("rl_kit/Catch-v0", num_envs=3, vectorization_mode="vector_entry_point", observation="pixels")
    assert vector.reset(seed=3)[0].shape == (3, 10, 5, 2)
    with pytest.raises(ValueError, match="observation is one of"):
        gym.make("rl_kit/Catch-v0", observation="image")
