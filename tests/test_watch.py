"""What a learner sees in watch and recordings: named actions, outcome banners, readable grids,
and a clear refusal where there is no display."""

import os
import subprocess
import sys

import gymnasium as gym
import numpy as np
import pytest
from gymnasium import spaces
from gymnasium.wrappers import TimeLimit

from rl_kit.agents.q_learning import QLearning
from rl_kit.envs import BANDIT_ENV_IDS, CONTROL_ENV_IDS, GRID_ENV_IDS
from rl_kit.envs.grid_model import GridModel
from rl_kit.envs.grid_world import GridWorldEnv
from rl_kit.envs.labels import FAILURE, SUCCESS, TIME_LIMIT, action_names, step_outcome, telemetry
from rl_kit.envs.rendering import MAX_GRID_FRAME, MIN_TEXT, GridPainter
from rl_kit.presentation import watch as watching

LAPTOP = (1366, 768)


@pytest.mark.parametrize("env_id", GRID_ENV_IDS + CONTROL_ENV_IDS + BANDIT_ENV_IDS)
def test_every_env_of_ours_names_its_actions(env_id):
    env = gym.make(env_id)
    names = action_names(env)
    size = env.action_space.n if isinstance(env.action_space, spaces.Discrete) else env.action_space.shape[0]
    assert len(names) == size and len(set(names)) == size
    assert not any(name.startswith("action") for name in names), names


def test_gymnasium_envs_get_their_documented_action_names_and_others_are_numbered():
    assert action_names(gym.make("CartPole-v1")) == ["push left", "push right"]
    assert action_names(gym.make("Blackjack-v1")) == ["stick", "hit"]
    assert action_names(gym.make("CliffWalking-v1")) == ["up", "right", "down", "left"]
    assert action_names(gym.make("Taxi-v4"))[4:] == ["pick up", "drop off"]
    assert action_names(gym.make("Pendulum-v1")) == ["torque"]
    # An env we have no names for is numbered, never mislabelled.
    env = gym.make("CartPole-v1")
    env.unwrapped.spec = None
    assert action_names(env) == ["action 0", "action 1"]


def table_agent(n_states, prefer):
    agent = QLearning(spaces.Discrete(n_states), spaces.Discrete(4), seed=0)
    agent.q[:] = 0.0
    agent.q[:, prefer] = 1.0
    return agent


def last_frame(map_rows, prefer, max_steps=20):
    env = TimeLimit(GridWorldEnv(map_rows, render_mode="rgb_array"), max_steps)
    agent = table_agent(env.observation_space.n, prefer)
    frames = list(watching.play(agent, env, episodes=1, seed=0))
    assert all(f.outcome is None for f in frames[:-1])
    return frames[-1]


RIGHT, LEFT = 2, 0


