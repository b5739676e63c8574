"""stable-baselines3 agents through the same train, run directory, evaluate and watch."""

import csv

import numpy as np
import pytest
import yaml

import rl_kit
from rl_kit.core.hyperparameter_files import tuned_hyperparameters
from rl_kit.core.sb3_backend import sb3_arguments
from rl_kit.core.sb3_files import SB3Agent, algorithm
from rl_kit.errors import RLKitError


def header(path):
    with open(path, newline="") as f:
        return next(csv.reader(f))


def test_sb3_and_ours_write_the_same_run_directory(tmp_path):
    ours = rl_kit.train(
        "CartPole-v1",
        "ppo",
        steps=3000,
        seed=0,
        out=tmp_path / "ours",
        progress=False,
        eval_every=1000,
        eval_episodes=2,
    )
    theirs = rl_kit.train(
        "CartPole-v1",
        "sb3_ppo",
        steps=3000,
        seed=0,
        out=tmp_path / "sb3",
        progress=False,
        eval_every=1000,
        eval_episodes=2,
    )
    common = {"config.yaml", "episodes.csv", "train.csv", "eval.csv", "result.yaml", "tensorboard"}
    assert common <= {p.name for p in ours.directory.iterdir()} and common <= {
        p.name for p in theirs.directory.iterdir()
    }
    for name in ("episodes.csv", "eval.csv"):
        assert header(ours.directory / name) == header(theirs.directory / name)
    shared = {
        "step",
        "wall_time",
        "learning_rate",
        "entropy",
        "policy_loss",
        "value_loss",
        "approx_kl",
        "clip_fraction",
        "explained_variance",
    }
    assert shared <= set(header(ours.directory / "train.csv")) and shared <= set(header(theirs.directory / "train.csv"))
    assert theirs.result.episodes > 0 and theirs.result.steps >= 3000
    config = yaml.safe_load((theirs.directory / "config.yaml").read_text())
    assert config["hyperparameters_file"] == "sb3_ppo.yml#CartPole-v1" and config["hyperparameters"]["n_steps"] == 32


@pytest.mark.parametrize("agent", ["ppo", "a2c", "dqn"])
def test_both_backends_keep_the_time_limit_and_log_every_update_at_its_step(tmp_path, agent, quiet_train):
    """One protocol. Before, the SB3 trainer made its envs from the id alone (episodes of 112
    steps under --max-episode-steps 10), and read SB3's metrics before its update: rows at
    130 and 194 where ours logs 64, 128, 192 and 256, the last updates never."""
    import csv

    hp = {"dqn": {"train_freq": 64, "learning_starts": 0, "buffer_size": 1000, "batch_size": 32}}.get(
        agent, {"n_steps": 64, **({"batch_size": 64} if agent == "ppo" else {})}
    )
    runs = {}
    for name in (agent, f"sb3_{agent}"):
        out = tmp_path / name
        quiet_train("CartPole-v1", name, steps=256, seed=0, out=out, hyperparameters=hp, tuned=False,
                     env_kwargs={"max_episode_steps": 10}, eval_every=0)  # fmt: skip
        with open(out / "episodes.csv") as f:
            lengths = [int(row["length"]) for row in csv.DictReader(f)]
        with open(out / "train.csv") as f:
            steps = [int(row["step"]) for row in csv.DictReader(f)]
        runs[name] = max(lengths), steps
    assert runs[agent][0] == runs[f"sb3_{agent}"][0] == 10
    assert runs[agent][1] == runs[f"sb3_{agent}"][1] == [64, 128, 192, 256], runs


def test_saved_sb3_agent_loads_evaluates_and_records(tmp_path):
    run = rl_kit.train(
        "rl_kit/Catch-v0", "sb3_a2c", steps=800, num_envs=2, out=tmp_path / "run", progress=False, eval_every=0
    )
    assert (run.directory / "agent.zip").is_file() and (run.directory / "agent.json").is_file()
    loaded = rl_kit.load_agent(run.directory)
    assert isinstance(loaded, SB3Agent)
    obs = np.random.default_rng(0).random((5, 4)).astype(np.float32)
    assert np.array_equal(loaded.act(obs, explore=False), run.agent.act(obs, explore=False))
    assert rl_kit.evaluate(run.directory, episodes=3).env_id == "rl_kit/Catch-v0"
    from rl_kit.presentation.watch import record

    assert record(run.directory, tmp_path / "sb3.gif").is_file()


