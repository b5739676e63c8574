"""Saved agents from strangers: a file that lies fails in one line with AgentFileError, costs
little memory while it does, and opens nothing on this machine that it names."""

import json
import os
import subprocess
import sys
import textwrap
import zipfile

import numpy as np
import pytest
from safetensors.numpy import save_file

import rl_kit
from rl_kit.core.agent_files import saved_env
from rl_kit.errors import AgentFileError

MB = 1 << 20


@pytest.fixture(scope="module")
def saved(tmp_path_factory):
    """A real saved tabular agent and a real policy-gradient one."""
    root = tmp_path_factory.mktemp("saved")
    common = dict(progress=False, tensorboard=False, eval_every=0)
    rl_kit.train("rl_kit/GridWorld-v0", "q_learning", steps=500, out=root / "q", **common)
    rl_kit.train("rl_kit/Catch-v0", "ppo", steps=500, out=root / "ppo", **common)
    rl_kit.train(
        "rl_kit/Catch-v0", "ppo", steps=500, out=root / "pixels", env_kwargs={"observation": "pixels"}, **common
    )
    return root


def metadata_of(path):
    from safetensors import safe_open

    with safe_open(str(path), framework="numpy") as f:
        return json.loads(f.metadata()["rl_kit"])


def rewrite(source, target, change, tensors=None):
    """A copy of the agent file at `source` whose metadata `change` edits (and tensors replaced)."""
    from safetensors.numpy import load_file

    metadata = metadata_of(source)
    change(metadata)
    save_file(tensors if tensors is not None else load_file(str(source)), str(target), {"rl_kit": json.dumps(metadata)})
    return target


def load_in_a_process(path, tmp_path):
    """Load `path` in a fresh process: (the error's type and message, the peak memory it added)."""
    script = tmp_path / "load.py"
    script.write_text(
        textwrap.dedent(
            f"""
            import resource, rl_kit
            from rl_kit.core import backends, agent_files, sb3_backend  # imported before measuring
            import stable_baselines3, torch, safetensors.numpy
            before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
            try:
                rl_kit.load_agent({str(path)!r})
                outcome = "loaded"
            except Exception as error:
                outcome = type(error).__name__ + ": " + str(error)
            after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
            print((after - before) // 1024)
            print(outcome)
            """
        )
    )
    result = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    added_mb, outcome = result.stdout.strip().split("\n", 1)
    return outcome, int(added_mb)


def test_a_declared_60_million_state_space_is_refused_before_allocating(saved, tmp_path):
    def huge(metadata):
        metadata["observation_space"]["n"] = 60_000_000

    path = rewrite(saved / "q" / "agent.safetensors", tmp_path / "agent.safetensors", huge)
    assert path.stat().st_size < 10 * MB
    outcome, added = load_in_a_process(path, tmp_path)
    assert outcome.startswith("AgentFileError") and "declares" in outcome
    assert added < 200


def test_declared_network_widths_are_checked_against_the_tensors(saved, tmp_path):
    def wide(metadata):
        metadata["hyperparameters"]["hidden_sizes"] = "20000,20000"

    path = rewrite(saved / "ppo" / "agent.safetensors", tmp_path / "agent.safetensors", wide)
    outcome, added = load_in_a_process(path, tmp_path)
    assert outcome.startswith("AgentFileError") and "declares" in outcome
    assert added < 200


@pytest.mark.parametrize(
    ("conv_layers", "refusal"), [("20000x3,20000x3", "declares"), ("16x3,16x40000", "does not fit the 10x5 image")]
)
def test_declared_convolutions_are_checked_before_anything_is_allocated(saved, tmp_path, conv_layers, refusal):
    """A pixel agent's file names its torso; one that declares huge kernels costs no memory to refuse."""

    def huge(metadata):
        metadata["hyperparameters"]["conv_layers"] = conv_layers

    path = rewrite(saved / "pixels" / "agent.safetensors", tmp_path / "agent.safetensors", huge)
    outcome, added = load_in_a_process(path, tmp_path)
    assert outcome.startswith("AgentFileError") and refusal in outcome and "\n" not in outcome
    assert added < 200


