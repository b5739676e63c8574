"""Cutout hides one window of each image and nothing else; PPO learns from the cut-out views
with pi_old recomputed on them, and refuses augmentation where there is no image."""

import gymnasium as gym
import numpy as np
import pytest

from rl_kit.agents.augmentation import cutout, cutout_size
from rl_kit.agents.ppo import PPO
from rl_kit.agents.rollout import Batch


def test_cutout_zeroes_one_window_of_every_channel_and_leaves_the_rest():
    shape = (3, 8, 6)
    x = np.random.default_rng(0).uniform(1, 2, size=(500, 3 * 8 * 6)).astype(np.float32)
    out = cutout(x, shape, np.random.default_rng(1))
    assert out.dtype == x.dtype and out.shape == x.shape and (out != 0).sum() > 0
    images, originals = out.reshape(-1, *shape), x.reshape(-1, *shape)
    hidden = images == 0
    assert (hidden == hidden[:, :1]).all()  # the same pixels in every channel
    np.testing.assert_array_equal(images[~hidden], originals[~hidden])
    size = cutout_size(8, 6)
    for mask in hidden[:, 0]:
        rows, columns = np.flatnonzero(mask.any(1)), np.flatnonzero(mask.any(0))
        assert 1 <= len(rows) <= size and 1 <= len(columns) <= size  # one window, maybe over an edge
        assert mask.sum() == len(rows) * len(columns) and np.ptp(rows) == len(rows) - 1
    corners, centre = hidden[:, 0, 0, 0].mean(), hidden[:, 0, 4, 3].mean()
    assert abs(corners - centre) < 0.08  # every pixel about as likely to be hidden: size^2 / ((H+s-1)(W+s-1))


def test_ppo_learns_from_cut_out_views_with_the_old_policy_recomputed_on_them():
    env = gym.make("rl_kit/ProcGrid-v0", size=4)
    agent = PPO(env.observation_space, env.action_space, seed=0, augment="cutout", n_steps=8)
    obs = np.stack([env.reset(seed=s)[0] for s in range(16)])
    x = agent.encode(obs)
    actions = agent.act(obs)
    outputs, values = agent.net.forward(x)
    log_probs = agent.net.distribution(outputs).log_prob(actions)
    batch = Batch(x, actions, log_probs, values, np.ones(16, np.float32), np.ones(16, np.float32))
    views = agent.augmented(batch)
    assert (views.obs != x).any() and (views.obs <= x).all()
    recomputed = agent.net.distribution(agent.net.forward(views.obs)[0]).log_prob(actions)
    np.testing.assert_allclose(views.log_probs, recomputed, rtol=1e-6)
    assert not np.allclose(views.log_probs, log_probs)


def test_augmentation_is_refused_without_an_image_or_by_an_unknown_name():
    env = gym.make("CartPole-v1")
    with pytest.raises(ValueError, match="needs image observations"):
        PPO(env.observation_space, env.action_space, seed=0, augment="cutout")
    with pytest.raises(ValueError, match="augment must be one of"):
        PPO(env.observation_space, env.action_space, seed=0, augment="flip")
