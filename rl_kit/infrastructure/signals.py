"""SIGTERM as Ctrl-C: a scheduler's stop ends work the same clean way a user's Ctrl-C does.

:func:`stop_on_sigterm` makes SIGTERM raise :class:`StopSignal`, a ``KeyboardInterrupt``, so
every clean-up that Ctrl-C runs (a run saving its agent, a pool stopping its workers) runs for
SIGTERM too, and the command can still tell which signal it was (exit 130 or 143).
"""

from __future__ import annotations

import signal


class StopSignal(KeyboardInterrupt):
    """SIGTERM, raised where Ctrl-C would be, so both stop a run the same clean way."""


def raise_terminated(signum, frame):
    raise StopSignal


def stop_on_sigterm() -> None:
    """Let SIGTERM (a scheduler stopping the job) stop work like Ctrl-C: saved, clean exit."""
    signal.signal(signal.SIGTERM, raise_terminated)


def signal_name(interrupt: KeyboardInterrupt) -> str:
    """``"SIGTERM"`` for a :class:`StopSignal`, else ``"SIGINT"``."""
    return "SIGTERM" if isinstance(interrupt, StopSignal) else "SIGINT"
