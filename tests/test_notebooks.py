"""The learning path's notebooks run top to bottom, and rl_kit.show draws inline."""

from pathlib import Path

import pytest

import rl_kit

NOTEBOOKS = sorted((Path(__file__).resolve().parent.parent / "docs" / "notebooks").glob("*.ipynb"))


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_the_notebook_runs_and_shows_its_agents_inline(path, tmp_path):
    """And runs again in the same place (each run trains into a fresh directory), quietly:
    before, the second run stopped on the run directory the first had left, and tqdm warned
    "IProgress not found" where ipywidgets is missing."""
    nbclient = pytest.importorskip("nbclient")
    import nbformat

    for _ in range(2 if "td-learning" in path.stem else 1):  # the PPO one trains 30k steps: once
        notebook = nbformat.read(path, as_version=4)
        nbclient.NotebookClient(
            notebook, timeout=600, kernel_name="python3", resources={"metadata": {"path": str(tmp_path)}}
        ).execute()
        outputs = [output for cell in notebook.cells if cell.cell_type == "code" for output in cell.outputs]
        assert not [o for o in outputs if o.output_type == "error"]
        streams = "".join(o.text for o in outputs if o.output_type == "stream" and o.name == "stderr")
        assert "TqdmWarning" not in streams and "XDG_RUNTIME_DIR" not in streams, streams
    shown = [o for o in outputs if o.output_type in ("execute_result", "display_data") and "text/html" in o.data]
    assert shown and all("data:image/gif;base64," in o.data["text/html"] for o in shown)
    assert (tmp_path / "runs" / "notebook").is_dir()  # it wrote where it ran, not into the repository


def test_show_plays_greedy_episodes_inline_with_the_learning_curve(tmp_path, quiet_train):
    import base64
    import io

    from PIL import Image

    run = quiet_train("rl_kit/FrozenLake4x4-v0", "q_learning", steps=5_000, out=tmp_path / "run")
    shown = rl_kit.show(run, episodes=2)
    page = shown._repr_html_()
    assert page.count("<img") == 2 and "q_learning on rl_kit/FrozenLake4x4-v0: 2 greedy episodes" in page
    gif = Image.open(io.BytesIO(shown.gif))
    assert gif.format == "GIF" and gif.n_frames > 2
    assert base64.b64encode(shown.curve).decode()[:20] in page
    # A saved agent file works too; it has no run beside it to draw a curve from.
    alone = rl_kit.show(run.agent_path.rename(tmp_path / "agent.safetensors"), "rl_kit/FrozenLake4x4-v0", episodes=1)
    assert alone.curve is None and alone._repr_html_().count("<img") == 1