def test_dqn_and_interrupt(tmp_path):
    def stop(step, agent):
        raise KeyboardInterrupt

    run = rl_kit.train(
        "rl_kit/Catch-v0",
        "sb3_dqn",
        steps=50_000,
        out=tmp_path,
        progress=False,
        eval_every=0,
        callback=stop,
        callback_every=500,
    )
    assert run.result.interrupted and run.result.steps < 50_000 and (tmp_path / "agent.zip").is_file()


def test_any_sb3_algorithm_by_name_and_unknown_names():
    from stable_baselines3 import SAC

    assert algorithm("sb3_sac") is SAC
    with pytest.raises(RLKitError, match="unknown agent 'sb3_ppx'. Did you mean sb3_ppo"):
        algorithm("sb3_ppx")
    with pytest.raises(RLKitError, match="cannot be built"):
        rl_kit.train("CartPole-v1", "sb3_ppo", steps=10, hyperparameters={"n_stepz": 3}, progress=False)


def test_schedules_become_sb3_callables():
    arguments = sb3_arguments({"learning_rate": "linear(0.001, 0.0, 1000)", "n_steps": 8}, total_steps=1000)
    assert arguments["learning_rate"](1.0) == pytest.approx(0.001) and arguments["learning_rate"](0.0) == pytest.approx(
        0.0
    )
    assert arguments["n_steps"] == 8


@pytest.mark.parametrize("agent", ["q_learning", "sarsa", "expected_sarsa", "double_q_learning", "value_iteration"])
def test_tuned_files_cover_every_tabular_env(agent):
    for env_id in (
        "rl_kit/GridWorld-v0",
        "rl_kit/FrozenLake4x4-v0",
        "rl_kit/FrozenLake8x8-v0",
        "rl_kit/CliffWalking-v0",
        "rl_kit/WindyGridworld-v0",
        "rl_kit/FourRooms-v0",
        "FrozenLake-v1",
        "Taxi-v4",
    ):
        entry = tuned_hyperparameters(agent, env_id)
        assert entry.file is not None and entry.num_envs >= 1, (agent, env_id)


@pytest.mark.parametrize("agent", ["reinforce", "a2c", "ppo", "sb3_ppo", "sb3_a2c", "sb3_dqn"])
def test_tuned_files_cover_every_control_env(agent):
    import gymnasium as gym

    for env_id in (
        "rl_kit/Catch-v0",
        "rl_kit/PointGoal-v0",
        "rl_kit/Lander-v0",
        "rl_kit/LanderContinuous-v0",
        "CartPole-v1",
        "Acrobot-v1",
    ):
        if agent == "sb3_dqn" and isinstance(gym.make(env_id).action_space, gym.spaces.Box):
            continue  # DQN needs discrete actions
        assert tuned_hyperparameters(agent, env_id).file is not None, (agent, env_id)


def test_our_tuned_entries_build(tmp_path):
    """Every entry of our agents' files is accepted by the agent it is for."""
    import gymnasium as gym

    from rl_kit.core import registry
    from rl_kit.core.hyperparameter_files import HYPERPARAMETER_DIRECTORY
    from rl_kit.core.spec import over_the_run

    built = 0
    for path in HYPERPARAMETER_DIRECTORY.glob("*.yml"):
        if path.stem.startswith("sb3_"):
            continue
        for env_id, entry in yaml.safe_load(path.read_text()).items():
            budget = entry.get(
                "n_timesteps", 1
            )  # a schedule over the `run` lasts the run planned at the entry's budget
            values = {k: over_the_run(v, budget) for k, v in entry.items() if k not in ("num_envs", "n_timesteps")}
            env = gym.make(env_id)
            agent = registry.make_agent(
                path.stem, env.observation_space, env.action_space, hyperparameters=values, env=env
            )
            recorded = agent.hyperparameters.to_dict()
            assert set(values) <= set(recorded), (path.name, env_id)
            built += 1
    assert built >= 20  # every file was read


def rewrite_zip(path, change):
    """Rewrite the ``data`` entry of an SB3 zip through `change(data) -> data`."""
    import json
    import zipfile

    with zipfile.ZipFile(path) as archive:
        entries = {name: archive.read(name) for name in archive.namelist()}
    entries["data"] = json.dumps(change(json.loads(entries["data"]))).encode()
    with zipfile.ZipFile(path, "w") as archive:
        for name, content in entries.items():
            archive.writestr(name, content)


