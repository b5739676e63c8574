"""Finite observation spaces as one state index (tables) or one-hot blocks (networks), and refusals."""

import numpy as np
import pytest
from gymnasium import spaces

from rl_kit.agents.base import SpaceError, Transitions
from rl_kit.agents.ppo import PPO
from rl_kit.agents.q_learning import QLearning
from rl_kit.agents.spaces import StateIndex, from_vector, stack

BLACKJACK = spaces.Tuple((spaces.Discrete(32), spaces.Discrete(11), spaces.Discrete(2)))


@pytest.mark.parametrize(
    "space, single, expected_index",
    [
        (spaces.Discrete(5, start=3), 6, 3),
        (BLACKJACK, (14, 10, 1), (14 * 11 + 10) * 2 + 1),
        (spaces.Dict({"a": spaces.Discrete(3), "b": spaces.Discrete(4, start=-1)}), {"a": 2, "b": 0}, 2 * 4 + 1),
        (spaces.MultiDiscrete([3, 4], start=[1, 0]), np.array([2, 3]), 1 * 4 + 3),
        (spaces.MultiBinary(3), np.array([1, 0, 1]), 5),
    ],
)
def test_every_state_has_one_index_and_comes_back_in_its_own_terms(space, single, expected_index):
    index = StateIndex(space, "test")
    batch = stack(space, [single, single])
    assert index(batch).tolist() == [expected_index] * 2
    back = index.state(expected_index)
    assert (back == single) if not isinstance(back, np.ndarray) else np.array_equal(back, single)
    every = stack(space, [index.state(i) for i in range(index.n)])
    assert index(every).tolist() == list(range(index.n))  # numbering is a bijection


def test_a_vector_envs_tuple_batch_is_one_array():
    batch = (np.array([14, 20]), np.array([10, 3]), np.array([1, 0]))
    assert from_vector(BLACKJACK, batch).tolist() == [[14, 10, 1], [20, 3, 0]]


def test_q_learning_learns_on_tuple_states():
    agent = QLearning(BLACKJACK, spaces.Discrete(2), seed=0, alpha=0.5, epsilon=0.0)
    obs, next_obs = np.array([[14, 10, 1]]), np.array([[20, 10, 1]])
    agent.observe(Transitions(obs, np.array([1]), np.array([1.0]), next_obs, np.array([True]), np.array([False])))
    assert agent.q[(14 * 11 + 10) * 2 + 1, 1] == 0.5 and agent.q.sum() == 0.5


def test_network_agents_take_unbounded_box_actions_and_refuse_what_they_cannot():
    agent = PPO(spaces.Box(-1, 1, (3,), np.float32), spaces.Box(-np.inf, np.inf, (2,), np.float32), seed=0)
    actions = agent.act(np.zeros((10, 3), np.float32))
    assert actions.shape == (10, 2) and np.isfinite(actions).all()
    with pytest.raises(SpaceError, match=r"Discrete \(from 0\) or Box vector action space, but got MultiBinary"):
        PPO(spaces.Box(-1, 1, (3,), np.float32), spaces.MultiBinary(2))
    with pytest.raises(SpaceError, match="needs a Discrete action space starting at 0"):
        QLearning(spaces.Discrete(3), spaces.Discrete(2, start=1))
    long_box = spaces.Box(np.arange(30.0), np.arange(30.0) + 1, dtype=np.float32)
    with pytest.raises(SpaceError) as refused:
        QLearning(long_box, spaces.Discrete(2))
    assert "\n" not in str(refused.value) and "Box(shape=(30,), float32)" in str(refused.value)


def test_watch_shows_a_table_agents_state_in_its_own_terms():
    from rl_kit.presentation.watch import describe

    agent = QLearning(BLACKJACK, spaces.Discrete(2), seed=0)
    agent.q[(14 * 11 + 10) * 2 + 1] = [0.25, -0.5]
    beliefs = describe(agent, (14, 10, 1), ["stick", "hit"])
    assert beliefs.state == "(14, 10, 1)" and beliefs.greedy == 0 and beliefs.value == 0.25
    assert beliefs.text == "state (14, 10, 1)   Q stick 0.25 hit -0.50   V 0.25"
