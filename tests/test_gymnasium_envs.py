"""Every Gymnasium env a user brings: each agent family trains and evaluates on it, or refuses in one line.

The sweep takes Gymnasium's own registry (toy-text and classic-control, Box2D where installed),
so a new env in a new Gymnasium version is swept too. Nothing may hang: an env registered
without a time limit (CliffWalking-v1, Blackjack-v1) gets rl-kit's cap, and each run is held
to a generous wall-clock bound that only a hang would pass.
"""

import importlib.util
import signal

import gymnasium as gym
import numpy as np
import pytest

import rl_kit
from rl_kit.core.spec import DEFAULT_MAX_EPISODE_STEPS, EnvConfig
from rl_kit.errors import RLKitError

FAMILIES = {  # one agent per family, on a short budget
    "q_learning": {},
    "monte_carlo_control": {},
    "ppo": {"n_steps": 64, "batch_size": 64, "n_epochs": 1},
    "a2c": {"n_steps": 8},
}
PACKAGES = ["gymnasium.envs.toy_text", "gymnasium.envs.classic_control"]
if importlib.util.find_spec("Box2D") is not None:
    PACKAGES.append("gymnasium.envs.box2d")
HANG_BOUND_S = 120  # a run here takes a few seconds at most
IMAGE_EPISODE_STEPS = 100


def gymnasium_env_ids() -> list[str]:
    ids = []
    for env_id, spec in gym.registry.items():
        entry = spec.entry_point if isinstance(spec.entry_point, str) else ""
        if spec.namespace is None and any(entry.startswith(package) for package in PACKAGES):
            ids.append(env_id)
    return sorted(ids)


class Hung(Exception):
    pass


def _alarm(signum, frame):
    raise Hung(f"no result within {HANG_BOUND_S} s")


@pytest.mark.parametrize("env_id", gymnasium_env_ids())
def test_every_agent_family_trains_and_evaluates_or_refuses_in_one_line(env_id, tmp_path):
    previous = signal.signal(signal.SIGALRM, _alarm)
    outcomes = {}
    images = len(gym.make(env_id).observation_space.shape or ()) >= 2
    # CarRacing: a convolution over 96x96 frames is most of a step, so its 1,000-step episodes are cut
    env = EnvConfig(env_id, max_episode_steps=IMAGE_EPISODE_STEPS) if images else EnvConfig(env_id)
    try:
        for agent, hyperparameters in FAMILIES.items():
            signal.alarm(HANG_BOUND_S)
            try:
                run = rl_kit.train(
                    env,
                    agent,
                    steps=256,
                    num_envs=2,
                    seed=0,
                    out=tmp_path / agent,
                    hyperparameters=hyperparameters,
                    tuned=False,
                    progress=False,
                    tensorboard=False,
                    eval_every=256,
                    eval_episodes=1,
                )
                result = rl_kit.evaluate(tmp_path / agent, episodes=2, seed=0)
                assert run.result.steps >= 256 and np.isfinite(result.returns).all()
                assert (result.lengths <= env.time_limit).all()
                outcomes[agent] = "trained"
            except RLKitError as error:
                message = str(error)
                assert "\n" not in message and len(message) < 400, message
                assert agent in message or env_id in message or "space" in message, message
                outcomes[agent] = "refused"
            finally:
                signal.alarm(0)
    finally:
        signal.signal(signal.SIGALRM, previous)
    assert "trained" in outcomes.values(), outcomes  # every env is served by some family (images by ppo's torso)


def test_an_env_without_a_time_limit_is_evaluated_and_recorded_to_the_end(tmp_path, capsys, monkeypatch):
    """A greedy policy that walks into CliffWalking's border forever: the cap ends its episodes."""
    from rl_kit.core import spec

    monkeypatch.setattr(spec, "_announced", set())  # said once per process: say it again here
    assert gym.spec("CliffWalking-v1").max_episode_steps is None
    rl_kit.train(
        "CliffWalking-v1",
        "q_learning",
        steps=200,
        out=tmp_path / "run",
        progress=False,
        tensorboard=False,
        eval_every=0,
    )
    result = rl_kit.evaluate(tmp_path / "run", episodes=3)  # an untrained greedy policy never reaches the goal
    assert result.lengths.tolist() == [DEFAULT_MAX_EPISODE_STEPS] * 3
    assert "registered without a time limit" in capsys.readouterr().err
    capped = rl_kit.evaluate(tmp_path / "run", episodes=2, env_kwargs={"max_episode_steps": 20})
    assert capped.lengths.tolist() == [20, 20]

    from rl_kit.presentation.watch import record

    gif = record(tmp_path / "run", tmp_path / "episode.gif", episodes=1, max_episode_steps=30)
    assert gif.stat().st_size > 0


@pytest.mark.parametrize("agent", ["q_learning", "monte_carlo_control"])
def test_table_agents_learn_blackjack(agent, tmp_path):
    """Sutton & Barto's Monte Carlo example, Gymnasium's Blackjack-v1 (a Tuple of Discrete): a
    random policy loses about 0.4 a hand, the optimal one about 0.05; learned in 30k steps (some
    20k hands), at most 0.12."""
    hyperparameters = {"epsilon": "linear(1.0, 0.05, 20000)"}
    if agent == "q_learning":
        hyperparameters["alpha"] = "linear(0.2, 0.01, 30000)"
    run = rl_kit.train(
        "Blackjack-v1",
        agent,
        steps=30_000,
        num_envs=8,
        seed=0,
        out=tmp_path,
        hyperparameters=hyperparameters,
        progress=False,
        tensorboard=False,
        eval_every=0,
    )
    result = rl_kit.evaluate(run.agent, "Blackjack-v1", episodes=5_000, seed=0)
    assert result.mean >= -0.12, result
