"""Backpropagation by hand, proven: the numpy networks' gradients against torch's autograd.

For random networks and batches, in float64, the gradient of every loss the agents minimise
(policy, value, entropy; PPO's clipped objective on both sides of the clip; A2C and REINFORCE;
categorical and Gaussian policies; tanh and relu) written out in numpy equals the one autograd
computes from the same loss expression, to 1e-6 relative. A finite-difference check holds the
network's backward pass to the definition of a derivative, and Adam and clipping are held to
torch's.
"""

import numpy as np
import pytest
import torch
from gymnasium import spaces

from rl_kit.agents.a2c import policy_gradient_loss, policy_gradient_loss_gradient
from rl_kit.agents.base import Transitions
from rl_kit.agents.networks import ActorCritic, FlatParameters, MLPStack
from rl_kit.agents.objective import Objective
from rl_kit.agents.optimizers import Adam, RMSprop, clip_global_norm
from rl_kit.agents.ppo import clipped_surrogate_gradient, clipped_surrogate_loss
from rl_kit.agents.torch_networks import TorchActorCritic

OBSERVATIONS = spaces.Box(-1.0, 1.0, shape=(5,), dtype=np.float64)
ACTIONS = {"categorical": spaces.Discrete(4), "gaussian": spaces.Box(-1.0, 1.0, shape=(3,), dtype=np.float64)}
B = 300  # above ROWS_PER_PRODUCT: the weight gradients are summed over blocks of rows
CLIP = 0.2


def twin_networks(action_space, activation: str, seed: int = 0):
    """A numpy network with random (not initial) weights, and the torch network holding the same."""
    ours = ActorCritic(OBSERVATIONS, action_space, (16, 8), activation, "test", seed, np.float64)
    rng = np.random.default_rng(seed + 100)
    ours.parameters.data[:] = rng.normal(scale=0.5, size=ours.parameters.data.shape)
    reference = TorchActorCritic(OBSERVATIONS, action_space, (16, 8), activation, "test", seed, np.float64)
    reference.load_state_dict(ours.state_dict())
    return ours, reference


def random_batch(net: ActorCritic, seed: int = 1):
    """Observations, actions from the policy, old log-probabilities that put the ratio on both
    sides of the clip, advantages of both signs, and value targets."""
    rng = np.random.default_rng(seed)
    obs = rng.normal(size=(B, OBSERVATIONS.shape[0]))
    distribution = net.distribution(net.forward(obs)[0])
    actions = distribution.sample(rng)
    old_log_prob = distribution.log_prob(actions) + rng.choice([-0.5, -0.05, 0.05, 0.5], size=B)
    advantages = rng.normal(size=B)
    returns = rng.normal(size=B)
    return obs, actions, old_log_prob, advantages, returns


def objectives(old_log_prob, advantages, returns) -> dict[str, Objective]:
    ppo = dict(
        policy_loss=lambda xp, lp: clipped_surrogate_loss(xp, lp, old_log_prob, advantages, CLIP),
        policy_loss_gradient=lambda lp: clipped_surrogate_gradient(lp, old_log_prob, advantages, CLIP),
    )
    a2c = dict(  # REINFORCE's loss is A2C's, with Monte Carlo returns as the advantages' source
        policy_loss=lambda xp, lp: policy_gradient_loss(xp, lp, advantages),
        policy_loss_gradient=lambda lp: policy_gradient_loss_gradient(lp, advantages),
    )
    nothing = dict(policy_loss=lambda xp, lp: (lp * 0).sum(), policy_loss_gradient=lambda lp: np.zeros_like(lp))
    return {
        "ppo clipped policy only": Objective(**ppo, returns=returns, vf_coef=0.0, ent_coef=0.0),
        "a2c / reinforce policy only": Objective(**a2c, returns=returns, vf_coef=0.0, ent_coef=0.0),
        "value only": Objective(**nothing, returns=returns, vf_coef=0.5, ent_coef=0.0),
        "entropy only": Objective(**nothing, returns=returns, vf_coef=0.0, ent_coef=0.01),
        "ppo whole": Objective(**ppo, returns=returns, vf_coef=0.5, ent_coef=0.01),
        "a2c whole": Objective(**a2c, returns=returns, vf_coef=0.25, ent_coef=0.1),
    }


