"""Bandits: the testbed's statistics, each agent's update rule by hand, and the book's results
(Sutton & Barto figures 2.2 to 2.5) reproduced on a seed."""

import gymnasium as gym
import numpy as np
import pytest
from gymnasium import spaces

from rl_kit.agents import EpsilonGreedyBandit, GradientBandit, Transitions, UCBBandit
from rl_kit.cli import main
from rl_kit.core.agent_files import save_agent
from rl_kit.core.backends import load_agent
from rl_kit.errors import RLKitError
from rl_kit.experiments import testbed
from rl_kit.experiments.testbed import parse_method, write_testbed

ONE_STATE, TEN_ARMS = spaces.Discrete(1), spaces.Discrete(10)


def pull(agent, actions, rewards, ended=None):
    n = len(actions)
    ended = np.zeros(n, dtype=bool) if ended is None else np.asarray(ended)
    zeros = np.zeros(n, dtype=np.int64)
    agent.observe(Transitions(zeros, np.asarray(actions), np.asarray(rewards, dtype=float), zeros, ended, ended))


def test_rewards_are_drawn_around_the_true_values_and_stationary_values_stay():
    envs = gym.make_vec("rl_kit/Bandit-v0", num_envs=4000, vectorization_mode="vector_entry_point")
    envs.reset(seed=0)
    q_star = envs.true_values
    assert abs(q_star.mean()) < 0.05 and abs(q_star.std() - 1) < 0.05  # N(0, 1)
    _, rewards, *_ = envs.step(np.full(4000, 3))
    assert abs((rewards - q_star[:, 3]).std() - 1) < 0.05 and abs((rewards - q_star[:, 3]).mean()) < 0.05
    assert np.array_equal(envs.true_values, q_star)
    assert np.array_equal(envs.optimal_actions, q_star.argmax(axis=1))


def test_nonstationary_values_start_equal_and_walk():
    envs = gym.make_vec("rl_kit/BanditNonstationary-v0", num_envs=2000, vectorization_mode="vector_entry_point")
    envs.reset(seed=0)
    assert np.all(envs.true_values == 0)
    for _ in range(100):
        envs.step(np.zeros(2000, dtype=np.int64))
    assert abs(envs.true_values.std() - 0.01 * np.sqrt(100)) < 0.005  # a random walk of 100 steps of 0.01


def test_sample_averages_are_exact_and_a_constant_step_weights_recent_rewards():
    average = EpsilonGreedyBandit(ONE_STATE, TEN_ARMS, seed=0, alpha=0.0)
    constant = EpsilonGreedyBandit(ONE_STATE, TEN_ARMS, seed=0, alpha=0.5)
    for reward in (1.0, 2.0, 6.0):
        pull(average, [4], [reward])
        pull(constant, [4], [reward])
    assert average.rows["q"][0, 4] == pytest.approx(3.0) and average.rows["n"][0, 4] == 3
    assert constant.rows["q"][0, 4] == pytest.approx(((0 * 0.5 + 0.5) * 0.5 + 1.0) * 0.5 + 3.0)  # 0.5^3*0 + ...


def test_each_env_learns_its_own_problem_and_forgets_it_when_the_problem_ends():
    agent = EpsilonGreedyBandit(ONE_STATE, TEN_ARMS, seed=0, q_init=5.0)
    agent.act(np.zeros(3, dtype=np.int64))
    pull(agent, [1, 2, 3], [1.0, 2.0, 3.0], ended=[False, True, False])
    assert agent.rows["q"][0, 1] == 1.0 and agent.rows["q"][2, 3] == 3.0
    assert np.all(agent.rows["q"][1] == 5.0) and agent.rows["t"][1] == 0  # a new problem: afresh


def test_greedy_with_optimism_tries_every_arm_and_ucb_tries_untried_arms_first():
    optimistic = EpsilonGreedyBandit(ONE_STATE, TEN_ARMS, seed=0, epsilon=0.0, q_init=5.0)
    ucb = UCBBandit(ONE_STATE, TEN_ARMS, seed=0, c=2.0)
    for agent in (optimistic, ucb):
        tried = []
        for _ in range(10):
            action = agent.act(np.zeros(1, dtype=np.int64))
            tried.append(int(action[0]))
            pull(agent, action, [0.5])
        assert sorted(tried) == list(range(10)), agent.name


def test_ucb_adds_its_bonus():
    agent = UCBBandit(ONE_STATE, spaces.Discrete(2), seed=0, c=2.0)
    agent.act(np.zeros(1, dtype=np.int64))
    agent.rows["q"][0] = [1.0, 0.9]
    agent.rows["n"][0] = [8, 2]
    agent.rows["t"][0] = 10
    bonus = 2.0 * np.sqrt(np.log(10) / np.array([8, 2]))
    assert np.allclose(agent.scores(slice(0, 1))[0], [1.0, 0.9] + bonus)
    assert agent.act(np.zeros(1, dtype=np.int64))[0] == 1  # less tried, so the bonus wins


