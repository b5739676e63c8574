"""Map parsing and the transition model of the grid worlds."""

import numpy as np
import pytest

from rl_kit.envs.grid_maps import WINDY_GRIDWORLD, WINDY_GRIDWORLD_WIND
from rl_kit.envs.grid_model import DOWN, LEFT, RIGHT, UP, GridModel, MapError, read_map


def test_map_from_text_rows_and_file(tmp_path):
    text = "S.G\n.#."
    path = tmp_path / "map.txt"
    path.write_text(text + "\n")
    assert read_map(text) == read_map(["S.G", ".#."]) == read_map(str(path)) == ["S.G", ".#."]


def test_frozen_lake_letters_are_floor():
    assert read_map("SF\nFG") == ["S.", ".G"]


@pytest.mark.parametrize(
    "text, message",
    [
        ("S..\n..\n..G", "map row 2 has 2 columns but row 1 has 3"),
        ("...\n..G", "no start"),
        ("S..\n.x.\n..G", "row 2, column 2: unknown symbol 'x'"),
        ("", "empty"),
        ("maps/missing.txt", "no map file"),
    ],
)
def test_malformed_maps_name_the_problem(text, message):
    with pytest.raises(MapError, match=message):
        read_map(text)


def test_unknown_option_and_bad_values():
    with pytest.raises(TypeError, match="unknown GridWorld option.*'slipp'"):
        GridModel.from_map("SG", slipp=0.1)
    with pytest.raises(ValueError, match="slip must be a probability"):
        GridModel.from_map("SG", slip=1.5)
    with pytest.raises(ValueError, match="wind has 3 entries but the map has 2 columns"):
        GridModel.from_map("SG", wind=[0, 1, 2])


def test_P_rows_are_distributions():
    model = GridModel.from_map("S...\n.#H.\n.CG.", slip=0.3, step_reward=-1.0)
    for s in range(model.n_states):
        for a in range(4):
            assert sum(p for p, *_ in model.P[s][a]) == pytest.approx(1.0)


def test_walls_borders_and_terminals():
    model = GridModel.from_map("S#\n.G")
    assert model.P[0][RIGHT] == [(1.0, 0, 0.0, False)]  # wall: stay
    assert model.P[0][UP] == [(1.0, 0, 0.0, False)]  # border: stay
    assert model.P[0][DOWN] == [(1.0, 2, 0.0, False)]
    assert model.P[2][RIGHT] == [(1.0, 3, 1.0, True)]  # goal
    assert model.P[3][LEFT] == [(1.0, 3, 0.0, True)]  # terminal states absorb


def test_cliff_sends_back_to_start_with_penalty():
    model = GridModel.from_map("...\nSCG", step_reward=-1.0, cliff_reward=-100.0)
    assert model.P[3][RIGHT] == [(1.0, 3, -100.0, False)]


def test_slip_goes_perpendicular():
    model = GridModel.from_map("...\n.S.\n..G", slip=0.5)
    outcomes = {s2: p for p, s2, _, _ in model.P[4][UP]}
    assert outcomes == {3: 0.25, 1: 0.5, 5: 0.25}  # left, up, right


def test_windy_gridworld_pushes_up_by_the_column_left():
    model = GridModel.from_map(WINDY_GRIDWORLD, wind=WINDY_GRIDWORLD_WIND, step_reward=-1.0, goal_reward=-1.0)
    # From (3, 6), wind 2: moving right lands on (3, 7) then is pushed to (1, 7).
    [(p, s2, r, t)] = model.P[3 * 10 + 6][RIGHT]
    assert (model.cell(s2), r, t) == ((1, 7), -1.0, False)
    # Sutton & Barto: the shortest path under this wind takes 15 steps.
    from rl_kit.agents.dynamic_programming import TabularModel, value_iteration

    v = value_iteration(TabularModel.from_P(model.P), gamma=1.0)
    assert v[model.start_states[0]] == pytest.approx(-15.0)


def test_start_distribution_and_sampling_rule():
    model = GridModel.from_map("S.S\n..G")
    assert model.initial_state_distribution[[0, 2]].tolist() == [0.5, 0.5]
    assert model.start_from_uniform(np.array([0.1, 0.9])).tolist() == [0, 2]


@pytest.mark.parametrize(
    "text, words",
    [
        ("S..", "no goal"),
        ("S#G", "row 1, column 1"),  # a wall between
        ("SHG", "cut it off"),  # a hole ends every way there
        ("S.\n##\nG.", "cut it off"),
    ],
)
def test_a_map_whose_goal_cannot_be_reached_is_refused(text, words):
    with pytest.raises(MapError, match=words):
        GridModel.from_map(text)


def test_reachability_follows_the_dynamics():
    GridModel.from_map("S#\n.G", slip=0.5)  # around the wall
    with pytest.raises(MapError):  # no slip crosses a full wall
        GridModel.from_map("S..\n###\n..G", slip=0.5)
    with pytest.raises(MapError):  # the wind blows every way to the goal back up
        GridModel.from_map("..\nSG", wind=[1, 1])
