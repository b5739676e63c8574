"""The image torso (convolutions, ReLU, flattening) in front of the actor-critic and the Q
network: hand-written gradients against torch's autograd in float64, both layouts, strides;
saved CNN agents loading into both backends; conv_layers parsed and refused in one line."""

import numpy as np
import pytest
import torch
from gymnasium import spaces
from test_networks import ACTIONS, objectives, torch_gradient

from rl_kit.agents.hyperparameters import parse_conv_layers
from rl_kit.agents.networks import ActorCritic, QNetwork
from rl_kit.agents.torch_networks import TorchActorCritic

LAYOUTS = {
    "channels last": spaces.Box(0, 255, (9, 8, 3), np.uint8),
    "channels first": spaces.Box(0, 255, (3, 9, 8), np.uint8),
}
LAYERS = ((4, 3, 1), (5, 2, 2))  # two convolutions, the second strided
B = 40


def image_twins(space, action_space, seed: int = 0, layers=LAYERS):
    """A numpy actor-critic with a torso and random weights, and the torch one holding the same."""
    ours = ActorCritic(space, action_space, (16,), "tanh", "test", seed, np.float64, conv_layers=layers)
    rng = np.random.default_rng(seed + 100)
    ours.parameters.data[:] = rng.normal(scale=0.5, size=ours.parameters.data.shape)
    reference = TorchActorCritic(space, action_space, (16,), "tanh", "test", seed, np.float64, conv_layers=layers)
    reference.load_state_dict(ours.state_dict())
    return ours, reference


def random_images(space, rows: int = B, seed: int = 1) -> np.ndarray:
    return np.random.default_rng(seed).integers(0, 256, size=(rows, *space.shape)).astype(np.uint8)


@pytest.mark.parametrize("layout", list(LAYOUTS))
@pytest.mark.parametrize("policy", ["categorical", "gaussian"])
def test_the_actor_critics_torso_gradients_equal_autograd(layout, policy):
    space = LAYOUTS[layout]
    ours, reference = image_twins(space, ACTIONS[policy])
    x = ours.encode(random_images(space))
    assert x.shape == (B, 3 * 9 * 8) and 0 <= x.min() and x.max() <= 1
    rng = np.random.default_rng(2)
    distribution = ours.distribution(ours.forward(x)[0])
    actions = distribution.sample(rng)
    old_log_prob = distribution.log_prob(actions) + rng.choice([-0.5, 0.05], size=B)
    for name, objective in objectives(old_log_prob, rng.normal(size=B), rng.normal(size=B)).items():
        mine = ours.step(objective, x, actions, learning_rate=0.0, max_grad_norm=0.0)
        theirs = reference.step(objective, x, actions, learning_rate=0.0, max_grad_norm=0.0)
        expected = torch_gradient(reference)
        if policy == "categorical" or name != "entropy only":  # a Gaussian's entropy is log sigma's alone
            assert np.abs(ours.parameters.grads["torso.0.weight"]).max() > 1e-8, name  # it reaches the torso
        np.testing.assert_allclose(
            ours.parameters.grad, expected, rtol=1e-6, atol=1e-10 * np.abs(expected).max(), err_msg=name
        )
        assert mine.losses == pytest.approx(theirs.losses, rel=1e-9), name


def test_the_saliency_of_an_image_equals_autograd_and_the_same_image_in_either_layout_gives_it():
    last, first = LAYOUTS["channels last"], LAYOUTS["channels first"]
    ours, reference = image_twins(last, ACTIONS["categorical"])
    images = random_images(last)
    x = ours.encode(images)
    actions = np.random.default_rng(3).integers(4, size=B)
    mine = ours.log_prob_input_gradient(x, actions)
    np.testing.assert_allclose(mine, reference.log_prob_input_gradient(x, actions), rtol=1e-9, atol=1e-12)
    transposed, _ = image_twins(first, ACTIONS["categorical"])
    np.testing.assert_array_equal(transposed.encode(np.moveaxis(images, -1, 1)), x)


