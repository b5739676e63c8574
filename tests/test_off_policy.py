"""DDPG, TD3 and SAC: every hand-written gradient against autograd, the targets by hand, the
tanh-Gaussian log-probability, exact resume with the replay buffer, and the torch backend."""

import numpy as np
import pytest
import torch
from gymnasium import spaces

from rl_kit.agents.base import SpaceError, Transitions
from rl_kit.agents.ddpg import DDPG
from rl_kit.agents.off_policy_networks import (
    TANH_EPS,
    Critics,
    DeterministicActor,
    SquashedGaussianActor,
    StateDependentSquashedActor,
    td_loss,
)
from rl_kit.agents.sac import SAC
from rl_kit.agents.td3 import TD3
from rl_kit.agents.torch_off_policy_networks import TORCH_CLASSES

OBS = spaces.Box(-1.0, 1.0, shape=(3,), dtype=np.float32)
ACTIONS = spaces.Box(np.array([-2.0, 0.0], dtype=np.float32), np.array([2.0, 1.0], dtype=np.float32))
SIZES = (3, 2, (16, 8))


def pair(cls, *args, activation="relu", **options):
    """The numpy network and its torch reference, in float64, with the same weights."""
    ours = cls(*SIZES, activation, *args, dtype=np.float64, **options)
    reference = TORCH_CLASSES[cls](*SIZES, activation, *args, dtype=np.float64, **options)
    reference.parameters.data[...] = ours.parameters.data
    return ours, reference


def batch(rng, size=32):
    return rng.normal(size=(size, 3)), np.tanh(rng.normal(size=(size, 2)))


@pytest.mark.parametrize("activation", ["relu", "tanh"])
def test_the_critics_gradients_equal_autograd(activation):
    ours, reference = pair(Critics, 2, 7, activation=activation)
    rng = np.random.default_rng(0)
    x, a = batch(rng)
    targets = rng.normal(size=32)
    for net in (ours, reference):
        q = net.forward(x, a, keep=True)
        loss, d_q = td_loss(q, targets, scale=0.5)
        net.backward(d_q)
    np.testing.assert_allclose(ours.parameters.grad, reference.parameters.grad, rtol=1e-9, atol=1e-12)
    assert np.abs(ours.parameters.grad).max() > 0
    # both critics' rows of the stack are in it: each network's last layer has its own gradient
    last = ours.parameters.grads["critic.weights.2"]
    assert np.abs(last[0]).max() > 0 and np.abs(last[1]).max() > 0


def test_the_td_loss_and_its_gradient_by_hand():
    q, y = np.array([[1.0, 2.0], [0.0, 4.0]]), np.array([0.5, 3.0])
    loss, d_q = td_loss(q, y, scale=0.5)
    assert loss == pytest.approx(0.5 * ((0.25 + 1.0) / 2 + (0.25 + 1.0) / 2))
    np.testing.assert_allclose(d_q, 2 * 0.5 / 2 * (q - y))


def test_the_action_gradient_through_the_critics_equals_autograd_and_leaves_their_gradients():
    ours, reference = pair(Critics, 2, 3)
    rng = np.random.default_rng(1)
    x, a = batch(rng)
    d_q = rng.normal(size=(2, 32))
    ours.parameters.grad[...] = 7.0
    mine = [net.forward(x, a, keep=True) is not None and net.action_gradient(d_q) for net in (ours, reference)]
    np.testing.assert_allclose(mine[0], mine[1], rtol=1e-9, atol=1e-12)
    assert (ours.parameters.grad == 7.0).all(), "dQ/da must not write the critic's parameter gradients"
    # and by finite differences of the critics' outputs in the action
    step = 1e-6
    for j in range(2):
        up, down = a.copy(), a.copy()
        up[:, j] += step
        down[:, j] -= step
        slope = ((ours.forward(x, up) - ours.forward(x, down)) * d_q).sum(axis=0) / (2 * step)
        np.testing.assert_allclose(mine[0][:, j], slope, rtol=1e-5, atol=1e-8)