@pytest.mark.parametrize(
    "map_rows, prefer, text, kind, color",
    [
        (["S.G"], RIGHT, "reached the goal", SUCCESS, (46, 125, 50)),
        (["SH", ".G"], RIGHT, "fell in a hole", FAILURE, (183, 28, 28)),
        (["S.G"], LEFT, "time limit", TIME_LIMIT, (230, 140, 0)),
    ],
)
def test_the_frame_of_a_finished_episode_carries_its_outcome(map_rows, prefer, text, kind, color):
    frame = last_frame(map_rows, prefer)
    assert (frame.outcome.text, frame.outcome.kind) == (text, kind)
    from rl_kit.envs.rendering import to_array

    picture = to_array(watching.compose(frame))
    # The banner sits across the middle of the env's picture, in the colour of how it went.
    top = watching.TOP
    height, width = frame.image.shape[:2]
    above_text = top + height // 2 - 18
    middle = picture[above_text, (picture.shape[1] - width) // 2 : (picture.shape[1] + width) // 2]
    banner = np.abs(middle.astype(int) - np.array(color)).sum(axis=1) < 40
    assert banner.mean() > 0.3
    # A frame mid-episode has none.
    quiet = to_array(watching.compose(watching.Frame(frame.image, 1, 0, 0.0)))
    row = quiet[above_text]
    assert (np.abs(row.astype(int) - np.array(color)).sum(axis=1) < 40).mean() < 0.05


def test_a_fall_off_the_cliff_is_an_event_that_stays_in_view_until_the_episode_ends():
    env = gym.make("rl_kit/CliffWalking-v0", render_mode="rgb_array")
    env.reset(seed=0)
    _, reward, terminated, _, info = env.step(RIGHT)  # from the start, right is the cliff
    assert reward == -100 and not terminated and info["outcome"].startswith("fell off the cliff")
    # A policy that walks right from the start falls once, is sent back, and falls again.
    agent = table_agent(env.observation_space.n, RIGHT)
    frames = list(watching.play(agent, TimeLimit(env.unwrapped, 3), episodes=1, seed=0))
    events = [f.event.text if f.event else None for f in frames]
    fell = "fell off the cliff: back to the start"
    # The third step's fall ends the episode by the time limit: its banner says so, the event beside it.
    assert events == [None, f"step 1: {fell}", f"step 2: {fell}", f"step 3: {fell}"]
    assert frames[-1].outcome.kind == TIME_LIMIT and frames[-1].episode_return == -300


def lander_episode_from(x, y, vx, vy, steps):
    """A Lander episode put at position (x, y) with velocity (vx, vy), level and still, then
    left alone (no engine) until it ends; the env and the last step's info."""
    from rl_kit.envs import lander

    env = gym.make("rl_kit/Lander-v0")
    env.reset(seed=0)
    env.unwrapped.state[0, [lander.X, lander.Y, lander.VX, lander.VY, lander.ANGLE, lander.OMEGA]] = [
        x,
        y,
        vx,
        vy,
        0,
        0,
    ]
    for _ in range(steps):
        _, _, terminated, _, info = env.step(0)
        if terminated:
            break
    return env, info


def test_the_lander_says_whether_it_landed_or_crashed():
    _, info = lander_episode_from(0.0, 0.2, 0.0, -3.0, steps=10)
    assert (info["outcome"], info["outcome_kind"]) == ("crashed", FAILURE)
    env, info = lander_episode_from(0.05, 0.075, 0.0, -0.1, steps=200)
    assert (info["outcome"], info["outcome_kind"]) == ("landed on the pad", SUCCESS)
    gauges = telemetry(env, env.unwrapped.dynamics.observations(env.unwrapped.state)[0])
    assert gauges[0].startswith("speed ") and gauges[2] == "legs down: both"


def test_gymnasium_outcomes_follow_their_documentation():
    lunar = gym.make("CartPole-v1")  # any env: the spec name decides
    lunar.unwrapped.spec = gym.spec("LunarLander-v3")
    obs = np.zeros(8, np.float32)
    assert step_outcome(lunar, obs, 100.0, True, False, {}).text == "landed on the pad"
    assert step_outcome(lunar, obs, -100.0, True, False, {}).text == "crashed"
    assert step_outcome(lunar, np.array([1.2, *obs[1:]]), -100.0, True, False, {}).text == "flew off the screen"
    assert step_outcome(lunar, obs, 1.0, False, True, {}).kind == TIME_LIMIT
    assert step_outcome(lunar, obs, 1.0, False, False, {}) is None
    cart = gym.make("CartPole-v1")
    assert step_outcome(cart, np.array([2.5, 0, 0, 0]), 1.0, True, False, {}).text == "the cart left the track"
    assert step_outcome(cart, np.zeros(4), 1.0, True, False, {}).text == "the pole fell"
    blackjack = gym.make("Blackjack-v1")
    assert [step_outcome(blackjack, None, r, True, False, {}).text for r in (1.5, 1.0, 0.0, -1.0)] == [
        "won with a natural",
        "won",
        "draw",
        "lost",
    ]


def test_the_heads_up_display_draws_every_label(monkeypatch):
    """Every action's name, its value, V(s) and the lander's gauges are drawn, none under the readable size."""
    import rl_kit.envs.rendering as rendering

    drawn = []
    original = rendering.draw_text
    monkeypatch.setattr(
        rendering,
        "draw_text",
        lambda s, text, pos, size=20, *a, **k: (drawn.append((text, size)), original(s, text, pos, size, *a, **k)),
    )
    env = gym.make("rl_kit/Lander-v0", render_mode="rgb_array")
    from rl_kit.agents.ppo import PPO

    agent = PPO(env.observation_space, env.action_space, seed=0)
    frame = next(watching.play(agent, env, episodes=1, seed=0))
    watching.compose(frame, footer=watching.KEYS_HELP)
    texts = [text for text, _ in drawn]
    for name in ("nothing", "left engine", "main engine", "right engine"):
        assert name in texts
    probs = agent.policy_outputs(env.unwrapped.dynamics.observations(env.unwrapped.state))["probs"][0]
    assert all(f"{p:.2f}" in texts for p in probs)
    assert any(t.startswith("V(s) ") for t in texts) and "legs down: none" in texts
    assert min(size for _, size in drawn) >= 16


@pytest.mark.parametrize("shape", [(4, 12), (4, 4), (50, 50), (3, 200), (120, 3), (13, 13)])
def test_grids_of_any_shape_fit_a_laptop_and_label_only_what_is_readable(shape, monkeypatch):
    import rl_kit.envs.rendering as rendering

    rows, cols = shape
    rows_text = ["S" + "." * (cols - 1)] + ["." * cols] * (rows - 2) + ["." * (cols - 1) + "G"]
    model = GridModel.from_map(rows_text)
    painter = GridPainter(model)
    assert painter.size[0] <= MAX_GRID_FRAME[0] and painter.size[1] <= MAX_GRID_FRAME[1]
    frame = watching.Frame(np.zeros((painter.size[1], painter.size[0], 3), np.uint8), 1, 0, 0.0)
    beliefs = watching.Beliefs("Q", ["left", "down", "right", "up"], np.zeros(4), 0, 0.0, "0")
    frame.beliefs = beliefs
    width, height, _ = watching.layout(frame, footer=True)
    assert width <= LAPTOP[0] and height <= LAPTOP[1] - 60  # room for the window's title bar
    # The tile is as large as the frame allows: a wide map fills the width, a tall one the height.
    assert painter.size[0] > 0.8 * MAX_GRID_FRAME[0] or painter.size[1] > 0.8 * MAX_GRID_FRAME[1] or painter.tile == 96
    sizes = []
    original = rendering.draw_text
    monkeypatch.setattr(
        rendering,
        "draw_text",
        lambda s, text, pos, size=20, *a, **k: (sizes.append(size), original(s, text, pos, size, *a, **k)),
    )
    import pygame

    values = np.linspace(0, 1, model.n_states)
    painter.draw(pygame.Surface(painter.size), 0, values=values, actions=np.zeros(model.n_states, int), trail=[1, 2])
    assert all(size >= MIN_TEXT for size in sizes)
    if shape == (4, 12):
        assert painter.tile >= 90 and len(sizes) >= model.n_states  # CliffWalking: every value labelled


def test_recordings_hold_each_outcome_a_second_and_carry_the_caption(tmp_path, monkeypatch, quiet_train):
    from PIL import Image, ImageSequence

    import rl_kit.envs.rendering as rendering

    run = quiet_train("rl_kit/FrozenLake4x4-v0", "q_learning", steps=20_000, out=tmp_path / "run")
    texts = []
    original = rendering.draw_text
    monkeypatch.setattr(
        rendering, "draw_text", lambda s, text, *a, **k: (texts.append(text), original(s, text, *a, **k))
    )
    gif = watching.record(run.directory, tmp_path / "two.gif", episodes=2, fps=4, caption="two episodes")
    played = list(watching.play(*watching.open_for_watching(run.directory), episodes=2, seed=0))
    assert texts.count("two episodes") == len(played)  # under every frame
    with Image.open(gif) as image:  # the GIF keeps a held frame once, for its whole duration
        durations = [frame.info["duration"] for frame in ImageSequence.Iterator(image)]
    assert sum(durations) == pytest.approx((len(played) + 2 * 3) * 250, abs=50)
    assert durations[-1] >= 1000


def no_display_environment(**extra):
    hidden = ("DISPLAY", "WAYLAND_DISPLAY", "SDL_VIDEODRIVER", "XDG_RUNTIME_DIR")  # as over SSH: SDL complains too
    env = {k: v for k, v in os.environ.items() if k not in hidden}
    return {**env, **extra}


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="DISPLAY is how Linux finds a screen")
@pytest.mark.parametrize("display", [None, ":97"])  # unset; set but no X server answers there
def test_watch_without_a_display_says_so_and_points_to_record(tmp_path, display, quiet_train):
    run = quiet_train("rl_kit/GridWorld-v0", "q_learning", steps=2_000, out=tmp_path / "run")
    extra = {} if display is None else {"DISPLAY": display}
    result = subprocess.run(
        [sys.executable, "-m", "rl_kit.cli", "watch", str(run.directory)],
        capture_output=True,
        text=True,
        timeout=60,
        env=no_display_environment(**extra),
    )
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "no display" in lines[0] and "--record" in lines[0], result.stderr


