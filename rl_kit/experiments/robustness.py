"""Do the learning claims travel? ``rl-kit bench --suite robustness``.

One seed of a network run is chaotic in float rounding: another CPU's kernels round a product
differently, and the run ends somewhere else. A learning claim that travels holds on several
seeds, and on other rounding. This suite reruns each claim the tests and the docs make, on
more seeds than the test uses and on the torch backend (torch's kernels, not our numpy ones:
rounding a machine with other CPU kernels would give), and says which claims survive.

Each seed trains alone, as the test trains it, never as one population of seeds: a member's
numbers are another draw (one generator serves every member), and the claim checked is the one
about the run the test makes.

A :class:`Claim` is what a test asserts: an agent on an env at a budget reaches a greedy
threshold on at least ``need`` of its seeds. The tests read their parameters from here, so
the claim checked here is the claim the suite asserts.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np

CATCH_PPO = {"n_steps": 64, "batch_size": 256, "n_epochs": 10, "learning_rate": 0.001}
CATCH_A2C = {"n_steps": 8, "learning_rate": 0.002, "gamma": 0.95}
# The RL Zoo's PPO entry for MountainCarContinuous-v0: one env, 20k steps, gSDE.
MOUNTAIN_CAR_CONTINUOUS = {
    "learning_rate": 7.77e-05,
    "n_steps": 8,
    "batch_size": 256,
    "n_epochs": 10,
    "gamma": 0.9999,
    "gae_lambda": 0.9,
    "ent_coef": 0.00429,
    "clip_range": 0.1,
    "max_grad_norm": 5,
    "vf_coef": 0.19,
    "normalize_observations": True,
    "normalize_rewards": True,
    "log_std_init": -3.29,
    "ortho_init": False,
    "use_sde": True,
}


@dataclass(frozen=True)
class Claim:
    """`agent` on `env` after `steps` (over `num_envs` envs) scores a greedy `measure` of at least
    `threshold` over `episodes` episodes (the first seeded `eval_seed`) on at least `need` of
    `seeds`. The measures: "mean" return, "success_rate", or "best": the best mean of those
    episodes and of ten evaluations on the way (10 episodes each, from the run's evaluation seed),
    as the DQN and REINFORCE exercises judge a learner's agent."""

    name: str
    env: str
    agent: str
    steps: int
    hyperparameters: dict[str, Any] = field(default_factory=dict)
    threshold: float = 0.0
    seeds: tuple[int, ...] = (0,)
    need: int = 1
    num_envs: int | None = 8  # None: the tuned entry's
    episodes: int = 20
    torch: bool = True  # whether the torch backend can run it (gSDE is numpy only)
    measure: str = "mean"
    eval_seed: int = 0


CARTPOLE_PPO = {  # the RL Zoo's tuned PPO for CartPole-v1
    "n_steps": 32,
    "batch_size": 256,
    "gae_lambda": 0.8,
    "gamma": 0.98,
    "n_epochs": 20,
    "ent_coef": 0.0,
    "learning_rate": "linear(0.001, 0.0, 100000)",
    "clip_range": "linear(0.2, 0.0, 100000)",
}
PENDULUM_SMALL = {"hidden_sizes": "64,64", "learning_rate": 0.001}  # over the tuned (the Zoo's) entries
CARTPOLE_A2C = {"n_steps": 32, "learning_rate": "linear(0.001, 0.0, 200000)", "gae_lambda": 0.95}

CATCH_REINFORCE = {"n_steps": 100, "learning_rate": 0.003, "gamma": 0.95}
POINT_GOAL_PPO = {"n_steps": 64, "batch_size": 256, "n_epochs": 10, "learning_rate": 0.001}
EXERCISE_EVAL_SEED = 1_000_000  # the exercises' learning checks evaluate from here (rl_kit.exercises.learning)

CLAIMS = (
    Claim("ppo-catch", "rl_kit/Catch-v0", "ppo", 80_000, CATCH_PPO, threshold=9.5),
    Claim("a2c-catch", "rl_kit/Catch-v0", "a2c", 80_000, CATCH_A2C, threshold=9.5),
    Claim("reinforce-catch", "rl_kit/Catch-v0", "reinforce", 150_000, CATCH_REINFORCE, threshold=9.5),
    Claim(
        "ppo-pointgoal",
        "rl_kit/PointGoal-v0",
        "ppo",
        50_000,
        POINT_GOAL_PPO,
        threshold=0.95,
        episodes=50,
        measure="success_rate",
    ),
    # The network exercises' learning checks: the learner's agent with rl-kit's tuned entry
    # (its budget and num_envs), 20 greedy episodes from EXERCISE_EVAL_SEED. A final 475 did
    # not travel for DQN (seeds 0-5: 500, 499.1, 500, 106.8, 181.1, 81.0) nor REINFORCE (seed 0:
    # 481.9 on numpy, 474.6 on torch): they are judged at their best evaluation, below the
    # lowest best any seed reached (DQN 216, REINFORCE 464 on seeds 0-4)
    Claim(
        "exercise-dqn",
        "CartPole-v1",
        "dqn",
        50_000,
        threshold=150.0,
        seeds=(1,),
        num_envs=None,
        torch=False,
        measure="best",
        eval_seed=EXERCISE_EVAL_SEED,
    ),
    Claim(
        "exercise-reinforce",
        "CartPole-v1",
        "reinforce",
        200_000,
        threshold=400.0,
        num_envs=None,
        measure="best",
        eval_seed=EXERCISE_EVAL_SEED,
    ),
    Claim("exercise-ppo", "CartPole-v1", "ppo", 100_000, threshold=475.0, num_envs=None, eval_seed=EXERCISE_EVAL_SEED),
    Claim(
        "ppo-gsde-mountaincar",
        "MountainCarContinuous-v0",
        "ppo",
        20_000,
        MOUNTAIN_CAR_CONTINUOUS,
        threshold=85.0,
        seeds=tuple(range(8)),
        need=4,
        num_envs=1,
        episodes=10,
        torch=False,
    ),
    Claim("ppo-cartpole", "CartPole-v1", "ppo", 100_000, CARTPOLE_PPO, threshold=475.0),
    # A2C at 200k ends near 475 on some seeds and well short on others (AMD EPYC, seeds 0-4:
    # numpy 484.6, 485.0, 263.9, 385.8, 473.7; torch 463.8, 498.9, 460.9, 493.9, 400.4): one
    # seed at 475 was a claim another CPU could break, so the claim is 450 on 2 of 5
    Claim("a2c-cartpole", "CartPole-v1", "a2c", 200_000, CARTPOLE_A2C, threshold=450.0, seeds=(0, 1, 2, 3, 4), need=2),
    # DQN at 50k steps is a coin toss per seed (seeds 0-4 here: 500, 500, 500, 106.5, 216.4;
    # on torch, an AVX2 EPYC: 104.5, 500, 128.5, 500, 500): the claim is that it balances on
    # some seeds, not on a chosen one
    Claim(
        "dqn-cartpole",
        "CartPole-v1",
        "dqn",
        50_000,
        threshold=475.0,
        seeds=(0, 1, 2, 3, 4),
        need=2,
        num_envs=None,
    ),
    # Off-policy continuous control on Pendulum-v1, small networks so the tests can afford three
    # seeds: every seed of SAC and TD3 reached about -155 here; DDPG, the unstable one, -155,
    # -153 and -671. A random policy scores about -1,200; the threshold leaves room for the rest.
    # the off_policy exercise's check: TD3 with the tuned (the Zoo's) entry, at its best evaluation
    Claim("exercise-td3", "Pendulum-v1", "td3", 20_000, threshold=-400.0, num_envs=None, measure="best",
          eval_seed=EXERCISE_EVAL_SEED),
    Claim("sac-pendulum", "Pendulum-v1", "sac", 6_000, PENDULUM_SMALL, threshold=-400.0, seeds=(0, 1, 2),
          need=2, num_envs=1),
    Claim("td3-pendulum", "Pendulum-v1", "td3", 10_000, {**PENDULUM_SMALL, "learning_starts": 1000},
          threshold=-400.0, seeds=(0, 1, 2), need=2, num_envs=1),
    Claim("ddpg-pendulum", "Pendulum-v1", "ddpg", 8_000, {**PENDULUM_SMALL, "learning_starts": 1000},
          threshold=-400.0, seeds=(0, 1, 2), need=2, num_envs=1),
)  # fmt: skip


def claim_named(name: str) -> Claim:
    for claim in CLAIMS:
        if claim.name == name:
            return claim
    from rl_kit.errors import unknown_name

    raise unknown_name("claim", name, [c.name for c in CLAIMS], listed=True)


def greedy_return(claim: Claim, seed: int, backend: str, directory: str) -> float:
    """One run of `claim` on `seed` with the `backend` networks: its greedy `measure`."""
    from rl_kit.core.evaluation import evaluate
    from rl_kit.core.spec import NO_EVALUATION, QUIET, EvaluationSpec
    from rl_kit.core.training import execute, plan

    hyperparameters = {**claim.hyperparameters, **({"backend": backend} if backend != "numpy" else {})}
    spec = plan(claim.env, claim.agent, steps=claim.steps, seed=seed, num_envs=claim.num_envs,
                hyperparameters=hyperparameters)  # fmt: skip
    evaluation = EvaluationSpec(max(claim.steps // 10, 1), 10) if claim.measure == "best" else NO_EVALUATION
    run = execute(replace(spec, evaluation=evaluation), replace(QUIET, directory=Path(directory)))
    result = evaluate(run.agent, claim.env, episodes=claim.episodes, seed=claim.eval_seed)
    if claim.measure != "best":
        return float(result.stats[claim.measure])
    from rl_kit.presentation.plots import read_csv

    on_the_way = read_csv(run.directory / "eval.csv")
    return max([result.mean, *(on_the_way["mean"] if on_the_way else [])])


def holds(claim: Claim, returns: list[float]) -> bool:
    return sum(r >= claim.threshold for r in returns) >= claim.need


def _one(claim: Claim, seed: int, backend: str) -> float:
    import tempfile

    with tempfile.TemporaryDirectory() as directory:
        return greedy_return(claim, seed, backend, f"{directory}/run")


def robustness(claims=CLAIMS, *, extra_seeds: int = 4, workers: int | None = None) -> list[dict[str, Any]]:
    """Each claim on its own seeds plus `extra_seeds` more, on numpy and (where it can) torch;
    rows with the returns and whether the claim holds on the test's seeds and on all of them."""
    from rl_kit.infrastructure.job_pool import Job, run_grid

    by_name = {claim.name: claim for claim in claims}
    plan = {
        (claim.name, backend): tuple(range(max(claim.seeds) + 1 + extra_seeds))
        for claim in claims
        for backend in (("numpy", "torch") if claim.torch else ("numpy",))
    }
    jobs = [Job(_one, (by_name[name], seed, backend)) for (name, backend), seeds in plan.items() for seed in seeds]
    returns: dict[tuple[str, str], dict[int, float]] = {key: {} for key in plan}
    for outcome in run_grid(jobs, workers=workers):
        claim, seed, backend = outcome.job.args
        if outcome.error:
            print(f"{claim.name} seed {seed} ({backend}) failed: {outcome.error.splitlines()[-1]}")
        returns[claim.name, backend][seed] = float("nan") if outcome.error else outcome.value
    rows = []
    for (name, backend), by_seed in returns.items():
        claim = by_name[name]
        values = [by_seed[s] for s in sorted(by_seed)]
        rows.append({
            "claim": name, "backend": backend, "threshold": claim.threshold, "need": f"{claim.need} of {len(claim.seeds)}",
            "returns": values, "on its seeds": holds(claim, [by_seed[s] for s in claim.seeds]),
            "passing seeds": f"{sum(v >= claim.threshold for v in values)} of {len(values)}",
        })  # fmt: skip
    return rows


def print_rows(rows: list[dict[str, Any]]) -> None:
    print(f"{'claim':24} {'backend':8} {'needs':>8} {'holds':>6} {'passing':>10}  greedy returns by seed")
    for row in rows:
        returns = " ".join(f"{v:.1f}" if np.isfinite(v) else "failed" for v in row["returns"])
        held = "yes" if row["on its seeds"] else "NO"
        print(f"{row['claim']:24} {row['backend']:8} {row['need']:>8} {held:>6} {row['passing seeds']:>10}  {returns}")
