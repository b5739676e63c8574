"""Evaluation in batches gives exactly the returns of playing the episodes one at a time."""

import gymnasium as gym
import numpy as np
import pytest

from rl_kit.agents.bandits import EpsilonGreedyBandit
from rl_kit.agents.ppo import PPO
from rl_kit.agents.q_learning import QLearning
from rl_kit.core.evaluation import EVALUATION_BATCH, evaluate, evaluation_envs, run_episodes
from rl_kit.core.spec import EnvConfig


def one_at_a_time(agent, env_id: str, episodes: int, seed: int) -> tuple[list[float], list[int]]:
    """The protocol written plainly: episode i from reset(seed=seed + i), one greedy step at a time."""
    env = gym.make(env_id)
    returns, lengths = [], []
    for i in range(episodes):
        obs, _ = env.reset(seed=seed + i)
        total, length, done = 0.0, 0, False
        while not done:
            obs, reward, terminated, truncated, _ = env.step(agent.act(np.asarray(obs)[None], explore=False)[0])
            total, length, done = total + reward, length + 1, terminated or truncated
        returns.append(total)
        lengths.append(length)
    return returns, lengths


def with_random_values(agent):
    agent.q[...] = np.random.default_rng(1).random(agent.q.shape)
    return agent


class Counting:
    """Wraps an agent and counts its calls."""

    def __init__(self, agent):
        self.agent, self.calls = agent, 0

    def act(self, obs, *, explore=True):
        self.calls += 1
        return self.agent.act(obs, explore=explore)


@pytest.mark.parametrize(
    "env_id, make",
    [
        # a network policy whose episodes have different lengths
        ("CartPole-v1", lambda env: PPO(env.observation_space, env.action_space, seed=3, hidden_sizes="8")),
        # a slippery lake: every episode's seed matters
        (
            "FrozenLake-v1",
            lambda env: with_random_values(QLearning(env.observation_space, env.action_space, seed=0)),
        ),
    ],
)
def test_batched_returns_equal_one_at_a_time(env_id, make):
    env = gym.make(env_id)
    agent = make(env)
    episodes = 40  # more than one batch: copies are reused for later episodes
    envs = evaluation_envs(EnvConfig(env_id), episodes, agent)
    assert len(envs) == EVALUATION_BATCH
    counting = Counting(agent)
    returns, lengths, _ = run_episodes(counting, envs, episodes, seed=7)
    expected_returns, expected_lengths = one_at_a_time(agent, env_id, episodes, seed=7)
    assert returns.tolist() == expected_returns and lengths.tolist() == expected_lengths
    assert counting.calls < lengths.sum() / 4  # one call for many episodes' steps
    assert evaluate(agent, env_id, episodes=episodes, seed=7).returns.tolist() == expected_returns


def test_bandit_agents_play_one_episode_at_a_time():
    env = gym.make("rl_kit/Bandit-v0")
    agent = EpsilonGreedyBandit(env.observation_space, env.action_space, seed=0)
    assert len(evaluation_envs(EnvConfig("rl_kit/Bandit-v0"), 10, agent)) == 1


def test_the_held_out_levels_of_a_finite_set_share_no_level_with_it_and_keep_its_other_options():
    from rl_kit.core.evaluation import held_out_config
    from rl_kit.envs.levels import TEST_START
    from rl_kit.envs.proc_grid import content_hash

    spec = EnvConfig("rl_kit/ProcGrid-v0", {"num_levels": 50, "size": 3}, max_episode_steps=30)
    held_out = held_out_config(spec)
    assert held_out is not None and held_out.max_episode_steps == 30 and held_out.kwargs["size"] == 3
    assert "num_levels" not in held_out.kwargs and min(held_out.kwargs["levels"]) >= TEST_START
    training = {content_hash(seed, size=3) for seed in range(50)}
    test = [content_hash(seed, size=3) for seed in held_out.kwargs["levels"]]
    assert not training & set(test) and len(set(test)) == len(test)  # a 3x3 family repeats: dropped
    assert len(test) < 1000
    assert held_out_config(EnvConfig("rl_kit/ProcGrid-v0")) is None  # unlimited: nothing is held out
    assert held_out_config(EnvConfig("CartPole-v1")) is None


def test_levels_are_named_as_train_test_a_range_or_a_list_and_other_envs_refused():
    from rl_kit.core.evaluation import level_config
    from rl_kit.errors import RLKitError

    spec = EnvConfig("rl_kit/ProcGrid-v0", {"num_levels": 10, "size": 4})
    assert level_config(spec, "train") == spec
    assert level_config(spec, "3-5").kwargs == {"size": 4, "levels": [3, 4, 5]}
    assert level_config(spec, "7,2").kwargs == {"size": 4, "levels": [7, 2]}
    assert min(level_config(spec, "test").kwargs["levels"]) >= 2**30
    for bad in ("", "a-b", "5-2", "-3"):
        with pytest.raises(RLKitError, match="levels must be"):
            level_config(spec, bad)
    with pytest.raises(RLKitError, match="no level is held out"):
        level_config(EnvConfig("rl_kit/ProcGrid-v0"), "test")
    with pytest.raises(RLKitError, match="not a level family"):
        level_config(EnvConfig("CartPole-v1"), "test")


def test_the_gap_and_its_interval_are_those_of_two_independent_samples():
    from rl_kit.core.evaluation import level_gap
    from rl_kit.core.stats import difference_ci

    gap = level_gap(np.ones(40), np.r_[np.ones(10), np.zeros(30)])
    assert gap["gap"] == pytest.approx(0.75) and gap["test_mean"] == pytest.approx(0.25)
    assert 0.5 < gap["gap_ci_low"] < 0.75 < gap["gap_ci_high"] < 0.95
    assert difference_ci(np.full(5, 2.0), np.full(7, 0.5)) == (1.5, 1.5)
    rng = np.random.default_rng(0)
    covered = sum(low <= 0.3 <= high for low, high in (
        difference_ci(rng.normal(0.3, 1, 60), rng.normal(0, 1, 80), resamples=1000, seed=i) for i in range(200)))  # fmt: skip
    assert 180 <= covered <= 199  # about 95% of intervals hold the true difference
