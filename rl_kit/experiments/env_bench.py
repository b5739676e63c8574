"""Env throughput: ``rl-kit bench --suite envs``.

Random actions at 64 envs, one thread, for the four classic-control envs that have a native
twin (:mod:`rl_kit.envs.classic_control`): ours, Gymnasium's ``SyncVectorEnv`` (what a user's
``gym.make_vec`` gives), and EnvPool's C++ (when the ``envpool`` package is installed), in
alternating rounds in this process; each side's best round, in env steps per second.
"""

from __future__ import annotations

import time
from collections.abc import Callable

import numpy as np

NUM_ENVS = 64
ACTION_BATCHES = 16  # random action batches, drawn before the clock starts and cycled


def steps_per_second(step: Callable[[np.ndarray], object], actions: list[np.ndarray], seconds: float) -> float:
    """Env steps per second of `step` over at least `seconds` (whole rounds of the batches)."""
    step(actions[0])  # warm up
    done, start = 0, time.perf_counter()
    while time.perf_counter() - start < seconds:
        for batch in actions:
            step(batch)
        done += len(actions)
    return done * NUM_ENVS / (time.perf_counter() - start)


def sides(env_id: str) -> dict[str, Callable[[np.ndarray], object]]:
    """A step function per side, each env reset with seed 0."""
    import gymnasium as gym
    from gymnasium.vector import AutoresetMode

    from rl_kit.envs.classic_control import NATIVE_VECTOR_ENVS

    limit = gym.spec(env_id).max_episode_steps
    ours = NATIVE_VECTOR_ENVS[env_id](NUM_ENVS, max_episode_steps=limit, autoreset_mode=AutoresetMode.SAME_STEP)
    sync = gym.make_vec(env_id, NUM_ENVS, vectorization_mode="sync",
                        vector_kwargs={"autoreset_mode": AutoresetMode.SAME_STEP})  # fmt: skip
    made = {"rl-kit": ours, "gymnasium sync": sync}
    for envs in made.values():
        envs.reset(seed=0)
    result: dict[str, Callable[[np.ndarray], object]] = {name: envs.step for name, envs in made.items()}
    try:
        import envpool
    except ImportError:
        return result
    pool = envpool.make(env_id, env_type="gymnasium", num_envs=NUM_ENVS, batch_size=NUM_ENVS, num_threads=1, seed=0)
    pool.reset()
    result["envpool"] = pool.step
    return result


def env_throughput(rounds: int = 3, seconds: float = 1.0) -> dict[str, float]:
    """Print and return steps/s per env and side; ratios are ours against each reference."""
    import gymnasium as gym

    from rl_kit.envs.classic_control import NATIVE_VECTOR_ENVS

    results: dict[str, float] = {}
    for env_id in NATIVE_VECTOR_ENVS:
        steppers = sides(env_id)
        space = gym.vector.utils.batch_space(gym.spec(env_id).make().action_space, NUM_ENVS)
        space.seed(0)
        actions = [space.sample() for _ in range(ACTION_BATCHES)]
        best = {name: max(steps_per_second(step, actions, seconds) for _ in range(rounds)) for name, step in
                steppers.items()}  # fmt: skip
        results.update({f"{env_id} {name}": value for name, value in best.items()})
        for name, value in best.items():
            if name == "rl-kit":
                continue
            label = f"{env_id}, {NUM_ENVS} envs: rl-kit vs {name}"
            print(
                f"{label:62} {best['rl-kit']:>12,.0f} vs {value:>12,.0f} steps/s ratio {best['rl-kit'] / value:6.2f}x"
            )
        if "envpool" not in best:
            print(f"{'':62} (EnvPool not installed: pip install envpool to measure it beside)")
    return results
