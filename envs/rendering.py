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

# Anchor colours of matplotlib's viridis, interpolated linearly: low values dark, high bright
# (explain's colour bars are built from the same anchors, so they match the tiles).
VIRIDIS_ANCHORS = np.array([(68, 1, 84), (59, 82, 139), (33, 145, 140), (94, 201, 98), (253, 231, 37)], dtype=float)


def heat_colors(values: np.ndarray, low: float | None = None, high: float | None = None) -> np.ndarray:
    """Map values to viridis RGB colours (n, 3) over [low, high] (default: their range)."""
    values = np.asarray(values, dtype=float)
    low = float(np.min(values)) if low is None else low
    high = float(np.max(values)) if high is None else high
    t = np.clip((values - low) / (high - low), 0.0, 1.0) if high > low else np.full(values.shape, 0.5)
    position = t * (len(VIRIDIS_ANCHORS) - 1)
    i = np.minimum(position.astype(int), len(VIRIDIS_ANCHORS) - 2)
    frac = (position - i)[..., None]
    return ((1 - frac) * VIRIDIS_ANCHORS[i] + frac * VIRIDIS_ANCHORS[i + 1]).astype(int)


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
        self.window: pygame.Surface | None = None
        self.clock: pygame.time.Clock | None = None
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
        assert self.window is not None and self.clock is not None  # open_window made them
        self.window.blit(self.canvas, (0, 0))
        pygame.display.flip()
        self.clock.tick(self.fps)
        return None

    def close(self) -> None:
        if self.window is not None:
            pygame.display.quit()
            self.window = None


@functools.lru_cache(maxsize=4)
def night_sky(size: tuple[int, int]) -> pygame.Surface:
    """A dark sky fading from navy to violet, with fixed stars: drawn once per size, then blitted."""
    width, height = size
    sky = pygame.Surface(size)
    for y in range(height):
        t = y / max(height - 1, 1)
        pygame.draw.line(sky, (int(14 + 26 * t), int(16 + 10 * t), int(40 + 24 * t)), (0, y), (width, y))
    rng = np.random.default_rng(7)  # the same stars in every frame and every run
    stars = np.stack([rng.integers(0, width, 70), rng.integers(0, height, 70), rng.integers(110, 230, 70)], axis=1)
    for x, y, bright in stars:
        sky.set_at((int(x), int(y)), (int(bright),) * 3)
    return sky


def to_array(surface) -> np.ndarray:
    """The surface's pixels as an (H, W, 3) uint8 array."""
    return np.transpose(np.array(pygame.surfarray.pixels3d(surface)), (1, 0, 2)).copy()


# The largest frame a grid draws, so that a window with watch's heads-up fits a 1366x768 laptop.
MAX_GRID_FRAME = (1200, 520)
MIN_TEXT = 13  # pixels: smaller labels are not drawn rather than drawn unreadable


def text_size(tile: int, fraction: float) -> int:
    """A label's font size: a `fraction` of the tile, never under the readable minimum."""
    return max(int(tile * fraction), MIN_TEXT)


def blend(color: Color, other: Color, weight: float) -> Color:
    r, g, b = (int(round((1 - weight) * a + weight * b)) for a, b in zip(color, other, strict=True))
    return r, g, b


