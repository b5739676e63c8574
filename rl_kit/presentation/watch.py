"""Watch a saved agent play, in a pygame window or recorded to a GIF or MP4.

The env draws its frame (``rgb_array``); this module adds the heads-up display around it:

- a top line: episode, step, return so far and the last reward;
- the agent's beliefs about the current state as labelled bars: action probabilities
  (or a continuous policy's means), Q(s, a) per action for tabular agents and DQN, with the
  greedy action highlighted, and V(s);
- gauges the env's observation carries (a lander's speed, tilt and legs down) and, for a table
  agent, the state in its own terms;
- at each episode's end, a banner with its outcome (reached the goal, fell in a hole, landed,
  crashed, time limit...) from what the env reports (:mod:`rl_kit.envs.labels`), held for a
  second; events on the way (a fall off the cliff) stay in the display until the episode ends;
- on grid worlds, the agent's state values and greedy actions as an overlay and a fading trail
  of the cells it left.

Keys in the window: space pause, right arrow one step (while paused), + / - speed,
v overlay on/off, q or Esc quit. Without a display (over SSH, in a container) ``watch`` says so
and points to ``--record``, instead of playing unseen in pygame's offscreen driver.
"""

from __future__ import annotations

import itertools
import os
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np

from rl_kit.core.agent_files import check_spaces
from rl_kit.core.backends import load_agent_and_env
from rl_kit.core.capabilities import CriticAgent, OverlayEnv, PolicyAgent, StateIndexedAgent, TableAgent, TrailEnv
from rl_kit.core.spec import EnvConfig
from rl_kit.envs.labels import FAILURE, SUCCESS, TIME_LIMIT, Outcome, action_names, step_outcome, telemetry
from rl_kit.errors import InvalidValue, RLKitError
from rl_kit.infrastructure.atomic_files import atomic_path
from rl_kit.infrastructure.budget import MAX_EPISODES, check_count, check_memory

MIN_WIDTH = 640
KEYS_HELP = "space pause   right step   +/- speed   v overlay   q quit"
TRAIL = 12  # grid cells of trail behind the agent
MAX_BARS = 8  # actions shown in the heads-up display (the highest, when there are more)
HOLD_SECONDS = 1.0  # how long an episode's last frame, with its outcome banner, stays
TOP, ROW, FOOTER = 34, 22, 22  # pixels: the top line, one row of the panel, the footer line

BANNER_COLORS = {SUCCESS: (46, 125, 50), FAILURE: (183, 28, 28), TIME_LIMIT: (230, 140, 0)}
BAR, CHOSEN_BAR, DIM_TEXT, VALUE_TEXT = (92, 107, 140), (255, 143, 0), (170, 170, 170), (220, 220, 150)


@dataclass(frozen=True)
class Beliefs:
    """What the agent thinks of one state: one value per action (`kind` is ``"probability"``,
    ``"mean"`` or ``"Q"``) under the actions' `labels`, the greedy action (discrete), V(s), and
    a table agent's state in its own terms. An off-policy agent's value is its critic's
    Q(s, mu(s)) (`value_name`), its means fill bars of half-width `mean_scale` (the action
    bound), and SAC adds its temperature and entropy (`extras`)."""

    kind: str
    labels: list[str]
    values: np.ndarray
    greedy: int | None = None
    value: float | None = None
    state: str | None = None
    value_name: str = "V"
    mean_scale: float = 1.0
    extras: tuple[tuple[str, float], ...] = ()

    @property
    def text(self) -> str:
        """One line, for logs and tests: ``state (14, 10, 1)  Q stick 0.25  hit -0.50  V 0.25``."""
        parts = [f"state {self.state}"] if self.state is not None else []
        shown = " ".join(f"{label} {v:+.2f}" if self.kind == "mean" else f"{label} {v:.2f}" for label, v in self.pairs)
        parts.append(f"{'pi' if self.kind == 'probability' else self.kind} {shown}")
        if self.value is not None:
            parts.append(f"{self.value_name} {self.value:.2f}")
        parts += [f"{name} {value:.3g}" for name, value in self.extras]
        return "   ".join(parts)

    @property
    def pairs(self) -> list[tuple[str, float]]:
        return list(zip(self.labels, (float(v) for v in self.values), strict=True))