def test_a_sparse_file_declaring_a_huge_tensor_is_refused(tmp_path):
    path = tmp_path / "agent.safetensors"
    header = json.dumps(
        {"q": {"dtype": "F32", "shape": [512 * MB], "data_offsets": [0, 2048 * MB]}, "__metadata__": {"rl_kit": "{}"}}
    ).encode()
    with open(path, "wb") as f:
        f.write(len(header).to_bytes(8, "little") + header)
        f.truncate(8 + len(header) + 2048 * MB)  # holes: 4 KB on disk, 2 GB long
    outcome, added = load_in_a_process(path, tmp_path)
    assert outcome.startswith("AgentFileError") and "sparse" in outcome
    assert added < 200


def test_a_zip_whose_data_inflates_far_beyond_its_size_is_refused(tmp_path):
    run = tmp_path / "run"
    run.mkdir()
    with zipfile.ZipFile(run / "agent.zip", "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("data", b" " * (64 * MB))  # a few hundred KB packed
    (run / "agent.json").write_text(json.dumps({"agent": "sb3_ppo", "env_id": "CartPole-v1", "hyperparameters": {}}))
    assert (run / "agent.zip").stat().st_size < MB
    outcome, added = load_in_a_process(run, tmp_path)
    assert outcome.startswith("AgentFileError") and "unpacks" in outcome
    assert added < 200


@pytest.mark.parametrize("text", ['{"agent": ', "[1,2,3]", '{"agent": 5}', "[" * 100_000 + "]" * 100_000])
def test_a_malformed_sb3_description_is_one_agent_file_error(tmp_path, text):
    (tmp_path / "agent.zip").write_bytes(b"PK")
    (tmp_path / "agent.json").write_text(text)
    with pytest.raises(AgentFileError):
        rl_kit.load_agent(tmp_path)


def test_deeply_nested_metadata_is_one_agent_file_error(tmp_path):
    path = tmp_path / "agent.safetensors"
    save_file({"q": np.zeros((2, 2))}, str(path), {"rl_kit": "[" * 100_000 + "]" * 100_000})
    with pytest.raises(AgentFileError, match="damaged"):
        rl_kit.load_agent(path)


def test_a_box_without_dtype_says_so(saved, tmp_path):
    def no_dtype(metadata):
        del metadata["observation_space"]["dtype"]

    path = rewrite(saved / "ppo" / "agent.safetensors", tmp_path / "agent.safetensors", no_dtype)
    with pytest.raises(AgentFileError, match="needs dtype"):
        rl_kit.load_agent(path)


@pytest.mark.parametrize("where", ["/etc/hostname", "../../etc/hostname", "/etc/shadow"])
def test_a_saved_env_option_naming_a_local_file_is_never_opened(saved, tmp_path, where):
    def point_at(metadata):
        metadata["env_kwargs"] = {"map": where}

    path = rewrite(saved / "q" / "agent.safetensors", tmp_path / "agent.safetensors", point_at)
    result = subprocess.run(
        [sys.executable, "-m", "rl_kit.cli", "evaluate", str(path), "--episodes", "1"],
        capture_output=True,
        text=True,
        cwd=tmp_path,
    )
    assert result.returncode == 2 and "names a path" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert "symbol" not in result.stderr  # the file was not read as a map


def test_a_saved_render_mode_is_dropped():
    env = saved_env({"env_id": "rl_kit/GridWorld-v0", "env_kwargs": {"render_mode": "human", "slip": 0.1}})
    assert dict(env.kwargs) == {"slip": 0.1}


def test_a_fifo_named_like_the_agent_is_not_opened(tmp_path):
    os.mkfifo(tmp_path / "agent.safetensors")
    with pytest.raises(AgentFileError, match="not a regular file"):
        rl_kit.load_agent(tmp_path / "agent.safetensors")
