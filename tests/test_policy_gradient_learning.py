"""Policy-gradient agents learn, on a fixed seed and step budget (greedy evaluation)."""

import pytest

import rl_kit
from rl_kit.experiments.robustness import claim_named, greedy_return, holds

CATCH = {  # the claims rl-kit bench --suite robustness reruns on more seeds and on torch
    "reinforce": (claim_named("reinforce-catch").steps, claim_named("reinforce-catch").hyperparameters),
    "a2c": (claim_named("a2c-catch").steps, claim_named("a2c-catch").hyperparameters),
    "ppo": (claim_named("ppo-catch").steps, claim_named("ppo-catch").hyperparameters),
}


def train_and_evaluate(env_id, agent, steps, hp, tmp_path, episodes=20):
    run = rl_kit.train(
        env_id,
        agent,
        steps=steps,
        seed=0,
        num_envs=8,
        hyperparameters=hp,
        out=tmp_path,
        progress=False,
        tensorboard=False,
        eval_every=0,
    )
    return rl_kit.evaluate(run.agent, env_id, episodes=episodes, seed=0)


@pytest.mark.parametrize(
    "agent", [pytest.param(a, marks=[pytest.mark.slow] if a == "reinforce" else []) for a in CATCH]
)  # REINFORCE's 150k steps (18 s) with -m slow
def test_catches_every_ball(agent, tmp_path):
    steps, hp = CATCH[agent]
    result = train_and_evaluate("rl_kit/Catch-v0", agent, steps, hp, tmp_path)
    assert result.mean >= 9.5  # of 10


@pytest.mark.slow  # PPO: one run of 100k steps (30 s); A2C: five of 200k (about 3 min)
@pytest.mark.parametrize("agent", ["ppo", "a2c"])
def test_balances_gymnasium_cartpole(agent, tmp_path):
    """The claims `rl-kit bench --suite robustness` reruns on more seeds and on torch: PPO
    reaches 475 on seed 0 (all of seeds 0-4 reach 500 there); A2C reaches 450 on 2 of seeds 0-4."""
    claim = claim_named(f"{agent}-cartpole")
    returns = [greedy_return(claim, seed, "numpy", str(tmp_path / str(seed))) for seed in claim.seeds]
    assert holds(claim, returns), returns


@pytest.mark.slow  # 50k steps: 13 s
def test_ppo_reaches_the_point_goal_reliably(tmp_path):
    claim = claim_named("ppo-pointgoal")
    returns = [greedy_return(claim, seed, "numpy", str(tmp_path / str(seed))) for seed in claim.seeds]
    assert holds(claim, returns), returns  # a success rate of 0.95 over 50 episodes


@pytest.mark.slow  # 8 runs of 20k steps: about 55 s
def test_gsde_solves_mountain_car_continuous_on_most_seeds(tmp_path):
    """The Zoo's gSDE entry reaches the goal (a greedy return of 85 or more) within 20k steps
    on at least 4 of seeds 0-7. One seed is no evidence: on one CPU seed 0 solves it, on another
    it stays at the bottom (-41), as floats round differently there. White noise at the same
    log std is left out: it solves 4 of these 8 seeds on an AMD EPYC, so "gSDE where white noise
    fails" is not a claim that travels (chapter 10)."""
    claim = claim_named("ppo-gsde-mountaincar")
    returns = [greedy_return(claim, seed, "numpy", str(tmp_path / str(seed))) for seed in claim.seeds]
    assert holds(claim, returns), returns


@pytest.mark.parametrize("agent", ["ppo", "a2c"])
def test_learns_catch_from_pixels_on_most_seeds(agent, tmp_path):
    """The shared convolution torso in front of the actor-critic, at the tuned Catch entry, 20k
    steps (random play scores about -6). On the development machine every seed of 0-3 catches
    all 10 balls (PPO about 2.7 s a run, A2C 1 s)."""
    scores = []
    for seed in range(4):
        run = rl_kit.train("rl_kit/Catch-v0", agent, steps=20_000, seed=seed, env_kwargs={"observation": "pixels"},
                           eval_every=0, progress=False, tensorboard=False, out=tmp_path / f"seed{seed}")  # fmt: skip
        assert run.agent.net.torso is not None
        scores.append(rl_kit.evaluate(run.agent, run.spec.env, episodes=10, seed=100).mean)
    assert sum(score >= 8 for score in scores) >= 3, scores
