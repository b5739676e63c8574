"""Grids of jobs: the local process pool and Ray give the same numbers for the same seeds; a job
whose process dies is reported and the others finish; without Ray, --ray says how to install it."""

import os
import sys

import pytest

from rl_kit.api import compare
from rl_kit.cli import main
from rl_kit.errors import RLKitError
from rl_kit.infrastructure import job_pool
from rl_kit.infrastructure.job_pool import Job, connect_ray, run_grid

GRID = dict(seeds=2, steps=3000, episodes=5, progress=False)


def numbers(comparison):
    """Everything in the comparison that does not depend on the machine's speed."""
    outcomes = [(o.agent, o.seed, o.returns, o.steps, o.error) for o in comparison.outcomes]
    rows = [
        {k: v for k, v in row.items() if k not in ("steps_per_second", "peak_mb", "seconds_to_threshold")}
        for row in comparison.rows
    ]
    return outcomes, rows


def test_a_job_whose_process_dies_is_reported_and_the_others_finish():
    jobs = [Job(os._exit, (3,)), Job(pow, (2, 10)), Job(pow, (3, 2))]
    outcomes = {o.job.args: o for o in run_grid(jobs, workers=2)}
    assert outcomes[(3,)].error is not None and outcomes[(3,)].value is None
    assert outcomes[(2, 10)].value == 1024 and outcomes[(3, 2)].value == 9


def test_without_ray_the_flag_says_how_to_install_it(monkeypatch, capsys, tmp_path):
    monkeypatch.setitem(sys.modules, "ray", None)  # as if Ray were not installed
    with pytest.raises(RLKitError, match=r"pip install 'rl-kit\[ray\]'"):
        connect_ray("auto")
    code = main(
        [
            "compare",
            "--env",
            "rl_kit/Catch-v0",
            "--agents",
            "ppo",
            "--seeds",
            "1",
            "--steps",
            "100",
            "--out",
            str(tmp_path),
            "--ray",
            "auto",
        ]
    )
    assert code == 2 and "pip install 'rl-kit[ray]'" in capsys.readouterr().err


@pytest.fixture(scope="module")
def local_ray():
    ray = pytest.importorskip("ray", reason="Ray is not installed here (pip install 'rl-kit[ray]'); CI installs it")
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False)
    yield ray
    ray.shutdown()


@pytest.mark.slow  # starts a local Ray instance: 40 s
def test_a_grid_gives_the_same_numbers_on_the_local_pool_and_on_ray(local_ray, tmp_path):
    on_pool = compare("rl_kit/Catch-v0", ["ppo", "a2c"], out=tmp_path / "pool", workers=2, **GRID)
    on_ray = compare("rl_kit/Catch-v0", ["ppo", "a2c"], out=tmp_path / "ray", ray="auto", **GRID)
    assert not any(o.failed for o in on_pool.outcomes)
    assert numbers(on_pool) == numbers(on_ray)
    assert (tmp_path / "ray" / "runs" / "a2c" / "seed1" / "eval.csv").is_file()
    assert (tmp_path / "ray" / "report.md").is_file()


def test_ray_brings_back_what_a_job_wrote(local_ray, tmp_path, monkeypatch):
    """A job on another machine sends its directory back: simulated by a driver node id of elsewhere."""

    remote_dir = tmp_path / "remote"
    remote_dir.mkdir()
    (remote_dir / "sub").mkdir()
    (remote_dir / "sub" / "file.txt").write_text("written far away")
    value, files = local_ray.get(
        local_ray.remote(job_pool._ray_call).remote(Job(pow, (2, 3), str(remote_dir)), "elsewhere", str(tmp_path))
    )
    assert value == 8 and files == {"sub/file.txt": b"written far away"}


def test_each_job_runs_from_the_callers_directory_and_reports_its_own_peak_memory(tmp_path, monkeypatch):
    import resource

    import numpy as np

    monkeypatch.chdir(tmp_path)
    ballast = np.ones(50_000_000)  # 400 MB in the caller, which a job must not count as its own
    caller_peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    outcomes = list(run_grid([Job(os.getcwd), Job(resource.getrusage, (resource.RUSAGE_SELF,))], workers=2))
    values = {o.job.function.__name__: o.value for o in outcomes}
    assert values["getcwd"] == str(tmp_path)
    assert values["getrusage"].ru_maxrss / 1024 < caller_peak_mb - 300
    del ballast
