import pytest

from rl_kit.agents.hyperparameters import Hyperparameters
from rl_kit.agents.schedules import Schedule
from rl_kit.agents.tabular import TabularHyperparameters


def test_schedule_values():
    assert Schedule.parse(0.3)(10**9) == 0.3
    linear = Schedule.parse("linear(1.0, 0.0, 100)")
    assert [linear(t) for t in (0, 50, 100, 1000)] == [1.0, 0.5, 0.0, 0.0]
    exp = Schedule.parse("exp(1.0, 0.01, 100)")
    assert exp(0) == 1.0 and exp(50) == pytest.approx(0.1) and exp(500) == pytest.approx(0.01)


def test_schedule_text_round_trip():
    for text in ("linear(1.0, 0.05, 10000)", "exp(0.5, 0.01, 300)", "0.25"):
        assert Schedule.parse(str(Schedule.parse(text))) == Schedule.parse(text)


@pytest.mark.parametrize("text", ["linear(1, 2)", "cosine(1, 0, 10)", "exp(0, 1, 10)", "linear(1, 0, 0)", "fast"])
def test_bad_schedules(text):
    with pytest.raises(ValueError):
        Schedule.parse(text)


def test_hyperparameters_convert_and_reject():
    hp = TabularHyperparameters.from_dict({"alpha": "linear(0.5, 0.1, 10)", "gamma": "0.9", "epsilon": 0.2})
    assert hp.alpha(10) == 0.1 and hp.gamma == 0.9 and hp.epsilon(0) == 0.2
    assert TabularHyperparameters.from_dict(hp.to_dict()) == hp
    with pytest.raises(ValueError, match="no hyperparameter 'alpah'; did you mean alpha"):
        TabularHyperparameters.from_dict({"alpah": 0.1}, agent="q_learning")
    with pytest.raises(ValueError, match="gamma"):
        TabularHyperparameters(gamma=1.5)
    with pytest.raises(ValueError, match="gamma='fast' is not a valid float"):
        TabularHyperparameters(gamma="fast")
    assert issubclass(TabularHyperparameters, Hyperparameters)