def describe(agent, obs, labels: list[str] | None = None) -> Beliefs | None:
    """The agent's view of `obs`: a table agent's Q(s, .) and its state in its own terms (a
    Tuple's parts, say); a network agent's probabilities, means or Q, and V. None for agents
    that show nothing (bandits, SB3's). `labels` name the actions (default: numbered)."""
    from rl_kit.agents.spaces import stack

    batch = stack(agent.observation_space, [obs])
    if isinstance(agent, StateIndexedAgent):
        state = agent.state_index(batch)
        q = np.asarray(agent.action_values(state)[0], dtype=float)
        shown = str(agent.state_index.state(int(state[0])))
        names = labels or [f"action {a}" for a in range(len(q))]
        return Beliefs("Q", names, q, int(np.argmax(q)), float(np.max(q)), shown)
    if not isinstance(agent, PolicyAgent):
        return None
    outputs = agent.policy_outputs(batch)
    value = float(outputs["value"][0])
    for key, kind in (("q", "Q"), ("probs", "probability")):
        if key in outputs:
            values = np.asarray(outputs[key][0], dtype=float)
            names = labels or [f"action {a}" for a in range(len(values))]
            return Beliefs(kind, names, values, int(np.argmax(values)), value)
    means = np.asarray(outputs["mean"][0], dtype=float)
    names = labels or [f"action[{i}]" for i in range(len(means))]
    if not isinstance(agent, CriticAgent):
        return Beliefs("mean", names, means, None, value)
    bound = float(np.max(np.abs([agent.action_space.low, agent.action_space.high])))
    extras = tuple((key, float(outputs[key][0])) for key in ("alpha", "entropy") if key in outputs)
    return Beliefs("mean", names, means, None, value, value_name="Q(s, mu)", mean_scale=bound, extras=extras)


class Tally:
    """How the episodes watched went, for the line said at the end."""

    def __init__(self):
        self.returns: list[float] = []
        self.kinds: dict[str, int] = {}

    def add(self, frame: Frame) -> None:
        if frame.outcome is not None:
            self.returns.append(frame.episode_return)
            self.kinds[frame.outcome.text] = self.kinds.get(frame.outcome.text, 0) + 1

    def line(self) -> str:
        if not self.returns:
            return "Watched no whole episode."
        n = len(self.returns)
        outcomes = ", ".join(f"{count} {text}" for text, count in sorted(self.kinds.items(), key=lambda kv: -kv[1]))
        return f"Watched {n} episode{'s' if n > 1 else ''}: mean return {np.mean(self.returns):.3g} ({outcomes})"


@dataclass
class Frame:
    """One moment of an episode: the env's picture and what the heads-up display says."""

    image: np.ndarray
    episode: int
    step: int
    episode_return: float
    reward: float | None = None  # of the step that led here
    action: str | None = None  # the action of that step, named
    beliefs: Beliefs | None = None
    gauges: list[str] = field(default_factory=list)
    event: Outcome | None = None  # the latest event of the episode (a fall off the cliff)
    outcome: Outcome | None = None  # set on the last frame of an episode

    @property
    def detail(self) -> str:
        return self.beliefs.text if self.beliefs is not None else ""


def set_overlay(env, agent, shown: bool) -> bool:
    """Show the agent's values and greedy actions on envs that draw them; True if they do."""
    base = env.unwrapped
    if not isinstance(base, OverlayEnv) or not isinstance(agent, TableAgent):
        return False
    if shown:
        base.set_overlay(agent.state_values(), agent.greedy_policy())
    else:
        base.set_overlay(None, None)
    return True


