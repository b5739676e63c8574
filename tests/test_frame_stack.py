"""Frame stacking through the run's env config: the last k observations side by side, in the
single env and in every copy of the vector env, on both backends, reset and saved with the run."""

import gymnasium as gym
import numpy as np
import pytest

import rl_kit.envs  # noqa: F401  (registers rl_kit/...)
from rl_kit.core.spec import EnvConfig
from rl_kit.envs.frame_stack import StackFrames
from rl_kit.errors import RLKitError

PIXELS = {"observation": "pixels", "drift": True}


def test_the_stack_holds_the_last_k_frames_oldest_first_and_the_first_frame_after_a_reset():
    env = StackFrames(gym.make("rl_kit/Catch-v0", **PIXELS), 3)
    plain = gym.make("rl_kit/Catch-v0", **PIXELS)
    assert env.observation_space.shape == (10, 5, 6) and env.observation_space.dtype == np.uint8
    obs, _ = env.reset(seed=4)
    frames = [plain.reset(seed=4)[0]] * 3
    np.testing.assert_array_equal(obs, np.concatenate(frames, axis=-1))
    for action in [0, 2, 2, 1, 0, 0, 2]:
        obs = env.step(action)[0]
        frames = [*frames[1:], plain.step(action)[0]]
        np.testing.assert_array_equal(obs, np.concatenate(frames, axis=-1))
        assert env.observation_space.contains(obs)


def test_a_drifting_ball_moves_sideways_and_bounces_off_the_walls():
    env = gym.make("rl_kit/Catch-v0", drift=True, columns=5)
    env.reset(seed=0)
    columns = []
    for _ in range(40):
        state = env.unwrapped.state[0]
        columns.append(state[0])
        env.step(1)
    steps = np.abs(np.diff(columns))
    assert set(steps.tolist()) <= {0.0, 1.0, 2.0, 3.0, 4.0}  # a new ball may appear anywhere
    assert (steps == 1).mean() > 0.7 and min(columns) >= 0 and max(columns) <= 4


def test_frame_stack_is_an_env_option_that_the_vector_env_and_the_config_keep():
    config = EnvConfig("rl_kit/Catch-v0", {**PIXELS, "frame_stack": 2})
    assert config.frame_stack == 2 and "frame_stack" not in config.kwargs
    assert str(config).endswith("frame_stack=2)")
    assert EnvConfig.from_dict(config.to_dict()) == config
    vector = config.make_vector(3)
    single = config.make()
    assert vector.single_observation_space == single.observation_space
    obs, _ = vector.reset(seed=[0, 1, 2])
    first, _ = single.reset(seed=1)
    np.testing.assert_array_equal(obs[1], first)
    for _ in range(30):  # through the end of balls and of episodes: each copy stacks its own frames
        actions = np.array([0, 1, 2])
        obs = vector.step(actions)[0]
        np.testing.assert_array_equal(obs[1], single.step(1)[0])
    for bad in (0, -1, 1.5, True, 10**9):
        with pytest.raises(RLKitError, match="frame_stack must be a whole number"):
            EnvConfig("rl_kit/Catch-v0", {"frame_stack": bad})


@pytest.mark.parametrize("agent", ["ppo", "sb3_ppo"])
def test_both_backends_train_on_the_stacked_env(agent, tmp_path):
    import rl_kit

    hyperparameters = {"n_steps": 16, "batch_size": 64}
    run = rl_kit.train("rl_kit/Catch-v0", agent, steps=256, env_kwargs={"frame_stack": 2, "drift": True},
                       hyperparameters=hyperparameters, eval_every=0, progress=False, tensorboard=False,
                       out=tmp_path / agent)  # fmt: skip
    assert run.agent.observation_space.shape == (8,)  # the four features, twice
    assert "frame_stack: 2" in (run.directory / "config.yaml").read_text()
    result = rl_kit.evaluate(run.directory, episodes=2)  # the saved agent says it sees two frames
    assert result.env_id == "rl_kit/Catch-v0" and len(result.returns) == 2
