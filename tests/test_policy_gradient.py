"""The policy-gradient machinery: GAE, distributions, truncation, NaN guard, saving."""

import gymnasium as gym
import numpy as np
import pytest
from gymnasium import spaces

from rl_kit.agents import SpaceError, Transitions
from rl_kit.agents.a2c import A2C
from rl_kit.agents.policy_gradient import NonFiniteLossError
from rl_kit.agents.ppo import PPO
from rl_kit.agents.reinforce import Reinforce
from rl_kit.agents.rollout import generalized_advantages
from rl_kit.core.agent_files import save_agent
from rl_kit.core.backends import load_agent
from rl_kit.core.loop import run_loop
from rl_kit.core.spec import EnvConfig
from rl_kit.core.supervisor import Supervisor
from rl_kit.errors import RLKitError

BOX = spaces.Box(-1.0, 1.0, shape=(3,), dtype=np.float32)


def test_gae_matches_a_direct_computation():
    rng = np.random.default_rng(0)
    T, N, gamma, lam = 6, 2, 0.9, 0.8
    rewards, values = rng.normal(size=(T, N)), rng.normal(size=(T, N))
    dones = np.zeros((T, N))
    dones[2, 0] = dones[4, 1] = 1.0
    next_values = rng.normal(size=N)
    advantages, returns = generalized_advantages(rewards, values, dones, next_values, gamma, lam)
    # Direct: A_t = sum_k (gamma lam)^k delta_{t+k}, stopping after the step where the episode ends.
    expected = np.zeros((T, N))
    for n in range(N):
        for t in range(T):
            total, weight = 0.0, 1.0
            for k in range(t, T):
                following = next_values[n] if k == T - 1 else values[k + 1, n]
                delta = rewards[k, n] + gamma * following * (1 - dones[k, n]) - values[k, n]
                total += weight * delta
                if dones[k, n]:
                    break
                weight *= gamma * lam
            expected[t, n] = total
    assert advantages == pytest.approx(expected)
    assert returns == pytest.approx(expected + values)


def test_lambda_one_gives_monte_carlo_returns():
    rewards = np.array([[1.0], [2.0], [3.0]])
    _, returns = generalized_advantages(
        rewards, np.zeros((3, 1)), np.array([[0.0], [0.0], [1.0]]), np.zeros(1), 0.5, 1.0
    )
    assert returns.squeeze().tolist() == pytest.approx([1 + 0.5 * 2 + 0.25 * 3, 2 + 0.5 * 3, 3])


def test_truncation_bootstraps_and_termination_does_not():
    agent = A2C(BOX, spaces.Discrete(2), seed=0, n_steps=4, gamma=0.9)
    obs, final = np.zeros((2, 3), np.float32), np.full((2, 3), 0.5, np.float32)
    agent.act(obs)
    agent.observe(
        Transitions(
            obs, np.array([0, 1]), np.array([1.0, 1.0]), final, np.array([False, True]), np.array([True, False])
        )
    )
    v_final = agent.net.values(agent.encode(final[:1]))[0]
    assert agent.rollout.rewards[0].tolist() == pytest.approx([1.0 + 0.9 * float(v_final), 1.0])
    assert agent.rollout.dones[0].tolist() == [1.0, 1.0]


def test_gaussian_actions_are_clipped_to_the_box():
    agent = PPO(BOX, spaces.Box(-0.1, 0.1, shape=(2,), dtype=np.float32), seed=0)
    actions = agent.act(np.zeros((500, 3), np.float32))
    assert actions.shape == (500, 2) and actions.min() >= -0.1 and actions.max() <= 0.1
    assert (np.abs(actions) == 0.1).any()  # unit std samples often fall outside and are clipped


