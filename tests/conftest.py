"""Test set-up: headless pygame, the rl-kit envs registered, and the fixtures most tests share:
``cli`` (the command in this process), ``rl_kit_process`` (in its own), ``quiet_train``."""

import os

os.environ.setdefault("SDL_VIDEODRIVER", "dummy")
os.environ.setdefault("SDL_AUDIODRIVER", "dummy")
os.environ.setdefault("PYGAME_HIDE_SUPPORT_PROMPT", "1")
os.environ.setdefault("XDG_RUNTIME_DIR", "/tmp")

import signal  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
from dataclasses import dataclass  # noqa: E402

import pytest  # noqa: E402

import rl_kit  # noqa: E402
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


@dataclass
class CommandResult:
    """What ``rl-kit ARGS`` did: its exit status and what it printed."""

    returncode: int
    stdout: str
    stderr: str


@pytest.fixture
def cli(capsys):
    """``cli("train", "--env", ...)``: the command run in this process (``rl_kit.cli.main``), as a
    user sees it: exit status, standard output and error. A subprocess proves nothing more
    unless the test is about the process itself (signals, a second process, a kill): those use
    ``rl_kit_process``."""
    from rl_kit.cli import main

    def run(*args) -> CommandResult:
        capsys.readouterr()
        handler = signal.getsignal(signal.SIGTERM)  # main() makes SIGTERM stop it: not the suite
        try:
            code = main([str(a) for a in args])
        except SystemExit as exit:  # argparse's usage errors exit by themselves
            code = exit.code if isinstance(exit.code, int) else 1
        finally:
            signal.signal(signal.SIGTERM, handler)
        captured = capsys.readouterr()
        return CommandResult(code or 0, captured.out, captured.err)

    return run


@pytest.fixture
def rl_kit_process():
    """``rl_kit_process("train", ...)``: the command in a process of its own (``python -m
    rl_kit.cli``), for tests about the process: its exit on a signal, a second process at once."""

    def run(*args, **kwargs) -> subprocess.CompletedProcess:
        command = [sys.executable, "-m", "rl_kit.cli", *map(str, args)]
        return subprocess.run(command, capture_output=True, text=True, **{"timeout": 300, **kwargs})

    return run


@pytest.fixture
def quiet_train(tmp_path):
    """``quiet_train(env, agent, steps=...)``: ``rl_kit.train`` with no progress bar and no
    TensorBoard events, into a fresh folder under the test's ``tmp_path`` unless `out` is given."""
    import itertools

    counter = itertools.count()

    def train(env, agent, **kwargs):
        kwargs.setdefault("out", tmp_path / f"run-{next(counter)}")
        kwargs.setdefault("progress", False)
        kwargs.setdefault("tensorboard", False)
        return rl_kit.train(env, agent, **kwargs)

    return train
