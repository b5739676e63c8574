"""The cost of one off-policy update, ours against torch: ``rl-kit bench --suite off-policy``.

One gradient step of SAC (both critics, the actor, the temperature, the targets' Polyak
averaging; 256x256 ReLU networks, as SB3's default) and of TD3 (both critics, and the delayed
actor with its targets every other step; 400x300), each on Pendulum-v1's shapes and a minibatch
of 256 sampled from a filled replay buffer, three ways:

- ``numpy``: our agent, its gradients written by hand;
- ``torch``: our agent with ``backend: torch`` (the same code, autograd's gradients);
- ``sb3``: stable-baselines3's own ``train(gradient_steps=1)``, its replay sampling included.

All on one thread (``torch.set_num_threads(1)``, OpenBLAS on one thread), in this process, in
alternating rounds; each side's best round is reported, so a burst of load elsewhere on the
machine costs a round, not the figure.
"""

from __future__ import annotations

import time
from collections.abc import Callable

import numpy as np

BATCH, FILLED = 256, 2_000  # the minibatch, and the transitions in the buffer it is drawn from
ROWS = {"sac": "256,256", "td3": "400,300"}  # SB3's default networks for each
SIDES = ("numpy", "torch", "sb3")


def ours_step(agent_name: str, backend: str) -> Callable[[], None]:
    """One update of our `agent_name` on `backend` with a minibatch sampled from a filled buffer."""
    from gymnasium import spaces

    from rl_kit.agents.base import Transitions
    from rl_kit.agents.sac import SAC
    from rl_kit.agents.td3 import TD3

    observation, action = spaces.Box(-8.0, 8.0, (3,), np.float32), spaces.Box(-2.0, 2.0, (1,), np.float32)
    cls = {"sac": SAC, "td3": TD3}[agent_name]
    agent = cls(observation, action, seed=0, hidden_sizes=ROWS[agent_name], backend=backend,
                learning_starts=FILLED + 1)  # fmt: skip
    rng = np.random.default_rng(0)
    obs = rng.normal(size=(FILLED, 3)).astype(np.float32)
    agent.observe(Transitions(obs, rng.uniform(-2, 2, (FILLED, 1)).astype(np.float32),
                              rng.normal(size=FILLED).astype(np.float32), np.roll(obs, -1, axis=0),
                              np.zeros(FILLED, bool), np.zeros(FILLED, bool)))  # fmt: skip

    def step() -> None:
        agent.update(agent.replay.sample(BATCH, agent.rng))
        agent.updates += 1  # TD3's delayed actor keys on it, as observe() counts it

    return step


def sb3_step(agent_name: str) -> Callable[[], None]:
    """One ``train(gradient_steps=1)`` of stable-baselines3's `agent_name` on a filled buffer."""
    import torch
    from stable_baselines3 import SAC, TD3

    torch.set_num_threads(1)
    cls = {"sac": SAC, "td3": TD3}[agent_name]
    width = [int(w) for w in ROWS[agent_name].split(",")]
    model = cls("MlpPolicy", "Pendulum-v1", batch_size=BATCH, learning_starts=FILLED, seed=0, device="cpu",
                policy_kwargs={"net_arch": width}, verbose=0)  # fmt: skip
    model.learn(FILLED + 1)  # fills the buffer (and sets up the logger train() writes to)
    return lambda: model.train(gradient_steps=1, batch_size=BATCH)


def update_ms(step: Callable[[], None], repeats: int) -> float:
    step()  # warm up
    start = time.perf_counter()
    for _ in range(repeats):
        step()
    return (time.perf_counter() - start) / repeats * 1e3


def off_policy_updates(rounds: int = 5, repeats: int = 100) -> dict[str, float]:
    """Milliseconds per update of each agent on each side, the best of alternating rounds; prints
    our numpy update against SB3's and against our torch backend."""
    from rl_kit.agents.networks import single_threaded_blas

    single_threaded_blas()
    results: dict[str, float] = {}
    for name in ROWS:
        steps = {"numpy": ours_step(name, "numpy"), "torch": ours_step(name, "torch"), "sb3": sb3_step(name)}
        times: dict[str, list[float]] = {side: [] for side in SIDES}
        for _ in range(rounds):
            for side in SIDES:
                times[side].append(update_ms(steps[side], repeats))
        best = {side: min(values) for side, values in times.items()}
        results.update({f"{name}_update_ms_{side}": value for side, value in best.items()})
        label = f"one {name.upper()} update ({ROWS[name].replace(',', 'x')}, batch {BATCH})"
        for reference in ("sb3", "torch"):
            print(
                f"{label + ', numpy vs ' + reference:58} {best['numpy']:>10.2f} ms vs {best[reference]:>8.2f} ms "
                f"  ratio {best['numpy'] / best[reference]:6.2f}x"
            )
    return results