def torch_gradient(reference: TorchActorCritic) -> np.ndarray:
    return np.concatenate([p.grad.numpy().ravel() for p in reference.module.parameters()])


@pytest.mark.parametrize("activation", ["tanh", "relu"])
@pytest.mark.parametrize("policy", ["categorical", "gaussian"])
def test_hand_written_gradients_equal_autograd(policy, activation):
    ours, reference = twin_networks(ACTIONS[policy], activation)
    obs, actions, old_log_prob, advantages, returns = random_batch(ours)
    ratio = np.exp(ours.distribution(ours.forward(obs)[0]).log_prob(actions) - old_log_prob)
    assert (ratio > 1 + CLIP).any() and (ratio < 1 - CLIP).any() and (np.abs(ratio - 1) < CLIP).any()
    for name, objective in objectives(old_log_prob, advantages, returns).items():
        # learning rate 0: the step computes the gradient and leaves the weights as they are
        mine = ours.step(objective, obs, actions, learning_rate=0.0, max_grad_norm=0.0)
        theirs = reference.step(objective, obs, actions, learning_rate=0.0, max_grad_norm=0.0)
        expected = torch_gradient(reference)
        assert np.abs(expected).max() > 1e-8, name  # the loss does depend on the parameters
        np.testing.assert_allclose(
            ours.parameters.grad, expected, rtol=1e-6, atol=1e-10 * np.abs(expected).max(), err_msg=name
        )
        assert mine.losses == pytest.approx(theirs.losses, rel=1e-9), name
        np.testing.assert_allclose(mine.log_prob, theirs.log_prob, rtol=1e-12)