def pickled_payload(marker):
    import base64

    import cloudpickle

    class Payload:
        def __reduce__(self):
            return (exec, (f"open({str(marker)!r}, 'w').write('ran')",))

    return {":type:": "<class 'object'>", ":serialized:": base64.b64encode(cloudpickle.dumps(Payload())).decode()}


@pytest.mark.parametrize("agent", ["sb3_ppo", "sb3_dqn"])
def test_loading_an_sb3_zip_unpickles_nothing(agent, tmp_path):
    from rl_kit.errors import AgentFileError

    run = rl_kit.train(
        "rl_kit/Catch-v0", agent, steps=600, num_envs=1, out=tmp_path / "run", progress=False, eval_every=0
    )
    marker = tmp_path / "PWNED"
    # A payload in an entry SB3 pickles (the policy class): replaced, never unpickled.
    rewrite_zip(run.directory / "agent.zip", lambda data: {**data, "policy_class": pickled_payload(marker)})
    loaded = rl_kit.load_agent(run.directory)
    assert not marker.exists()
    obs = np.zeros((3, 4), np.float32)
    assert np.array_equal(loaded.act(obs, explore=False), run.agent.act(obs, explore=False))
    # A payload under a name we do not know: refused, never unpickled.
    rewrite_zip(run.directory / "agent.zip", lambda data: {**data, "surprise": pickled_payload(marker)})
    with pytest.raises(AgentFileError, match="refuses to unpickle it"):
        rl_kit.load_agent(run.directory)
    assert not marker.exists()


def test_the_payload_would_run_through_a_plain_sb3_load(tmp_path):
    """The control: SB3's own load does unpickle the planted entry (so the test above can fail)."""
    run = rl_kit.train(
        "rl_kit/Catch-v0", "sb3_ppo", steps=600, num_envs=1, out=tmp_path / "run", progress=False, eval_every=0
    )
    marker = tmp_path / "RAN"
    rewrite_zip(run.directory / "agent.zip", lambda data: {**data, "surprise": pickled_payload(marker)})
    algorithm("sb3_ppo").load(run.directory / "agent.zip", device="cpu")
    assert marker.read_text() == "ran"


def test_command_line_values_reach_sb3_as_numbers():
    arguments = sb3_arguments(
        {
            "n_steps": "64",
            "ent_coef": "1e-3",
            "normalize_advantage": "false",
            "clip_range": "0.1",
            "policy_kwargs": "{net_arch: [32, 32]}",
        },
        total_steps=100,
    )
    assert arguments["n_steps"] == 64 and arguments["ent_coef"] == 0.001 and arguments["normalize_advantage"] is False
    assert arguments["clip_range"] == 0.1 and arguments["policy_kwargs"] == {"net_arch": [32, 32]}


def test_sb3_train_from_the_command_line(tmp_path):
    import subprocess
    import sys

    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "rl_kit.cli",
            "train",
            "--env",
            "CartPole-v1",
            "--agent",
            "sb3_ppo",
            "--steps",
            "512",
            "--hp",
            "n_steps=64",
            "--hp",
            "batch_size=64",
            "--out",
            str(tmp_path),
            "--no-progress",
            "--eval-every",
            "0",
        ],
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "agent.zip").is_file()


def test_an_sb3_zip_declaring_huge_networks_is_refused_before_they_are_built(tmp_path):
    """Before, a 140 KB zip whose data said net_arch [8000, 8000] took 50 s and 1.55 GB to refuse."""
    import time

    from rl_kit.errors import AgentFileError

    run = rl_kit.train(
        "rl_kit/Catch-v0", "sb3_ppo", steps=600, num_envs=1, out=tmp_path / "run", progress=False, eval_every=0
    )
    rl_kit.load_agent(run.directory)  # as saved, it loads
    rewrite_zip(run.directory / "agent.zip", lambda data: {**data, "policy_kwargs": {"net_arch": [8000, 8000]}})
    started = time.monotonic()
    with pytest.raises(AgentFileError, match="declare 128,"):
        rl_kit.load_agent(run.directory)
    assert time.monotonic() - started < 5