def test_one_hot_observations_and_unsupported_spaces():
    agent = PPO(spaces.Discrete(4), spaces.Discrete(2), seed=0)
    assert agent.act(np.array([0, 3])).shape == (2,)
    with pytest.raises(SpaceError, match=r"images of three axes .* shape=\(2, 2\), float32\) has 2: flatten it"):
        PPO(spaces.Box(0, 1, (2, 2)), spaces.Discrete(2))
    with pytest.raises(SpaceError, match="needs a Box vector or a finite .* but got Text"):
        PPO(spaces.Text(5), spaces.Discrete(2))
    blackjack = spaces.Tuple((spaces.Discrete(32), spaces.Discrete(11), spaces.Discrete(2)))
    agent = PPO(blackjack, spaces.Discrete(2), seed=0)  # one one-hot block per part: 32 + 11 + 2 inputs
    assert agent.net.n_inputs == 45 and agent.encode(np.array([[13, 2, 1]])).nonzero()[1].tolist() == [13, 34, 44]
    with pytest.raises(SpaceError, match="action space"):
        A2C(BOX, spaces.MultiBinary(3))
    with pytest.raises(ValueError, match="gae_lambda must be 1"):
        Reinforce(BOX, spaces.Discrete(2), gae_lambda=0.9)


def test_non_finite_loss_stops_without_applying_the_update():
    agent = A2C(BOX, spaces.Discrete(2), seed=0, n_steps=1)
    before = agent.net.state_dict()
    obs = np.zeros((1, 3), np.float32)
    agent.act(obs)
    with pytest.raises(NonFiniteLossError, match="(policy|value)_loss is nan at env step 1"):
        agent.observe(Transitions(obs, np.array([0]), np.array([np.nan]), obs, np.array([False]), np.array([False])))
    assert all(np.array_equal(before[k], v) for k, v in agent.net.state_dict().items())


class NaNAfter(gym.Env):
    """A Box env whose reward turns NaN after 300 steps."""

    observation_space = BOX
    action_space = spaces.Discrete(2)

    def reset(self, *, seed=None, options=None):
        super().reset(seed=seed)
        self.t = getattr(self, "t", 0)
        return np.zeros(3, np.float32), {}

    def step(self, action):
        self.t += 1
        return np.zeros(3, np.float32), (np.nan if self.t > 300 else 1.0), False, self.t % 50 == 0, {}


def test_train_reports_nan_and_keeps_the_last_good_agent(tmp_path, quiet_train):
    if "test/NaNAfter-v0" not in gym.registry:
        gym.register("test/NaNAfter-v0", entry_point=NaNAfter)
    with pytest.raises(RLKitError, match=r"_loss is nan at env step \d+.*last good agent is saved"):
        quiet_train("test/NaNAfter-v0", "a2c", steps=10_000, out=tmp_path)
    saved = load_agent(tmp_path)
    assert all(np.isfinite(v).all() for v in saved.net.state_dict().values())


def test_save_load_and_keep_training(tmp_path):
    envs = EnvConfig("rl_kit/Catch-v0").make_vector(4)
    agent = PPO(envs.single_observation_space, envs.single_action_space, seed=0, n_steps=16, batch_size=32, n_epochs=2)
    run_loop(agent, envs, Supervisor(640), seed=0)
    assert agent.updates == 10
    path = save_agent(agent, tmp_path / "ppo.safetensors", env=EnvConfig("rl_kit/Catch-v0"))
    loaded = load_agent(path)
    obs = np.random.default_rng(0).random((20, 4)).astype(np.float32)
    assert np.array_equal(loaded.act(obs, explore=False), agent.act(obs, explore=False))
    saved_state = loaded.state_dict()
    assert any(key.startswith("optimizer.") for key in saved_state)  # Adam's moments and step travel too
    assert all(np.array_equal(value, saved_state[key]) for key, value in agent.state_dict().items())
    assert (loaded.steps, loaded.updates) == (agent.steps, agent.updates)
    run_loop(loaded, envs, Supervisor(640), seed=1)
    assert loaded.updates == 20 and loaded.steps == 1280


