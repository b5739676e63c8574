"""pygame drawing shared by every rl-kit environment and by the ``watch`` viewer.

Imported only at the first render, so ``import envs`` never imports pygame.

- :class:`Renderer` owns one canvas and shows it: in a window paced at ``render_fps``
  (``"human"``) or as an ``(H, W, 3)`` uint8 array (``"rgb_array"``).
- :class:`GridPainter` draws a :class:`~rl_kit.envs.grid_model.GridModel`: tiles, the agent, wind
  arrows, and an optional overlay of state values (heat map) and greedy actions (arrows).
"""

from __future__ import annotations

import functools
import os

os.environ.setdefault("PYGAME_HIDE_SUPPORT_PROMPT", "1")

import numpy as np  # noqa: E402
import pygame  # noqa: E402

Color = tuple[int, int, int]

BACKGROUND: Color = (30, 30, 36)
TEXT: Color = (240, 240, 240)
TILE_COLORS: dict[str, Color] = {
    ".": (222, 226, 230),
    "S": (255, 236, 179),
    "G": (102, 187, 106),
    "H": (38, 50, 86),
    "C": (183, 28, 28),
    "#": (66, 66, 74),
}
AGENT: Color = (255, 143, 0)
ARROW: Color = (20, 20, 20)
WIND: Color = (100, 160, 230)

# Anchor colours of matplotlib's viridis, interpolated linearly: low values dark, high bright.
_VIRIDIS = np.array([(68, 1, 84), (59, 82, 139), (33, 145, 140), (94, 201, 98), (253, 231, 37)], dtype=float)


def heat_colors(values: np.ndarray, low: float | None = None, high: float | None = None) -> np.ndarray:
    """Map values to viridis RGB colours (n, 3) over [low, high] (default: their range)."""
    values = np.asarray(values, dtype=float)
    low = float(np.min(values)) if low is None else low
    high = float(np.max(values)) if high is None else high
    t = np.clip((values - low) / (high - low), 0.0, 1.0) if high > low else np.full(values.shape, 0.5)
    position = t * (len(_VIRIDIS) - 1)
    i = np.minimum(position.astype(int), len(_VIRIDIS) - 2)
    frac = (position - i)[..., None]
    return ((1 - frac) * _VIRIDIS[i] + frac * _VIRIDIS[i + 1]).astype(int)


def font(size: int) -> pygame.font.Font:
    """pygame's default font at `size`, loaded once per size while the font module lives (other
    code, Gymnasium's own renderers among them, may call ``pygame.quit()``)."""
    if not pygame.font.get_init():
        pygame.font.init()
        _load_font.cache_clear()
        text_image.cache_clear()
    return _load_font(size)


@functools.lru_cache(maxsize=32)
def _load_font(size: int) -> pygame.font.Font:
    return pygame.font.Font(None, size)


@functools.lru_cache(maxsize=8192)
def text_image(text: str, size: int, color: Color) -> pygame.Surface:
    """Rendered text, kept: the same labels (values, titles) are drawn again every frame."""
    return font(size).render(text, True, color)


def draw_arrow(
    surface, center: tuple[float, float], direction: tuple[float, float], length: float, color: Color, width: int = 3
) -> None:
    """An arrow of `length` pixels through `center`, pointing along `direction` (dx, dy)."""
    dx, dy = direction
    norm = max((dx * dx + dy * dy) ** 0.5, 1e-9)
    dx, dy = dx / norm, dy / norm
    cx, cy = center
    tail = (cx - dx * length / 2, cy - dy * length / 2)
    tip = (cx + dx * length / 2, cy + dy * length / 2)
    pygame.draw.line(surface, color, tail, tip, width)
    head = length * 0.35
    left = (tip[0] - dx * head - dy * head * 0.6, tip[1] - dy * head + dx * head * 0.6)
    right = (tip[0] - dx * head + dy * head * 0.6, tip[1] - dy * head - dx * head * 0.6)
    pygame.draw.polygon(surface, color, [tip, left, right])


def draw_text(
    surface, text: str, position: tuple[int, int], size: int = 20, color: Color = TEXT, center: bool = False
) -> None:
    font(size)  # (re)initializes the font module and empties the caches if someone quit it
    image = text_image(text, size, tuple(color))
    rect = image.get_rect(center=position) if center else image.get_rect(topleft=position)
    surface.blit(image, rect)