@pytest.mark.parametrize("cls", [Critics, TORCH_CLASSES[Critics]])
def test_the_first_critic_alone_is_the_stacks_first_row(cls):
    """TD3's actor reads Q_1 only: computed alone, its value and dQ_1/da are those of the full stack."""
    critics = cls(*SIZES, "relu", 2, 14, dtype=np.float64)
    x, a = batch(np.random.default_rng(15))
    d_q = np.random.default_rng(16).normal(size=(1, 32))
    full = critics.forward(x, a, keep=True)
    expected = critics.action_gradient(np.concatenate([d_q, np.zeros_like(d_q)]))
    alone = critics.forward(x, a, keep=True, critics=1)
    assert alone.shape == (1, 32)
    np.testing.assert_allclose(alone[0], full[0], rtol=1e-12)
    np.testing.assert_allclose(critics.action_gradient(d_q), expected, rtol=1e-10, atol=1e-14)
    if cls is Critics:  # the weight gradients of the one computed, and zeros for the other
        critics.parameters.grad[...] = 7.0
        critics.backward(d_q)
        last = critics.parameters.grads["critic.weights.2"]
        assert np.abs(last[0]).max() > 0 and not last[1].any()


def test_the_deterministic_actor_gradient_through_the_critic_equals_autograd():
    """DDPG's actor step: d(-1/B sum Q_1(s, mu(s)))/dtheta, hand-written against one torch graph."""
    actor = DeterministicActor(*SIZES, "relu", 4, dtype=np.float64)
    critics = Critics(*SIZES, "relu", 2, 5, dtype=np.float64)
    x = np.random.default_rng(2).normal(size=(32, 3))
    a = actor.forward(x, keep=True)
    q = critics.forward(x, a, keep=True)
    d_q = np.zeros_like(q)
    d_q[0] = -1.0 / 32
    actor.backward(critics.action_gradient(d_q))

    def torch_mlp(params, h, count):
        n = len(params) // 2
        for k in range(n):
            h = torch.matmul(h, params[k]) + params[n + k]
            if k < n - 1:
                h = torch.relu(h)
        return h

    actor_params = [torch.tensor(v, requires_grad=True) for v in actor.parameters.values.values()]
    critic_params = [torch.tensor(v) for v in critics.parameters.values.values()]
    mu = torch.tanh(torch_mlp(actor_params, torch.tensor(x), 1)[0])
    q1 = torch_mlp(critic_params, torch.cat([torch.tensor(x), mu], dim=1), 2)[0, :, 0]
    (-q1.mean()).backward()
    expected = np.concatenate([p.grad.numpy().ravel() for p in actor_params])
    np.testing.assert_allclose(actor.parameters.grad, expected, rtol=1e-9, atol=1e-12)


def test_the_squashed_gaussian_log_prob_is_the_change_of_variables():
    actor = SquashedGaussianActor(*SIZES, "relu", 6, dtype=np.float64)
    rng = np.random.default_rng(3)
    x, noise = rng.normal(size=(64, 3)), rng.normal(size=(64, 2))
    actions, log_prob = actor.sample(x, noise)
    mean, log_std, _ = actor.mean_and_log_std(x)
    u = mean + np.exp(log_std) * noise
    np.testing.assert_allclose(actions, np.tanh(u))
    base = torch.distributions.Normal(torch.tensor(mean), torch.tensor(np.exp(log_std)))
    squashed = torch.distributions.TransformedDistribution(base, [torch.distributions.TanhTransform()])
    # torch's tanh transform has no delta: the two agree where tanh is not saturated
    exact = squashed.log_prob(torch.tanh(torch.tensor(u))).sum(dim=1).numpy()
    unsaturated = np.abs(u).max(axis=1) < 3
    assert unsaturated.sum() > 40
    np.testing.assert_allclose(log_prob[unsaturated], exact[unsaturated], atol=1e-4)
    # the correction forgotten: the Gaussian alone is off by sum_j log(1 - a_j^2)
    gaussian = base.log_prob(torch.tensor(u)).sum(dim=1).numpy()
    np.testing.assert_allclose(gaussian - log_prob, np.log(1 - actions**2 + TANH_EPS).sum(axis=1), rtol=1e-9)


