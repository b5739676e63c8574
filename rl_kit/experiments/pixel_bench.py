"""One DQN update from pixels, numpy against torch: ``rl-kit bench --suite pixels``.

MinAtar's network (Young & Tian 2019): one 3x3 convolution of 16 filters on a 10x10 frame of
4 channels (Breakout's), ReLU, a hidden layer of 128 ReLU units, one output per action; batch
32, Adam, the TD step on Huber's loss. Ours is :class:`rl_kit.agents.networks.QNetwork`
(convolution by im2col, every gradient by hand); the reference the same network in torch
(``conv2d``, autograd, ``torch.optim.Adam``). Both on one thread, the best of alternating
rounds of `repeats` updates each.
"""

from __future__ import annotations

import time

import numpy as np

FRAME, ACTIONS, BATCH = (10, 10, 4), 3, 32


def numpy_update(repeats: int) -> float:
    """Seconds per update of ours."""
    from gymnasium import spaces

    from rl_kit.agents.dqn import huber_loss, huber_loss_gradient
    from rl_kit.agents.networks import QNetwork, single_threaded_blas

    single_threaded_blas()
    net = QNetwork(spaces.Box(0, 1, FRAME, np.uint8), ACTIONS, (128,), "relu", "dqn", seed=0)
    rng = np.random.default_rng(0)
    x = net.encode(rng.integers(0, 2, size=(BATCH, *FRAME)).astype(np.uint8))
    actions, targets = rng.integers(ACTIONS, size=BATCH), rng.standard_normal(BATCH).astype(np.float32)
    loss = lambda xp, q: huber_loss(xp, q, targets)  # noqa: E731
    gradient = lambda q: huber_loss_gradient(q, targets)  # noqa: E731
    net.step(x, actions, loss, gradient, 1e-4, 10.0)
    start = time.perf_counter()
    for _ in range(repeats):
        net.step(x, actions, loss, gradient, 1e-4, 10.0)
    return (time.perf_counter() - start) / repeats


def torch_update(repeats: int) -> float:
    """Seconds per update of the same network in torch."""
    import torch

    torch.set_num_threads(1)
    channels = FRAME[2]
    net = torch.nn.Sequential(
        torch.nn.Conv2d(channels, 16, 3), torch.nn.ReLU(), torch.nn.Flatten(),
        torch.nn.Linear(16 * 8 * 8, 128), torch.nn.ReLU(), torch.nn.Linear(128, ACTIONS),
    )  # fmt: skip
    optimizer = torch.optim.Adam(net.parameters(), lr=1e-4)
    rng = np.random.default_rng(0)
    x = torch.tensor(rng.integers(0, 2, size=(BATCH, channels, 10, 10)).astype(np.float32))
    actions = torch.tensor(rng.integers(ACTIONS, size=BATCH))
    targets = torch.tensor(rng.standard_normal(BATCH).astype(np.float32))

    def step() -> None:
        q = net(x).gather(1, actions[:, None])[:, 0]
        loss = torch.nn.functional.smooth_l1_loss(q, targets)
        optimizer.zero_grad()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(net.parameters(), 10.0)
        optimizer.step()

    step()
    start = time.perf_counter()
    for _ in range(repeats):
        step()
    return (time.perf_counter() - start) / repeats


def pixel_updates(rounds: int = 5, repeats: int = 200) -> dict[str, float]:
    """Print and return ours, torch's and the ratio (target <= 1.0)."""
    ours, theirs = [], []
    for _ in range(rounds):  # alternating, the best of each
        ours.append(numpy_update(repeats))
        theirs.append(torch_update(repeats))
    mine, reference = min(ours) * 1e3, min(theirs) * 1e3
    print(f"{'one DQN update on MinAtar network, batch 32 (numpy vs torch)':58} {mine:>9.3f} ms vs {reference:>9.3f} ms "
          f"ratio {mine / reference:5.2f}x  (target <= 1.0x)")  # fmt: skip
    return {"pixel_update_ms": mine, "pixel_update_torch_ms": reference, "pixel_update_ratio": mine / reference}
