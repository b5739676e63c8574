"""The main job runs end to end and says where each file went."""

import imageio.v3 as iio

from rl_kit.experiments.quickstart import quickstart


def test_quickstart_writes_and_reports_everything(tmp_path, capsys):
    paths = quickstart(tmp_path / "qs", steps=30_000, progress=False)
    out = capsys.readouterr().out
    assert "optimum" in out and "Evaluation:" in out
    for name, path in paths.items():
        assert path.exists(), name
        assert str(path) in out
    assert paths["learning curve"].read_bytes()[:4] == b"\x89PNG"
    assert iio.imread(paths["greedy episodes GIF"]).shape[0] >= 2
    # The GIF's few episodes are put against the evaluation's many.
    assert "GIF: 3 greedy episodes of 1,000 evaluated: " in out and "% reach the goal" in out