@pytest.mark.parametrize("clipped", [False, True])
def test_the_squashed_gaussian_gradient_equals_autograd(clipped):
    ours, reference = pair(SquashedGaussianActor, 8)
    if clipped:  # log sigma far below the clip: its gradient must be cut there as torch's clamp cuts it
        ours.parameters.values["actor.biases.2"][0, 0, 2:] = -30.0
        reference.parameters.data[...] = ours.parameters.data
    rng = np.random.default_rng(4)
    x, noise = rng.normal(size=(32, 3)), rng.normal(size=(32, 2))
    d_actions, d_log_prob = rng.normal(size=(32, 2)), rng.normal(size=32)
    for net in (ours, reference):
        net.sample(x, noise, keep=True)
        net.backward(d_actions, d_log_prob)
    # clipped, sigma is 2e-9 and autograd's path through u adds and cancels terms eps / sigma ~ 1e9,
    # losing about 1e-7 of the result; the hand-written gradient never forms them
    np.testing.assert_allclose(
        ours.parameters.grad, reference.parameters.grad, rtol=1e-9, atol=1e-6 if clipped else 1e-13
    )
    if clipped:
        assert np.abs(ours.parameters.grads["actor.weights.2"][0, :, 2:]).max() == 0.0


def test_the_greedy_input_gradients_equal_finite_differences():
    for actor in (DeterministicActor(*SIZES, "tanh", 9, dtype=np.float64),
                  SquashedGaussianActor(*SIZES, "tanh", 9, dtype=np.float64)):  # fmt: skip
        greedy = actor.forward if isinstance(actor, DeterministicActor) else actor.deterministic
        x = np.random.default_rng(5).normal(size=(6, 3))
        gradient = actor.greedy_input_gradient(x)
        for i in range(3):
            up, down = x.copy(), x.copy()
            up[:, i] += 1e-6
            down[:, i] -= 1e-6
            np.testing.assert_allclose(gradient[:, :, i], ((greedy(up) - greedy(down)) / 2e-6).T, rtol=1e-5, atol=1e-9)


@pytest.mark.parametrize("use_expln, mean_clipped", [(False, False), (True, False), (True, True)])
def test_the_gsde_actor_gradient_equals_autograd(use_expln, mean_clipped):
    """Through the mean, the noise z theta, the variance z^2 sigma^2, the features and log sigma."""
    ours, reference = pair(StateDependentSquashedActor, 8, log_std_init=-0.3, use_expln=use_expln)
    rng = np.random.default_rng(10)
    ours.log_std[...] += rng.normal(scale=0.6, size=ours.log_std.shape)  # entries on both sides of 0
    assert (ours.log_std > 0).any() and (ours.log_std < 0).any()
    if mean_clipped:  # the mean of action 0 beyond the clip at 2: no gradient through it
        ours.parameters.values["actor.biases.2"][0, 0, 0] = 5.0
    reference.parameters.data[...] = ours.parameters.data
    x, exploration = rng.normal(size=(32, 3)), rng.normal(size=(8, 2))
    d_actions, d_log_prob = rng.normal(size=(32, 2)), rng.normal(size=32)
    for net in (ours, reference):
        net.sample(x, exploration, keep=True)
        net.backward(d_actions, d_log_prob)
    np.testing.assert_allclose(ours.parameters.grad, reference.parameters.grad, rtol=1e-9, atol=1e-12)
    assert (ours.parameters.grads["actor.log_std"] != 0).mean() > 0.5  # rows of dead ReLU features stay 0
    assert np.abs(ours.parameters.grads["actor.weights.0"]).max() > 0
    if mean_clipped:
        assert np.abs(ours.parameters.grads["actor.weights.2"][0, :, 0]).max() == 0.0