def test_gsde_gradients_equal_autograd_and_its_noise_has_the_stated_variance():
    """log pi and H of gSDE's Gaussian, differentiated by hand and by torch (features held constant)."""
    from rl_kit.agents.distributions import SDE_EPSILON, StateDependentGaussian

    rng = np.random.default_rng(5)
    mean, latent = rng.normal(size=(B, 3)), np.tanh(rng.normal(size=(B, 8)))
    log_std = rng.normal(scale=0.5, size=(8, 3))
    distribution = StateDependentGaussian(mean, log_std, latent)
    actions = distribution.sample(distribution.exploration_matrices(rng, B))
    d_log_prob, d_entropy = rng.normal(size=B), rng.normal(size=B)
    d_mean, d_log_std = distribution.gradient(actions, d_log_prob, d_entropy)

    mean_t = torch.tensor(mean, requires_grad=True)
    log_std_t = torch.tensor(log_std, requires_grad=True)
    variance = torch.tensor(latent) ** 2 @ torch.exp(2 * log_std_t) + SDE_EPSILON
    normal = torch.distributions.Normal(mean_t, variance.sqrt())
    log_prob, entropy = normal.log_prob(torch.tensor(actions)).sum(-1), normal.entropy().sum(-1)
    np.testing.assert_allclose(distribution.log_prob(actions), log_prob.detach().numpy(), rtol=1e-12)
    np.testing.assert_allclose(distribution.entropy(), entropy.detach().numpy(), rtol=1e-12)
    (torch.tensor(d_log_prob) * log_prob + torch.tensor(d_entropy) * entropy).sum().backward()
    np.testing.assert_allclose(d_mean, mean_t.grad.numpy(), rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(d_log_std, log_std_t.grad.numpy(), rtol=1e-9, atol=1e-12)

    # The noise z theta, theta ~ N(0, sigma^2) drawn anew: its variance is z^2 sigma^2 (8,000 draws).
    one = StateDependentGaussian(mean[:1].repeat(8000, 0), log_std, latent[:1].repeat(8000, 0))
    noise = one.sample(one.exploration_matrices(rng, 8000)) - one.mean
    np.testing.assert_allclose(noise.var(axis=0), one.variance[0], rtol=0.06)


def step_in_place(agent, obs: np.ndarray) -> np.ndarray:
    """The agent acts on `obs` and learns from a step that stays there: no reward, no episode end."""
    action = agent.act(obs)
    done = np.zeros(len(obs), dtype=bool)
    agent.observe(Transitions(obs, action, np.zeros(len(obs)), obs, done, done))
    return action


def test_gsde_holds_its_noise_for_a_rollout_and_draws_anew_after():
    from rl_kit.agents.a2c import A2C

    agent = A2C(OBSERVATIONS, ACTIONS["gaussian"], seed=0, use_sde=True, n_steps=4, log_std_init=0.0)
    obs = np.random.default_rng(0).normal(size=(2, 5))
    taken = [step_in_place(agent, obs) for _ in range(8)]  # two rollouts of 4 steps, the same state each step
    first, second = np.array(taken[:4]), np.array(taken[4:])
    assert agent.updates == 2 and not np.allclose(taken[0][0], taken[0][1])  # one theta per env
    np.testing.assert_allclose(first, first[:1].repeat(4, 0))  # same state, same theta: the same action
    assert not np.allclose(second[0], first[0])  # a new rollout, a new theta (and an updated policy)
    sampled = A2C(OBSERVATIONS, ACTIONS["gaussian"], seed=0, use_sde=True, n_steps=4, sde_sample_freq=2)
    step_in_place(sampled, obs)  # t = 0: drawn
    held = sampled.exploration.copy()
    step_in_place(sampled, obs)  # t = 1: held
    assert np.array_equal(held, sampled.exploration)
    sampled.act(obs)  # t = 2: sde_sample_freq 2 draws anew
    assert not np.array_equal(held, sampled.exploration)
    with pytest.raises(ValueError, match="numpy networks only"):
        A2C(OBSERVATIONS, ACTIONS["gaussian"], use_sde=True, backend="torch")


def test_ppo_gradient_is_zero_exactly_where_the_clip_binds():
    rng = np.random.default_rng(0)
    advantages = np.array([1.0, 1.0, -1.0, -1.0, 1.0, -1.0])
    ratio = np.array([1.5, 0.5, 1.5, 0.5, 1.1, 0.9])  # above / below the range, each sign of A; inside
    old = rng.normal(size=6)
    gradient = clipped_surrogate_gradient(old + np.log(ratio), old, advantages, CLIP)
    # A > 0 and rho > 1 + eps: clipped, no push. A > 0, rho < 1 - eps: the min keeps rho A, it pushes.
    expected = -np.array([0.0, 0.5 * 1.0, -1.5, 0.0, 1.1, -0.9]) / 6
    np.testing.assert_allclose(gradient, expected)


@pytest.mark.parametrize("activation", ["tanh", "relu"])
def test_backward_pass_against_finite_differences(activation):
    """L = sum(C * policy outputs) + sum(D * values): dL/dtheta by backprop and by central differences."""
    n_outputs = (3, 1)
    shapes = MLPStack.shapes("body.", 4, (6, 5), n_outputs)
    parameters = FlatParameters(shapes, np.float64)
    mlp = MLPStack(parameters, "body.", 3, n_outputs, activation)
    rng = np.random.default_rng(3)
    parameters.data[:] = rng.normal(size=parameters.data.shape)
    x = rng.normal(size=(7, 4))
    c, d = rng.normal(size=(7, 3)), rng.normal(size=(7, 1))

    def loss() -> float:
        out0, out1 = mlp.forward(x)
        return float((c * out0).sum() + (d * out1).sum())

    mlp.forward(x, keep=True)
    dx = mlp.backward(c, d, input_gradient=True)
    h = 1e-6
    numeric = np.zeros_like(parameters.data)
    for i in range(parameters.data.size):
        saved = parameters.data[i]
        parameters.data[i] = saved + h
        up = loss()
        parameters.data[i] = saved - h
        numeric[i] = (up - loss()) / (2 * h)
        parameters.data[i] = saved
    padded = [name for name in shapes if name.endswith("weights.2") or name.endswith("biases.2")]
    assert all(np.all(parameters.grads[name][1, ..., 1:] == 0) for name in padded)  # unused outputs get no gradient
    np.testing.assert_allclose(parameters.grad, numeric, rtol=1e-5, atol=1e-7)
    numeric_x = np.zeros_like(x)
    for index in np.ndindex(x.shape):
        saved = x[index]
        x[index] = saved + h
        up = loss()
        x[index] = saved - h
        numeric_x[index] = (up - loss()) / (2 * h)
        x[index] = saved
    np.testing.assert_allclose(dx, numeric_x, rtol=1e-5, atol=1e-7)


def test_input_gradient_equals_autograd():
    ours, reference = twin_networks(ACTIONS["categorical"], "tanh")
    obs, actions, *_ = random_batch(ours)
    np.testing.assert_allclose(
        ours.log_prob_input_gradient(obs, actions), reference.log_prob_input_gradient(obs, actions), rtol=1e-9
    )


def follow_torch(optimizer, torch_optimizer, learning_rate: float, clip: float = 0.0) -> None:
    """20 steps of our `optimizer` class and torch's on the same random gradients (clipped to
    `clip` first, if given, by ours and by torch's), the parameters equal after each."""
    rng = np.random.default_rng(0)
    start = rng.normal(size=50)
    ours, theirs = start.copy(), torch.nn.Parameter(torch.tensor(start))
    mine, reference = optimizer(ours), torch_optimizer([theirs], learning_rate)
    for _ in range(20):
        gradient = rng.normal(size=50) * 3
        theirs.grad = torch.tensor(gradient.copy())
        if clip:
            their_norm = torch.nn.utils.clip_grad_norm_([theirs], clip)
            norm = clip_global_norm(gradient, clip)
            assert norm == pytest.approx(float(their_norm), rel=1e-12) and norm > clip
            np.testing.assert_allclose(gradient, theirs.grad.numpy(), rtol=1e-12)
        mine.step(gradient, learning_rate)
        reference.step()
        np.testing.assert_allclose(ours, theirs.detach().numpy(), rtol=1e-12, atol=1e-14)


def test_adam_and_clipping_equal_torch():
    follow_torch(
        lambda x: Adam(x, eps=1e-5), lambda p, lr: torch.optim.Adam(p, lr=lr, eps=1e-5), learning_rate=1e-2, clip=1.0
    )


def test_adamw_decays_the_weights_apart_from_the_gradient_as_torch_does():
    follow_torch(
        lambda x: Adam(x, eps=1e-5, weight_decay=0.1),
        lambda p, lr: torch.optim.AdamW(p, lr=lr, eps=1e-5, weight_decay=0.1),
        learning_rate=1e-2,
        clip=1.0,
    )
    # A zero gradient still shrinks every weight by (1 - lr * lambda); Adam's step of it is 0.
    weights = np.array([2.0, -1.0])
    Adam(weights, weight_decay=0.5).step(np.zeros(2), 0.1)
    np.testing.assert_allclose(weights, [1.9, -0.95])


def test_weight_decay_is_refused_where_it_is_not_adamws():
    with pytest.raises(ValueError, match="AdamW"):
        RMSprop(np.zeros(3), weight_decay=0.1)
    with pytest.raises(ValueError, match="at least 0"):
        Adam(np.zeros(3), weight_decay=-1.0)


def test_rmsprop_equals_torch():
    follow_torch(
        lambda x: RMSprop(x, alpha=0.99, eps=1e-5),
        lambda p, lr: torch.optim.RMSprop(p, lr=lr, alpha=0.99, eps=1e-5),
        learning_rate=1e-3,
    )
    # No bias correction: the first step is lr / sqrt(1 - alpha) = 10 lr in every coordinate.
    first = np.zeros(3)
    RMSprop(first).step(np.array([1.0, -2.0, 0.5]), 1e-3)
    np.testing.assert_allclose(first, [-1e-2, 1e-2, -1e-2], rtol=1e-3)  # eps shaves a little


@pytest.mark.parametrize("optimizer", ["adam", "rmsprop"])
def test_a_trained_agent_resumes_in_the_other_backend_with_its_optimizer(optimizer):
    """The optimizer's state travels in torch's names: one step after loading is the same step."""
    from rl_kit.agents.a2c import A2C

    def agent(backend, seed):
        return A2C(
            OBSERVATIONS,
            ACTIONS["categorical"],
            seed=seed,
            hidden_sizes="8,8",
            optimizer=optimizer,
            backend=backend,
            n_steps=4,
        )

    rng = np.random.default_rng(0)
    trained, other = agent("numpy", 0), agent("torch", 1)
    obs = rng.normal(size=(1, 5))
    for _ in range(12):  # three updates
        action = trained.act(obs)
        next_obs = rng.normal(size=(1, 5))
        trained.observe(Transitions(obs, action, np.array([1.0]), next_obs, np.array([False]), np.array([False])))
        obs = next_obs
    state = trained.state_dict()
    assert any(key.endswith("square_avg" if optimizer == "rmsprop" else "exp_avg_sq") for key in state)
    other.load_state_dict(state)
    batch = rng.normal(size=(8, 5)).astype(np.float32), rng.integers(0, 3, size=8)
    objective = Objective(
        policy_loss=lambda xp, log_prob: -(log_prob * xp.asarray(np.ones(8, np.float32))).mean(),
        policy_loss_gradient=lambda log_prob: -np.ones(8, np.float32) / 8,
        returns=np.ones(8, np.float32),
        vf_coef=0.5,
        ent_coef=0.0,
    )
    for net in (trained.net, other.net):
        net.step(objective, *batch, learning_rate=1e-3, max_grad_norm=0.5)
    np.testing.assert_allclose(other.net.forward(batch[0])[0], trained.net.forward(batch[0])[0], rtol=1e-4, atol=1e-5)


def test_a_saved_optimizer_state_of_another_kind_is_refused_by_name():
    from rl_kit.agents.a2c import A2C

    adam = A2C(OBSERVATIONS, ACTIONS["categorical"], seed=0, hidden_sizes="8,8")
    adam.net.optimizer.t = 1  # as after one update: the moments are saved
    with pytest.raises(ValueError, match="square_avg.*another optimizer"):
        A2C(OBSERVATIONS, ACTIONS["categorical"], seed=0, hidden_sizes="8,8", optimizer="rmsprop").load_state_dict(
            adam.state_dict()
        )


def test_a_saved_agent_loads_into_either_backend():
    from rl_kit.agents.ppo import PPO

    numpy_agent = PPO(OBSERVATIONS, ACTIONS["gaussian"], seed=0, hidden_sizes="8,8")
    torch_agent = PPO(OBSERVATIONS, ACTIONS["gaussian"], seed=1, hidden_sizes="8,8", backend="torch")
    torch_agent.load_state_dict(numpy_agent.state_dict())
    obs = np.random.default_rng(0).normal(size=(10, 5))
    np.testing.assert_allclose(
        torch_agent.act(obs, explore=False), numpy_agent.act(obs, explore=False), rtol=1e-5, atol=1e-6
    )


@pytest.mark.parametrize("backend", ["numpy", "torch"])
def test_ortho_init_false_is_torchs_default_linear_initialisation(backend):
    """The RL Zoo's ortho_init=False entries start from U(-1/sqrt(fan_in), 1/sqrt(fan_in)), biases too."""
    from rl_kit.agents.a2c import A2C

    state = A2C(OBSERVATIONS, ACTIONS["gaussian"], seed=0, ortho_init=False, backend=backend).state_dict()
    for k, fan_in in ((0, 5), (1, 64), (2, 64)):
        bound = 1 / np.sqrt(fan_in)
        weights, biases = state[f"net.body.weights.{k}"][0], state[f"net.body.biases.{k}"][0]
        used = weights[:, :3] if k == 2 else weights  # the policy's last layer: 3 means, padding after
        assert np.abs(used).max() <= bound and np.abs(used).max() > 0.9 * bound and np.abs(used).std() > 0.2 * bound
        assert np.abs(biases[:, : used.shape[1]]).max() > 0.5 * bound
    orthogonal = A2C(OBSERVATIONS, ACTIONS["gaussian"], seed=0, backend=backend).state_dict()["net.body.weights.1"][0]
    np.testing.assert_allclose(orthogonal.T @ orthogonal, 2 * np.eye(64), atol=1e-4)  # gain sqrt 2, orthogonal


def test_the_mean_input_gradient_equals_autograd_and_finite_differences():
    """explain's attribution for a Gaussian policy: d mu_j / dx (its log-density is flat at the mode)."""
    ours, reference = twin_networks(ACTIONS["gaussian"], "tanh")
    x = np.random.default_rng(2).normal(size=(6, 5))
    mine = ours.mean_input_gradient(x)
    assert mine.shape == (3, 6, 5) and np.abs(mine).max() > 1e-3
    np.testing.assert_allclose(mine, reference.mean_input_gradient(x), rtol=1e-9, atol=1e-12)
    h = 1e-6
    for i in range(5):
        step = np.zeros(5)
        step[i] = h
        numeric = (ours.forward(x + step)[0] - ours.forward(x - step)[0]) / (2 * h)  # (6, 3)
        np.testing.assert_allclose(mine[:, :, i].T, numeric, rtol=1e-5, atol=1e-8)


@pytest.mark.parametrize("use_sde", [False, True])
def test_explain_attributes_a_gaussian_policys_choice_to_its_inputs(use_sde):
    """Before, gradient x input of log pi at the greedy action was exactly zero for every Box policy."""
    from rl_kit.agents.a2c import A2C
    from rl_kit.presentation.explain import attributions

    agent = A2C(OBSERVATIONS, ACTIONS["gaussian"], seed=0, use_sde=use_sde)
    states = np.random.default_rng(0).uniform(-1, 1, size=(50, 5))
    gradient_x_input, importance = attributions(agent, states, seed=0)
    assert (gradient_x_input > 0).all() and (importance > 0).all()


def test_the_image_q_networks_gradients_match_finite_differences():
    """Convolution, ReLU and MLP chained by hand (float64), for weights of every part."""
    import gymnasium as gym

    from rl_kit.agents.networks import QNetwork

    space = gym.spaces.Box(0, 255, (6, 5, 2), np.uint8)
    net = QNetwork(space, 3, (8,), "tanh", "dqn", seed=0, dtype=np.float64)
    rng = np.random.default_rng(0)
    x = net.encode(rng.integers(0, 256, size=(4, 6, 5, 2)).astype(np.uint8))
    assert x.shape == (4, 2 * 6 * 5) and x.max() <= 1.0
    d_q = rng.standard_normal((4, 3))
    loss = lambda: float((net.forward(x) * d_q).sum())  # noqa: E731
    net.forward(x, keep=True)
    net.backward(d_q)
    grads = {name: net.parameters.grads[name].copy() for name in ("q.conv.0.weight", "q.conv.0.bias", "q.weights.0")}
    eps = 1e-6
    for name, grad in grads.items():
        values = net.parameters[name]
        for _ in range(4):
            i = tuple(rng.integers(n) for n in values.shape)
            base = loss()
            values[i] += eps
            numeric = (loss() - base) / eps
            values[i] -= eps
            assert numeric == pytest.approx(grad[i], rel=1e-4, abs=1e-7), name


def test_adam_keeps_the_moments_of_unused_parameters_out_of_subnormal_floats(monkeypatch):
    """A parameter whose gradient is always zero has moments that decay towards 0; as subnormal
    floats they made a MinAtar DQN's Adam step 5x slower. They are flushed to 0 instead, and
    every parameter moves exactly as without the flush."""
    from rl_kit.agents import optimizers

    rng = np.random.default_rng(0)
    gradients = rng.standard_normal((10 * optimizers.FLUSH_EVERY, 6)).astype(np.float32)
    gradients[1:, :3] = 0.0  # the first three parameters get one gradient, then none

    def train() -> Adam:
        adam = Adam(np.zeros(6, np.float32), eps=1e-8)
        for gradient in gradients:
            adam.step(gradient.copy(), 1e-3)
        return adam

    flushed = train()
    monkeypatch.setattr(optimizers, "FLUSH_EVERY", 10**9)
    plain = train()
    smallest_normal = np.finfo(np.float32).tiny
    assert (np.abs(plain.m[:3]) < smallest_normal).all() and (plain.m[:3] != 0).all()  # subnormal unflushed
    assert (flushed.m[:3] == 0).all()
    np.testing.assert_array_equal(flushed.parameters, plain.parameters)
    np.testing.assert_array_equal(flushed.m[3:], plain.m[3:])
