"""Monte Carlo control: the first-visit update by hand, truncation, and learning the optimum."""

import numpy as np
import pytest
from gymnasium import spaces

from rl_kit.agents import MonteCarloControl, Transitions
from rl_kit.api import train
from rl_kit.core.optimum import compare_with_optimum


def step(agent, obs, action, reward, next_obs, terminated=False, truncated=False):
    agent.observe(
        Transitions(
            np.array([obs]),
            np.array([action]),
            np.array([reward]),
            np.array([next_obs]),
            np.array([terminated]),
            np.array([truncated]),
        )
    )


def test_first_visit_returns_by_hand():
    agent = MonteCarloControl(spaces.Discrete(3), spaces.Discrete(2), seed=0, gamma=0.5)
    # S0 A0 R=1, S1 A1 R=0, S0 A0 R=2 (second visit), S2 A1 R=4, end.
    step(agent, 0, 0, 1.0, 1)
    step(agent, 1, 1, 0.0, 0)
    step(agent, 0, 0, 2.0, 2)
    assert np.all(agent.q == 0)  # nothing is learned before the episode ends
    step(agent, 2, 1, 4.0, 0, terminated=True)
    g3 = 4.0
    g2 = 2.0 + 0.5 * g3
    g1 = 0.0 + 0.5 * g2
    g0 = 1.0 + 0.5 * g1
    assert agent.q[2, 1] == g3 and agent.q[1, 1] == g1
    assert agent.q[0, 0] == g0  # the first visit's return only, not the average with g2
    assert agent.n[0, 0] == 1 and agent.episodes == [[]]


def test_returns_are_averaged_over_episodes_and_truncation_is_completed_by_the_estimate():
    agent = MonteCarloControl(spaces.Discrete(2), spaces.Discrete(1), seed=0, gamma=1.0, epsilon=0.0)
    step(agent, 0, 0, 1.0, 1, terminated=True)
    step(agent, 0, 0, 3.0, 1, terminated=True)
    assert agent.q[0, 0] == pytest.approx(2.0) and agent.n[0, 0] == 2
    agent.q[1, 0] = 10.0
    step(agent, 0, 0, 1.0, 1, truncated=True)  # the time limit cut it: G = 1 + V(S_1) = 11
    assert agent.q[0, 0] == pytest.approx((1.0 + 3.0 + 11.0) / 3)


@pytest.mark.parametrize("env", ["rl_kit/GridWorld-v0", "rl_kit/FrozenLake4x4-v0"])
def test_monte_carlo_control_learns_the_optimal_policy(tmp_path, env):
    run = train(
        env, "monte_carlo_control", steps=200_000, seed=0, out=tmp_path, progress=False, tensorboard=False, eval_every=0
    )
    assert compare_with_optimum(run.agent, run.spec.env)["gap"] < 0.01
