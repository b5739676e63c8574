"""The pixels bench runs both sides of its comparison (its figures are the bench's, not the tests')."""

from rl_kit.experiments.pixel_bench import pixel_updates


def test_the_pixel_update_bench_times_both_sides(capsys):
    figures = pixel_updates(rounds=1, repeats=2)
    assert figures["pixel_update_ms"] > 0 and figures["pixel_update_torch_ms"] > 0
    assert "numpy vs torch" in capsys.readouterr().out