def play(agent, env, *, episodes: int | None, seed: int) -> Iterator[Frame]:
    """Greedy episodes as frames; episode ``i`` is seeded ``seed + i`` like `evaluate`."""
    labels = action_names(env)
    episode = 0
    while episodes is None or episode < episodes:
        obs, _ = env.reset(seed=seed + episode)
        total, step, done, event = 0.0, 0, False, None
        yield Frame(
            env.render(), episode + 1, step, total, beliefs=describe(agent, obs, labels), gauges=telemetry(env, obs)
        )
        while not done:
            action = agent.act(np.asarray(obs)[None], explore=False)[0]
            obs, reward, terminated, truncated, info = env.step(action)
            total += float(reward)
            step += 1
            done = terminated or truncated
            if not terminated:  # an event on the way (a fall off the cliff), even on the last step
                happened = step_outcome(env, obs, reward, False, False, info)
                if happened is not None:
                    event = replace(happened, text=f"step {step}: {happened.text}")
            yield Frame(
                env.render(),
                episode + 1,
                step,
                total,
                float(reward),
                name_action(action, labels),
                describe(agent, obs, labels),
                telemetry(env, obs),
                event,
                step_outcome(env, obs, reward, terminated, truncated, info) if done else None,
            )
        episode += 1


def name_action(action, labels: list[str]) -> str:
    """A discrete action by its name; a continuous one as its named components."""
    values = np.ravel(np.asarray(action))
    if values.size == 1 and np.issubdtype(values.dtype, np.integer) and labels and 0 <= int(values[0]) < len(labels):
        return labels[int(values[0])]
    names = labels if len(labels) == values.size else [f"[{i}]" for i in range(values.size)]
    return ", ".join(f"{name} {float(v):+.2f}" for name, v in zip(names, values, strict=True))


def panel_rows(frame: Frame) -> list[tuple[str, tuple[int, int, int]]]:
    """The text column of the panel: V(s), a table state, the env's gauges, the latest event."""
    rows = []
    beliefs = frame.beliefs
    if beliefs is not None and beliefs.value is not None:
        name = "V(s)" if beliefs.value_name == "V" else beliefs.value_name
        rows.append((f"{name} {beliefs.value:.2f}" + (" = max Q" if beliefs.kind == "Q" else ""), VALUE_TEXT))
    if beliefs is not None and beliefs.state is not None:
        rows.append((f"state {beliefs.state}", VALUE_TEXT))
    if beliefs is not None:
        rows += [(f"{name} {value:.3g}", VALUE_TEXT) for name, value in beliefs.extras]
    rows += [(gauge, (200, 200, 200)) for gauge in frame.gauges]
    if frame.event is not None:
        rows.append((frame.event.text, BANNER_COLORS.get(frame.event.kind, (220, 220, 220))))
    return rows


def shown_bars(beliefs: Beliefs | None) -> list[int]:
    """Which actions get a bar: all, or the `MAX_BARS` highest, in action order."""
    if beliefs is None:
        return []
    if len(beliefs.values) <= MAX_BARS:
        return list(range(len(beliefs.values)))
    return sorted(np.argsort(beliefs.values)[-MAX_BARS:].tolist())


def q_bar_shares(values: np.ndarray) -> np.ndarray:
    """Each Q bar's length as a share of the longest. The scale's floor lies below the row's
    lowest value by its spread, or by a quarter of its size if that is more: 101.69 against
    101.67 reads as nearly equal, -12 against -100 as far apart."""
    low, high = float(values.min()), float(values.max())
    floor = low - max(high - low, 0.25 * abs(high), 1e-9)
    return (values - floor) / (high - floor)


