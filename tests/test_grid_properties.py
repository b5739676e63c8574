"""Property tests: any valid map makes an env that holds its invariants; any invalid one, our error."""

import gymnasium as gym
import numpy as np
import pytest
from hypothesis import given, reject, settings
from hypothesis import strategies as st

from rl_kit.envs import GridWorldEnv, MapError
from rl_kit.envs.grid_model import GridModel

CELLS = ".#HCG"


@st.composite
def valid_maps(draw):
    rows, cols = draw(st.integers(1, 7)), draw(st.integers(2, 7))
    cells = [[draw(st.sampled_from(CELLS)) for _ in range(cols)] for _ in range(rows)]
    r, c = draw(st.integers(0, rows - 1)), draw(st.integers(0, cols - 1))
    g = draw(st.integers(0, cols - 1).filter(lambda g: g != c))
    for k in range(min(c, g), max(c, g) + 1):  # a clear way along the start's row to a goal
        cells[r][k] = "."
    cells[r][c], cells[r][g] = "S", "G"
    options = {
        "slip": draw(st.sampled_from([0.0, 0.2, 2 / 3, 1.0])),
        "step_reward": draw(st.sampled_from([0.0, -1.0])),
        "wind": draw(st.none() | st.lists(st.integers(-2, 2), min_size=cols, max_size=cols)),
    }
    return "\n".join("".join(row) for row in cells), options


@settings(max_examples=150, deadline=None)
@given(spec=valid_maps(), seed=st.integers(0, 2**16), actions=st.lists(st.integers(0, 3), min_size=1, max_size=60))
def test_valid_maps_hold_their_invariants(spec, seed, actions):
    text, options = spec
    try:
        model = GridModel.from_map(text, **options)
    except MapError as error:  # the wind can blow every way to the goal back up
        assert options["wind"] is not None and "cut it off" in str(error)
        reject()
    for s in range(model.n_states):
        for a in range(4):
            assert sum(p for p, *_ in model.P[s][a]) == pytest.approx(1.0)
    low, high = model.reward_bounds

    def replay():
        env = GridWorldEnv(text, **options)
        obs, _ = env.reset(seed=seed)
        trace = [obs]
        for a in actions:
            state = obs
            obs, reward, terminated, truncated, _ = env.step(a)
            assert env.observation_space.contains(obs) and low <= reward <= high
            # the env moves only as its published model allows
            assert any(
                p > 0 and s == obs and r == pytest.approx(reward) and t == terminated
                for p, s, r, t in model.P[state][a]
            ), (state, a, obs, reward, terminated)
            trace.append((obs, reward, terminated))
            if terminated:
                obs, _ = env.reset()
                trace.append(obs)
        return trace

    assert replay() == replay()


@settings(max_examples=150, deadline=None)
@given(text=st.text(alphabet="SG#.HCFx?@ \n", max_size=40))
def test_any_text_is_a_map_or_our_error(text):
    try:
        env = GridWorldEnv(text)
    except MapError:
        return
    assert env.observation_space.n == len(env.model.rows) * len(env.model.rows[0])


@settings(max_examples=60, deadline=None)
@given(
    env_id=st.sampled_from(
        ["rl_kit/Catch-v0", "rl_kit/PointGoal-v0", "rl_kit/Lander-v0", "rl_kit/LanderContinuous-v0"]
    ),
    seed=st.integers(0, 2**16),
)
def test_control_envs_under_random_actions(env_id, seed):
    env = gym.make(env_id)
    env.action_space.seed(seed)
    obs, _ = env.reset(seed=seed)
    for _ in range(100):
        obs, reward, terminated, truncated, _ = env.step(env.action_space.sample())
        assert env.observation_space.contains(obs) and np.isfinite(reward)
        if terminated or truncated:
            obs, _ = env.reset()
