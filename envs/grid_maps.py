"""The maps of the registered grid worlds, as text (one row a line)."""

GRID_WORLD = """
S..#.
.#...
...H.
.#.#.
...#G
"""

# Gymnasium's FrozenLake-v1 maps (F is floor).
FROZEN_LAKE_4X4 = """
SFFF
FHFH
FFFH
HFFG
"""

FROZEN_LAKE_8X8 = """
SFFFFFFF
FFFFFFFF
FFFHFFFF
FFFFFHFF
FFFHFFFF
FHHFFFHF
FHFFHFHF
FFFHFFFG
"""

# Sutton & Barto Example 6.6: 4x12, start bottom left, goal bottom right, cliff between.
CLIFF_WALKING = """
............
............
............
SCCCCCCCCCCG
"""

# Sutton & Barto Example 6.5: 7x10, start (3, 0), goal (3, 7), upward wind per column.
WINDY_GRIDWORLD = """
..........
..........
..........
S......G..
..........
..........
..........
"""
WINDY_GRIDWORLD_WIND = [0, 0, 0, 1, 1, 1, 2, 2, 1, 0]  # a list: the spec's JSON round trip gives one back

# Sutton, Precup & Singh (1999): four rooms joined by four doorways.
FOUR_ROOMS = """
#############
#S....#.....#
#.....#.....#
#...........#
#.....#.....#
#.....#.....#
##.####.....#
#.....###.###
#.....#.....#
#.....#.....#
#...........#
#.....#....G#
#############
"""