def test_gradient_bandit_update_by_hand():
    agent = GradientBandit(ONE_STATE, spaces.Discrete(3), seed=0, alpha=0.5)
    pull(agent, [0], [2.0])  # first reward: the baseline is R_1 itself, so nothing moves
    assert np.allclose(agent.rows["h"][0], 0) and agent.rows["r_bar"][0] == 2.0
    pull(agent, [1], [5.0])  # R - Rbar = 3; pi uniform
    pi = np.full(3, 1 / 3)
    expected = 0.5 * 3.0 * (np.array([0, 1, 0]) - pi)
    assert np.allclose(agent.rows["h"][0], expected) and agent.rows["r_bar"][0] == pytest.approx(3.5)
    draws = np.array([agent.act(np.zeros(1, dtype=np.int64))[0] for _ in range(3000)])
    softmax = np.exp(expected) / np.exp(expected).sum()
    assert np.allclose(np.bincount(draws, minlength=3) / 3000, softmax, atol=0.03)


def test_saved_bandit_agents_load_with_their_rows(tmp_path):
    agent = UCBBandit(ONE_STATE, TEN_ARMS, seed=0)
    agent.act(np.zeros(4, dtype=np.int64))
    pull(agent, [1, 2, 3, 4], [0.1, 0.2, 0.3, 0.4])
    loaded = load_agent(save_agent(agent, tmp_path))
    assert all(np.array_equal(loaded.state_dict()[k], v) for k, v in agent.state_dict().items())


def test_methods_are_parsed_and_bad_ones_named():
    assert parse_method("epsilon_greedy_bandit:epsilon=0:q_init=5") == (
        "epsilon_greedy_bandit",
        {"epsilon": 0, "q_init": 5},
    )
    with pytest.raises(RLKitError, match="not a bandit agent"):
        parse_method("q_learning")
    with pytest.raises(RLKitError, match="KEY=VALUE"):
        parse_method("ucb_bandit:c")


@pytest.fixture(scope="module")
def figure_2_2():
    return testbed.testbed(
        ["epsilon_greedy_bandit:epsilon=0", "epsilon_greedy_bandit:epsilon=0.1", "ucb_bandit:c=2"],
        runs=2000,
        steps=1000,
        progress=False,
    )


def test_the_testbed_reproduces_figures_2_2_and_2_4(figure_2_2):
    greedy, epsilon, ucb = figure_2_2
    last = slice(-100, None)
    # Figure 2.2: greedy settles near 1.0 and ~1/3 optimal; epsilon 0.1 near 1.35 and ~80%.
    assert 0.95 < greedy.average_reward[last].mean() < 1.15 and greedy.optimal_action[last].mean() < 0.45
    assert epsilon.average_reward[last].mean() > 1.3 and epsilon.optimal_action[last].mean() > 0.75
    # Figure 2.4: UCB's average reward beats epsilon-greedy's.
    assert ucb.average_reward[200:].mean() > epsilon.average_reward[200:].mean()


def test_optimistic_greedy_ends_ahead_of_realistic_epsilon_greedy():
    """Figure 2.3: Q1 = 5, epsilon 0 against Q1 = 0, epsilon 0.1 (both alpha 0.1)."""
    optimistic, realistic = testbed.testbed(
        ["epsilon_greedy_bandit:epsilon=0:q_init=5:alpha=0.1", "epsilon_greedy_bandit:epsilon=0.1:alpha=0.1"],
        runs=2000,
        steps=1000,
        progress=False,
    )
    assert optimistic.optimal_action[-200:].mean() > realistic.optimal_action[-200:].mean() + 0.05


def test_the_gradient_bandit_needs_its_baseline_when_values_are_far_from_zero():
    """Figure 2.5: true values around +4; without the baseline, learning is far slower."""
    with_baseline, without = testbed.testbed(
        ["gradient_bandit:alpha=0.1", "gradient_bandit:alpha=0.1:baseline=false"],
        runs=1000,
        steps=1000,
        env_kwargs={"value_mean": 4.0},
        progress=False,
    )
    assert with_baseline.optimal_action[-200:].mean() > 0.7
    assert with_baseline.optimal_action[-200:].mean() > without.optimal_action[-200:].mean() + 0.15


def test_the_figure_and_the_command(figure_2_2, tmp_path, capsys):
    png, data = write_testbed(figure_2_2, tmp_path / "fig.png", title="test")
    assert png.stat().st_size > 10_000 and len(data.read_text().splitlines()) == 1001
    code = main(
        ["bandit", "ucb_bandit:c=1", "--runs", "50", "--steps", "20", "--out", str(tmp_path / "c.png"), "--no-progress"]
    )
    assert code == 0 and (tmp_path / "c.png").is_file() and "ucb_bandit:c=1" in capsys.readouterr().out
