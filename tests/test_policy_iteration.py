"""Policy iteration finds the same optimum as value iteration, in a few rounds."""

import gymnasium as gym
import numpy as np
import pytest

from rl_kit.agents import PolicyIteration, ValueIteration
from rl_kit.agents.dynamic_programming import TabularModel, policy_evaluation, policy_iteration
from rl_kit.envs import GRID_ENV_IDS


@pytest.mark.parametrize("env_id", GRID_ENV_IDS)
def test_policy_iteration_agrees_with_value_iteration(env_id):
    env = gym.make(env_id).unwrapped
    agents = []
    for cls in (PolicyIteration, ValueIteration):
        agent = cls(env.observation_space, env.action_space, gamma=0.95)
        agent.plan(env.P)
        agents.append(agent)
    by_policy, by_value = agents
    assert np.allclose(by_policy.state_values(), by_value.state_values(), atol=1e-6)
    model = TabularModel.from_P(env.P)
    value = policy_evaluation(model, by_policy.greedy_policy(), 0.95)
    assert np.allclose(value, by_value.state_values(), atol=1e-6)
    assert 1 <= by_policy.iterations <= 50  # FourRooms, the largest map, takes 21


def test_each_round_improves_the_policy_until_it_is_greedy_for_its_own_value():
    env = gym.make("rl_kit/FrozenLake8x8-v0").unwrapped
    model = TabularModel.from_P(env.P)
    v, policy, rounds = policy_iteration(model, 0.99)
    q = model.q_values(v, 0.99)
    assert np.allclose(q[np.arange(len(policy)), policy], q.max(axis=1))  # greedy for its own value
    # A policy after one round is never worse than the start anywhere (the improvement theorem).
    start = model.R.argmax(axis=1)
    v0 = policy_evaluation(model, start, 0.99)
    better = model.q_values(v0, 0.99).argmax(axis=1)
    assert np.all(policy_evaluation(model, better, 0.99) >= v0 - 1e-9)
    assert rounds > 1