class Renderer:
    """One canvas, shown in a window (``"human"``) or returned as an RGB array (``"rgb_array"``)."""

    def __init__(self, size: tuple[int, int], title: str, render_mode: str, fps: float):
        self.render_mode = render_mode
        self.fps = fps
        self.canvas = pygame.Surface(size)
        self.window = None
        self.clock = None
        self.title = title

    def open_window(self):
        if self.window is None:
            pygame.display.init()
            pygame.display.set_caption(self.title)
            self.window = pygame.display.set_mode(self.canvas.get_size())
            self.clock = pygame.time.Clock()
        return self.window

    def resize(self, size: tuple[int, int]) -> None:
        if size != self.canvas.get_size():
            self.canvas = pygame.Surface(size)
            if self.window is not None:
                self.window = pygame.display.set_mode(size)

    def present(self, pump_events: bool = True):
        """Show the canvas; returns the frame as an array in ``"rgb_array"`` mode, else None."""
        if self.render_mode == "rgb_array":
            return to_array(self.canvas)
        self.open_window()
        if pump_events:
            pygame.event.pump()
        self.window.blit(self.canvas, (0, 0))
        pygame.display.flip()
        self.clock.tick(self.fps)
        return None

    def close(self) -> None:
        if self.window is not None:
            pygame.display.quit()
            self.window = None


def to_array(surface) -> np.ndarray:
    """The surface's pixels as an (H, W, 3) uint8 array."""
    return np.transpose(np.array(pygame.surfarray.pixels3d(surface)), (1, 0, 2)).copy()


class GridPainter:
    """Draws a grid world; one tile per cell, a wind strip on top where the map has wind."""

    def __init__(self, model, max_size: int = 720):
        self.model = model
        self.tile = int(np.clip(max_size // max(model.n_rows, model.n_cols), 12, 96))
        self.top = self.tile // 2 if model.wind and any(model.wind) else 0
        self.size = (model.n_cols * self.tile, model.n_rows * self.tile + self.top)

    def cell_rect(self, r: int, c: int):
        return pygame.Rect(c * self.tile, self.top + r * self.tile, self.tile, self.tile)

    def draw(self, surface, state: int, last_action: int | None = None, *, values=None, actions=None) -> None:
        from .grid_model import MOVES, WALL

        model, tile = self.model, self.tile
        surface.fill(BACKGROUND)
        colors = None
        if values is not None:
            open_cells = np.array([model.symbol(s) != WALL for s in range(model.n_states)])
            shown = values[open_cells]
            colors = heat_colors(values, float(shown.min()), float(shown.max()))
        for s in range(model.n_states):
            r, c = model.cell(s)
            symbol = model.rows[r][c]
            rect = self.cell_rect(r, c)
            color = TILE_COLORS[symbol]
            if colors is not None and symbol in ".S":
                color = tuple(int(x) for x in colors[s])
            pygame.draw.rect(surface, color, rect)
            pygame.draw.rect(surface, BACKGROUND, rect, 1)
            if symbol in "GHC":
                draw_text(surface, symbol, rect.center, max(tile // 3, 10), (250, 250, 250), center=True)
            elif symbol == "S":
                draw_text(surface, "S", (rect.x + 3, rect.y + 2), max(tile // 5, 10), ARROW)
            if actions is not None and symbol in ".S":
                dr, dc = MOVES[int(actions[s])]
                dark = colors is not None and np.mean(color) < 128
                draw_arrow(surface, rect.center, (dc, dr), tile * 0.5, TEXT if dark else ARROW, max(tile // 16, 2))
            if values is not None and symbol in ".S" and tile >= 48:
                dark = np.mean(color) < 128
                draw_text(
                    surface,
                    f"{values[s]:.2f}",
                    (rect.centerx, rect.bottom - tile // 8),
                    max(tile // 6, 10),
                    TEXT if dark else ARROW,
                    center=True,
                )
        if self.top:
            for c, strength in enumerate(model.wind):
                if strength:
                    center = (c * tile + tile // 2, self.top // 2)
                    draw_arrow(surface, center, (0, -np.sign(strength)), self.top * 0.8, WIND, 2)
                    draw_text(surface, str(abs(strength)), (center[0] + tile // 5, 2), max(self.top - 4, 10), WIND)
        r, c = model.cell(state)
        rect = self.cell_rect(r, c)
        pygame.draw.circle(surface, AGENT, rect.center, tile * 0.3)
        pygame.draw.circle(surface, BACKGROUND, rect.center, tile * 0.3, 2)
        if last_action is not None:
            dr, dc = MOVES[last_action]
            pygame.draw.circle(
                surface,
                BACKGROUND,
                (rect.centerx + dc * tile * 0.15, rect.centery + dr * tile * 0.15),
                max(tile // 14, 2),
            )
