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


def quick_run(out, steps=1000, **kwargs):
    return rl_kit.train("rl_kit/FrozenLake4x4-v0", "q_learning", steps=steps, out=out, **QUICK, **kwargs)


# --- 1, 2: no symlink is followed -------------------------------------------------------------


def test_a_lock_that_is_a_symlink_is_refused_and_its_target_untouched(tmp_path, rl_kit_process):
    """Before, rl-kit truncated the file a `.lock` link pointed at and wrote its pid there: as
    root, any file on the machine."""
    victim = tmp_path / "victim.txt"
    victim.write_text("precious\n")
    run = tmp_path / "v"
    run.mkdir()
    (run / ".lock").symlink_to(victim)
    finished = rl_kit_process("train", "--env", "rl_kit/FrozenLake4x4-v0", "--agent", "q_learning",
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


def test_billion_laughs_in_a_hyperparameter_file_or_config_is_refused_at_once(tmp_path, rl_kit_process):
    """Before, nine lines took 3 GB in 25 s and ended on a MemoryError traceback."""
    laughs = tmp_path / "laughs.yml"
    laughs.write_text(LAUGHS)
    started = time.monotonic()
    finished = rl_kit_process("train", "--env", "CartPole-v1", "--agent", "ppo", "--steps", 100, "--hp-file", laughs)
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
def test_a_bad_hyperparameter_file_is_one_line_naming_it(tmp_path, content, said, rl_kit_process):
    path = tmp_path / "hp.yml"
    path.mkdir() if content is None else path.write_bytes(content)
    finished = rl_kit_process("train", "--env", "CartPole-v1", "--agent", "ppo", "--steps", 100, "--hp-file", path)
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


def test_a_map_path_put_in_config_yaml_is_not_opened_on_resume(tmp_path, quiet_train):
    """Before, a `map:` path there was read on --resume, and the error showed the file's text."""
    secret = tmp_path / "secret.txt"
    secret.write_text("Zsecret\n")
    out = tmp_path / "run"
    quiet_train("rl_kit/GridWorld-v0", "q_learning", steps=1000, out=out, checkpoint_every=500)
    config = yaml.safe_load((out / "config.yaml").read_text())
    config["env"]["kwargs"]["map"] = str(secret)
    (out / "config.yaml").write_text(yaml.safe_dump(config))
    with pytest.raises(RLKitError, match="names a path") as refused:
        rl_kit.train(resume=out, steps=2000, progress=False)
    assert "Zsecret" not in str(refused.value)


def test_a_checkpoint_of_another_agent_is_one_line_not_a_traceback(tmp_path, rl_kit_process, quiet_train):
    out, other = tmp_path / "run", tmp_path / "other"
    quick_run(out, checkpoint_every=500)
    quiet_train("rl_kit/FrozenLake8x8-v0", "q_learning", steps=1000, out=other, checkpoint_every=500)
    for checkpoint in (out / "checkpoints").iterdir():
        checkpoint.unlink()
    for checkpoint in (other / "checkpoints").iterdir():
        (out / "checkpoints" / checkpoint.name).write_bytes(checkpoint.read_bytes())
    finished = rl_kit_process("train", "--resume", out, "--steps", 2000)
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


# --- 15: non-finite values and states outside the table -------------------------------------------


class BrokenChain:
    """A 3-state chain whose reward or next state is wrong in a chosen way (`fault`)."""

    def __new__(cls, fault="nan", **kwargs):
        import gymnasium as gym

        class Env(gym.Env):
            observation_space, action_space = gym.spaces.Discrete(3), gym.spaces.Discrete(2)

            def reset(self, *, seed=None, options=None):
                super().reset(seed=seed)
                self.t = 0
                return 0, {}

            def step(self, action):
                self.t += 1
                state = {"minus one": -1, "ninety-nine": 99}.get(fault, 1)
                reward = float("nan") if fault == "nan" and self.t == 5 else 0.0
                return state, reward, self.t >= 10, False, {}

        return Env()


def register_broken(fault):
    import gymnasium as gym

    env_id = f"rl_kit_test/BrokenChain-{fault.replace(' ', '_')}-v0"
    if env_id not in gym.registry:
        gym.register(env_id, entry_point=BrokenChain, kwargs={"fault": fault}, max_episode_steps=10)
    return env_id


def test_a_nan_reward_stops_a_tabular_agent_with_its_table_finite(tmp_path, quiet_train):
    """Before, the tabular agents trained to an all-NaN table and said nothing."""
    import numpy as np

    with pytest.raises(RLKitError, match="TD error.*is nan"):
        quiet_train(register_broken("nan"), "q_learning", steps=200, out=tmp_path / "run")
    agent = rl_kit.load_agent(tmp_path / "run")  # the last good table was saved
    assert np.isfinite(agent.q).all()


@pytest.mark.parametrize("fault, shown", [("minus one", "-1"), ("ninety-nine", "99")])
def test_a_state_outside_the_observation_space_is_one_error_naming_the_env(tmp_path, fault, shown, quiet_train):
    """Before, state -1 silently read the table's last row, and 99 raised an IndexError from q_learning.py."""
    env_id = register_broken(fault)
    with pytest.raises(RLKitError, match=f"{env_id}: the env returned the observation {shown}, outside"):
        quiet_train(env_id, "q_learning", steps=200, out=tmp_path / "run")


def poison(path: Path, key: str, value: float) -> None:
    """Write `value` into the first element of tensor `key` of a saved agent, metadata kept."""
    from safetensors import safe_open
    from safetensors.numpy import load_file, save_file

    with safe_open(str(path), framework="numpy") as f:
        metadata = f.metadata()
    tensors = load_file(str(path))
    tensors[key].reshape(-1)[0] = value
    save_file(tensors, str(path), metadata=metadata)


@pytest.mark.parametrize("value", [float("nan"), float("inf")])
def test_a_saved_agent_with_nan_or_inf_values_is_refused_at_the_door(tmp_path, value, rl_kit_process, quiet_train):
    """Before, a NaN Q table loaded and evaluated without a word (the greedy action always 0), and
    a NaN Box policy ended evaluate, explain and watch --record on tracebacks."""
    out = quick_run(tmp_path / "tabular").directory
    poison(out / "agent.safetensors", "q", value)
    finished = rl_kit_process("evaluate", out, "--episodes", 5)
    assert finished.returncode == 2 and "NaN or infinite" in finished.stderr and "Traceback" not in finished.stderr
    network = quiet_train("Pendulum-v1", "ppo", steps=256, out=tmp_path / "box", hyperparameters={"n_steps": 64}).directory  # fmt: skip
    from safetensors.numpy import load_file

    key = next(k for k, v in load_file(str(network / "agent.safetensors")).items() if v.dtype.kind == "f")
    poison(network / "agent.safetensors", key, value)
    for command in (("evaluate", network, "--episodes", 2), ("explain", network, "--out", tmp_path / "e"),
                    ("watch", network, "--record", tmp_path / "x.gif")):  # fmt: skip
        finished = rl_kit_process(*command)
        assert finished.returncode == 2 and "NaN or infinite" in finished.stderr, (command, finished.stderr[-500:])


# --- 6, 7, 13: budgets ---------------------------------------------------------------------------


def test_a_saved_agent_naming_a_huge_map_is_refused_before_the_env_is_built(tmp_path, rl_kit_process, quiet_train):
    """Before, a 9 MB file naming a 3000x3000 map ran 3 min 13 s and peaked at 17 GB in evaluate."""
    from safetensors import safe_open
    from safetensors.numpy import load_file, save_file

    out = quiet_train("rl_kit/GridWorld-v0", "q_learning", steps=500, out=tmp_path / "run").directory
    path = out / "agent.safetensors"
    with safe_open(str(path), framework="numpy") as f:
        metadata = json.loads(f.metadata()["rl_kit"])
    metadata["env_kwargs"] = {"map": "S" + "." * 2999 + "\n" + ("." * 3000 + "\n") * 2998 + "." * 2999 + "G"}
    save_file(load_file(str(path)), str(path), metadata={"rl_kit": json.dumps(metadata)})
    started = time.monotonic()
    finished = rl_kit_process("evaluate", out, "--episodes", 5, timeout=120)
    assert finished.returncode == 2 and "9,000,000 cells" in finished.stderr, finished.stderr[-500:]
    assert "declares 25 states" in finished.stderr  # the declared space, compared from the text
    assert time.monotonic() - started < 30


@pytest.mark.parametrize(
    "arguments, said",
    [
        (("train", "--env", "CartPole-v1", "--agent", "dqn", "--steps", 1000, "--hp", "buffer_size=100000000000"), "buffer_size"),
        (("train", "--env", "CartPole-v1", "--agent", "dqn", "--steps", 1000, "--hp", "buffer_size=1e11"), "buffer_size"),
        (("train", "--env", "CartPole-v1", "--agent", "ppo", "--steps", 1000, "--hp", "hidden_sizes=30000,30000"), "hidden_sizes"),
        (("train", "--env", "CartPole-v1", "--agent", "ppo", "--steps", 1000, "--eval-episodes", 10**11), "eval_episodes"),
        (("bandit", "--runs", 10**8), "--runs"),
    ],
    ids=["buffer_size", "buffer_size 1e11", "hidden_sizes", "eval-episodes", "bandit runs"],
)  # fmt: skip
def test_numbers_that_size_an_allocation_pass_one_budget_check(tmp_path, arguments, said, rl_kit_process):
    started = time.monotonic()
    finished = rl_kit_process(*arguments, cwd=tmp_path, timeout=120)
    assert finished.returncode == 2 and said in finished.stderr and "Traceback" not in finished.stderr
    assert len(finished.stderr.strip().splitlines()) == 1, finished.stderr[-800:]
    assert time.monotonic() - started < 30


def test_evaluate_and_record_refuse_episodes_past_the_cap(tmp_path, rl_kit_process):
    """Before, `evaluate --episodes 100000000` was accepted (hours) and `watch --record` with a
    million episodes held every frame (24 GB in 90 s)."""
    out = quick_run(tmp_path / "run").directory
    for command in (("evaluate", out, "--episodes", 10**8), ("watch", out, "--record", tmp_path / "x.gif",
                                                              "--episodes", 10**8)):  # fmt: skip
        finished = rl_kit_process(*command, timeout=60)
        assert finished.returncode == 2 and "1,000,000" in finished.stderr, finished.stderr[-500:]


def test_a_gif_recording_is_refused_when_its_frames_would_not_fit(tmp_path, monkeypatch):
    """A GIF's encoder needs every frame; their memory is checked as they come (an MP4 streams)."""
    from rl_kit.infrastructure import budget
    from rl_kit.presentation.watch import record

    out = quick_run(tmp_path / "run").directory
    monkeypatch.setattr(budget, "available_memory", lambda: 10 * 2**20)  # 10 MiB free
    with pytest.raises(RLKitError, match="record fewer episodes, or to .mp4"):
        record(out, tmp_path / "x.gif", episodes=50)
    record(out, tmp_path / "x.mp4", episodes=50)  # streamed: no frame is held
    assert (tmp_path / "x.mp4").stat().st_size > 0 and not (tmp_path / "x.gif").exists()


# --- tracebacks that are one line now -------------------------------------------------------------


def test_a_full_disk_while_a_checkpoint_is_written_is_one_line_naming_the_file(tmp_path, monkeypatch):
    """safetensors raises its own SafetensorError on a full disk; it ended the run on a traceback."""
    import safetensors.numpy
    from safetensors import SafetensorError

    def full(*args, **kwargs):
        raise SafetensorError("No space left on device (os error 28)")

    monkeypatch.setattr(safetensors.numpy, "save_file", full)
    with pytest.raises(OSError) as failed:
        quick_run(tmp_path / "run", checkpoint_every=500)
    assert "checkpoints/step_" in str(failed.value.filename) and "No space left" in str(failed.value)
    assert not list((tmp_path / "run" / "checkpoints").iterdir())  # the temporary file is gone too


def test_resume_drops_a_torn_or_text_row_of_a_log_and_goes_on(tmp_path, capfd):
    out = tmp_path / "run"
    quick_run(out, steps=2000, checkpoint_every=500)
    with open(out / "episodes.csv", "a") as f:
        f.write("12,not a number,0.5\n7")  # a text row, then a row torn mid-write by a power loss
    run = rl_kit.train(resume=out, steps=4000, progress=False, tensorboard=False)
    assert run.result.steps == 4000 and "torn or damaged rows dropped" in capfd.readouterr().err
    from rl_kit.presentation.plots import read_csv

    assert len(read_csv(out / "episodes.csv")["step"]) > 0


@pytest.mark.parametrize("damage", ["text", "binary", "nan"])
def test_plot_and_diagnose_read_damaged_logs_without_a_traceback(tmp_path, damage, rl_kit_process):
    out = quick_run(tmp_path / "run", steps=3000).directory
    for name in ("episodes.csv", "train.csv", "eval.csv"):
        path = out / name
        if damage == "binary":
            path.write_bytes(bytes(range(256)) * 4)
        elif damage == "text":
            path.write_text(path.read_text() + "abc,def\nzz,yy,xx\n")
        else:
            lines = path.read_text().splitlines()
            lines[1] = ",".join(["nan"] * len(lines[1].split(",")))
            path.write_text("\n".join(lines) + "\n")
    for command in ("plot", "diagnose"):
        finished = rl_kit_process(command, out)
        assert "Traceback" not in finished.stderr, finished.stderr[-1500:]
        assert finished.returncode == (2 if damage == "binary" else 0), finished.stderr[-500:]
        if damage == "binary":
            assert "not a CSV log rl-kit wrote" in finished.stderr


def test_the_zoo_suites_without_the_bench_extra_say_how_to_install_it(monkeypatch, tmp_path, capsys):
    """Before: a ModuleNotFoundError traceback, and with --sides ours every run failed and the
    command exited 0."""
    from rl_kit.cli import main

    monkeypatch.setitem(sys.modules, "rl_zoo3", None)  # as if not installed
    for arguments in (["--suite", "zoo", "--sides", "ours", "--rows", "ppo-cartpole"], ["--suite", "race"]):
        assert main(["bench", *arguments, "--out", str(tmp_path)] if "zoo" in arguments else ["bench", *arguments]) == 2
        assert "pip install 'rl-kit[bench]'" in capsys.readouterr().err


def test_bench_rows_and_sides_are_listed_where_they_are_wrong(capsys):
    from rl_kit.cli import main

    assert main(["bench", "--suite", "zoo", "--rows", "ppo-cartpol"]) == 2
    error = capsys.readouterr().err
    assert "Did you mean ppo-cartpole" in error and "The zoo rows: a2c-acrobot" in error and "rl-kit list" not in error


@pytest.mark.parametrize("fps", ["1e-300", "1e300"])
def test_watch_refuses_an_fps_no_screen_can_show(tmp_path, fps, rl_kit_process):
    out = quick_run(tmp_path / "run").directory
    for extra in ((), ("--record", tmp_path / "x.gif")):
        finished = rl_kit_process("watch", out, "--fps", fps, *extra)
        assert finished.returncode == 2 and "fps must be between" in finished.stderr, finished.stderr[-500:]


def test_an_sdl_video_driver_that_does_not_exist_is_one_line(tmp_path, rl_kit_process):
    out = quick_run(tmp_path / "run").directory
    finished = rl_kit_process("watch", out, env={**os.environ, "SDL_VIDEODRIVER": "bogus"})
    assert finished.returncode == 2 and "SDL_VIDEODRIVER='bogus'" in finished.stderr, finished.stderr[-800:]
    assert len(finished.stderr.strip().splitlines()) == 1


# --- minor ---------------------------------------------------------------------------------------


def test_a_huge_agent_name_or_value_is_not_echoed_whole(tmp_path, capsys):
    """Before, a 20 MB agent name cost 888 MB (difflib's suggestions) and was echoed whole."""
    from rl_kit.cli import main

    started = time.monotonic()
    assert main(["train", "--env", "CartPole-v1", "--agent", "x" * 20_000_000, "--steps", "100"]) == 2
    error = capsys.readouterr().err
    assert len(error) < 1200 and "20,000,000 characters" in error and time.monotonic() - started < 30
    schedule = f"epsilon=linear(1.0, 0.0, {'9' * 5000})"
    arguments = ["train", "--env", "rl_kit/FrozenLake4x4-v0", "--agent", "q_learning", "--steps", "100"]
    assert main([*arguments, "--hp", schedule, "--out", str(tmp_path / "run")]) == 2
    assert len(capsys.readouterr().err) < 1200


def test_a_log_keeps_its_header_when_the_disk_refuses_the_first_rows(tmp_path, monkeypatch):
    """Before, a disk-full flush could leave episodes.csv at 0 bytes with no header."""
    from rl_kit.core.logs import CsvLog

    log = CsvLog(tmp_path / "episodes.csv")
    log.write({"step": 1, "return": 0.5})  # the header goes to disk with the log's first row
    real = os.write
    monkeypatch.setattr(os, "write", lambda fd, data: (_ for _ in ()).throw(OSError(28, "No space left on device")))
    log.write({"step": 2, "return": 0.5})
    with pytest.raises(OSError):
        log.flush()
    monkeypatch.setattr(os, "write", real)
    log.close()
    assert (tmp_path / "episodes.csv").read_text().splitlines()[0] == "step,return"


def test_a_killed_trials_worker_does_not_leave_it_running_when_tuning_is_run_again(tmp_path):
    """Before, a rerun within the heartbeat's 60 s listed the dead worker's trial as running."""
    import optuna

    from rl_kit.experiments.tuning import fail_dead_trials

    study = optuna.create_study(storage=f"sqlite:///{tmp_path / 'study.db'}", study_name="s")
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    trial = study.ask()
    import socket

    trial.set_user_attr("worker", f"{socket.gethostname()}:{dead.stdout.strip()}")
    alive = study.ask()
    alive.set_user_attr("worker", f"{socket.gethostname()}:{os.getpid()}")
    assert fail_dead_trials(study) == 1
    states = {t.number: t.state.name for t in study.get_trials()}
    assert states == {trial.number: "FAIL", alive.number: "RUNNING"}


def test_tune_refuses_negative_steps_and_an_empty_out(tmp_path):
    with pytest.raises(RLKitError, match="steps must be"):
        rl_kit.tune("rl_kit/FrozenLake4x4-v0", "q_learning", trials=1, steps=-1, out=tmp_path / "t", progress=False)
    with pytest.raises(RLKitError, match="empty"):
        rl_kit.tune("rl_kit/FrozenLake4x4-v0", "q_learning", trials=1, steps=100, out="", progress=False)
    with pytest.raises(ValueError, match="out is empty"):
        quick_run("")


def test_a_dashboard_of_thousands_of_metrics_draws_the_first_few(tmp_path):
    from rl_kit.presentation.plots import MAX_PANELS, plot_dashboard

    out = quick_run(tmp_path / "run").directory
    columns = ["step", "wall_time", *(f"m{i}" for i in range(3000))]
    rows = [",".join(columns)] + [",".join(str(float(step + i)) for i in range(len(columns))) for step in range(5)]
    (out / "train.csv").write_text("\n".join(rows) + "\n")
    started = time.monotonic()
    plot_dashboard(out)
    assert time.monotonic() - started < 60 and MAX_PANELS < 3000


def test_sb3_runs_leave_nothing_in_the_temp_folder_and_torch_runs_no_warning(tmp_path, monkeypatch, quiet_train):
    import tempfile
    import warnings

    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path / "tmp"))
    (tmp_path / "tmp").mkdir()
    quiet_train("CartPole-v1", "sb3_ppo", steps=256, out=tmp_path / "sb3", hyperparameters={"n_steps": 64})
    assert not [p.name for p in (tmp_path / "tmp").iterdir() if p.name.startswith("SB3-")]
    with warnings.catch_warnings():
        warnings.simplefilter("error", UserWarning)
        quiet_train("CartPole-v1", "ppo", steps=256, out=tmp_path / "torch",
                     hyperparameters={"n_steps": 64, "backend": "torch"})  # fmt: skip
