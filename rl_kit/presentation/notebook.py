"""Agents shown inside a notebook: ``rl_kit.show(run)``.

A pygame window freezes Jupyter (the kernel waits on the window's event loop), a known pain of
Gymnasium's users. ``show`` plays greedy episodes off screen, with ``watch``'s heads-up display
and outcome banners, and returns an object that Jupyter draws inline: the episodes as an
animated GIF and, for a run, its learning curve. Nothing but the notebook's own HTML display is
needed (the object has ``_repr_html_``); outside a notebook, ``save(path)`` writes the page.

>>> run = rl_kit.train("rl_kit/CliffWalking-v0", "q_learning", steps=20_000)
>>> rl_kit.show(run)                       # the last expression of a cell is displayed
"""

from __future__ import annotations

import base64
import html
import tempfile
from dataclasses import dataclass
from pathlib import Path

from rl_kit.core.spec import EnvConfig


@dataclass(frozen=True)
class Shown:
    """What ``show`` displays: the GIF of the episodes, the learning curve (a run's), a caption."""

    gif: bytes
    curve: bytes | None
    caption: str

    def _repr_html_(self) -> str:
        parts = [f'<img src="data:image/gif;base64,{base64.b64encode(self.gif).decode()}" alt="greedy episodes"/>']
        if self.curve is not None:
            png = base64.b64encode(self.curve).decode()
            parts.append(f'<img src="data:image/png;base64,{png}" alt="learning curve" style="max-width:100%"/>')
        parts.append(f"<p>{html.escape(self.caption)}</p>")
        return "<div>" + "".join(parts) + "</div>"

    def save(self, path: str | Path) -> Path:
        """The same, as an HTML page."""
        path = Path(path)
        path.write_text(f"<!doctype html><meta charset=utf-8>{self._repr_html_()}", encoding="utf-8")
        return path


def show(
    run,
    env: str | EnvConfig | None = None,
    *,
    episodes: int = 3,
    seed: int = 0,
    fps: float | None = None,
    max_episode_steps: int | None = None,
) -> Shown:
    """Greedy episodes of a trained agent, inline in a notebook, and its learning curve.

    Args:
        run: what ``rl_kit.train`` returned, a run directory, or a saved agent file.
        env: the env to play on (default: the one it was trained on).
        episodes: greedy episodes, seeded ``seed``, ``seed + 1``, ... as ``evaluate`` seeds them.
        fps: frames per second of the animation (default: the env's ``render_fps``).
        max_episode_steps: overrides the env's time limit.
    """
    from rl_kit.presentation.watch import check_recording, encode, open_for_watching

    directory = getattr(run, "directory", None)
    path = Path(directory if directory is not None else run)
    check_recording(Path("shown.gif"), fps, episodes)
    agent, made = open_for_watching(path, env, max_episode_steps)
    try:
        fps = fps or made.metadata.get("render_fps", 30)
        gif = encode(agent, made, ".gif", episodes=episodes, seed=seed, fps=fps, overlay=True, caption=None)
        env_id = made.spec.id if made.spec is not None else "its env"
    finally:
        made.close()
    curve = None
    if path.is_dir() and ((path / "episodes.csv").is_file() or (path / "eval.csv").is_file()):
        from rl_kit.presentation.plots import plot_runs

        with tempfile.TemporaryDirectory() as scratch:
            curve = plot_runs([path], Path(scratch) / "curve.png").read_bytes()
    caption = f"{agent.name} on {env_id}: {episodes} greedy episode{'s' * (episodes > 1)} from seed {seed}"
    return Shown(gif, curve, caption)
