"""The tabular agents: each update is the textbook one, checked by hand on small tables."""

import numpy as np
import pytest
from gymnasium import spaces

from rl_kit.agents import DoubleQLearning, ExpectedSarsa, QLearning, Sarsa, SpaceError, Transitions, ValueIteration

S, A = spaces.Discrete(3), spaces.Discrete(2)
ALL = [QLearning, Sarsa, ExpectedSarsa, DoubleQLearning]


def batch(obs, action, reward, next_obs, terminated=False, truncated=False):
    return Transitions(
        np.array([obs]),
        np.array([action]),
        np.array([reward], dtype=float),
        np.array([next_obs]),
        np.array([terminated]),
        np.array([truncated]),
    )


def test_q_learning_textbook_update():
    agent = QLearning(S, A, alpha=0.5, gamma=0.9)
    agent.q[:] = [[0.0, 1.0], [2.0, 4.0], [0.0, 0.0]]
    agent.observe(batch(0, 1, 1.0, 1))
    assert agent.q[0, 1] == pytest.approx(1.0 + 0.5 * (1.0 + 0.9 * 4.0 - 1.0))


def test_termination_does_not_bootstrap_but_truncation_does():
    for truncated, expected in ((False, 0.5 * 1.0), (True, 0.5 * (1.0 + 0.9 * 4.0))):
        agent = QLearning(S, A, alpha=0.5, gamma=0.9)
        agent.q[1] = [2.0, 4.0]
        agent.observe(batch(0, 0, 1.0, 1, terminated=not truncated, truncated=truncated))
        assert agent.q[0, 0] == pytest.approx(expected)


def test_expected_sarsa_uses_the_epsilon_greedy_expectation():
    agent = ExpectedSarsa(S, A, alpha=1.0, gamma=1.0, epsilon=0.2)
    agent.q[1] = [2.0, 4.0]
    agent.observe(batch(0, 0, 0.0, 1))
    assert agent.q[0, 0] == pytest.approx(0.1 * 2.0 + 0.9 * 4.0)


def test_sarsa_bootstraps_from_the_action_it_then_takes():
    agent = Sarsa(S, A, alpha=1.0, gamma=1.0, epsilon=0.5, seed=1)
    agent.q[1] = [2.0, 4.0]
    agent.observe(batch(0, 0, 0.0, 1))
    next_action = int(agent.act(np.array([1]))[0])
    assert agent.q[0, 0] == pytest.approx(agent.q[1, next_action])
    # Many draws: the promised action is always the one played.
    for _ in range(50):
        agent.observe(batch(0, 0, 0.0, 1))
        promised = agent._next_action[0]
        assert agent.act(np.array([1]))[0] == promised


def test_double_q_updates_one_table_with_the_others_value():
    agent = DoubleQLearning(S, A, alpha=1.0, gamma=1.0, seed=0)
    agent.q[1], agent.q2[1] = [1.0, 0.0], [5.0, 7.0]  # Q1 picks action 0, Q2 values it at 5
    before1, before2 = agent.q.copy(), agent.q2.copy()
    agent.observe(batch(0, 0, 0.0, 1))
    if agent._first[0]:
        assert agent.q[0, 0] == 5.0 and np.array_equal(agent.q2, before2)
    else:  # Q2 picks action 1, Q1 values it at 0
        assert agent.q2[0, 0] == 0.0 and np.array_equal(agent.q, before1)


def test_batched_update_averages_repeated_pairs():
    agent = QLearning(S, A, alpha=1.0, gamma=0.0)
    t = Transitions(
        np.array([0, 0, 2]),
        np.array([1, 1, 0]),
        np.array([1.0, 3.0, 5.0]),
        np.array([1, 1, 1]),
        np.zeros(3, bool),
        np.zeros(3, bool),
    )
    agent.observe(t)
    assert agent.q[0, 1] == 2.0 and agent.q[2, 0] == 5.0


def test_greedy_acting_and_exploration():
    agent = QLearning(S, A, epsilon=0.0, seed=0)
    agent.q[:] = [[0.0, 1.0], [3.0, 2.0], [0.0, 0.0]]
    assert agent.act(np.array([0, 1]), explore=False).tolist() == [1, 0]
    ties = agent.act(np.full(1000, 2))  # ties are broken at random
    assert 400 < ties.sum() < 600
    explorer = QLearning(S, A, epsilon=1.0, seed=0)
    explorer.q[:] = [[0.0, 1.0]] * 3
    assert 400 < explorer.act(np.zeros(1000, dtype=int)).sum() < 600


@pytest.mark.parametrize("cls", ALL + [ValueIteration])
def test_state_dict_round_trip(cls):
    agent = cls(S, A, seed=0)
    agent.q[:] = np.arange(6).reshape(3, 2)
    other = cls(S, A)
    other.load_state_dict(agent.state_dict())
    assert np.array_equal(other.act(np.arange(3), explore=False), agent.act(np.arange(3), explore=False))
    with pytest.raises(ValueError, match="shape"):
        cls(spaces.Discrete(4), A).load_state_dict(agent.state_dict())


@pytest.mark.parametrize("cls", ALL + [ValueIteration])
def test_unsupported_spaces_are_named(cls):
    with pytest.raises(SpaceError, match=r"needs a finite observation space .*, but got Box"):
        cls(spaces.Box(-1, 1, (2,)), A)
    with pytest.raises(SpaceError, match="action space"):
        cls(S, spaces.Box(-1, 1, (2,)))


def test_value_iteration_plans_from_P():
    # Two states: action 1 in state 0 reaches the goal (reward 1); action 0 stays.
    P = {
        0: {0: [(1.0, 0, 0.0, False)], 1: [(1.0, 1, 1.0, True)]},
        1: {0: [(1.0, 1, 0.0, True)], 1: [(1.0, 1, 0.0, True)]},
    }
    agent = ValueIteration(spaces.Discrete(2), spaces.Discrete(2), gamma=0.9)
    agent.plan(P)
    assert agent.greedy_policy()[0] == 1 and agent.state_values()[0] == pytest.approx(1.0)
    assert agent.q[0, 0] == pytest.approx(0.9)
