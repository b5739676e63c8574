"""What every subcommand's flags share: number and KEY=VALUE types, one parser of values, and
the error that a flag problem found after parsing raises."""

from __future__ import annotations

import argparse
from typing import Any

RAY_HELP = "run the grid on Ray: auto (this machine's cluster, started if none) or ray://HOST:10001"


class UsageError(Exception):
    """A flag problem found after parsing: reported like argparse's own, exit 2."""


class Interrupted(Exception):
    """The work stopped early on a signal, what it had done saved: exit 128 + the signal's number."""

    def __init__(self, stopped_by: str | None):
        super().__init__(stopped_by)
        self.exit_code = 143 if stopped_by == "SIGTERM" else 130  # the shell's convention


class Parser(argparse.ArgumentParser):
    """argparse, but a bad flag is one line naming it (and `--help` for more), then exit 2."""

    def error(self, message: str):
        self.exit(2, f"{self.prog}: error: {message} (see {self.prog} --help)\n")


def int_at_least(minimum: int):
    """An argparse type: a whole number (underscores allowed) no smaller than `minimum`."""

    def parse(text: str) -> int:
        try:
            value = int(text.replace("_", ""))
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
        if value < minimum:
            raise argparse.ArgumentTypeError(f"expected a number >= {minimum}, got {value}")
        return value

    return parse


positive_int, non_negative_int = int_at_least(1), int_at_least(0)


def positive_float(text: str) -> float:
    """An argparse type: a finite number above 0."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number, got {text!r}") from None
    if not 0 < value < float("inf"):
        raise argparse.ArgumentTypeError(f"expected a number above 0, got {text}")
    return value


def key_value(text: str) -> tuple[str, str]:
    key, sep, value = text.partition("=")
    if not sep or not key:
        raise argparse.ArgumentTypeError(f"expected KEY=VALUE, got {text!r}")
    return key.strip(), value.strip()


def add_values_flag(parser: argparse.ArgumentParser, flag: str, help: str) -> None:
    """A repeatable ``FLAG KEY=VALUE``; read the pairs with :func:`parse_values`."""
    parser.add_argument(flag, type=key_value, action="append", default=[], metavar="KEY=VALUE", help=help)


def parse_values(pairs: list[tuple[str, str]], flag: str) -> dict[str, Any]:
    """``KEY=VALUE`` pairs with each value read as YAML (``0.5`` a number, ``[1, 2]`` a list,
    ``linear(1, 0, 100)`` text); a value that is not YAML is a usage error naming it."""
    from rl_kit.errors import RLKitError
    from rl_kit.infrastructure.yaml_text import load_yaml

    values = {}
    for key, text in pairs:
        try:
            values[key] = load_yaml(text, f"{flag} {key}")
        except RLKitError as error:
            raise UsageError(f"{shorten(key)}={shorten(text)!r}: not a value ({error})") from None
    return values


def shorten(text: str, limit: int = 80) -> str:
    """`text`, cut to `limit` characters with a count of the rest: an error never echoes a megabyte."""
    return text if len(text) <= limit else f"{text[:limit]}... ({len(text) - limit:,} more characters)"


def add_time_limit_flag(parser) -> None:
    parser.add_argument(
        "--max-episode-steps",
        type=positive_int,
        default=None,
        metavar="N",
        help="end episodes after N steps (default: the env's registered limit; 1,000 for an env without one)",
    )


def add_vector_env_flag(parser) -> None:
    parser.add_argument(
        "--vector-env",
        choices=["native", "sync"],
        default=None,
        help="how the env's copies run: native (default: a native vector version where the env has one, such as "
        "rl-kit's bit-for-bit twins of Acrobot, MountainCar, MountainCarContinuous and Pendulum) or sync "
        "(Gymnasium's SyncVectorEnv)",
    )


def add_population_flag(parser) -> None:
    parser.add_argument(
        "--population",
        choices=["on", "off"],
        default="on",
        help="on (default): an agent's seeds train as one population, in one process, where the agent can "
        "(ppo, a2c, reinforce, dqn); off: each seed apart",
    )


def env_options(args) -> dict:
    """``--env-kwarg`` values, with ``--max-episode-steps`` (as ``gymnasium.make`` takes it) and
    ``--vector-env`` among them."""
    options = parse_values(getattr(args, "env_kwarg", None) or [], "--env-kwarg")
    if args.max_episode_steps is not None:
        options["max_episode_steps"] = args.max_episode_steps
    if getattr(args, "vector_env", None) is not None:
        options["vector_env"] = args.vector_env
    return options
