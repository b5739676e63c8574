"""What an attacker or a clumsy user found (issue 24), each reproduced: files rl-kit writes are its
own, one writer per output directory, failed runs reusable, signals that reach every process
within a bound, and memory bounded by one budget check. Each test failed on the code before."""

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml

import rl_kit
from rl_kit.errors import RLKitError

QUICK = {"progress": False, "tensorboard": False}


def rl_kit_command(*args, **kwargs):
    return subprocess.run(
        [sys.executable, "-m", "rl_kit.cli", *map(str, args)], capture_output=True, text=True, **kwargs
    )


def quick_run(out, steps=1000, **kwargs):
    return rl_kit.train("rl_kit/FrozenLake4x4-v0", "q_learning", steps=steps, out=out, **QUICK, **kwargs)


# --- 1, 2: no symlink is followed -------------------------------------------------------------


def test_a_lock_that_is_a_symlink_is_refused_and_its_target_untouched(tmp_path):
    """Before, rl-kit truncated the file a `.lock` link pointed at and wrote its pid there: as
    root, any file on the machine."""
    victim = tmp_path / "victim.txt"
    victim.write_text("precious\n")
    run = tmp_path / "v"
    run.mkdir()
    (run / ".lock").symlink_to(victim)
    finished = rl_kit_command("train", "--env", "rl_kit/FrozenLake4x4-v0", "--agent", "q_learning",
                              "--steps", 1000, "--out", run)  # fmt: skip
    assert finished.returncode == 2 and "symbolic link" in finished.stderr
    assert len(finished.stderr.strip().splitlines()) == 1
    assert victim.read_text() == "precious\n"


def test_resume_refuses_a_checkpoints_folder_that_links_to_another_run(tmp_path):
    """Before, a `checkpoints/` link made the resumed run prune (and write into) another run's."""
    other = tmp_path / "other"
    quick_run(other, steps=4000, checkpoint_every=200, keep_checkpoints=20)
    before = sorted(p.name for p in (other / "checkpoints").iterdir())
    attacker = tmp_path / "attacker"
    quick_run(attacker, steps=1000, checkpoint_every=500, keep_checkpoints=1)
    for checkpoint in (attacker / "checkpoints").iterdir():
        checkpoint.unlink()
    (attacker / "checkpoints").rmdir()
    (attacker / "checkpoints").symlink_to(other / "checkpoints")
    with pytest.raises(RLKitError, match="symbolic link"):
        rl_kit.train(resume=attacker, steps=30_000, progress=False)
    assert sorted(p.name for p in (other / "checkpoints").iterdir()) == before == before[:20]


def test_a_run_directory_that_is_itself_a_link_is_refused(tmp_path):
    (tmp_path / "real").mkdir()
    (tmp_path / "link").symlink_to(tmp_path / "real")
    with pytest.raises(RLKitError, match="symbolic link"):
        quick_run(tmp_path / "link")
    assert not any((tmp_path / "real").iterdir())


# --- 3: one comparison per directory ------------------------------------------------------------


def test_two_comparisons_into_one_directory_at_once_the_second_is_refused(tmp_path):
    """Before, both ran, split the runs, reported each other's as failed, and the last one's
    report.md overwrote the first's."""
    out = tmp_path / "cmp"
    arguments = ("compare", "--env", "rl_kit/FrozenLake4x4-v0", "--agents", "q_learning", "sarsa",
                 "--seeds", 2, "--steps", 20_000, "--episodes", 20, "--out", out, "--workers", 1)  # fmt: skip
    command = [sys.executable, "-m", "rl_kit.cli", *map(str, arguments)]
    first = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 60
    while not (out / ".lock").exists() and time.monotonic() < deadline:
        time.sleep(0.05)
    second = subprocess.run(command, capture_output=True, text=True, timeout=120)
    _, first_errors = first.communicate(timeout=300)
    assert first.returncode == 0, first_errors
    assert second.returncode == 2 and ("being written by another process" in second.stderr
                                       or "already holds a comparison" in second.stderr)  # fmt: skip
    assert "failed" not in (out / "report.md").read_text()
    assert sorted(p.name for p in (out / "runs").iterdir()) == ["q_learning", "sarsa"]


# --- 5: a run that died before its first checkpoint ----------------------------------------------


def test_a_run_that_died_before_its_first_checkpoint_is_started_afresh_by_the_same_command(tmp_path, capfd):
    """Before, such a directory could be neither resumed (no checkpoint) nor reused (it holds a run)."""
    out = tmp_path / "run"
    run = quick_run(out)
    (out / "result.yaml").unlink()  # what a run killed mid-way leaves: config and logs, no result
    (out / "agent.safetensors").unlink()
    with pytest.raises(RLKitError, match="ended before its first one; the same command without --resume"):
        rl_kit.train(resume=out, progress=False)
    again = quick_run(out)
    assert "starting it afresh" in capfd.readouterr().err
    assert (out / "result.yaml").exists() and again.result.steps == run.result.steps
    with pytest.raises(RLKitError, match="already holds a run"):  # a finished run is never overwritten
        quick_run(out)


