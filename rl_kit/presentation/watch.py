"""Watch a saved agent play, in a pygame window or recorded to a GIF or MP4.

The env draws its frame (``rgb_array``); this module adds a heads-up line (episode, step,
return) and, on grid worlds, the agent's state values and greedy actions as an overlay.

Keys in the window: space pause, right arrow one step (while paused), + / - speed,
v overlay on/off, q or Esc quit.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from rl_kit.core.agent_files import check_spaces
from rl_kit.core.backends import load_agent_and_env
from rl_kit.core.spec import EnvSpec
from rl_kit.errors import InvalidValue, RLKitError
from rl_kit.infrastructure.atomic_files import atomic_write

MIN_WIDTH = 420
KEYS_HELP = "space pause  right step  +/- speed  v overlay  q quit"


@dataclass
class Frame:
    """One moment of an episode: the env's picture and what the heads-up line says."""

    image: np.ndarray
    episode: int
    step: int
    episode_return: float
    detail: str = ""  # what the agent thinks here: action probabilities or means, value


def set_overlay(env, agent, shown: bool) -> bool:
    """Show the agent's values and greedy actions on envs that draw them; True if they do."""
    base = env.unwrapped
    if not hasattr(base, "set_overlay") or not hasattr(agent, "state_values"):
        return False
    if shown:
        base.set_overlay(agent.state_values(), agent.greedy_policy())
    else:
        base.set_overlay(None, None)
    return True


def describe(agent, obs) -> str:
    """The agent's view of `obs` for the heads-up display: a table agent's state in its own terms
    (a Tuple's parts, say) and Q(s, .); a network agent's probabilities, means or Q, and V."""
    from rl_kit.agents.spaces import stack

    if hasattr(agent, "state_index"):
        state = agent.state_index(stack(agent.observation_space, [obs]))
        q = agent.action_values(state)[0]
        shown = agent.state_index.state(int(state[0]))
        return f"state {shown}   Q " + " ".join(f"{v:.2f}" for v in q)
    if not hasattr(agent, "policy_outputs"):
        return ""
    outputs = agent.policy_outputs(stack(agent.observation_space, [obs]))
    if "q" in outputs:
        shown = "Q " + " ".join(f"{q:.2f}" for q in outputs["q"][0])
    elif "probs" in outputs:
        shown = "pi " + " ".join(f"{p:.2f}" for p in outputs["probs"][0])
    else:
        shown = "mean " + " ".join(f"{m:+.2f}" for m in outputs["mean"][0])
    return f"{shown}   V {outputs['value'][0]:.2f}"


def play(agent, env, *, episodes: int | None, seed: int) -> Iterator[Frame]:
    """Greedy episodes as frames; episode ``i`` is seeded ``seed + i`` like `evaluate`."""
    episode = 0
    while episodes is None or episode < episodes:
        obs, _ = env.reset(seed=seed + episode)
        total, step, done = 0.0, 0, False
        yield Frame(env.render(), episode + 1, step, total, describe(agent, obs))
        while not done:
            action = agent.act(np.asarray(obs)[None], explore=False)[0]
            obs, reward, terminated, truncated, _ = env.step(action)
            total += float(reward)
            step += 1
            done = terminated or truncated
            detail = describe(agent, obs)
            yield Frame(env.render(), episode + 1, step, total, "episode over" if done and detail else detail)
        episode += 1


