"""Grid worlds written as text maps: parsing, validation and the exact transition model.

One :class:`GridModel` is compiled from a map and its options and is shared by the single env,
the vector env and the drawing code, so they cannot disagree about the dynamics.

Map symbols (``F`` is accepted as floor so Gymnasium's FrozenLake maps work verbatim):

====== ===========================================================================
``S``  start (several ``S`` give a uniform start distribution)
``G``  goal: terminal, pays ``goal_reward``
``H``  hole: terminal, pays ``hole_reward``
``C``  cliff: pays ``cliff_reward`` and sends the agent back to the (first) start
``#``  wall: moves into it (or off the map) leave the agent where it was
``.``  floor (also ``F``)
====== ===========================================================================

Actions follow Gymnasium's FrozenLake: 0 left, 1 down, 2 right, 3 up. A move slips with
probability ``slip`` to one of the two perpendicular directions (half each), FrozenLake-style;
then the wind of the column the agent left pushes it ``wind[col]`` cells up (negative: down),
stopping at walls and the border, as in Sutton & Barto's Windy Gridworld (Example 6.5).
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

LEFT, DOWN, RIGHT, UP = 0, 1, 2, 3
ACTION_NAMES = ("left", "down", "right", "up")
MOVES = ((0, -1), (1, 0), (0, 1), (-1, 0))  # (d_row, d_col) per action

START, GOAL, HOLE, CLIFF, WALL, FLOOR = "S", "G", "H", "C", "#", "."
SYMBOLS = {
    START: "start",
    GOAL: "goal",
    HOLE: "hole",
    CLIFF: "cliff",
    WALL: "wall",
    FLOOR: "floor",
    "F": "floor",
}
TERMINAL_SYMBOLS = (GOAL, HOLE)

# Transition = (probability, next_state, reward, terminated), as in Gymnasium's toy-text envs.
Transition = tuple[float, int, float, bool]


class MapError(ValueError):
    """A grid map that cannot be used; the message names the row and column (1-based)."""


MAX_MAP_CELLS = 2**16  # 256 x 256; a saved agent's metadata could otherwise ask for 3000 x 3000 (17 GB)


def read_map(map_spec: str | Sequence[str]) -> list[str]:
    """Return the rows of a map given as text, a list of rows, or the path of a text file.

    Blank lines and surrounding whitespace are dropped; ``F`` is normalised to ``.``.
    """
    rows = [line.strip() for line in map_lines(map_spec)]
    while rows and not rows[0]:
        rows.pop(0)
    while rows and not rows[-1]:
        rows.pop()
    check_rows(rows)
    return [row.replace("F", FLOOR) for row in rows]


def map_lines(map_spec: str | Sequence[str]) -> list[str]:
    """The lines of a map given as text, a list of rows, or the path of a text file."""
    if isinstance(map_spec, (list, tuple)):
        return [str(row) for row in map_spec]
    if not isinstance(map_spec, (str, os.PathLike)):
        raise MapError(f"a map must be a string, a list of rows or a file path, not {type(map_spec).__name__}")
    text = os.fspath(map_spec)
    if "\n" not in text and os.path.isfile(text):
        with open(text, encoding="utf-8") as f:
            text = f.read()
    elif "\n" not in text and (os.sep in text or text.endswith(".txt")):
        raise MapError(f"no map file at {text!r}")
    return text.splitlines()


def check_rows(rows: list[str]) -> None:
    """Raise a MapError naming the row and column of what is wrong: no rows, too many cells,
    rows of unequal length, an unknown symbol, no start."""
    if not rows:
        raise MapError("the map is empty")
    if len(rows) * len(rows[0]) > MAX_MAP_CELLS:  # before the transition table is built: 256x256 takes 5 s
        raise MapError(
            f"the map has {len(rows):,} rows of {len(rows[0]):,} cells, more than the {MAX_MAP_CELLS:,} cells a grid "
            "world may have (its transition table grows with it)"
        )
    for r, row in enumerate(rows):
        if not row:
            raise MapError(f"map row {r + 1} is empty")
        if len(row) != len(rows[0]):
            raise MapError(
                f"map row {r + 1} has {len(row)} columns but row 1 has {len(rows[0])}: "
                "every row must have the same length"
            )
        unknown = [c for c, symbol in enumerate(row) if symbol not in SYMBOLS]
        if unknown:
            known = " ".join(SYMBOLS)
            raise MapError(
                f"map row {r + 1}, column {unknown[0] + 1}: unknown symbol {row[unknown[0]]!r} (known: {known})"
            )
    if not any(START in row for row in rows):
        raise MapError("the map has no start 'S'")


@dataclass(frozen=True)
class GridModel:
    """A compiled grid world: its layout, options, the table ``P`` and flat arrays for sampling.

    ``P[s][a]`` is a list of ``(prob, next_state, reward, terminated)``; state ``s`` is
    ``row * cols + col``. The arrays hold the same outcomes padded to ``K`` per (s, a):
    ``cum_prob[s, a, k]`` is the cumulative probability, so sampling with a uniform ``u`` picks
    ``k = #{k : cum_prob[s, a, k] <= u}`` (as Gymnasium's ``categorical_sample`` does).

    Derived when made (read-only): ``P``, ``start_states``, ``goal_states``, the sampling arrays
    of shape (n_states, n_actions, K) ``prob``, ``next_state``, ``reward``, ``terminated`` and
    ``cum_prob``, their ``outcomes_per_action`` K, and ``step_table`` for the single env.
    """

    rows: tuple[str, ...]
    slip: float = 0.0
    wind: tuple[int, ...] | None = None
    step_reward: float = 0.0
    goal_reward: float = 1.0
    hole_reward: float = 0.0
    cliff_reward: float = -100.0
    P: dict[int, dict[int, list[Transition]]] = field(init=False, repr=False, compare=False)
    start_states: np.ndarray = field(init=False, repr=False, compare=False)
    goal_states: np.ndarray = field(init=False, repr=False, compare=False)  # bool per state
    outcomes_per_action: int = field(init=False, repr=False, compare=False)  # K
    prob: np.ndarray = field(init=False, repr=False, compare=False)
    next_state: np.ndarray = field(init=False, repr=False, compare=False)
    reward: np.ndarray = field(init=False, repr=False, compare=False)
    terminated: np.ndarray = field(init=False, repr=False, compare=False)
    cum_prob: np.ndarray = field(init=False, repr=False, compare=False)
    # per (s, a): the cumulative probabilities and outcomes, as tuples for the single env's scalar step
    step_table: list[list[tuple[tuple[float, ...], list[Transition]]]] = field(init=False, repr=False, compare=False)

    @classmethod
    def from_map(cls, map_spec: str | Sequence[str], **options) -> GridModel:
        """Compile a map (text, rows or file path) with the options of :class:`GridModel`."""
        known = ("slip", "wind", "step_reward", "goal_reward", "hole_reward", "cliff_reward")
        unknown = sorted(set(options) - set(known))
        if unknown:
            raise TypeError(f"unknown GridWorld option(s) {unknown}; the options are {list(known)}")
        if options.get("wind") is not None:
            options["wind"] = tuple(options["wind"])
        return cls(rows=tuple(read_map(map_spec)), **options)

    def __post_init__(self) -> None:
        if not 0.0 <= self.slip <= 1.0:
            raise ValueError(f"slip must be a probability in [0, 1], got {self.slip}")
        if self.wind is not None:
            wind = tuple(int(w) for w in self.wind)
            if len(wind) != self.n_cols:
                raise ValueError(
                    f"wind has {len(wind)} entries but the map has {self.n_cols} columns: give one per column"
                )
            object.__setattr__(self, "wind", wind)
        starts = [s for s in range(self.n_states) if self.symbol(s) == START]
        object.__setattr__(self, "start_states", np.array(starts, dtype=np.int64))
        object.__setattr__(self, "goal_states", np.array([self.symbol(s) == GOAL for s in range(self.n_states)]))
        object.__setattr__(self, "P", self._build_P())
        self._check_a_goal_can_be_reached()
        self._build_arrays()

    def _check_a_goal_can_be_reached(self) -> None:
        """A map whose episodes could only end by the time limit teaches nothing: refuse it."""
        if not self.goal_states.any():
            raise MapError("the map has no goal 'G'")
        seen = set(int(s) for s in self.start_states)
        frontier = list(seen)
        while frontier:  # breadth over the transitions P allows, stopping at terminal ones
            s = frontier.pop()
            for outcomes in self.P[s].values():
                for prob, following, _, terminated in outcomes:
                    if prob > 0 and self.goal_states[following]:
                        return
                    if prob > 0 and not terminated and following not in seen:
                        seen.add(following)
                        frontier.append(following)
        r, c = divmod(int(self.start_states[0]), self.n_cols)
        raise MapError(
            f"no goal 'G' can be reached from the start at row {r + 1}, column {c + 1}: walls or holes cut it off"
        )

    # --- layout -----------------------------------------------------------------------------
    @property
    def n_rows(self) -> int:
        return len(self.rows)

    @property
    def n_cols(self) -> int:
        return len(self.rows[0])

    @property
    def n_states(self) -> int:
        return self.n_rows * self.n_cols

    n_actions = 4

    def cell(self, state: int) -> tuple[int, int]:
        return divmod(int(state), self.n_cols)

    def symbol(self, state: int) -> str:
        r, c = self.cell(state)
        return self.rows[r][c]

    @property
    def initial_state_distribution(self) -> np.ndarray:
        isd = np.zeros(self.n_states)
        isd[self.start_states] = 1.0 / len(self.start_states)
        return isd

    @property
    def reward_bounds(self) -> tuple[float, float]:
        rewards = [t[2] for row in self.P.values() for outcomes in row.values() for t in outcomes]
        return min(rewards), max(rewards)

    def start_from_uniform(self, u: float | np.ndarray):
        """Map uniform draws in [0, 1) to start states (shared by single and vector env)."""
        starts = self.start_states
        index = np.minimum((np.asarray(u) * len(starts)).astype(np.int64), len(starts) - 1)
        return starts[index]

    # --- dynamics ---------------------------------------------------------------------------
    def _blocked(self, r: int, c: int) -> bool:
        return not (0 <= r < self.n_rows and 0 <= c < self.n_cols) or self.rows[r][c] == WALL

    def _land(self, r: int, c: int, direction: int) -> tuple[int, int]:
        """Cell reached from (r, c) moving in `direction`, then pushed by the wind of column c."""
        dr, dc = MOVES[direction]
        nr, nc = (r + dr, c + dc) if not self._blocked(r + dr, c + dc) else (r, c)
        push = self.wind[c] if self.wind else 0
        step = -1 if push > 0 else 1
        for _ in range(abs(push)):
            if self._blocked(nr + step, nc):
                break
            nr += step
        return nr, nc

    def _outcome(self, state: int, direction: int) -> tuple[int, float, bool]:
        r, c = self._land(*self.cell(state), direction)
        symbol = self.rows[r][c]
        landed = r * self.n_cols + c
        if symbol == GOAL:
            return landed, self.goal_reward, True
        if symbol == HOLE:
            return landed, self.hole_reward, True
        if symbol == CLIFF:
            return int(self.start_states[0]), self.cliff_reward, False
        return landed, self.step_reward, False

    def _build_P(self) -> dict[int, dict[int, list[Transition]]]:
        P: dict[int, dict[int, list[Transition]]] = {}
        for s in range(self.n_states):
            P[s] = {}
            for a in range(self.n_actions):
                if self.symbol(s) in TERMINAL_SYMBOLS:
                    P[s][a] = [(1.0, s, 0.0, True)]
                    continue
                if self.slip > 0.0:
                    branches = [((a - 1) % 4, self.slip / 2), (a, 1.0 - self.slip), ((a + 1) % 4, self.slip / 2)]
                else:
                    branches = [(a, 1.0)]
                P[s][a] = [(p, *self._outcome(s, d)) for d, p in branches]
        return P

    def _build_arrays(self) -> None:
        K = max(len(outcomes) for row in self.P.values() for outcomes in row.values())
        shape = (self.n_states, self.n_actions, K)
        prob = np.zeros(shape)
        next_state = np.zeros(shape, dtype=np.int64)
        reward = np.zeros(shape)
        terminated = np.zeros(shape, dtype=bool)
        for s, row in self.P.items():
            for a, outcomes in row.items():
                for k, (p, s2, r, t) in enumerate(outcomes):
                    prob[s, a, k], next_state[s, a, k], reward[s, a, k], terminated[s, a, k] = p, s2, r, t
        cum_prob = np.cumsum(prob, axis=2)
        cum_prob[:, :, -1] = 1.0  # no draw u < 1 may fall past the last outcome through rounding
        for name, value in dict(
            outcomes_per_action=K,
            prob=prob,
            next_state=next_state,
            reward=reward,
            terminated=terminated,
            cum_prob=cum_prob,
        ).items():
            if isinstance(value, np.ndarray):
                value.setflags(write=False)
            object.__setattr__(self, name, value)
        # Per (s, a) tuples for the single env's scalar step, where numpy calls cost more than they save.
        table = [
            [(tuple(cum_prob[s, a, : len(self.P[s][a])]), self.P[s][a]) for a in range(self.n_actions)]
            for s in range(self.n_states)
        ]
        object.__setattr__(self, "step_table", table)
