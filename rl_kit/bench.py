"""Benchmarks: our code against a reference measured side by side, in the same process.

Each line prints our figure, the reference's, and their ratio; never a bare number, since
a machine's speed changes from run to run but a ratio measured together does not (much).

1. GridWorld steps/s through ``gymnasium.make`` vs Gymnasium's FrozenLake-v1 (same loop).
2. The native vector GridWorld with 4096 envs vs Gymnasium's native vector CartPole.
3. Wall time for Q-learning to come within 1% of the optimal value on FrozenLake 4x4:
   ``rl_kit.train`` (batched envs and updates) vs a plain textbook loop on FrozenLake-v1.
"""

from __future__ import annotations

import time

import gymnasium as gym
import numpy as np

import envs  # noqa: F401  (registers the rl_kit envs)
from rl_kit.optimum import TabularReference

GAMMA = 0.99
TOLERANCE = 0.01


def single_env_steps_per_second(env_id: str, steps: int, seed: int = 0) -> float:
    env = gym.make(env_id)
    actions = np.random.default_rng(seed).integers(env.action_space.n, size=steps).tolist()
    env.reset(seed=seed)
    start = time.perf_counter()
    for action in actions:
        _, _, terminated, truncated, _ = env.step(action)
        if terminated or truncated:
            env.reset()
    return steps / (time.perf_counter() - start)


def vector_env_steps_per_second(env_id: str, num_envs: int, iterations: int, seed: int = 0) -> float:
    vec = gym.make_vec(env_id, num_envs=num_envs, vectorization_mode="vector_entry_point")
    vec.reset(seed=seed)
    vec.action_space.seed(seed)
    actions = [vec.action_space.sample() for _ in range(iterations)]
    start = time.perf_counter()
    for action in actions:
        vec.step(action)
    elapsed = time.perf_counter() - start
    vec.close()
    return num_envs * iterations / elapsed


def textbook_q_learning(
    reference: TabularReference, max_steps: int, check_every: int = 10_000, seed: int = 0
) -> tuple[float, int]:
    """Sutton & Barto's Q-learning loop, one step at a time on Gymnasium's FrozenLake-v1.

    alpha 0.1, epsilon 0.1, gamma 0.99, ties broken at random. Returns (seconds, steps) to
    reach a greedy policy within 1% of the optimal value (checked every `check_every` steps).
    """
    env = gym.make("FrozenLake-v1")
    rng = np.random.default_rng(seed)
    q = np.zeros((env.observation_space.n, env.action_space.n))
    alpha, epsilon = 0.1, 0.1
    state, _ = env.reset(seed=seed)
    start = time.perf_counter()
    for step in range(1, max_steps + 1):
        if rng.random() < epsilon:
            action = int(rng.integers(4))
        else:
            best = np.flatnonzero(q[state] == q[state].max())
            action = int(rng.choice(best))
        next_state, reward, terminated, truncated, _ = env.step(action)
        target = reward + (0.0 if terminated else GAMMA * q[next_state].max())
        q[state, action] += alpha * (target - q[state, action])
        state = next_state
        if terminated or truncated:
            state, _ = env.reset()
        if step % check_every == 0 and reference.gap(q.argmax(axis=1), GAMMA) <= TOLERANCE:
            return time.perf_counter() - start, step
    return float("nan"), max_steps


def rl_kit_q_learning(reference: TabularReference, max_steps: int, seed: int = 0) -> tuple[float, int]:
    """rl_kit.train with 256 batched envs; returns (seconds, steps) to within 1% of optimal."""
    import tempfile

    from rl_kit.training import train

    reached = {}

    def within_tolerance(step, agent) -> bool:
        if reference.gap(agent.greedy_policy(), GAMMA) <= TOLERANCE:
            reached["step"] = step
            reached["time"] = time.perf_counter() - start
            return True
        return False

    with tempfile.TemporaryDirectory() as out:
        start = time.perf_counter()
        train(
            "rl_kit/FrozenLake4x4-v0",
            "q_learning",
            steps=max_steps,
            seed=seed,
            num_envs=256,
            out=out,
            hyperparameters={"alpha": f"linear(0.5, 0.01, {max_steps})", "epsilon": 1.0, "gamma": GAMMA},
            eval_every=0,
            progress=False,
            tensorboard=False,
            callback=within_tolerance,
            callback_every=5_120,
        )
    return reached.get("time", float("nan")), reached.get("step", max_steps)


def line(name: str, ours: float, reference: float, unit: str, target: str) -> str:
    return f"{name:58} {ours:>12,.0f} vs {reference:>12,.0f} {unit:8} ratio {ours / reference:6.2f}x  (target {target})"


def run_benchmarks(quick: bool = False) -> dict[str, float]:
    """Print and return the benchmark ratios."""
    scale = 0.2 if quick else 1.0
    results = {}
    print("rl-kit benchmarks (ours vs reference, measured together in this process)\n")

    steps = int(200_000 * scale)
    ours = single_env_steps_per_second("rl_kit/FrozenLake4x4-v0", steps)
    theirs = single_env_steps_per_second("FrozenLake-v1", steps)
    results["single_env_ratio"] = ours / theirs
    print(line("GridWorld via gymnasium.make vs FrozenLake-v1", ours, theirs, "steps/s", ">= 1.0x"))

    iterations = int(500 * scale)
    ours = vector_env_steps_per_second("rl_kit/FrozenLake4x4-v0", 4096, iterations)
    theirs = vector_env_steps_per_second("CartPole-v1", 4096, iterations)
    results["vector_env_steps_per_s"] = ours
    print(line("vector GridWorld (4096 envs) vs vector CartPole (4096)", ours, theirs, "steps/s", ">= 10M steps/s"))

    reference = TabularReference.of(gym.make("FrozenLake-v1"))
    our_time, our_steps = rl_kit_q_learning(reference, max_steps=2_000_000)
    their_time, their_steps = textbook_q_learning(reference, max_steps=int(3_000_000 * max(scale, 0.5)))
    results["q_learning_time_ratio"] = our_time / their_time
    print(
        f"{'Q-learning to within 1% of optimal, FrozenLake 4x4':58} {our_time:>10.2f} s vs {their_time:>10.2f} s "
        f"          ratio {our_time / their_time:6.2f}x  (target <= 0.1x)"
    )
    print(f"{'':58} {our_steps:>10,} steps vs {their_steps:>8,} steps (textbook loop)")
    return results


if __name__ == "__main__":
    run_benchmarks()
