"""DQN: its loss gradient against autograd, its targets by hand, truncation, learning and resuming."""

import numpy as np
import pytest
import torch
from gymnasium import spaces

from rl_kit.agents.base import Transitions
from rl_kit.agents.dqn import DQN, huber_loss, huber_loss_gradient
from rl_kit.agents.networks import QNetwork

BOX = spaces.Box(-1.0, 1.0, shape=(4,), dtype=np.float32)


def torch_q(net: QNetwork, x: np.ndarray) -> tuple[torch.Tensor, list[torch.Tensor]]:
    """The same network in torch, from the numpy one's weights (the autograd reference)."""
    parameters = [torch.tensor(value, requires_grad=True) for value in net.parameters.values.values()]
    layers = len(parameters) // 2
    h = torch.tensor(x)
    for k in range(layers):
        h = h @ parameters[k][0] + parameters[layers + k][0]
        if k < layers - 1:
            h = torch.relu(h)
    return h, parameters


def test_huber_loss_gradient_equals_autograd():
    net = QNetwork(BOX, 3, (16, 8), "relu", "dqn", seed=0, dtype=np.float64)
    rng = np.random.default_rng(1)
    x, actions = rng.normal(size=(40, 4)), rng.integers(3, size=40)
    targets = rng.normal(scale=2.0, size=40)  # errors on both sides of the Huber threshold
    net.step(x, actions, lambda xp, q: huber_loss(xp, q, targets), lambda q: huber_loss_gradient(q, targets), 0.0, 0.0)
    q, parameters = torch_q(net, x)
    taken = q[torch.arange(40), torch.as_tensor(actions)]
    errors = np.abs(taken.detach().numpy() - targets)
    assert (errors < 1).any() and (errors > 1).any()
    huber_loss(torch, taken, targets).backward()
    expected = np.concatenate([p.grad.numpy().ravel() for p in parameters])
    np.testing.assert_allclose(net.parameters.grad, expected, rtol=1e-6, atol=1e-12)


def filled_agent(double_q: bool) -> DQN:
    agent = DQN(BOX, spaces.Discrete(3), seed=0, hidden_sizes="8", double_q=double_q, learning_starts=10**9)
    for network, seed in ((agent.q, 2), (agent.target, 5)):
        network.parameters.data += np.random.default_rng(seed).normal(scale=1.0, size=network.parameters.data.shape)
    return agent  # online and target networks now differ


@pytest.mark.parametrize("double_q", [False, True])
def test_targets_by_hand(double_q):
    agent = filled_agent(double_q)
    rng = np.random.default_rng(3)
    batch = {
        "next_obs": rng.uniform(-1, 1, (16, 4)).astype(np.float32),
        "rewards": rng.normal(size=16).astype(np.float32),
        "terminated": (np.arange(16) % 3 == 1).astype(np.float32),
    }
    online, target = agent.q.forward(batch["next_obs"]), agent.target.forward(batch["next_obs"])
    chosen = (online if double_q else target).argmax(axis=1)
    expected = batch["rewards"] + 0.99 * (1 - batch["terminated"]) * target[np.arange(16), chosen]
    np.testing.assert_allclose(agent.targets(batch), expected, rtol=1e-6)
    assert (online.argmax(axis=1) != target.argmax(axis=1)).any()  # the two rules are told apart


def test_truncated_transitions_bootstrap_and_terminated_ones_do_not():
    agent = DQN(BOX, spaces.Discrete(2), seed=0, learning_starts=10**9)
    obs = np.zeros((3, 4), np.float32)
    agent.observe(
        Transitions(
            obs,
            np.array([0, 1, 0]),
            np.ones(3),
            obs + 0.5,
            np.array([True, False, False]),
            np.array([False, True, False]),
        )
    )
    assert agent.replay.arrays["terminated"][:3].tolist() == [1.0, 0.0, 0.0]
    assert agent.steps == 3 and agent.updates == 0  # nothing learned before learning_starts


def test_target_network_is_updated_on_its_interval_not_every_step():
    agent = DQN(
        BOX, spaces.Discrete(2), seed=0, learning_starts=0, train_freq=1, batch_size=4, target_update_interval=8
    )
    obs = np.zeros((2, 4), np.float32)
    start = agent.target.parameters.data.copy()
    for step in range(1, 5):  # 2 envs: 2, 4, 6, 8 transitions
        before = agent.q.parameters.data.copy()
        agent.act(obs)
        agent.observe(Transitions(obs, np.array([0, 1]), np.ones(2), obs, np.zeros(2, bool), np.zeros(2, bool)))
        assert agent.updates == step
        if step < 4:
            np.testing.assert_array_equal(agent.target.parameters.data, start)
    assert agent.target_updates == 1  # at 8 transitions, before that step's gradient step (as SB3)
    np.testing.assert_array_equal(agent.target.parameters.data, before)
    assert not np.array_equal(agent.q.parameters.data, before)


@pytest.mark.slow  # 5 runs of 50k steps, the tuned entry (the Zoo's, 256x256): about 2.5 min
def test_dqn_balances_cartpole_within_50k_steps_on_some_seeds(tmp_path):
    """DQN on CartPole at 50k steps varies from seed to seed, for SB3 too (with these values:
    500 on seed 0, 19 on seed 1): one seed's result is no claim. At least 2 of seeds 0-4 reach
    475 (here: 500, 500, 500, 106.5, 216.4)."""
    from rl_kit.experiments.robustness import claim_named, greedy_return, holds

    claim = claim_named("dqn-cartpole")
    returns = [greedy_return(claim, seed, "numpy", str(tmp_path / str(seed))) for seed in claim.seeds]
    assert holds(claim, returns), returns


PIXEL_CATCH = dict(learning_rate=1e-3, batch_size=32, buffer_size=10_000, learning_starts=500, train_freq=1,
                   gradient_steps=1, target_update_interval=250, epsilon="linear(1.0, 0.05, 4000)",
                   hidden_sizes="64", gamma=0.95)  # fmt: skip


def test_dqn_learns_catch_from_pixels_on_most_seeds_and_its_saved_agent_acts_the_same(tmp_path):
    """A convolution torso in front of the Q network: 10k steps, seeds 0-4; on the development
    machine every seed catches all 10 balls (random play: about -6)."""
    import rl_kit
    from rl_kit.core.backends import load_agent

    scores = []
    for seed in range(5):
        run = rl_kit.train("rl_kit/Catch-v0", "dqn", steps=10_000, seed=seed, num_envs=4, tuned=False,
                           hyperparameters=PIXEL_CATCH, env_kwargs={"observation": "pixels"}, eval_every=0,
                           progress=False, tensorboard=False, out=tmp_path / f"seed{seed}")  # fmt: skip
        scores.append(rl_kit.evaluate(run.agent, run.spec.env, episodes=10, seed=100).mean)
    assert sum(score >= 8 for score in scores) >= 4, scores
    images = np.random.default_rng(0).integers(0, 256, size=(16, 10, 5, 2)).astype(np.uint8)
    reloaded = load_agent(tmp_path / "seed4")  # the last run's
    assert reloaded.q.torso.layers[0].weight_shape == (16, 2, 3, 3)
    np.testing.assert_array_equal(reloaded.action_values(images), run.agent.action_values(images))