def compose(frame: Frame, surface=None, help_line: str | None = None):
    """Draw the frame under a heads-up bar onto a pygame surface (made if None)."""
    import pygame

    from rl_kit.envs.rendering import BACKGROUND, draw_text

    height, image_width = frame.image.shape[:2]
    width = max(image_width, MIN_WIDTH)  # narrow envs are centred, so the heads-up fits
    lines = [line for line in (frame.detail, help_line) if line]
    hud = 28 + 20 * len(lines)
    size = (width, height + hud)
    if surface is None or surface.get_size() != size:
        surface = pygame.Surface(size)
    surface.fill(BACKGROUND)
    text = f"episode {frame.episode}   step {frame.step}   return {frame.episode_return:.2f}"
    draw_text(surface, text, (8, 6), 20)
    for i, line in enumerate(lines):
        draw_text(surface, line, (8, 28 + 20 * i), 16, (200, 200, 120) if line == frame.detail else (170, 170, 170))
    surface.blit(pygame.surfarray.make_surface(frame.image.transpose(1, 0, 2)), ((width - image_width) // 2, hud))
    return surface


def open_for_watching(path: str | Path, env: str | EnvSpec | None = None, max_episode_steps: int | None = None):
    """The saved agent and an ``rgb_array`` env for it (default: the env it was trained on)."""
    agent, spec = load_agent_and_env(path, env, max_episode_steps)
    made = spec.make(render_mode="rgb_array")
    check_spaces(agent, made, spec.id)
    return agent, made


def record(
    path: str | Path,
    output: str | Path,
    *,
    env: str | EnvSpec | None = None,
    episodes: int = 1,
    seed: int = 0,
    fps: float | None = None,
    overlay: bool = True,
    max_episode_steps: int | None = None,
) -> Path:
    """Write greedy episodes of a saved agent to `output` (.gif, or .mp4 with imageio-ffmpeg);
    `max_episode_steps` overrides the env's time limit."""
    import imageio.v3 as iio

    from rl_kit.envs.rendering import to_array

    output = Path(output)
    if output.suffix.lower() not in (".gif", ".mp4"):
        raise InvalidValue(f"cannot record to {output}: use a .gif or .mp4 file name")
    if fps is not None and not fps > 0:
        raise InvalidValue(f"fps must be above 0, got {fps}")
    if episodes < 1:
        raise InvalidValue(f"episodes must be at least 1, got {episodes}")
    agent, env = open_for_watching(path, env, max_episode_steps)
    try:
        set_overlay(env, agent, overlay)
        fps = fps or env.metadata.get("render_fps", 30)
        surface, images = None, []
        for frame in play(agent, env, episodes=episodes, seed=seed):
            surface = compose(frame, surface)
            images.append(to_array(surface))
    finally:
        env.close()
    if output.suffix.lower() == ".gif":  # encoded in memory, then written whole (or not at all)
        data = iio.imwrite("<bytes>", images, extension=".gif", duration=1000.0 / fps, loop=0)
    else:
        try:
            data = iio.imwrite("<bytes>", images, extension=".mp4", fps=fps, plugin="FFMPEG", macro_block_size=1)
        except Exception as error:
            raise RLKitError(f"cannot write {output}: {error} (MP4 needs the imageio-ffmpeg package)") from None
    return atomic_write(output, data)


def watch(
    path: str | Path,
    *,
    env: str | EnvSpec | None = None,
    episodes: int | None = None,
    seed: int = 0,
    fps: float | None = None,
    max_episode_steps: int | None = None,
) -> None:
    """Play a saved agent in a window until `episodes` end (None: until q or the window closes);
    `max_episode_steps` overrides the env's time limit."""
    import pygame

    from rl_kit.envs.rendering import Renderer

    agent, env = open_for_watching(path, env, max_episode_steps)
    overlay = set_overlay(env, agent, True)
    fps = float(fps or env.metadata.get("render_fps", 30))
    renderer = None
    frames = play(agent, env, episodes=episodes, seed=seed)
    frame = next(frames)
    paused = False
    try:
        while True:
            advance = not paused
            for event in pygame.event.get() if renderer else []:
                if event.type == pygame.QUIT:
                    return
                if event.type == pygame.KEYDOWN:
                    if event.key in (pygame.K_q, pygame.K_ESCAPE):
                        return
                    if event.key == pygame.K_SPACE:
                        paused = not paused
                    elif event.key == pygame.K_RIGHT:
                        advance = True
                    elif event.key in (pygame.K_PLUS, pygame.K_EQUALS, pygame.K_KP_PLUS):
                        fps = min(fps * 1.5, 240.0)
                    elif event.key in (pygame.K_MINUS, pygame.K_KP_MINUS):
                        fps = max(fps / 1.5, 0.5)
                    elif event.key == pygame.K_v and overlay:
                        shown = env.unwrapped.overlay_values is None
                        set_overlay(env, agent, shown)
                        frame.image = env.render()
            surface = compose(frame, renderer.canvas if renderer else None, KEYS_HELP)
            if renderer is None:
                renderer = Renderer(surface.get_size(), "rl-kit watch", "human", fps)
            renderer.resize(surface.get_size())  # the heads-up may have gained or lost a line
            renderer.canvas = surface
            renderer.fps = fps
            renderer.present(pump_events=False)
            if advance:
                frame = next(frames, None)
                if frame is None:
                    return
    finally:
        env.close()
        if renderer is not None:
            renderer.close()
