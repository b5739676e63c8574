"""Benchmarks: our code against a reference measured side by side, in the same session.

Each line prints our figure, the reference's, and their ratio; never a bare number, since
a machine's speed changes from run to run but a ratio measured together does not (much).

Tabular suite:
1. GridWorld steps/s through ``gymnasium.make`` vs Gymnasium's FrozenLake-v1 (same loop).
2. The native vector GridWorld with 4096 envs vs Gymnasium's native vector CartPole.
3. Wall time for Q-learning to come within 1% of the optimal value on FrozenLake 4x4:
   ``rl_kit.train`` (batched envs and updates) vs a plain textbook loop on FrozenLake-v1.

Policy-gradient suite:
4. One PPO minibatch update (64x64 tanh actor and critic, batch 256, Adam, clipping; CartPole's
   shapes) on the numpy networks against the same on the torch reference.
5. Our PPO vs stable-baselines3's PPO on CartPole-v1, same hyperparameters (RL Zoo's), same
   100k env steps, over 5 seeds, each run in a fresh process (one thread each), evaluations
   off on both: training wall time, final greedy return over 100 episodes, peak memory.
6. Our PPO on Lander: env steps and wall time until the 100-episode mean return reaches 200.

Off-policy suite (:mod:`rl_kit.experiments.off_policy_bench`):
7. One SAC update (256x256) and one TD3 update (400x300), batch 256: numpy against our torch
   backend and against stable-baselines3's own ``train``.

Envs suite (:mod:`rl_kit.experiments.env_bench`):
8. Acrobot, MountainCar, MountainCarContinuous and Pendulum at 64 envs, random actions, one
   thread: our native twins against Gymnasium's sync vector env and EnvPool.

Pixels suite (:mod:`rl_kit.experiments.pixel_bench`):
9. One DQN update on MinAtar's network (a 3x3 convolution of 16 filters, 128 ReLU units),
   batch 32: numpy by hand against torch, one thread.

Calls suite (:mod:`rl_kit.experiments.call_count`):
10. The numpy operations of one PPO minibatch update and of one env step, alone and per member
    of a population of 8: counted, not timed.

The race against ``python -m rl_zoo3.train`` end to end is :mod:`rl_kit.experiments.zoo_race`
(``rl-kit bench --suite race``).
"""

from __future__ import annotations

import time
from dataclasses import replace
from pathlib import Path

import gymnasium as gym
import numpy as np

import rl_kit.envs  # noqa: F401  (registers the rl_kit envs)
from rl_kit.core.optimum import TabularReference

GAMMA = 0.99
TOLERANCE = 0.01


def single_env_steps_per_second(env_id: str, steps: int, seed: int = 0) -> float:
    env = gym.make(env_id)
    assert isinstance(env.action_space, gym.spaces.Discrete)
    actions = np.random.default_rng(seed).integers(int(env.action_space.n), size=steps).tolist()
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
    q = np.zeros((16, 4))  # FrozenLake-v1's 4x4 map
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
        target = float(reward) + (0.0 if terminated else GAMMA * q[next_state].max())
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

    from rl_kit.core.spec import NO_EVALUATION, RunOptions
    from rl_kit.core.training import execute, plan

    reached = {}

    def within_tolerance(step, agent) -> bool:
        if reference.gap(agent.greedy_policy(), GAMMA) <= TOLERANCE:
            reached["step"] = step
            reached["time"] = time.perf_counter() - start
            return True
        return False

    with tempfile.TemporaryDirectory() as out:
        start = time.perf_counter()
        spec = plan(
            "rl_kit/FrozenLake4x4-v0",
            "q_learning",
            steps=max_steps,
            seed=seed,
            num_envs=256,
            hyperparameters={"alpha": f"linear(0.5, 0.01, {max_steps})", "epsilon": 1.0, "gamma": GAMMA},
        )
        options = RunOptions(Path(out), False, False, callback=within_tolerance, callback_every=5_120)
        execute(replace(spec, evaluation=NO_EVALUATION), options)
    return reached.get("time", float("nan")), reached.get("step", max_steps)


CARTPOLE_STEPS = 100_000


def minibatch_update_ms(backend: str, repeats: int) -> float:
    """Milliseconds per PPO minibatch update on `backend`, CartPole's shapes, the Zoo's batch of 256."""
    from gymnasium import spaces

    from rl_kit.agents.ppo import PPO
    from rl_kit.agents.rollout import Batch

    agent = PPO(
        spaces.Box(-5, 5, (4,), np.float32), spaces.Discrete(2), seed=0, backend=backend, n_epochs=1, batch_size=256
    )
    rng = np.random.default_rng(0)
    obs = rng.normal(size=(256, 4)).astype(np.float32)
    distribution = agent.net.distribution(agent.net.forward(obs)[0])
    actions = distribution.sample(rng)
    floats = lambda: rng.normal(size=256).astype(np.float32)  # noqa: E731
    batch = Batch(obs, actions, distribution.log_prob(actions), floats(), floats(), floats())
    agent.update(batch)  # warm up
    start = time.perf_counter()
    for _ in range(repeats):
        agent.update(batch)
    return (time.perf_counter() - start) / repeats * 1e3