def draw_bars(surface, beliefs: Beliefs, left: int, top: int, width: int) -> None:
    """One labelled bar per action: probabilities on [0, 1]; Q on a scale whose floor lies below
    the row's lowest by its spread or a quarter of its size, so that the bars' lengths differ as
    much as the values do; means on [-mean_scale, mean_scale] from the centre. The greedy action's bar is highlighted."""
    import pygame

    from rl_kit.envs.rendering import TEXT, draw_text

    label_width, number_width = 120, 70
    length = max(width - label_width - number_width, 40)
    values = beliefs.values
    shares = q_bar_shares(values) if beliefs.kind == "Q" else np.zeros(len(values))
    for row, a in enumerate(shown_bars(beliefs)):
        y = top + row * ROW
        value = float(values[a])
        chosen = a == beliefs.greedy
        draw_text(surface, beliefs.labels[a][:16], (left, y + 3), 18, TEXT if chosen else DIM_TEXT)
        x0 = left + label_width
        pygame.draw.rect(surface, (50, 50, 60), pygame.Rect(x0, y + 3, length, ROW - 6))
        color = CHOSEN_BAR if chosen else BAR
        if beliefs.kind == "probability":
            pygame.draw.rect(surface, color, pygame.Rect(x0, y + 3, round(length * np.clip(value, 0, 1)), ROW - 6))
        elif beliefs.kind == "Q":
            share = shares[a]
            pygame.draw.rect(surface, color, pygame.Rect(x0, y + 3, round(length * share), ROW - 6))
        else:
            middle, half = x0 + length // 2, np.clip(value / beliefs.mean_scale, -1, 1) * length / 2
            pygame.draw.rect(surface, color, pygame.Rect(min(middle, middle + half), y + 3, abs(round(half)), ROW - 6))
            pygame.draw.line(surface, TEXT, (middle, y + 1), (middle, y + ROW - 2))
        number = f"{value:+.2f}" if beliefs.kind == "mean" else f"{value:.2f}"
        draw_text(surface, number, (x0 + length + 8, y + 3), 18, TEXT if chosen else DIM_TEXT)


def draw_banner(surface, outcome: Outcome, episode_return: float, area) -> None:
    """The outcome across the middle of the env's picture, in the colour of how it went."""
    import pygame

    from rl_kit.envs.rendering import draw_text, font

    text = f"{outcome.text}   return {episode_return:.2f}"
    size = 30 if area.width >= 420 else 22
    width = min(font(size).size(text)[0] + 40, surface.get_width())
    box = pygame.Rect(0, 0, width, size + 22)
    box.center = area.center
    pygame.draw.rect(surface, BANNER_COLORS.get(outcome.kind, (70, 70, 80)), box)
    pygame.draw.rect(surface, (245, 245, 245), box, 2)
    draw_text(surface, text, box.center, size, (255, 255, 255), center=True)


def layout(frame: Frame, footer: bool) -> tuple[int, int, int]:
    """Width, height and the panel's height of the composed picture (constant through a watch:
    the panel has room for every bar and five rows of text, the most it shows)."""
    height, image_width = frame.image.shape[:2]
    rows = max(len(shown_bars(frame.beliefs)), 5 if frame.beliefs is not None or frame.gauges else 1)
    panel = 12 + ROW * rows
    return max(image_width, MIN_WIDTH), TOP + height + panel + (FOOTER if footer else 0), panel