class GridPainter:
    """Draws a grid world; one tile per cell, a wind strip on top where the map has wind.

    Tiles are as large as fits `max_size` (at most 96 pixels), so any map shape fills its
    frame; labels scale with the tile and are left out where they would be unreadable.
    """

    def __init__(self, model, max_size: tuple[int, int] = MAX_GRID_FRAME):
        self.model = model
        windy = bool(model.wind and any(model.wind))
        width, height = max_size
        # A windy map spends half a tile on its wind strip.
        tile = min(width // model.n_cols, int(height // (model.n_rows + 0.5 * windy)), 96)
        self.tile = max(tile, 4)
        self.top = self.tile // 2 if windy else 0
        self.size = (model.n_cols * self.tile, model.n_rows * self.tile + self.top)

    def cell_rect(self, r: int, c: int):
        return pygame.Rect(c * self.tile, self.top + r * self.tile, self.tile, self.tile)

    def draw(
        self,
        surface,
        state: int | None,
        last_action: int | None = None,
        *,
        values=None,
        actions=None,
        value_range: tuple[float, float] | None = None,
        trail=(),
    ) -> None:
        """The map, the overlay (`values` as heat over `value_range`, greedy `actions` as
        arrows), the `trail` of cells left (oldest first, fading) and the agent (at `state`;
        None draws no agent)."""
        surface.fill(BACKGROUND)
        colors = None if values is None else self.heat(values, value_range)
        trail = list(trail)
        fading = {int(cell): (age + 1) / (len(trail) + 1) for age, cell in enumerate(reversed(trail))}
        for s in range(self.model.n_states):
            color = TILE_COLORS[self.model.symbol(s)]
            if colors is not None and self.model.symbol(s) in ".S":
                color = (int(colors[s][0]), int(colors[s][1]), int(colors[s][2]))
            self.draw_cell(surface, s, color, fading.get(s), values, actions)
        if self.top:
            self.draw_wind(surface)
        if state is not None:  # None: a map of values only (explain's panels)
            self.draw_agent(surface, state, last_action, labelled=values is not None and self.tile >= 40)

    def heat(self, values, value_range: tuple[float, float] | None) -> np.ndarray:
        """Each state's colour for `values` over `value_range` (default: the open cells' range)."""
        from .grid_model import WALL

        if value_range is None:
            model = self.model
            open_cells = np.array([model.symbol(s) != WALL for s in range(model.n_states)])
            value_range = (float(values[open_cells].min()), float(values[open_cells].max()))
        return heat_colors(values, *value_range)

    def draw_cell(self, surface, s: int, color, fade: float | None, values, actions) -> None:
        """Cell `s` in `color`: its trail mark (`fade`, 1 the newest), its letter, its greedy
        arrow and its value, each where the tile is large enough to show it."""
        from .grid_model import MOVES

        tile, symbol = self.tile, self.model.symbol(s)
        rect = self.cell_rect(*self.model.cell(s))
        pygame.draw.rect(surface, color, rect)
        if tile >= 8:
            pygame.draw.rect(surface, BACKGROUND, rect, 1)
        ink = TEXT if np.mean(color) < 128 else ARROW
        if fade is not None:  # under the arrow: the newest step is the brightest and largest
            radius = max(tile * 0.2 * (1 - 0.5 * fade), 2)
            pygame.draw.circle(surface, blend(AGENT, color, 0.85 * fade), rect.center, radius)
        if symbol in "GHC" and tile >= 16:
            draw_text(surface, symbol, rect.center, text_size(tile, 0.4), (250, 250, 250), center=True)
        elif symbol == "S" and tile >= 32:
            draw_text(surface, "S", (rect.x + 3, rect.y + 2), text_size(tile, 0.22), ink)
        if actions is not None and symbol in ".S" and tile >= 8:
            dr, dc = MOVES[int(actions[s])]
            center = (rect.centerx, rect.centery - (tile // 10 if values is not None and tile >= 40 else 0))
            draw_arrow(surface, center, (dc, dr), tile * 0.45, ink, max(tile // 16, 2))
        if values is not None and symbol in ".S" and tile >= 40:
            where = (rect.centerx, rect.bottom - tile // 7)
            draw_text(surface, f"{values[s]:.2f}", where, text_size(tile, 0.24), ink, center=True)

    def draw_wind(self, surface) -> None:
        """An arrow and a strength above each windy column."""
        tile = self.tile
        for c, strength in enumerate(self.model.wind or ()):
            if strength:
                center = (c * tile + tile // 2, self.top // 2)
                draw_arrow(surface, center, (0, -np.sign(strength)), self.top * 0.8, WIND, 2)
                draw_text(surface, str(abs(strength)), (center[0] + tile // 5, 2), max(self.top - 4, 10), WIND)

    def draw_agent(self, surface, state: int, last_action: int | None, labelled: bool) -> None:
        """The agent as a ring, not a disc: the greedy arrow of its own cell stays visible inside
        it, and (`labelled`) its value below; a notch on the ring where the last move pointed."""
        from .grid_model import MOVES

        tile = self.tile
        rect = self.cell_rect(*self.model.cell(state))
        center = (rect.centerx, rect.centery - (tile // 10 if labelled else 0))
        radius, width = tile * (0.3 if labelled else 0.38), max(tile // 10, 3)
        pygame.draw.circle(surface, BACKGROUND, center, radius + 1, width + 2)
        pygame.draw.circle(surface, AGENT, center, radius, width)
        if last_action is not None and tile >= 16:
            dr, dc = MOVES[last_action]
            notch = (center[0] + dc * radius, center[1] + dr * radius)
            pygame.draw.circle(surface, BACKGROUND, notch, max(tile // 12, 3) + 1)
            pygame.draw.circle(surface, AGENT, notch, max(tile // 12, 3))
