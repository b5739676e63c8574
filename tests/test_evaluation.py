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