def compose(frame: Frame, surface=None, footer: str | None = None):
    """Draw the frame inside its heads-up display onto a pygame surface (made if None)."""
    import pygame

    from rl_kit.envs.rendering import BACKGROUND, draw_text

    height, image_width = frame.image.shape[:2]
    width, total, panel = layout(frame, footer is not None)
    if surface is None or surface.get_size() != (width, total):
        surface = pygame.Surface((width, total))
    surface.fill(BACKGROUND)
    top = f"episode {frame.episode}   step {frame.step}   return {frame.episode_return:.2f}"
    if frame.reward is not None:
        top += (
            f"   last: {frame.action}, reward {frame.reward:+.2f}" if frame.action else f"   reward {frame.reward:+.2f}"
        )
    draw_text(surface, top, (10, 8), 22)
    area = pygame.Rect((width - image_width) // 2, TOP, image_width, height)  # narrow envs are centred
    surface.blit(pygame.surfarray.make_surface(frame.image.transpose(1, 0, 2)), area.topleft)
    y = TOP + height + 8
    rows = panel_rows(frame)
    text_width = 230 if frame.beliefs is not None else width
    for i, (line, color) in enumerate(rows):
        draw_text(surface, line, (10, y + i * ROW + 3), 18, color)
    if frame.beliefs is not None:
        draw_bars(surface, frame.beliefs, text_width, y, width - text_width - 10)
    if footer:
        draw_text(surface, footer, (10, total - FOOTER + 3), 16, DIM_TEXT)
    if frame.outcome is not None:
        draw_banner(surface, frame.outcome, frame.episode_return, area)
    return surface


def open_for_watching(path: str | Path, env: str | EnvConfig | None = None, max_episode_steps: int | None = None):
    """The saved agent and an ``rgb_array`` env for it (default: the env it was trained on),
    with the trail of visited cells on where the env draws one."""
    agent, spec = load_agent_and_env(path, env, max_episode_steps)
    made = spec.make(render_mode="rgb_array")
    check_spaces(agent, made, spec.id)
    if isinstance(made.unwrapped, TrailEnv):
        made.unwrapped.show_trail(TRAIL)
    return agent, made


def encode(
    agent, env, suffix: str, *, episodes: int, seed: int, fps: float, overlay: bool, caption: str | None
) -> bytes:
    """Greedy episodes of `agent` on the ``rgb_array`` env `env`, with the heads-up display, as
    the bytes of a ``.gif`` or ``.mp4``; each episode's last frame is held a second."""
    with tempfile.TemporaryDirectory() as directory:
        path = Path(directory) / f"episodes{suffix}"
        write_episodes(
            agent, env, path, suffix, episodes=episodes, seed=seed, fps=fps, overlay=overlay, caption=caption
        )
        return path.read_bytes()


def write_episodes(
    agent, env, path: Path, suffix: str, *, episodes: int, seed: int, fps: float, overlay: bool, caption: str | None
) -> None:
    """Greedy episodes as a `suffix` (``.gif`` or ``.mp4``) file at `path`. An MP4's frames are streamed
    to the encoder as they are drawn; a GIF (whose encoder needs them all) holds each frame
    once, and is refused in one line when its frames would not fit in memory."""
    import imageio.v2 as imageio

    from rl_kit.envs.rendering import to_array

    set_overlay(env, agent, overlay)
    hold = max(round(fps * HOLD_SECONDS), 1)
    surface = None
    images: list[Any] = []
    repeats: list[int] = []
    writer = None
    if suffix == ".mp4":
        try:
            writer = imageio.get_writer(path, format="FFMPEG", fps=fps, macro_block_size=1)
        except Exception as error:
            raise RLKitError(f"cannot write an MP4: {error} (MP4 needs the imageio-ffmpeg package)") from None
    frames = play(agent, env, episodes=episodes, seed=seed)
    with quiet_stderr():  # the first frame starts pygame (Gymnasium's renderers: all of SDL), which complains on fd 2
        first = next(frames)
    try:
        for frame in itertools.chain([first], frames):
            surface = compose(frame, surface, caption)
            image = to_array(surface)
            if writer is not None:  # a video's pace is fixed: a held frame is written again
                for _ in range(hold if frame.outcome is not None else 1):
                    writer.append_data(image)
                continue
            if not images:
                check_memory(f"a GIF of {episodes:,} episodes", image.nbytes * episodes * 2, "record fewer "
                             "episodes, or to .mp4, whose frames are streamed")  # fmt: skip
            images.append(image)
            repeats.append(hold if frame.outcome is not None else 1)
            if len(images) % 1000 == 0:
                check_memory(f"a GIF of {len(images):,} frames so far", image.nbytes * len(images),
                             "record fewer episodes, or to .mp4, whose frames are streamed")  # fmt: skip
    finally:
        if writer is not None:
            writer.close()
    if writer is None:  # a held frame is stored once, for longer
        imageio.mimwrite(path, images, format="GIF", duration=[1000.0 * n / fps for n in repeats], loop=0)


MIN_FPS, MAX_FPS = 0.01, 1000.0  # a frame held 100 s at most; faster than any screen draws


def check_fps(fps: float | None) -> None:
    if fps is not None and not MIN_FPS <= fps <= MAX_FPS:
        raise InvalidValue(f"fps must be between {MIN_FPS:g} and {MAX_FPS:g}, got {fps:g}")


def check_recording(output: Path, fps: float | None, episodes: int) -> None:
    if output.suffix.lower() not in (".gif", ".mp4"):
        raise InvalidValue(f"cannot record to {output}: use a .gif or .mp4 file name")
    check_fps(fps)
    if episodes < 1:
        raise InvalidValue(f"episodes must be at least 1, got {episodes}")
    check_count("episodes", episodes, MAX_EPISODES)


def record(
    path: str | Path,
    output: str | Path,
    *,
    env: str | EnvConfig | None = None,
    episodes: int = 1,
    seed: int = 0,
    fps: float | None = None,
    overlay: bool = True,
    max_episode_steps: int | None = None,
    caption: str | None = None,
) -> Path:
    """Write greedy episodes of a saved agent to `output` (.gif, or .mp4 with imageio-ffmpeg),
    each ending on its outcome banner for a second; `caption` is written under every frame;
    `max_episode_steps` overrides the env's time limit. The file is written whole, or not at all."""
    output = Path(output)
    check_recording(output, fps, episodes)
    agent, made = open_for_watching(path, env, max_episode_steps)
    try:
        fps = fps or made.metadata.get("render_fps", 30)
        with atomic_path(output) as temporary:
            write_episodes(agent, made, temporary, output.suffix.lower(), episodes=episodes, seed=seed, fps=fps, overlay=overlay,
                           caption=caption)  # fmt: skip
    finally:
        made.close()
    return output


NO_DISPLAY = "no display to open a window on ({why}); record the agent instead: rl-kit watch RUN --record episode.gif"
OFFSCREEN_DRIVERS = ("offscreen", "dummy")


def display_problem() -> str | None:
    """Why no window can be shown here, or None. A video driver the user names (say
    ``SDL_VIDEODRIVER=dummy``, for tests) is taken as wanted, even an offscreen one."""
    if os.environ.get("SDL_VIDEODRIVER"):
        return None
    if sys.platform.startswith("linux") and not (os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY")):
        return NO_DISPLAY.format(why="DISPLAY and WAYLAND_DISPLAY are unset: over SSH or in a container?")
    return None


@contextmanager
def quiet_stderr():
    """The process's standard error (file descriptor 2, where C libraries write) silenced."""
    sys.stderr.flush()
    saved = os.dup(2)
    try:
        with open(os.devnull, "w") as devnull:
            os.dup2(devnull.fileno(), 2)
        yield
    finally:
        os.dup2(saved, 2)
        os.close(saved)


def open_display() -> None:
    """Start pygame's display, or raise the one-line error that says there is none."""
    import pygame

    problem = display_problem()
    named = os.environ.get("SDL_VIDEODRIVER")
    if problem is None:
        try:
            with quiet_stderr():  # SDL prints its own complaints while it tries driver after driver
                pygame.display.init()
        except pygame.error as error:
            why = f"SDL_VIDEODRIVER={named!r}: {error}" if named else str(error)
            problem = NO_DISPLAY.format(why=why)
        else:
            if not named and pygame.display.get_driver() in OFFSCREEN_DRIVERS:  # SDL fell back to drawing nowhere
                problem = NO_DISPLAY.format(why=f"SDL found only its {pygame.display.get_driver()} driver")
    if problem is not None:
        raise RLKitError(problem)


@dataclass
class Keys:
    """What the viewer's keys asked for (:data:`KEYS_HELP`): quit, pause, one step, speed, overlay."""

    fps: float
    paused: bool = False
    quit: bool = False
    stepped: bool = False  # this frame only
    toggle_overlay: bool = False  # this frame only

    def read(self, events) -> None:
        """Take this frame's pygame events."""
        import pygame

        self.stepped = self.toggle_overlay = False
        for event in events:
            if event.type == pygame.QUIT or (
                event.type == pygame.KEYDOWN and event.key in (pygame.K_q, pygame.K_ESCAPE)
            ):
                self.quit = True
            elif event.type == pygame.KEYDOWN:
                self.press(event.key)

    def press(self, key: int) -> None:
        import pygame

        if key == pygame.K_SPACE:
            self.paused = not self.paused
        elif key == pygame.K_RIGHT:
            self.stepped = True
        elif key in (pygame.K_PLUS, pygame.K_EQUALS, pygame.K_KP_PLUS):
            self.fps = min(self.fps * 1.5, 240.0)
        elif key in (pygame.K_MINUS, pygame.K_KP_MINUS):
            self.fps = max(self.fps / 1.5, 0.5)
        elif key == pygame.K_v:
            self.toggle_overlay = True


def watch(
    path: str | Path,
    *,
    env: str | EnvConfig | None = None,
    episodes: int | None = None,
    seed: int = 0,
    fps: float | None = None,
    max_episode_steps: int | None = None,
) -> Tally:
    """Play a saved agent in a window until `episodes` end (None: until q or the window closes);
    `max_episode_steps` overrides the env's time limit. Returns how the episodes went (its
    ``line()`` is what ``rl-kit watch`` says at the end). Raises RLKitError when there is no
    display to show it on."""
    import pygame

    from rl_kit.envs.rendering import Renderer

    check_fps(fps)
    if episodes is not None:
        check_count("episodes", episodes, MAX_EPISODES)
    open_display()
    agent, game = open_for_watching(path, env, max_episode_steps)
    overlay = set_overlay(game, agent, True)
    fps = float(fps or game.metadata.get("render_fps", 30))
    renderer: Renderer | None = None
    frames = play(agent, game, episodes=episodes, seed=seed)
    frame = next(frames)
    keys, held_for, surface = Keys(fps), 0.0, None
    tally = Tally()
    try:
        while True:
            keys.read(pygame.event.get() if renderer else [])
            if keys.quit:
                return tally
            if keys.toggle_overlay and overlay:
                set_overlay(game, agent, game.unwrapped.overlay_values is None)
                frame.image = game.render()
                surface = None
            if surface is None:  # drawn again only when something changed
                surface = compose(frame, renderer.canvas if renderer else None, KEYS_HELP)
                if renderer is None:
                    renderer = Renderer(surface.get_size(), "rl-kit watch", "human", keys.fps)
                renderer.resize(surface.get_size())
                renderer.canvas = surface
            assert renderer is not None  # made with the first surface
            renderer.fps = keys.fps
            renderer.present(pump_events=False)
            if keys.paused and not keys.stepped:
                continue
            if frame.outcome is not None and not keys.stepped and held_for < HOLD_SECONDS:
                held_for += 1.0 / keys.fps  # the outcome banner stays a second before the next episode
                continue
            tally.add(frame)
            following = next(frames, None)
            if following is None:
                return tally
            frame, held_for, surface = following, 0.0, None
    finally:
        game.close()
        if renderer is not None:
            renderer.close()