def test_the_gsde_log_prob_is_the_gaussian_of_the_held_noise():
    actor = StateDependentSquashedActor(*SIZES, "relu", 11, dtype=np.float64, log_std_init=-0.5)
    rng = np.random.default_rng(12)
    x, exploration = rng.normal(size=(64, 3)), rng.normal(size=(8, 2))
    actions, log_prob = actor.sample(x, exploration)
    z, mean, _ = actor.features_and_mean(x)
    sigma = np.exp(-0.5)
    u = mean + z @ (sigma * exploration)
    np.testing.assert_allclose(actions, np.tanh(u))
    variance = (z * z).sum(axis=1, keepdims=True) * sigma**2 + 1e-6  # every entry of log sigma is -0.5
    gaussian = -0.5 * ((u - mean) ** 2 / variance + np.log(2 * np.pi * variance))
    np.testing.assert_allclose(log_prob, gaussian.sum(1) - np.log(1 - actions**2 + TANH_EPS).sum(1), rtol=1e-9)
    # acting in several envs: each row its own exploration matrix
    per_env = rng.normal(size=(64, 8, 2))
    rowwise = np.array([actor.sample(x[i : i + 1], per_env[i])[0][0] for i in range(64)])
    np.testing.assert_allclose(actor.sample(x, per_env)[0], rowwise, rtol=1e-12)


# --- the agents ---------------------------------------------------------------------------------
AGENTS = {"ddpg": DDPG, "td3": TD3, "sac": SAC}
GSDE = {"use_sde": True, "use_expln": True, "log_std_init": -1.0, "train_freq": 3}
VARIANTS = {**{name: (cls, {}) for name, cls in AGENTS.items()}, "sac-gsde": (SAC, GSDE)}


def random_transitions(rng, n_envs=2, terminated_every=5, step=0):
    obs = rng.uniform(-1, 1, (n_envs, 3)).astype(np.float32)
    return Transitions(
        obs=obs,
        action=rng.uniform(ACTIONS.low, ACTIONS.high, (n_envs, 2)).astype(np.float32),
        reward=rng.normal(size=n_envs).astype(np.float32),
        next_obs=rng.uniform(-1, 1, (n_envs, 3)).astype(np.float32),
        terminated=np.array([(step + i) % terminated_every == 0 for i in range(n_envs)]),
        truncated=np.zeros(n_envs, dtype=bool),
    )


def shaken(agent):
    """Targets that differ from the online networks, as they do after training."""
    for k, network in enumerate(agent.networks().values()):
        network.parameters.data += np.random.default_rng(k).normal(scale=0.3, size=network.parameters.data.shape)
    return agent


def target_batch(rng, size=16):
    return {
        "next_obs": rng.uniform(-1, 1, (size, 3)).astype(np.float32),
        "rewards": rng.normal(size=size).astype(np.float32),
        "terminated": (np.arange(size) % 3 == 1).astype(np.float32),
    }


def test_td3_target_is_clipped_double_q_with_smoothing_by_hand():
    agent = shaken(TD3(OBS, ACTIONS, seed=0, hidden_sizes="8", target_policy_noise=0.5, target_noise_clip=0.3))
    data = target_batch(np.random.default_rng(6))
    twin = np.random.Generator(np.random.PCG64())
    twin.bit_generator.state = agent.rng.bit_generator.state
    y = agent.targets(data)
    noise = np.clip(twin.normal(0.0, 0.5, (16, 2)), -0.3, 0.3)
    assert (np.abs(noise) == 0.3).any(), "the noise's clip must be exercised"
    next_a = np.clip(agent.actor_target.forward(data["next_obs"]) + noise, -1, 1)
    q = agent.critics_target.forward(data["next_obs"], next_a)
    assert not np.allclose(q[0], q[1])
    expected = data["rewards"] + 0.99 * (1 - data["terminated"]) * np.minimum(q[0], q[1])
    np.testing.assert_allclose(y, expected, rtol=1e-6)
    terminated = data["terminated"] == 1
    np.testing.assert_array_equal(y[terminated], data["rewards"][terminated])  # no bootstrap past termination


