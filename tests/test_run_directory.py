"""A run directory is one run's: never overwritten, written by one process at a time, and
resumable from its newest readable checkpoint."""

import hashlib
import os
import subprocess
import sys
import time

import pytest

import rl_kit
from rl_kit.core.checkpoints import CHECKPOINT_DIRECTORY
from rl_kit.core.run_directory import fresh_directory
from rl_kit.errors import RLKitError
from rl_kit.infrastructure.directory_lock import LOCK_FILE


def checksums(directory):
    """Every file of the run (not the lock, which only says who writes now)."""
    return {
        str(path.relative_to(directory)): hashlib.sha256(path.read_bytes()).hexdigest()
        for path in sorted(directory.rglob("*"))
        if path.is_file() and path.name != LOCK_FILE
    }


def test_a_second_run_into_a_run_directory_is_refused_and_the_first_is_intact(tmp_path, cli):
    out = tmp_path / "R"
    first = cli("train", "--env", "rl_kit/CliffWalking-v0", "--agent", "sarsa", "--steps", 3000, "--out", out)
    assert first.returncode == 0, first.stderr
    before = checksums(out)
    second = cli("train", "--env", "rl_kit/GridWorld-v0", "--agent", "q_learning", "--steps", 3000, "--out", out)
    assert second.returncode == 2
    lines = second.stderr.strip().splitlines()
    assert len(lines) == 1 and "--resume" in lines[0] and "--out" in lines[0] and "Traceback" not in second.stderr
    assert checksums(out) == before


def test_the_api_refuses_too_and_an_empty_directory_is_fine(tmp_path, quiet_train):
    quiet_train("rl_kit/GridWorld-v0", "q_learning", steps=500, out=tmp_path)
    with pytest.raises(RLKitError, match="never overwrites"):
        quiet_train("rl_kit/GridWorld-v0", "sarsa", steps=500, out=tmp_path)


def test_a_concurrent_writer_is_refused_at_once_naming_the_process(tmp_path, cli):
    out = tmp_path / "R"
    first = subprocess.Popen(
        [sys.executable, "-m", "rl_kit.cli", "train", "--env", "rl_kit/GridWorld-v0", "--agent", "q_learning"]
        + ["--steps", "1000000000", "--out", str(out), "--no-progress", "--checkpoint-every", "100000"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.time() + 60
        while not (out / CHECKPOINT_DIRECTORY).exists() and time.time() < deadline:
            time.sleep(0.1)
        config = (out / "config.yaml").read_bytes()
        started = time.time()
        for args in (
            ("--env", "rl_kit/GridWorld-v0", "--agent", "sarsa", "--steps", 3000, "--out", out),
            ("--resume", out),
        ):
            second = cli("train", *args, "--no-progress")
            assert second.returncode == 2 and f"pid {first.pid}" in second.stderr, second.stderr
        assert time.time() - started < 60  # refused at once, not after waiting
        assert (out / "config.yaml").read_bytes() == config
    finally:
        first.terminate()
        first.communicate(timeout=60)
    assert first.returncode == 143  # SIGTERM: saved, and said so by its status
    rl_kit.load_agent(out)


def checkpointed_run(tmp_path):
    out = tmp_path / "run"
    stop = lambda step, agent: step >= 6_000  # noqa: E731
    rl_kit.train(
        "rl_kit/GridWorld-v0",
        "q_learning",
        steps=10_000,
        out=out,
        checkpoint_every=1_000,
        keep_checkpoints=3,
        callback=stop,
        callback_every=1_000,
        progress=False,
        tensorboard=False,
    )
    return out, sorted((out / CHECKPOINT_DIRECTORY).iterdir())


def test_resume_falls_back_to_the_newest_readable_checkpoint(tmp_path, capsys):
    out, checkpoints = checkpointed_run(tmp_path)
    assert len(checkpoints) == 3
    checkpoints[-1].write_bytes(checkpoints[-1].read_bytes()[:200])  # the newest is torn
    run = rl_kit.train(resume=out, progress=False)
    assert run.result.steps == 10_000 and not run.result.interrupted
    err = capsys.readouterr().err
    assert checkpoints[-1].name in err and f"resuming from {checkpoints[-2].name}" in err


def test_a_fifo_named_like_the_newest_checkpoint_is_skipped_not_opened(tmp_path, cli):
    out, checkpoints = checkpointed_run(tmp_path)
    fifo = checkpoints[-1].with_name("step_999999999999.safetensors")
    os.mkfifo(fifo)
    result = cli("train", "--resume", out, "--no-progress")
    assert result.returncode == 0, result.stderr
    assert "not a regular file" in result.stderr


def test_every_checkpoint_damaged_is_one_clear_error(tmp_path, cli):
    out, checkpoints = checkpointed_run(tmp_path)
    for path in checkpoints:
        path.write_bytes(b"garbage")
    result = cli("train", "--resume", out, "--no-progress")
    assert result.returncode == 2 and "no readable checkpoint" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def test_fresh_directories_are_numbered(tmp_path):
    assert fresh_directory(tmp_path / "quickstart") == tmp_path / "quickstart"
    (tmp_path / "quickstart").mkdir()
    (tmp_path / "quickstart-2").mkdir()
    assert fresh_directory(tmp_path / "quickstart") == tmp_path / "quickstart-3"


@pytest.mark.parametrize("signal_name", ["SIGTERM", "SIGINT"])
def test_a_signal_during_a_checkpoint_lets_it_finish_then_stops_the_run(
    tmp_path, monkeypatch, signal_name, quiet_train
):
    """A signal used to raise wherever it landed: inside a checkpoint being written (which was
    then lost), a log row, or a library's lock, whose release a clean-up could then wait on
    for ever (a SIGTERM'd run that did not exit in 60 s, seen once under load). Now it asks
    for a stop, and the run stops at the next step boundary with everything whole."""
    import signal

    from rl_kit.core import native_backend
    from rl_kit.core.checkpoints import read_checkpoint
    from rl_kit.core.supervisor import raise_terminated, stop_on_sigterm

    write = native_backend.save_checkpoint
    number = getattr(signal, signal_name)

    def signalled_while_writing(*args, **kwargs):
        os.kill(os.getpid(), number)  # lands here, in the middle of the checkpoint's work
        return write(*args, **kwargs)

    monkeypatch.setattr(native_backend, "save_checkpoint", signalled_while_writing)
    previous = signal.getsignal(signal.SIGTERM)
    stop_on_sigterm()  # as the command does
    try:
        run = quiet_train(
            "rl_kit/GridWorld-v0",
            "q_learning",
            steps=10_000,
            checkpoint_every=1_000,
            out=tmp_path / "run",
        )
        restored = signal.getsignal(signal.SIGTERM), signal.getsignal(signal.SIGINT)
    finally:
        signal.signal(signal.SIGTERM, previous)
    assert restored == (raise_terminated, signal.default_int_handler)  # the run put the handlers back
    assert run.result.interrupted and run.result.stopped_by == signal_name
    assert run.result.steps == 1_000  # stopped right after the checkpoint it interrupted
    checkpoint = read_checkpoint(tmp_path / "run" / CHECKPOINT_DIRECTORY / "step_000000001000.safetensors")
    assert checkpoint.header["step"] == 1_000 and checkpoint.arrays["agent"]  # whole