@pytest.mark.parametrize("action, side", [(1, "left"), (3, "right")])
def test_a_side_engine_fires_from_its_own_side(action, side):
    """The left engine's jet is drawn on the lander's left, pushing it right (it was drawn mirrored)."""
    from rl_kit.envs.rendering import to_array  # noqa: F401  (pygame is imported for drawing)

    env = gym.make("rl_kit/Lander-v0", render_mode="rgb_array")
    env.reset(seed=0)
    env.step(action)
    frame = env.render().astype(int)
    jet = np.argwhere(np.abs(frame - np.array([255, 200, 60])).sum(axis=2) < 30)
    hull = np.argwhere(np.abs(frame - np.array([255, 143, 0])).sum(axis=2) < 30)
    assert len(jet) and len(hull)
    assert (jet[:, 1].mean() < hull[:, 1].mean()) == (side == "left")


@pytest.mark.parametrize("use_sde", [False, True])
def test_sac_shows_its_critic_temperature_and_entropy_and_draws_nothing_from_its_generator(use_sde):
    from rl_kit.agents.sac import SAC

    action_space = spaces.Box(-2.0, 2.0, shape=(1,), dtype=np.float32)
    agent = SAC(spaces.Box(-1.0, 1.0, shape=(3,), dtype=np.float32), action_space, seed=0, hidden_sizes="16",
                ent_coef="auto_0.3", use_sde=use_sde)  # fmt: skip
    obs = np.array([0.5, -0.2, 0.1], dtype=np.float32)
    before = agent.rng.bit_generator.state
    beliefs = watching.describe(agent, obs, ["torque"])
    assert agent.rng.bit_generator.state == before
    assert beliefs.value_name == "Q(s, mu)" and beliefs.mean_scale == 2.0
    extras = dict(beliefs.extras)
    assert extras["alpha"] == pytest.approx(0.3) and "entropy" in extras
    assert "Q(s, mu)" in beliefs.text and "alpha 0.3" in beliefs.text
    # a narrower policy shows a smaller entropy
    if use_sde:
        agent.actor.log_std[...] -= 2.0
    else:
        agent.actor.parameters.values["actor.biases.1"][0, 0, 1] -= 2.0
    assert dict(watching.describe(agent, obs, ["torque"]).extras)["entropy"] < extras["entropy"] - 1.0
