"""Errors the workbench reports to a user: one line that names the problem, no traceback."""

from __future__ import annotations

import difflib
from collections.abc import Iterable


class RLKitError(Exception):
    """A problem with what the user asked for (a name, a file, a value)."""


class AgentFileError(RLKitError):
    """A saved agent file that is missing, damaged, or not an rl-kit agent."""


class InvalidValue(RLKitError, ValueError):
    """A value outside what is allowed: a ValueError to the API, one line from the command."""


class InvalidType(RLKitError, TypeError):
    """A value of the wrong kind: a TypeError to the API, one line from the command."""


def unknown_name(kind: str, name: str, known: Iterable[str], *, listed: bool = False) -> RLKitError:
    """An error for an unknown `name` of `kind`, suggesting the closest known names; `listed`:
    name them all (for kinds `rl-kit list` does not show)."""
    known = sorted(known)
    if len(name) > 200:  # a megabyte of name: no suggestion is close, and difflib would take minutes
        return RLKitError(f"unknown {kind} {name[:100]!r}... ({len(name):,} characters): no {kind} has such a name")
    close = difflib.get_close_matches(name, known, n=3, cutoff=0.5)
    if not close:  # also match ignoring case and namespace ("frozenlake" -> "rl_kit/FrozenLake4x4-v0")
        lowered = {k.lower().split("/")[-1]: k for k in known}
        close = [lowered[k] for k in difflib.get_close_matches(name.lower().split("/")[-1], lowered, n=3, cutoff=0.5)]
    hint = f" Did you mean {', '.join(close)}?" if close else ""
    where = f"The {kind}s: {', '.join(known)}." if listed else "See `rl-kit list` for all of them."
    return RLKitError(f"unknown {kind} {name[:100]!r}.{hint} {where}")
