"""Test set-up: headless pygame, and the rl-kit envs registered."""

import os

os.environ.setdefault("SDL_VIDEODRIVER", "dummy")
os.environ.setdefault("SDL_AUDIODRIVER", "dummy")
os.environ.setdefault("PYGAME_HIDE_SUPPORT_PROMPT", "1")
os.environ.setdefault("XDG_RUNTIME_DIR", "/tmp")

import signal  # noqa: E402

import rl_kit.envs  # noqa: E402,F401  (registers the rl_kit ids)

# A suite started in the background of a non-interactive shell inherits SIGINT ignored, and so
# would every rl-kit process it starts: the tests that press Ctrl-C need it delivered.
if signal.getsignal(signal.SIGINT) is signal.SIG_IGN:
    signal.signal(signal.SIGINT, signal.default_int_handler)


def pytest_xdist_auto_num_workers(config):
    """``-n auto``: as many test processes as cores this process may run on (its affinity, which
    ``taskset`` sets), not the machine's: ``taskset -c 0 python3 -m pytest`` runs one."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # no affinity on this platform
        return os.cpu_count() or 1