def test_one_forward_pass_per_step_for_all_envs(monkeypatch):
    agent = PPO(BOX, spaces.Discrete(2), seed=0)
    calls = []
    original = agent.net.body.forward
    monkeypatch.setattr(
        agent.net.body, "forward", lambda x, keep=False: calls.append(tuple(x.shape)) or original(x, keep)
    )
    agent.act(np.zeros((64, 3), np.float32))
    assert calls == [(64, 3)]  # one pass of both networks for all 64 envs


def test_observation_statistics_are_learned_and_saved(tmp_path):
    envs = EnvConfig("rl_kit/PointGoal-v0").make_vector(4)
    agent = PPO(envs.single_observation_space, envs.single_action_space, seed=0, n_steps=8, normalize_observations=True)
    run_loop(agent, envs, Supervisor(400), seed=0)
    assert agent.obs_stats.count > 300 and not np.allclose(agent.obs_stats.var, 1.0)
    loaded = load_agent(save_agent(agent, tmp_path / "a.safetensors"))
    assert np.array_equal(loaded.obs_stats.mean, agent.obs_stats.mean)
    obs = np.random.default_rng(1).uniform(-1, 1, (10, 6)).astype(np.float32)
    assert np.array_equal(loaded.act(obs, explore=False), agent.act(obs, explore=False))


@pytest.mark.parametrize("agent", ["reinforce", "a2c", "ppo"])
def test_runs_on_gymnasium_acrobot_and_one_hot_taxi(agent, tmp_path, quiet_train):
    for env_id in ("Acrobot-v1", "Taxi-v4"):
        run = quiet_train(
            env_id,
            agent,
            steps=600,
            num_envs=2,
            out=tmp_path / env_id,
            eval_every=0,
            hyperparameters={"n_steps": 50},
        )
        assert run.result.steps >= 600 and run.agent.updates >= 5


def test_heads_up_describes_policy_agents():
    from rl_kit.presentation.watch import describe

    discrete = PPO(BOX, spaces.Discrete(3), seed=0)
    beliefs = describe(discrete, np.zeros(3, np.float32), ["left", "stay", "right"])
    probs = discrete.policy_outputs(np.zeros((1, 3), np.float32))["probs"][0]
    assert beliefs.kind == "probability" and beliefs.labels == ["left", "stay", "right"]
    np.testing.assert_allclose(beliefs.values, probs)
    assert beliefs.greedy == int(np.argmax(probs)) and beliefs.value is not None
    assert beliefs.text.startswith("pi left ") and " V " in beliefs.text
    continuous = PPO(BOX, spaces.Box(-1, 1, (2,), np.float32), seed=0)
    beliefs = describe(continuous, np.zeros(3, np.float32))
    assert beliefs.kind == "mean" and beliefs.labels == ["action[0]", "action[1]"] and beliefs.greedy is None


def test_rewards_are_scaled_by_the_running_std_of_the_discounted_return(tmp_path):
    agent = A2C(BOX, spaces.Discrete(2), seed=0, n_steps=100, gamma=0.5, normalize_rewards=True)
    obs = np.zeros((1, 3), np.float32)
    returns = []
    running = 0.0
    for step in range(6):  # reward 2 each step; the episode ends after step 2
        ended = step == 2
        agent.act(obs)
        agent.observe(Transitions(obs, np.array([0]), np.array([2.0]), obs, np.array([ended]), np.array([False])))
        running = running * 0.5 + 2.0
        returns.append(running)
        stored = agent.rollout.rewards[step, 0]
        if step == 0:  # one return seen, no spread yet: the scaled reward is clipped at 10
            assert stored == 10.0
        else:
            assert stored == pytest.approx(2.0 / np.sqrt(np.var(returns)), rel=1e-3)
        if ended:
            running = 0.0
    state = agent.state_dict()
    assert "return_stats.var" in state
    loaded = A2C(BOX, spaces.Discrete(2), seed=1, n_steps=100, gamma=0.5, normalize_rewards=True)
    loaded.load_state_dict(state)
    assert loaded.return_stats.var == pytest.approx(agent.return_stats.var)