def test_ddpg_target_is_the_target_actor_and_critic_by_hand():
    agent = shaken(DDPG(OBS, ACTIONS, seed=0, hidden_sizes="8"))
    data = target_batch(np.random.default_rng(7))
    y = agent.targets(data)
    next_q = agent.critics_target.forward(data["next_obs"], agent.actor_target.forward(data["next_obs"]))[0]
    np.testing.assert_allclose(y, data["rewards"] + 0.99 * (1 - data["terminated"]) * next_q, rtol=1e-6)


def test_sac_soft_target_by_hand():
    agent = shaken(SAC(OBS, ACTIONS, seed=0, hidden_sizes="8"))
    data = target_batch(np.random.default_rng(8))
    twin = np.random.Generator(np.random.PCG64())
    twin.bit_generator.state = agent.rng.bit_generator.state
    y = agent.targets(data, alpha=0.3)
    noise = twin.standard_normal((16, 2))
    mean, log_std, _ = agent.actor.mean_and_log_std(data["next_obs"])
    u = mean + np.exp(log_std) * noise
    a = np.tanh(u)
    log_pi = (-0.5 * noise**2 - log_std - 0.5 * np.log(2 * np.pi)).sum(1) - np.log(1 - a**2 + 1e-6).sum(1)
    q = agent.critics_target.forward(data["next_obs"], a)
    soft = np.minimum(q[0], q[1]) - 0.3 * log_pi
    np.testing.assert_allclose(y, data["rewards"] + 0.99 * (1 - data["terminated"]) * soft, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("log_prob, direction", [([2.5, 3.0, 3.5], +1), ([0.5, -1.0, 3.0], -1)])
def test_the_temperature_gradient_by_hand(log_prob, direction):
    """H_target = -2: entropy -mean(log pi) = -3 is below it and alpha rises; -0.83 is above and alpha falls."""
    agent = SAC(OBS, ACTIONS, seed=0, ent_coef="auto_0.5")
    log_prob = np.array(log_prob, dtype=np.float32)
    before = agent.log_alpha.copy()
    loss = agent.temperature_step(log_prob, learning_rate=0.1)
    assert loss == pytest.approx(-np.log(0.5) * (log_prob + -2.0).mean(), rel=1e-6)
    # the gradient -mean(log pi + H_target); Adam's first step is the learning rate against its sign
    assert agent.log_alpha[0] - before[0] == pytest.approx(0.1 * direction, rel=1e-4)


@pytest.mark.parametrize("name", VARIANTS)
def test_the_torch_backend_takes_the_same_steps(name):
    """Trained side by side, numpy's hand-written gradients and autograd's give the same networks."""
    cls, options = VARIANTS[name]
    ours = cls(OBS, ACTIONS, seed=3, hidden_sizes="16,16", learning_starts=20, batch_size=8, **options)
    reference = cls(OBS, ACTIONS, seed=3, hidden_sizes="16,16", learning_starts=20, batch_size=8, backend="torch",
                    **options)  # fmt: skip
    rng_a, rng_b = np.random.default_rng(0), np.random.default_rng(0)
    obs = np.zeros((2, 3), dtype=np.float32)
    for step in range(40):
        np.testing.assert_allclose(ours.act(obs), reference.act(obs), rtol=2e-4, atol=2e-5)
        metrics = [agent.observe(random_transitions(r, step=step)) for agent, r in ((ours, rng_a), (reference, rng_b))]
        assert metrics[0].keys() == metrics[1].keys()
    assert ours.updates == reference.updates == (31 if "train_freq" not in options else 10)  # from vector step 10
    for (key, mine), theirs in zip(ours.state_dict().items(), reference.state_dict().values(), strict=True):
        np.testing.assert_allclose(mine, theirs, rtol=2e-4, atol=2e-5, err_msg=key)


@pytest.mark.parametrize("name", VARIANTS)
def test_a_resumed_agent_equals_an_uninterrupted_one(name):
    cls, options = VARIANTS[name]
    kwargs = dict(hidden_sizes="8", learning_starts=10, batch_size=4, buffer_size=25, **options)
    if cls is not SAC:
        kwargs["action_noise"] = "ornstein-uhlenbeck"
    straight = cls(OBS, ACTIONS, seed=1, **kwargs)
    rng = np.random.default_rng(2)
    stream = [random_transitions(rng, step=k) for k in range(40)]
    obs = np.zeros((2, 3), dtype=np.float32)
    for t in stream[:20]:
        straight.act(obs)
        straight.observe(t)
    arrays, rest = straight.training_state()
    if options:  # the checkpoint falls inside a collection, where gSDE holds its exploration
        assert straight.calls % 3 and straight.exploration is not None
    resumed = cls(OBS, ACTIONS, seed=99, **kwargs)
    resumed.load_training_state(arrays, rest)
    for agent in (straight, resumed):
        for t in stream[20:]:
            agent.act(obs)
            agent.observe(t)
    assert straight.replay.size == 25  # the buffer wrapped around after the checkpoint
    for (key, a), b in zip(straight.state_dict().items(), resumed.state_dict().values(), strict=True):
        np.testing.assert_array_equal(a, b, err_msg=key)
    np.testing.assert_array_equal(straight.act(obs), resumed.act(obs))


@pytest.mark.parametrize("sde_sample_freq, hold", [(-1, 4), (2, 2)])
def test_gsde_holds_its_exploration_for_a_collection(sde_sample_freq, hold):
    """theta is drawn at each collection's start (every train_freq = 4 steps), or every
    sde_sample_freq steps, one per env, and held in between: the same state, the same action."""
    agent = SAC(OBS, ACTIONS, seed=0, hidden_sizes="16", learning_starts=0, batch_size=4, **{**GSDE, "train_freq": 4},
                sde_sample_freq=sde_sample_freq)  # fmt: skip
    obs, rng = np.zeros((2, 3), dtype=np.float32), np.random.default_rng(0)
    actions, explorations = [], []
    for step in range(8):
        actions.append(agent.act(obs))
        explorations.append(agent.exploration.copy())
        agent.observe(random_transitions(rng, step=step))
    assert explorations[0].shape == (2, 16, 2)  # (envs, h, n), one per env
    assert not np.allclose(explorations[0][0], explorations[0][1])
    for start in range(0, 8, hold):
        for k in range(start + 1, start + hold):
            np.testing.assert_array_equal(explorations[k], explorations[start])
        assert start == 0 or not np.allclose(explorations[start], explorations[start - 1])
    np.testing.assert_array_equal(actions[1], actions[0])  # before any update, the same theta acts the same
    assert np.abs(actions[0] - agent.to_env(agent.actor.deterministic(obs))).max() > 1e-3  # and it explores


def test_the_critic_along_the_actions_is_the_smaller_critic_at_each():
    agent = shaken(TD3(OBS, ACTIONS, seed=0, hidden_sizes="8"))
    rng = np.random.default_rng(13)
    obs = rng.uniform(-1, 1, (3, 3)).astype(np.float32)
    actions = rng.uniform(ACTIONS.low, ACTIONS.high, (3, 5, 2)).astype(np.float32)
    grid = agent.action_value_grid(obs, actions)
    for i in range(3):
        for g in range(5):
            q = agent.critics.forward(obs[i : i + 1], agent.from_env(actions[i, g : g + 1]))[:, 0]
            assert grid[i, g] == pytest.approx(min(q), rel=1e-5)
    assert not np.allclose(grid[:, 0], grid[:, 1])


@pytest.mark.parametrize("use_expln", [False, True])
def test_sacs_gsde_options_reach_its_actor(use_expln):
    agent = SAC(OBS, ACTIONS, seed=0, hidden_sizes="8", use_sde=True, log_std_init=-1.5, use_expln=use_expln)
    assert isinstance(agent.actor, StateDependentSquashedActor) and (agent.actor.log_std == -1.5).all()
    agent.actor.log_std[...] = 1.0
    sigma, _ = agent.actor.sigma()
    expected = np.log1p(1.0 + 1e-6) + 1.0 if use_expln else np.e  # expln grows as log(1 + L) + 1 above 0
    np.testing.assert_allclose(sigma, expected, rtol=1e-6)


@pytest.mark.parametrize("name", AGENTS)
def test_actions_fill_the_bounds_and_are_stored_scaled(name):
    agent = AGENTS[name](OBS, ACTIONS, seed=0, learning_starts=1000)
    actions = agent.act(np.zeros((500, 3), dtype=np.float32))
    assert actions.dtype == np.float32 and ACTIONS.contains(actions[0])
    assert actions[:, 0].min() < -1.5 and actions[:, 0].max() > 1.5 and actions[:, 1].min() < 0.2
    agent.observe(Transitions(np.zeros((1, 3)), np.array([[2.0, 0.0]]), np.zeros(1), np.zeros((1, 3)),
                              np.zeros(1, bool), np.zeros(1, bool)))  # fmt: skip
    np.testing.assert_allclose(agent.replay.arrays["actions"][0], [1.0, -1.0])


@pytest.mark.parametrize("name", AGENTS)
def test_spaces_they_cannot_take_are_refused_in_one_line(name):
    with pytest.raises(SpaceError, match="Box vector action space"):
        AGENTS[name](OBS, spaces.Discrete(3))
    with pytest.raises(SpaceError, match="finite"):
        AGENTS[name](OBS, spaces.Box(-np.inf, np.inf, shape=(2,)))


@pytest.mark.parametrize("claim_name", ["sac-pendulum", "td3-pendulum", "ddpg-pendulum"])
def test_each_agent_swings_pendulum_up_on_most_seeds(claim_name, tmp_path):
    """A claim that travels: at least 2 of 3 seeds above -400 (random play: about -1,200), each
    run about 10 s. ``rl-kit bench --suite robustness --rows sac-pendulum`` reruns it on more
    seeds and on the torch backend."""
    from rl_kit.experiments.robustness import claim_named, greedy_return, holds

    claim = claim_named(claim_name)
    returns = [greedy_return(claim, seed, "numpy", str(tmp_path / str(seed))) for seed in claim.seeds]
    assert holds(claim, returns), returns


@pytest.mark.parametrize("name", AGENTS)
def test_a_saved_agent_loads_into_the_other_backend_and_acts_the_same(name, tmp_path):
    from rl_kit.core.agent_files import load, save_agent

    trained = AGENTS[name](OBS, ACTIONS, seed=4, hidden_sizes="16", learning_starts=5, batch_size=4)
    rng = np.random.default_rng(0)
    for step in range(12):
        trained.observe(random_transitions(rng, step=step))
    path = save_agent(trained, tmp_path / "agent")
    loaded = load(path)
    obs = rng.uniform(-1, 1, (6, 3)).astype(np.float32)
    np.testing.assert_array_equal(loaded.act(obs, explore=False), trained.act(obs, explore=False))
    on_torch = AGENTS[name](OBS, ACTIONS, seed=0, hidden_sizes="16", backend="torch")
    on_torch.load_state_dict(loaded.state_dict())
    np.testing.assert_allclose(on_torch.act(obs, explore=False), trained.act(obs, explore=False), rtol=1e-5, atol=1e-6)