def test_a_directory_with_files_of_the_users_own_is_not_taken_for_an_abandoned_run(tmp_path):
    out = tmp_path / "run"
    quick_run(out)
    (out / "result.yaml").unlink()
    (out / "notes.txt").write_text("mine")
    with pytest.raises(RLKitError, match="already holds a run"):
        quick_run(out)
    assert (out / "notes.txt").read_text() == "mine"


# --- 9: YAML that expands ---------------------------------------------------------------------

LAUGHS = "a: &a [x, x, x, x, x, x, x, x, x]\n" + "".join(
    f"{chr(98 + i)}: &{chr(98 + i)} [{', '.join([f'*{chr(97 + i)}'] * 9)}]\n" for i in range(8)
)


def test_billion_laughs_in_a_hyperparameter_file_or_config_is_refused_at_once(tmp_path):
    """Before, nine lines took 3 GB in 25 s and ended on a MemoryError traceback."""
    laughs = tmp_path / "laughs.yml"
    laughs.write_text(LAUGHS)
    started = time.monotonic()
    finished = rl_kit_command("train", "--env", "CartPole-v1", "--agent", "ppo", "--steps", 100, "--hp-file", laughs)
    assert finished.returncode == 2 and "aliases" in finished.stderr and "Traceback" not in finished.stderr
    out = tmp_path / "run"
    quick_run(out, checkpoint_every=500)
    (out / "config.yaml").write_text((out / "config.yaml").read_text() + LAUGHS.replace("a:", "zz_a:", 1))
    with pytest.raises(RLKitError, match="aliases"):
        rl_kit.train(resume=out, progress=False)
    assert time.monotonic() - started < 60


@pytest.mark.parametrize(
    "content, said",
    [(b"\x00\xff\xfe\x80", "not text"), (b"CartPole-v1:\n  num_envs: lots\n", "num_envs must be a whole number"),
     (b"[" * 100_000, "nested deeper"), (None, "is a directory")],
    ids=["binary", "num_envs lots", "deep nesting", "a directory"],
)  # fmt: skip
def test_a_bad_hyperparameter_file_is_one_line_naming_it(tmp_path, content, said):
    path = tmp_path / "hp.yml"
    path.mkdir() if content is None else path.write_bytes(content)
    finished = rl_kit_command("train", "--env", "CartPole-v1", "--agent", "ppo", "--steps", 100, "--hp-file", path)
    assert finished.returncode == 2 and said in finished.stderr
    assert len(finished.stderr.strip().splitlines()) == 1, finished.stderr


# --- 10, 11, 12: signals reach every process, within a bound ----------------------------------


def test_a_stop_request_is_bounded_when_an_update_never_reaches_the_next_step():
    """Before, a signal waited for the current update to end (SB3's 300 epochs: 69 s)."""
    from rl_kit.core.supervisor import GRACE_S, Supervisor

    supervisor = Supervisor(100)
    started = time.monotonic()
    with supervisor.running():
        os.kill(os.getpid(), signal.SIGINT)
        time.sleep(GRACE_S * 6)  # an update that takes far longer than the grace
    assert supervisor.interrupted and supervisor.stopped_by == "SIGINT"
    assert GRACE_S - 0.5 <= time.monotonic() - started < GRACE_S + 3


def children_of(pid: int) -> set[int]:
    """Every live descendant of `pid` (from /proc)."""
    found, frontier = set(), {pid}
    while frontier:
        parent = frontier.pop()
        for entry in Path("/proc").iterdir():
            if entry.name.isdigit():
                try:
                    fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
                except OSError:
                    continue
                if int(fields[1]) == parent and fields[0] != "Z" and int(entry.name) not in found:
                    found.add(int(entry.name))
                    frontier.add(int(entry.name))
    return found


def alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


