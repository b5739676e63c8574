"""The single GridWorld env: checkers, seeding, the FrozenLake model, errors, rendering."""

import subprocess
import sys

import gymnasium as gym
import numpy as np
import pytest
from gymnasium.utils.env_checker import check_env
from stable_baselines3.common.env_checker import check_env as sb3_check_env

from rl_kit.envs import GRID_ENV_IDS, MapError


@pytest.mark.parametrize("env_id", GRID_ENV_IDS)
def test_env_checkers(env_id):
    env = gym.make(env_id)
    check_env(env.unwrapped, skip_render_check=True)
    sb3_check_env(env.unwrapped, warn=True)


@pytest.mark.parametrize("env_id", GRID_ENV_IDS)
def test_same_seed_same_trajectory(env_id):
    """On a slippery version of every map the env's own generator decides where a move goes:
    the same seed gives the same trajectory, and other seeds give others."""
    actions = np.random.default_rng(0).integers(4, size=200)

    def trajectory(seed):
        env = gym.make(env_id, slip=0.5)
        obs, _ = env.reset(seed=seed)
        out = [obs]
        for a in actions:
            obs, r, term, trunc, _ = env.step(int(a))
            out.append((obs, r, term, trunc))
            if term or trunc:
                out.append(env.reset()[0])
        return out

    assert trajectory(3) == trajectory(3)
    assert len({repr(trajectory(seed)) for seed in range(3, 8)}) > 1


@pytest.mark.parametrize(
    "ours, theirs", [("rl_kit/FrozenLake4x4-v0", "FrozenLake-v1"), ("rl_kit/FrozenLake8x8-v0", "FrozenLake8x8-v1")]
)
def test_frozen_lake_matches_gymnasium(ours, theirs):
    a, b = gym.make(ours), gym.make(theirs)
    assert a.spec.max_episode_steps == b.spec.max_episode_steps
    for s in b.unwrapped.P:
        for act in b.unwrapped.P[s]:
            mine = sorted((s2, r, t, p) for p, s2, r, t in a.unwrapped.P[s][act])
            gyms = sorted((s2, r, t, p) for p, s2, r, t in b.unwrapped.P[s][act])
            assert [m[:3] for m in mine] == [g[:3] for g in gyms]
            assert [m[3] for m in mine] == pytest.approx([g[3] for g in gyms])
    # Same seed, same actions: the very same trajectory as Gymnasium's env.
    rng = np.random.default_rng(0)
    for episode in range(20):
        assert a.reset(seed=episode)[0] == b.reset(seed=episode)[0]
        done = False
        while not done:
            action = int(rng.integers(4))
            ra, rb = a.step(action), b.step(action)
            assert ra[:4] == rb[:4]
            done = ra[2] or ra[3]


def test_cliff_walking_is_sutton_barto_example_6_6():
    env = gym.make("rl_kit/CliffWalking-v0")
    model = env.unwrapped.model
    assert (model.n_rows, model.n_cols) == (4, 12)
    obs, _ = env.reset(seed=0)
    assert obs == 36
    obs, reward, terminated, _, _ = env.step(2)  # right, into the cliff
    assert (obs, reward, terminated) == (36, -100.0, False)
    obs, reward, terminated, _, _ = env.step(3)  # up
    assert (obs, reward, terminated) == (24, -1.0, False)


def test_action_out_of_range_is_a_clear_error():
    env = gym.make("rl_kit/GridWorld-v0")
    env.reset(seed=0)
    for bad in (4, -1, 1.5, "up"):
        with pytest.raises(ValueError, match=r"not in the action space Discrete\(4\)"):
            env.unwrapped.step(bad)


def test_user_map_and_bad_map_through_make(tmp_path):
    env = gym.make("rl_kit/GridWorld-v0", map="S..\n.#G")
    assert env.observation_space.n == 6
    path = tmp_path / "room.txt"
    path.write_text("S.\n.G\n")
    assert gym.make("rl_kit/GridWorld-v0", map=str(path)).observation_space.n == 4
    with pytest.raises(MapError, match="row 2, column 3"):
        gym.make("rl_kit/GridWorld-v0", map="S..\n..?")
    with pytest.raises(ValueError, match="unknown reset options"):
        gym.make("rl_kit/GridWorld-v0").reset(options={"start": 3})


def test_rgb_array_frame_shape_and_motion():
    env = gym.make("rl_kit/GridWorld-v0", render_mode="rgb_array")
    env.reset(seed=0)
    first = env.render()
    painter = env.unwrapped._painter
    assert first.shape == (painter.size[1], painter.size[0], 3) and first.dtype == np.uint8
    env.step(1)  # down: the default map's start has floor below it
    assert not np.array_equal(first, env.render())


def test_overlay_changes_the_frame_and_checks_shape():
    env = gym.make("rl_kit/FrozenLake4x4-v0", render_mode="rgb_array")
    env.reset(seed=0)
    plain = env.render()
    env.unwrapped.set_overlay(np.linspace(0, 1, 16), np.arange(16) % 4)
    assert not np.array_equal(plain, env.render())
    with pytest.raises(ValueError, match="shape"):
        env.unwrapped.set_overlay(np.zeros(3))


def test_windy_frame_has_wind_strip():
    env = gym.make("rl_kit/WindyGridworld-v0", render_mode="rgb_array")
    env.reset(seed=0)
    frame = env.render()
    painter = env.unwrapped._painter
    assert frame.shape[0] == painter.tile * 7 + painter.top and painter.top > 0


def test_human_mode_runs_headless():
    import pygame

    env = gym.make("rl_kit/FrozenLake4x4-v0", render_mode="human")
    env.unwrapped.metadata = {**env.unwrapped.metadata, "render_fps": 1000}
    env.reset(seed=0)
    for _ in range(3):
        obs = env.step(1)[0]
        assert env.observation_space.contains(obs)
    renderer = env.unwrapped._renderer
    assert renderer.window is not None and renderer.window.get_size() == renderer.canvas.get_size()
    assert pygame.surfarray.array3d(renderer.window).std() > 0  # the map was drawn in the window
    env.close()
    assert env.unwrapped._renderer is None


def test_ansi_shows_agent():
    env = gym.make("rl_kit/GridWorld-v0", render_mode="ansi")
    env.reset(seed=0)
    assert env.render().splitlines()[0].startswith("@")


def test_import_needs_no_pygame_or_torch_and_make_with_module_prefix(tmp_path):
    code = (
        "import sys, gymnasium as gym\n"
        "env = gym.make('rl_kit.envs:rl_kit/GridWorld-v0')\n"
        "env.reset(seed=0); env.step(0)\n"
        "assert 'pygame' not in sys.modules and 'torch' not in sys.modules, sorted(sys.modules)\n"
        "print('ok')\n"
    )
    out = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "ok"
