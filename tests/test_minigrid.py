"""MiniGrid through our ids: the RL Zoo's flattening (the same numbers as MiniGrid's own
FlatObsWrapper), Gymnasium's and SB3's checkers, MiniGrid's step limit as the time limit, a
one-line refusal naming the extra, and our agents taking it."""

import sys

import gymnasium as gym
import numpy as np
import pytest
from gymnasium.utils.env_checker import check_env
from stable_baselines3.common.env_checker import check_env as sb3_check_env

import rl_kit
from rl_kit.core.spec import EnvConfig
from rl_kit.envs import MINIGRID_ENV_IDS
from rl_kit.errors import RLKitError

pytest.importorskip("minigrid")


@pytest.mark.filterwarnings("ignore:.*different from the unwrapped")  # ours is MiniGrid's env, wrapped
@pytest.mark.parametrize("env_id", MINIGRID_ENV_IDS)
def test_the_observation_is_minigrids_flat_one_and_the_checkers_pass(env_id):
    from minigrid.wrappers import FlatObsWrapper

    ours = gym.make(env_id)
    theirs = FlatObsWrapper(gym.make(env_id.removeprefix("rl_kit/")))
    assert ours.observation_space == theirs.observation_space and ours.observation_space.shape == (2835,)
    assert ours.spec.max_episode_steps == ours.unwrapped.max_steps  # MiniGrid's own limit
    obs, _ = ours.reset(seed=3)
    their_obs, _ = theirs.reset(seed=3)
    rng = np.random.default_rng(0)
    for _ in range(60):
        np.testing.assert_array_equal(obs, their_obs)
        action = int(rng.integers(ours.action_space.n))
        obs, reward, terminated, truncated, _ = ours.step(action)
        their_obs, their_reward, *_ = theirs.step(action)
        assert reward == their_reward
        if terminated or truncated:
            obs, _ = ours.reset(seed=4)
            their_obs, _ = theirs.reset(seed=4)
    check_env(gym.make(env_id), skip_render_check=True)
    sb3_check_env(gym.make(env_id), warn=False)


def test_without_the_minigrid_package_an_env_is_refused_in_one_line_naming_the_extra(monkeypatch):
    monkeypatch.setitem(sys.modules, "minigrid", None)  # import minigrid now raises ImportError
    monkeypatch.setitem(sys.modules, "minigrid.wrappers", None)
    with pytest.raises(RLKitError) as error:
        EnvConfig("rl_kit/MiniGrid-DoorKey-5x5-v0").make()
    message = str(error.value)
    assert "pip install 'rl-kit[minigrid]'" in message and "DoorKey-5x5" in message and "\n" not in message


def test_ppo_trains_on_it_with_the_zoos_translated_entry_and_saves(tmp_path):
    run = rl_kit.train("rl_kit/MiniGrid-Empty-Random-5x5-v0", "ppo", steps=2048, seed=0, eval_every=0,
                       progress=False, tensorboard=False, out=tmp_path)  # fmt: skip
    assert run.spec.hyperparameters["normalize_observations"] and run.spec.num_envs == 8
    result = rl_kit.evaluate(tmp_path, episodes=4)
    assert result.episodes == 4 and np.all(result.returns >= 0)
