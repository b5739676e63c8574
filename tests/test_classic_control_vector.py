"""The native vector versions of Gymnasium's classic-control envs against Gymnasium's own:
for the same seeds and actions, the same observations, rewards, terminations, truncations,
infos and internal states as ``gym.make_vec(id, n, "sync")``, bit for bit, with resets of
every kind; resume; drawing; and rl-kit using them by default."""

import gymnasium as gym
import numpy as np
import pytest
from gymnasium.vector import AutoresetMode

from rl_kit.core.spec import EnvConfig
from rl_kit.envs.classic_control import NATIVE_VECTOR_ENVS, square

IDS = sorted(NATIVE_VECTOR_ENVS)
MODES = [AutoresetMode.NEXT_STEP, AutoresetMode.SAME_STEP]
N = 8


def pair(env_id, mode, **options):
    reference = gym.make_vec(env_id, N, vectorization_mode="sync", vector_kwargs={"autoreset_mode": mode}, **options)
    limit = options.pop("max_episode_steps", gym.spec(env_id).max_episode_steps)
    ours = NATIVE_VECTOR_ENVS[env_id](N, max_episode_steps=limit, autoreset_mode=mode, **options)
    return reference, ours


def actions_for(env_id, obs, rng, space):
    """Random actions for half the envs; for the others a policy that pumps energy and so reaches
    the goals (terminations), and for the Box envs actions beyond the bounds (the clip)."""
    actions = space.sample()
    if env_id == "MountainCar-v0":
        actions[N // 2 :] = np.where(obs[N // 2 :, 1] > 0, 2, 0)
    elif env_id == "MountainCarContinuous-v0":
        actions[N // 2 :, 0] = np.where(obs[N // 2 :, 1] >= 0, 1.0, -1.0) * rng.uniform(0.5, 3.0, N - N // 2)
    elif env_id == "Acrobot-v1":
        actions[N // 2 :] = np.where(obs[N // 2 :, 5] > 0, 2, 0)
    else:
        actions = (actions * rng.uniform(0.5, 1.5, actions.shape)).astype(np.float32)
    return actions


def assert_same(expected, got, what):
    expected, got = np.asarray(expected), np.asarray(got)
    assert expected.dtype == got.dtype and expected.shape == got.shape, what
    assert np.array_equal(expected, got), f"{what}: first difference at {np.argwhere(expected != got)[:1]}"


def assert_same_states(reference, ours, what):
    for i, sub in enumerate(reference.envs):
        assert_same(np.asarray(sub.unwrapped.state, dtype=np.float64), ours.states[i], f"{what}, env {i}'s state")


@pytest.mark.parametrize("mode", MODES, ids=["next_step", "same_step"])
@pytest.mark.parametrize("env_id", IDS)
def test_the_same_as_gymnasiums_sync_vector_env_bit_for_bit(env_id, mode):
    reference, ours = pair(env_id, mode)
    obs_a, info_a = reference.reset(seed=3)
    obs_b, info_b = ours.reset(seed=3)
    assert_same(obs_a, obs_b, "first observations") and info_a == info_b == {}
    reference.action_space.seed(4)
    rng, ends, terminations = np.random.default_rng(5), 0, 0
    for t in range(1500):
        actions = actions_for(env_id, obs_a, rng, reference.action_space)
        *returned_a, info_a = reference.step(actions)
        *returned_b, info_b = ours.step(actions)
        for name, a, b in zip(("obs", "reward", "terminated", "truncated"), returned_a, returned_b, strict=True):
            assert_same(a, b, f"{name} at step {t}")
        assert info_a.keys() == info_b.keys(), f"info at step {t}"
        if "final_obs" in info_a:
            assert_same(info_a["_final_obs"], info_b["_final_obs"], "final_obs mask")
            for i in np.flatnonzero(info_a["_final_obs"]):
                assert_same(info_a["final_obs"][i], info_b["final_obs"][i], f"env {i}'s final_obs at step {t}")
        assert_same_states(reference, ours, f"step {t}")
        obs_a = returned_a[0]
        ends += int((returned_a[2] | returned_a[3]).sum())
        terminations += int(returned_a[2].sum())
        if t == 700:  # a partial reset, seeded per env, mid-episode
            mask = np.arange(N) % 3 == 0
            seeds = [100 + i for i in range(N)]
            obs_a, _ = reference.reset(seed=seeds, options={"reset_mask": mask.copy()})
            obs_b, _ = ours.reset(seed=seeds, options={"reset_mask": mask.copy()})
            assert_same(obs_a, obs_b, "observations after a masked reset")
    assert ends >= 10  # episodes ended, and the autoreset was exercised
    if env_id != "Pendulum-v1":  # Pendulum never terminates
        assert terminations >= 3


@pytest.mark.parametrize("env_id", ["Pendulum-v1", "MountainCar-v0"])
def test_options_and_a_short_limit_agree_too(env_id):
    options = {"g": 9.81} if env_id == "Pendulum-v1" else {"goal_velocity": 0.01}
    reference, ours = pair(env_id, AutoresetMode.SAME_STEP, max_episode_steps=25, **options)
    obs_a, _ = reference.reset(seed=0)
    obs_b, _ = ours.reset(seed=0)
    reference.action_space.seed(1)
    for t in range(200):
        actions = reference.action_space.sample()
        a, b = reference.step(actions), ours.step(actions)
        for name, x, y in zip(("obs", "reward", "terminated", "truncated"), a[:4], b[:4], strict=True):
            assert_same(x, y, f"{name} at step {t}")
    assert_same_states(reference, ours, "the end")


def test_the_squares_are_the_c_librarys_pow_as_gymnasiums_scalars_take_them():
    x = np.random.default_rng(0).uniform(-20, 20, 20_000)
    assert_same(np.array([value**2 for value in x]), square(x), "float64")
    u = x.astype(np.float32) / 10
    assert_same(np.array([value**2 for value in u]), square(u), "float32")


@pytest.mark.parametrize("env_id", IDS)
def test_a_resumed_vector_env_equals_an_uninterrupted_one(env_id):
    straight = NATIVE_VECTOR_ENVS[env_id](4, max_episode_steps=30, autoreset_mode=AutoresetMode.NEXT_STEP)
    resumed = NATIVE_VECTOR_ENVS[env_id](4, max_episode_steps=30, autoreset_mode=AutoresetMode.NEXT_STEP)
    straight.reset(seed=0)
    straight.action_space.seed(0)
    actions = [straight.action_space.sample() for _ in range(120)]
    for a in actions[:50]:
        straight.step(a)
    arrays, rest = straight.training_state()
    resumed.load_training_state(arrays, rest)
    for a in actions[50:]:
        for x, y in zip(straight.step(a)[:4], resumed.step(a)[:4], strict=True):
            assert_same(x, y, "after resuming")


@pytest.mark.parametrize("env_id", IDS)
def test_each_sub_env_is_drawn_by_gymnasiums_own_renderer(env_id):
    envs = NATIVE_VECTOR_ENVS[env_id](2, render_mode="rgb_array")
    envs.reset(seed=0)
    envs.step(envs.action_space.sample())
    frames = envs.render()
    single = gym.make(env_id, render_mode="rgb_array")
    single.reset(seed=0)
    assert len(frames) == 2 and frames[0].shape == single.render().shape and frames[0].dtype == np.uint8
    assert not np.array_equal(frames[0], frames[1])  # two states, two pictures
    envs.close()
    single.close()


def test_wrong_actions_and_options_are_refused_in_one_line():
    envs = NATIVE_VECTOR_ENVS["Pendulum-v1"](2)
    envs.reset(seed=0)
    with pytest.raises(ValueError, match="not in the action space"):
        envs.step(np.zeros((3, 1), np.float32))
    with pytest.raises(ValueError, match="only 'reset_mask'"):
        envs.reset(options={"x_init": 1.0})
    acrobot = NATIVE_VECTOR_ENVS["Acrobot-v1"](2)
    acrobot.reset(seed=0)
    for wrong in (np.array([0, 3]), np.array([-1, 0]), np.array([0.5, 1.0])):  # Gymnasium's env asserts these
        with pytest.raises(ValueError, match="not in the action space"):
            acrobot.step(wrong)
    with pytest.raises(ValueError, match="autoreset_mode"):
        NATIVE_VECTOR_ENVS["Pendulum-v1"](2, autoreset_mode=AutoresetMode.DISABLED)


def test_rl_kit_takes_the_twin_by_default_and_gymnasiums_when_asked():
    native = EnvConfig("Acrobot-v1").make_vector(3)
    assert type(native).__name__ == "AcrobotVectorEnv" and native.metadata["autoreset_mode"] == AutoresetMode.SAME_STEP
    assert native.max_episode_steps == 500
    sync = EnvConfig("Acrobot-v1", {"vector_env": "sync"}).make_vector(3)
    assert isinstance(sync, gym.vector.SyncVectorEnv)
    config = EnvConfig("Acrobot-v1", {"vector_env": "sync"}, max_episode_steps=99)
    assert EnvConfig.from_dict(config.to_dict()) == config and "vector_env=sync" in str(config)
    with pytest.raises(Exception, match="vector_env must be one of"):
        EnvConfig("Acrobot-v1", {"vector_env": "fast"})


def test_the_throughput_benchmark_measures_every_twin_beside_gymnasiums(capsys):
    from rl_kit.experiments.env_bench import env_throughput

    results = env_throughput(rounds=1, seconds=0.001)
    for env_id in IDS:
        assert results[f"{env_id} rl-kit"] > 0 and results[f"{env_id} gymnasium sync"] > 0
    assert "rl-kit vs gymnasium sync" in capsys.readouterr().out


def test_a_run_on_the_twin_is_the_run_on_gymnasiums_sync_env(quiet_train):
    """The same seeds, the same episodes and the same trained agent, either way."""
    import csv

    from rl_kit.core.agent_files import load

    runs = {}
    for vector_env in ("native", "sync"):
        env = EnvConfig("MountainCarContinuous-v0", {"vector_env": vector_env}, max_episode_steps=100)
        runs[vector_env] = quiet_train(env, "ppo",
                                       steps=3_000, num_envs=4, hyperparameters={"n_steps": 64})  # fmt: skip
    episodes = {}
    for name, run in runs.items():
        with open(run.directory / "episodes.csv", newline="") as f:
            episodes[name] = [(row["step"], row["return"], row["length"]) for row in csv.DictReader(f)]
    assert len(episodes["native"]) >= 4 and episodes["native"] == episodes["sync"]
    native, sync = (load(run.directory / "agent.safetensors") for run in runs.values())
    for (key, a), b in zip(native.state_dict().items(), sync.state_dict().values(), strict=True):
        np.testing.assert_array_equal(a, b, err_msg=key)