def test_the_q_networks_torso_gradients_equal_autograd():
    """The Q network's conv, ReLU and MLP against the same function written in torch."""
    space = LAYOUTS["channels last"]
    net = QNetwork(space, 3, (8,), "relu", "dqn", seed=0, dtype=np.float64, conv_layers=LAYERS)
    rng = np.random.default_rng(0)
    net.parameters.data[:] = rng.normal(scale=0.5, size=net.parameters.data.shape)
    x = net.encode(random_images(space))
    d_q = rng.standard_normal((B, 3))
    net.forward(x, keep=True)
    dx = net.backward(d_q, input_gradient=True)

    leaf = torch.tensor(net.parameters.data, requires_grad=True)
    inputs = torch.tensor(x, requires_grad=True)
    views, offset = {}, 0
    for name, shape in net.parameters.shapes.items():
        size = int(np.prod(shape))
        views[name] = leaf[offset : offset + size].view(shape)
        offset += size
    h = inputs.view(B, 3, 9, 8)
    for index, (_, _, stride) in enumerate(LAYERS):
        h = torch.relu(torch.nn.functional.conv2d(h, views[f"q.conv.{index}.weight"], views[f"q.conv.{index}.bias"],
                                                  stride=stride))  # fmt: skip
    h = torch.relu(h.flatten(1) @ views["q.weights.0"][0] + views["q.biases.0"][0])
    q = h @ views["q.weights.1"][0] + views["q.biases.1"][0]
    (q * torch.tensor(d_q)).sum().backward()
    assert leaf.grad is not None and inputs.grad is not None
    np.testing.assert_allclose(net.parameters.grad, leaf.grad.numpy(), rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(dx, inputs.grad.numpy(), rtol=1e-9, atol=1e-12)


@pytest.mark.parametrize("agent", ["ppo", "a2c", "reinforce"])
def test_a_saved_cnn_agent_loads_into_both_backends_and_acts_identically(tmp_path, agent):
    from rl_kit.core.agent_files import save_agent
    from rl_kit.core.backends import load_agent
    from rl_kit.core.registry import agent_class

    space, actions = LAYOUTS["channels last"], spaces.Discrete(3)
    trained = agent_class(agent)(space, actions, seed=0, hidden_sizes="16", conv_layers="4x3,5x2s2")
    trained.net.parameters.data[:] += np.random.default_rng(0).normal(scale=0.1, size=trained.net.parameters.data.shape)
    path = save_agent(trained, tmp_path / "agent.safetensors")
    images = random_images(space, 64)
    numpy_agent = load_agent(path)
    torch_agent = agent_class(agent)(
        space, actions, seed=1, hidden_sizes="16", conv_layers="4x3,5x2s2", backend="torch"
    )
    torch_agent.load_state_dict(numpy_agent.state_dict())
    greedy = trained.act(images, explore=False)
    assert len(set(greedy.tolist())) > 1  # the images do move the choice
    np.testing.assert_array_equal(numpy_agent.act(images, explore=False), greedy)
    np.testing.assert_array_equal(torch_agent.act(images, explore=False), greedy)
    np.testing.assert_allclose(
        torch_agent.policy_outputs(images)["probs"], trained.policy_outputs(images)["probs"], rtol=1e-5
    )


def test_conv_layers_none_feeds_the_pixels_to_the_mlp_with_autograd_gradients():
    """No weight sharing: the image's C H W pixels are the MLP's inputs, in either backend."""
    space = LAYOUTS["channels first"]
    ours, reference = image_twins(space, ACTIONS["categorical"], layers=parse_conv_layers("none"))
    assert ours.n_inputs == 3 * 9 * 8 and ours.torso is not None and not ours.torso.layers
    x = ours.encode(random_images(space))
    actions = np.random.default_rng(3).integers(4, size=B)
    np.testing.assert_allclose(ours.log_prob_input_gradient(x, actions), reference.log_prob_input_gradient(x, actions),
                               rtol=1e-9, atol=1e-12)  # fmt: skip
    distribution = ours.distribution(ours.forward(x)[0])
    rng = np.random.default_rng(4)
    objective = objectives(distribution.log_prob(actions), rng.normal(size=B), rng.normal(size=B))["ppo whole"]
    ours.step(objective, x, actions, learning_rate=0.0, max_grad_norm=0.0)
    reference.step(objective, x, actions, learning_rate=0.0, max_grad_norm=0.0)
    np.testing.assert_allclose(ours.parameters.grad, torch_gradient(reference), rtol=1e-6, atol=1e-12)
    q = QNetwork(space, 3, (8,), "relu", "dqn", seed=0, dtype=np.float64, conv_layers=())
    x = q.encode(random_images(space, 5))
    q.forward(x, keep=True)
    d_x = q.backward(np.ones((5, 3)), input_gradient=True)
    assert q.n_inputs == 3 * 9 * 8 and d_x.shape == x.shape and np.abs(d_x).max() > 0


def test_conv_layers_are_parsed_and_bad_ones_refused_in_one_line():
    assert parse_conv_layers("16x3") == ((16, 3, 1),)
    assert parse_conv_layers("none") == parse_conv_layers(" None") == ()
    assert parse_conv_layers("32x8s4, 64x4s2,64x3") == ((32, 8, 4), (64, 4, 2), (64, 3, 1))
    for bad in ("16", "16x", "x3", "16x3s0", "0x3", "16x3,", "a"):
        with pytest.raises(ValueError, match="conv_layers must be") as error:
            parse_conv_layers(bad)
        assert "\n" not in str(error.value)


def test_a_torso_that_does_not_fit_the_image_is_refused_naming_the_layer():
    from rl_kit.agents.base import SpaceError
    from rl_kit.agents.ppo import PPO

    with pytest.raises(SpaceError, match=r"convolution 2 \(8 filters of 9x9, stride 1\) does not fit the 9x8 image"):
        PPO(LAYOUTS["channels last"], spaces.Discrete(3), seed=0, conv_layers="4x3,8x9")


@pytest.mark.parametrize("layout", [*LAYOUTS, "vector"])
def test_dqns_torch_backend_computes_the_hand_written_values_and_gradients(layout):
    """TorchQNetwork (DQN's ``backend: torch``): the same flat parameters through conv2d and
    autograd give our Q values, parameter gradients and input gradients, in float64."""
    from rl_kit.agents.torch_off_policy_networks import TorchQNetwork

    space = spaces.Box(-1, 1, (6,), np.float32) if layout == "vector" else LAYOUTS[layout]
    ours = QNetwork(space, 3, (8,), "relu", "dqn", seed=0, dtype=np.float64, conv_layers=LAYERS)
    autograd = TorchQNetwork(space, 3, (8,), "relu", "dqn", seed=1, dtype=np.float64, conv_layers=LAYERS)
    rng = np.random.default_rng(0)
    ours.parameters.data[:] = rng.normal(scale=0.5, size=ours.parameters.data.shape)
    autograd.load_state_dict(ours.state_dict("q"), "q")
    obs = rng.uniform(-1, 1, (B, 6)) if layout == "vector" else random_images(space)
    x = ours.encode(obs)
    d_q = rng.standard_normal((B, 3))
    np.testing.assert_allclose(autograd.forward(x, keep=True), ours.forward(x, keep=True), rtol=1e-12)
    assert autograd._graph.leaf.data_ptr() == autograd.parameters.data.ctypes.data  # torch's graph, on our vector
    dx = ours.backward(d_q, input_gradient=True)
    np.testing.assert_allclose(autograd.backward(d_q, input_gradient=True), dx, rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(autograd.parameters.grad, ours.parameters.grad, rtol=1e-9, atol=1e-12)
    actions = rng.integers(3, size=B)
    np.testing.assert_allclose(autograd.input_gradient(x, actions), ours.input_gradient(x, actions), atol=1e-12)


def test_a_saved_cnn_dqn_loads_into_both_backends_and_learns_the_same_steps(tmp_path):
    """The file a numpy DQN saves acts identically on the torch backend, and from the same seed
    both backends take the same gradient steps on the same replay, up to float32 rounding."""
    from rl_kit.agents.base import Transitions
    from rl_kit.agents.dqn import DQN
    from rl_kit.core.agent_files import save_agent
    from rl_kit.core.backends import load_agent

    space, actions = LAYOUTS["channels first"], spaces.Discrete(3)
    options = dict(hidden_sizes="16", conv_layers="4x3,5x2s2", learning_starts=8, batch_size=8, train_freq=1)
    agents = [DQN(space, actions, seed=3, **options), DQN(space, actions, seed=3, backend="torch", **options)]
    rng = np.random.default_rng(0)
    for step in range(24):
        obs, next_obs = random_images(space, 2, seed=2 * step), random_images(space, 2, seed=2 * step + 1)
        batch = Transitions(obs, rng.integers(3, size=2), rng.standard_normal(2), next_obs,
                            rng.random(2) < 0.1, np.zeros(2, bool))  # fmt: skip
        for agent in agents:
            agent.observe(batch)
    assert agents[0].updates == agents[1].updates > 0
    numpy_agent, torch_agent = agents
    np.testing.assert_allclose(torch_agent.q.parameters.data, numpy_agent.q.parameters.data, rtol=1e-4, atol=1e-5)
    images = random_images(space, 64)
    loaded = load_agent(save_agent(numpy_agent, tmp_path / "agent.safetensors"))
    on_torch = DQN(space, actions, seed=0, backend="torch", **options)
    on_torch.load_state_dict(loaded.state_dict())
    greedy = numpy_agent.act(images, explore=False)
    assert len(set(greedy.tolist())) > 1  # the images do move the choice
    np.testing.assert_array_equal(on_torch.act(images, explore=False), greedy)
    np.testing.assert_allclose(on_torch.action_values(images), numpy_agent.action_values(images), rtol=1e-5, atol=1e-6)