@pytest.mark.parametrize(
    "arguments",
    [
        (
            "compare",
            "--env",
            "CartPole-v1",
            "--agents",
            "ppo",
            "a2c",
            "--seeds",
            2,
            "--steps",
            2_000_000,
            "--workers",
            2,
        ),
        ("tune", "--env", "CartPole-v1", "--agent", "ppo", "--trials", 20, "--steps", 2_000_000, "--workers", 2),
    ],
    ids=["compare", "tune --workers 2"],
)
def test_sigterm_stops_the_workers_too_and_exits_143_within_the_bound(tmp_path, arguments):
    """Before, SIGTERM to compare left its workers training, orphaned; tune's workers never got
    it, started more trials, and the parent exited with 130 after 30 s a worker."""
    command = [sys.executable, "-m", "rl_kit.cli", *map(str, arguments), "--out", tmp_path / "out"]
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 90
    workers: set[int] = set()
    while time.monotonic() < deadline and len(workers) < 2:
        time.sleep(0.5)
        workers = {pid for pid in children_of(process.pid) if "python" in Path(f"/proc/{pid}/cmdline").read_text()}
    assert len(workers) >= 2, "the workers did not start"
    time.sleep(3)  # into their runs
    stopped = time.monotonic()
    process.send_signal(signal.SIGTERM)
    _, errors = process.communicate(timeout=60)
    assert process.returncode == 143, errors[-2000:]
    assert time.monotonic() - stopped < 20
    time.sleep(1)
    assert not [pid for pid in workers if alive(pid)]


# --- 17, 16: a config edited by hand ------------------------------------------------------------


def test_resuming_with_another_agent_in_config_yaml_is_refused(tmp_path):
    out = tmp_path / "run"
    quick_run(out, checkpoint_every=500)
    config = yaml.safe_load((out / "config.yaml").read_text())
    config["agent"] = "sarsa"  # the same table shape: it would load and go on as another agent
    (out / "config.yaml").write_text(yaml.safe_dump(config))
    with pytest.raises(RLKitError, match="its checkpoints were written by 'q_learning'"):
        rl_kit.train(resume=out, steps=2000, progress=False)


def test_a_map_path_put_in_config_yaml_is_not_opened_on_resume(tmp_path):
    """Before, a `map:` path there was read on --resume, and the error showed the file's text."""
    secret = tmp_path / "secret.txt"
    secret.write_text("Zsecret\n")
    out = tmp_path / "run"
    rl_kit.train("rl_kit/GridWorld-v0", "q_learning", steps=1000, out=out, checkpoint_every=500, **QUICK)
    config = yaml.safe_load((out / "config.yaml").read_text())
    config["env"]["kwargs"]["map"] = str(secret)
    (out / "config.yaml").write_text(yaml.safe_dump(config))
    with pytest.raises(RLKitError, match="names a path") as refused:
        rl_kit.train(resume=out, steps=2000, progress=False)
    assert "Zsecret" not in str(refused.value)


def test_a_checkpoint_of_another_agent_is_one_line_not_a_traceback(tmp_path):
    out, other = tmp_path / "run", tmp_path / "other"
    quick_run(out, checkpoint_every=500)
    rl_kit.train("rl_kit/FrozenLake8x8-v0", "q_learning", steps=1000, out=other, checkpoint_every=500, **QUICK)
    for checkpoint in (out / "checkpoints").iterdir():
        checkpoint.unlink()
    for checkpoint in (other / "checkpoints").iterdir():
        (out / "checkpoints" / checkpoint.name).write_bytes(checkpoint.read_bytes())
    finished = rl_kit_command("train", "--resume", out, "--steps", 2000)
    assert finished.returncode == 2 and "Traceback" not in finished.stderr, finished.stderr
    assert "checkpoints were written by" in finished.stderr or "does not fit" in finished.stderr


# --- API values that were accepted -----------------------------------------------------------------


@pytest.mark.parametrize(
    "keywords",
    [{"eval_every": -1}, {"checkpoint_every": -5}, {"keep_checkpoints": 0}, {"eval_episodes": 0}],
    ids=lambda k: next(iter(k)),
)
def test_negative_or_zero_run_settings_are_refused_by_name(tmp_path, keywords):
    with pytest.raises(ValueError, match=next(iter(keywords))):
        quick_run(tmp_path / "run", **keywords)


def test_compare_refuses_an_agent_named_twice_and_an_empty_out(tmp_path):
    with pytest.raises(RLKitError, match="named twice"):
        rl_kit.compare("rl_kit/FrozenLake4x4-v0", ["q_learning", "q_learning"], steps=100, out=tmp_path / "c")
    with pytest.raises(RLKitError, match="empty"):
        rl_kit.compare("rl_kit/FrozenLake4x4-v0", ["q_learning"], steps=100, out="")


def test_results_json_of_the_zoo_benchmark_survives_damage(tmp_path):
    """Stated here as well as in test_zoo_benchmark: a damaged file is kept aside, not a crash."""
    from rl_kit.experiments.zoo_benchmark import ROWS, merge_run

    path = tmp_path / "results.json"
    path.write_text('{"runs": [')
    merge_run(path, 1, 1, (ROWS[0].name, "zoo"), [1.0], None, set())
    assert json.loads(path.read_text())["runs"] == {ROWS[0].name: {"zoo": [[1.0]]}}