def minibatch_updates(rounds: int = 5, repeats: int = 200) -> dict[str, float]:
    """numpy against torch, alternating rounds in this process; the best round of each."""
    times: dict[str, list[float]] = {"numpy": [], "torch": []}
    for _ in range(rounds):
        for backend in times:
            times[backend].append(minibatch_update_ms(backend, repeats))
    ours, theirs = min(times["numpy"]), min(times["torch"])
    print(
        f"{'one PPO minibatch update (batch 256, 64x64), numpy vs torch':58} {ours:>10.3f} ms vs {theirs:>8.3f} ms "
        f"  ratio {ours / theirs:6.2f}x  (target: numpy <= 0.35 ms where torch takes 1.5)"
    )
    return {"update_ms_numpy": ours, "update_ms_torch": theirs}


def race_worker(kind: str, seed: int) -> dict:
    """One CartPole PPO run of `kind` ("rl_kit" or "sb3") in this process; returns its figures."""
    import resource

    from rl_kit.core.evaluation import close_all, evaluation_envs, run_episodes
    from rl_kit.core.spec import EnvConfig

    start = time.perf_counter()
    if kind == "rl_kit":
        import tempfile

        from rl_kit.core.spec import NO_EVALUATION, QUIET
        from rl_kit.core.training import execute, plan

        with tempfile.TemporaryDirectory() as out:  # the tuned entry ppo.yml#CartPole-v1 (RL Zoo's)
            spec = replace(plan("CartPole-v1", "ppo", steps=CARTPOLE_STEPS, seed=seed), evaluation=NO_EVALUATION)
            agent = execute(spec, replace(QUIET, directory=Path(out))).agent
    else:
        import torch
        from stable_baselines3 import PPO
        from stable_baselines3.common.env_util import make_vec_env

        torch.set_num_threads(1)  # as ours
        from rl_kit.core.hyperparameter_files import tuned_hyperparameters
        from rl_kit.core.sb3_backend import sb3_arguments

        entry = tuned_hyperparameters("sb3_ppo", "CartPole-v1")  # the same values as ours
        model = PPO(
            "MlpPolicy",
            make_vec_env("CartPole-v1", n_envs=entry.num_envs or 1, seed=seed),  # SB3's own way: the reference
            seed=seed,
            device="cpu",
            verbose=0,
            **sb3_arguments(entry.hyperparameters, CARTPOLE_STEPS),
        )
        model.learn(CARTPOLE_STEPS)

        class SB3Greedy:  # the same greedy protocol as ours
            act = staticmethod(lambda obs, explore=False: model.predict(obs, deterministic=True)[0])

        agent = SB3Greedy()

    wall = time.perf_counter() - start
    envs = evaluation_envs(EnvConfig("CartPole-v1"), 100, agent)
    returns, _, _ = run_episodes(agent, envs, 100, seed=10_000)
    close_all(envs)
    return {
        "wall_s": wall,
        "return": float(returns.mean()),
        "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }


def ppo_race(seeds: int = 5, workers: int = 1, ray: str | None = None) -> dict[str, float]:
    """Our PPO against SB3's on CartPole, `seeds` runs each, every run in a fresh process of its
    own (so its peak memory is its own). One at a time by default, so that no two runs share a
    core while they are timed; `workers` and `ray` spread them out (see :mod:`rl_kit.infrastructure.job_pool`)."""
    from rl_kit.infrastructure.job_pool import Job, run_grid

    order = [(k, s) for s in range(seeds) for k in (("rl_kit", "sb3") if s % 2 == 0 else ("sb3", "rl_kit"))]
    rows: dict[str, list] = {"rl_kit": [], "sb3": []}  # alternate who goes first
    for outcome in run_grid([Job(race_worker, pair) for pair in order], workers=workers, ray_address=ray):
        kind, seed = outcome.job.args
        if outcome.error is not None:
            raise RuntimeError(f"benchmark run {kind} seed {seed} failed: {outcome.error}")
        r = outcome.value
        rows[kind].append(r)
        print(
            f"  seed {seed} {kind:7} wall {r['wall_s']:6.1f} s   return {r['return']:6.1f}   peak {r['peak_mb']:6.0f} MB",
            flush=True,
        )
    mean = {k: {m: float(np.mean([r[m] for r in v])) for m in ("wall_s", "return", "peak_mb")} for k, v in rows.items()}
    ours, theirs = mean["rl_kit"], mean["sb3"]
    print(
        f"{'PPO vs SB3 PPO, CartPole-v1, 100k, ' + str(seeds) + ' seeds, no evaluations: wall':58} {ours['wall_s']:>10.1f} s vs {theirs['wall_s']:>8.1f} s "
        f"  ratio {ours['wall_s'] / theirs['wall_s']:6.2f}x  (target <= 0.5x)"
    )
    print(
        f"{'  final greedy return, 100 episodes':58} {ours['return']:>12.1f} vs {theirs['return']:>10.1f}            (target >= SB3)"
    )
    print(
        f"{'  peak memory (MB)':58} {ours['peak_mb']:>12.0f} vs {theirs['peak_mb']:>10.0f}   ratio {ours['peak_mb'] / theirs['peak_mb']:6.2f}x  (target <= 1.0x)"
    )
    return {
        "ppo_wall_ratio": ours["wall_s"] / theirs["wall_s"],
        "ppo_return": ours["return"],
        "sb3_return": theirs["return"],
        "ppo_memory_ratio": ours["peak_mb"] / theirs["peak_mb"],
    }


def lander_to_200(max_steps: int = 1_000_000, seed: int = 0) -> dict[str, float]:
    """Env steps and wall seconds until PPO's 100-episode mean training return reaches 200."""
    import tempfile

    from rl_kit.core.spec import NO_EVALUATION, RunOptions
    from rl_kit.core.training import execute, plan
    from rl_kit.presentation.plots import read_csv

    with tempfile.TemporaryDirectory() as out:
        state: dict[str, tuple[int, float] | None] = {"reached": None}

        def solved(step, agent) -> bool:
            episodes = read_csv(Path(out) / "episodes.csv")
            if episodes and len(episodes["return"]) >= 100 and episodes["return"][-100:].mean() >= 200:
                state["reached"] = (step, time.perf_counter() - start)
                return True
            return False

        start = time.perf_counter()
        spec = replace(plan("rl_kit/Lander-v0", "ppo", steps=max_steps, seed=seed), evaluation=NO_EVALUATION)
        execute(spec, RunOptions(Path(out), False, False, callback=solved, callback_every=16_384))
    if state["reached"] is None:
        print(f"{'PPO on Lander to a 100-episode mean of 200':58} not reached in {max_steps:,} steps")
        return {"lander_steps": float("nan")}
    step, seconds = state["reached"]
    print(
        f"{'PPO on Lander to a 100-episode mean of 200':58} {step:>12,} steps in {seconds:.1f} s   (target <= 1M steps)"
    )
    return {"lander_steps": step, "lander_seconds": seconds}


def line(name: str, ours: float, reference: float, unit: str, target: str) -> str:
    return f"{name:58} {ours:>12,.0f} vs {reference:>12,.0f} {unit:8} ratio {ours / reference:6.2f}x  (target {target})"


def run_benchmarks(
    quick: bool = False, suite: str = "all", workers: int = 1, ray: str | None = None
) -> dict[str, float]:
    """Print and return the benchmark figures of `suite` ("tabular", "policy-gradient", "envs", "off-policy",
    "calls" or "all");
    `workers` and `ray` say where the PPO race's grid of runs goes (:func:`ppo_race`)."""
    print("rl-kit benchmarks (ours vs reference, measured together in this session)\n")
    results = {}
    if suite in ("tabular", "all"):
        results.update(tabular_benchmarks(quick))
    if suite in ("policy-gradient", "all"):
        print()
        results.update(minibatch_updates(rounds=2 if quick else 5))
        results.update(ppo_race(seeds=2 if quick else 5, workers=workers, ray=ray))
        results.update(lander_to_200())
    if suite in ("envs", "all"):
        from rl_kit.experiments.env_bench import env_throughput

        print()
        results.update(env_throughput(rounds=2 if quick else 3, seconds=0.5 if quick else 1.0))
    if suite in ("off-policy", "all"):
        from rl_kit.experiments.off_policy_bench import off_policy_updates

        print()
        results.update(off_policy_updates(rounds=2 if quick else 5, repeats=30 if quick else 100))
    if suite in ("pixels", "all"):
        from rl_kit.experiments.pixel_bench import pixel_updates

        print()
        results.update(pixel_updates(rounds=2 if quick else 5, repeats=50 if quick else 200))
    if suite in ("calls", "all"):
        from rl_kit.experiments.call_count import operation_counts

        print()
        results.update(operation_counts())
    return results


def tabular_benchmarks(quick: bool = False) -> dict[str, float]:
    scale = 0.2 if quick else 1.0
    results = {}

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
