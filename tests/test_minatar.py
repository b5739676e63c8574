"""MinAtar's games as envs of ours: Gymnasium's and SB3's checkers, seeding through np_random,
a DQN that trains on them through the run loop, and a one-line refusal naming the extra when
the minatar package is missing."""

import sys

import gymnasium as gym
import numpy as np
import pytest

import rl_kit
from rl_kit.core.spec import EnvConfig
from rl_kit.envs import MINATAR_ENV_IDS
from rl_kit.errors import RLKitError


@pytest.mark.parametrize("env_id", MINATAR_ENV_IDS)
def test_each_game_passes_the_checkers_and_draws_a_large_board(env_id):
    from gymnasium.utils.env_checker import check_env
    from stable_baselines3.common.env_checker import check_env as sb3_check_env

    env = gym.make(env_id, render_mode="rgb_array")
    check_env(env.unwrapped, skip_render_check=True)
    with pytest.warns(UserWarning):  # SB3 says its own CnnPolicy wants 36x36 images and more
        sb3_check_env(env.unwrapped)
    obs, _ = env.reset(seed=0)
    assert obs.dtype == np.uint8 and obs.shape[:2] == (10, 10) and set(np.unique(obs)) <= {0, 1}
    frame = env.render()
    assert frame.shape == (320, 320, 3) and frame.std() > 0
    assert len(env.unwrapped.channel_names) == obs.shape[2]


def test_the_same_seed_plays_the_same_game_and_another_seed_another():
    def play(seed):  # Seaquest: enemies and divers spawn at random
        env = gym.make("rl_kit/MinAtar-Seaquest-v0")
        frames = [env.reset(seed=seed)[0]]
        rng = np.random.default_rng(0)
        for _ in range(100):
            obs, _, terminated, _, _ = env.step(int(rng.integers(6)))
            frames.append(obs)
            if terminated:
                frames.append(env.reset()[0])  # the next episode follows from the same seed too
        return np.array(frames)

    np.testing.assert_array_equal(play(3), play(3))
    assert not np.array_equal(play(3), play(4))


def test_dqn_trains_on_a_game_and_its_saved_agent_acts_the_same(tmp_path):
    from rl_kit.core.backends import load_agent

    run = rl_kit.train("rl_kit/MinAtar-Breakout-v0", "dqn", steps=1500, hyperparameters={"learning_starts": 500},
                       eval_every=0, progress=False, tensorboard=False, out=tmp_path / "run")  # fmt: skip
    assert run.agent.hyperparameters.hidden_sizes == "128"  # the paper's network, from the tuned entry
    assert run.agent.updates > 900
    images = np.random.default_rng(0).integers(0, 2, size=(8, 10, 10, 4)).astype(np.uint8)
    np.testing.assert_array_equal(load_agent(tmp_path / "run").action_values(images), run.agent.action_values(images))


def test_without_the_minatar_package_a_game_is_refused_in_one_line_naming_the_extra(monkeypatch):
    monkeypatch.setitem(sys.modules, "minatar", None)  # import minatar now raises ImportError
    with pytest.raises(RLKitError) as error:
        EnvConfig("rl_kit/MinAtar-Seaquest-v0").make()
    message = str(error.value)
    assert "pip install 'rl-kit[minatar]'" in message and "Seaquest" in message and "\n" not in message
    with pytest.raises(RLKitError, match=r"rl-kit\[minatar\]"):
        EnvConfig("rl_kit/MinAtar-Seaquest-v0").make_vector(2)


def test_the_minatar_bench_merges_its_runs_and_runs_only_the_seeds_it_lacks(tmp_path, capsys):
    from rl_kit.experiments.minatar_bench import minatar_benchmark, read_results, select_rows

    rows = select_rows("breakout")
    minatar_benchmark(rows, seeds=1, frames=600, out=tmp_path)
    report = minatar_benchmark(rows, seeds=2, frames=600, out=tmp_path)
    assert "1 runs of 600 frames to do (1 stored)" in capsys.readouterr().out
    stored = read_results(tmp_path / "results.json")["dqn:rl_kit/MinAtar-Breakout-v0@600"]
    assert sorted(stored) == ["0", "1"] and all(len(run["returns"]) == 30 for run in stored.values())
    assert "| Breakout | dqn | 600 | 2 |" in report.read_text()


def test_the_minatar_bench_trains_ppo_beside_dqn_and_reads_the_rows_that_name_no_agent_as_dqns(tmp_path, capsys):
    """A results file written before PPO's rows keys DQN's runs by game alone: they stay DQN's,
    merged with the runs written since, and a PPO row is reported beside them."""
    import json

    from rl_kit.experiments.minatar_bench import minatar_benchmark, read_results, select_agents, select_rows

    legacy = {"returns": [1.0] * 30, "seconds": 60.0}
    (tmp_path / "results.json").write_text(json.dumps({"rl_kit/MinAtar-Breakout-v0@1024": {"0": legacy}}))
    report = minatar_benchmark(select_rows("breakout"), agents=select_agents("dqn,ppo"), seeds=1, frames=1024,
                               out=tmp_path)  # fmt: skip
    assert "1 runs of 1,024 frames to do (1 stored)" in capsys.readouterr().out  # PPO's seed 0 alone
    stored = read_results(tmp_path / "results.json")
    assert stored["dqn:rl_kit/MinAtar-Breakout-v0@1024"] == {"0": legacy}
    assert len(stored["ppo:rl_kit/MinAtar-Breakout-v0@1024"]["0"]["returns"]) == 30
    text = report.read_text()
    assert "| Breakout | dqn | 1,024 | 1 (episodes only) | 1.00" in text and "| Breakout | ppo | 1,024 |" in text
    with pytest.raises(RLKitError, match="unknown minatar agent 'a2c'"):
        select_agents("a2c")
