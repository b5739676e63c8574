"""diagnose: each symptom, built as logs that show it, gives its finding; a healthy run none."""

import csv

import numpy as np
import pytest
import yaml

from rl_kit.core.spec import EnvConfig, RunSpec
from rl_kit.presentation.diagnose import diagnose


def write_run(directory, env, episodes, train=None):
    directory.mkdir(parents=True, exist_ok=True)
    spec = RunSpec(EnvConfig(env), "ppo", steps=100_000)
    (directory / "config.yaml").write_text(yaml.safe_dump(spec.to_dict()))
    for name, columns in (("episodes.csv", episodes), ("train.csv", train or {})):
        if not columns:
            continue
        keys = list(columns)
        with open(directory / name, "w", newline="") as f:
            writer = csv.writer(f)
            writer.writerow(keys)
            writer.writerows(zip(*(columns[k] for k in keys), strict=True))
    return directory


def episodes(returns, lengths=None, steps=None):
    n = len(returns)
    lengths = np.full(n, 50) if lengths is None else lengths
    steps = np.cumsum(lengths) if steps is None else steps
    return {"step": steps, "episode": np.arange(1, n + 1), "return": returns, "length": lengths}


def train_log(n=50, total=100_000, **columns):
    base = {
        "step": np.linspace(total / n, total, n).astype(int),
        "entropy": np.full(n, 0.6),
        "explained_variance": np.full(n, 0.9),
        "approx_kl": np.full(n, 0.01),
        "clip_fraction": np.full(n, 0.1),
        "grad_norm": np.full(n, 0.5),
        "value_loss": np.full(n, 5.0),
    }
    base.update(columns)
    return base


HEALTHY_RETURNS = np.linspace(20, 500, 400)


def names(findings):
    return [f.name for f in findings]


def test_healthy_synthetic_run_has_no_findings(tmp_path):
    lengths = np.minimum(HEALTHY_RETURNS, 500).astype(int)
    run = write_run(
        tmp_path, "CartPole-v1", episodes(HEALTHY_RETURNS, lengths), train_log(entropy=np.linspace(0.69, 0.4, 50))
    )
    assert diagnose(run) == []


def test_a_healthy_off_policy_run_has_no_findings(tmp_path):
    """SAC's entropy falls to its target by design, its Q follows the return: nothing to report."""
    train = {"step": np.linspace(400, 20_000, 50).astype(int), "entropy": np.linspace(0.7, -1.0, 50),
             "alpha": np.geomspace(1.0, 0.04, 50), "q_start": np.full(50, -21.0),
             "discounted_return": np.full(50, -20.0), "saturated_actions": np.full(50, 0.1)}  # fmt: skip
    run = write_run(tmp_path, "Pendulum-v1", episodes(np.linspace(-1200, -150, 100), np.full(100, 200)), train)
    assert diagnose(run) == []
    # a critic catching up from its start near 0: far above the return at first, the gap closing
    train["q_start"], train["discounted_return"] = np.linspace(0, -60, 50), np.linspace(-280, -130, 50)
    assert (
        diagnose(
            write_run(
                tmp_path / "catching-up",
                "Pendulum-v1",
                episodes(np.linspace(-1200, -150, 100), np.full(100, 200)),
                train,
            )
        )
        == []
    )


def test_healthy_real_run_has_no_findings(tmp_path, quiet_train):
    run = quiet_train("rl_kit/CliffWalking-v0", "q_learning", steps=60_000, out=tmp_path)
    assert diagnose(run.directory) == []


@pytest.mark.parametrize(
    "symptom, env, episode_log, train, expected",
    [
        ("flat", "CartPole-v1", episodes(np.full(400, 20.0)), None, "return flat far below the threshold"),
        (
            "entropy",
            "CartPole-v1",
            episodes(np.r_[np.full(200, 20.0), np.linspace(20, 480, 200)]),
            {"entropy": np.r_[np.full(5, 0.69), np.full(45, 0.01)]},
            "entropy collapsed before the return rose",
        ),
        (
            "value",
            "CartPole-v1",
            episodes(HEALTHY_RETURNS),
            {"explained_variance": np.full(50, -0.4)},
            "the value function is not learning",
        ),
        (
            "kl",
            "CartPole-v1",
            episodes(HEALTHY_RETURNS),
            {"approx_kl": np.r_[np.full(35, 0.01), np.full(15, 0.3)]},
            "policy updates too large",
        ),
        (
            "clip",
            "CartPole-v1",
            episodes(HEALTHY_RETURNS),
            {"clip_fraction": np.full(50, 0.5)},
            "policy updates too large",
        ),
        (
            "gradients",
            "CartPole-v1",
            episodes(HEALTHY_RETURNS),
            {"grad_norm": np.r_[np.full(40, 0.5), np.full(10, 300.0)]},
            "gradient norm exploding",
        ),
        (
            "truncated",
            "rl_kit/Lander-v0",
            episodes(np.full(50, -40.0), np.full(50, 1000)),
            None,
            "every episode is truncated",
        ),
        (
            "rewards",
            "rl_kit/Lander-v0",
            episodes(np.linspace(-5000, 250, 100), np.full(100, 100)),
            {"value_loss": np.full(50, 5e4)},
            "reward scale large",
        ),
        (
            "epsilon",
            "rl_kit/FrozenLake4x4-v0",
            episodes(np.zeros(300), np.full(300, 8)),
            {"epsilon": np.r_[np.linspace(1, 0.05, 5), np.full(45, 0.05)]},
            "exploration ended too early",
        ),
        (
            "overestimation",
            "Pendulum-v1",
            episodes(np.linspace(-1200, -900, 100), np.full(100, 200)),
            {"q_start": np.full(50, -2.0), "discounted_return": np.r_[np.full(5, np.nan), np.linspace(-10, -30, 45)]},
            "the critic overestimates",
        ),
        (
            "temperature",
            "Pendulum-v1",
            episodes(np.full(100, -1200.0), np.full(100, 200)),
            {"alpha": np.r_[np.linspace(1.0, 0.01, 10), np.full(40, 1e-5)]},
            "SAC's temperature collapsed",
        ),
        (
            "saturation",
            "Pendulum-v1",
            episodes(np.full(100, -1200.0), np.full(100, 200)),
            {"saturated_actions": np.full(50, 0.8)},
            "the actor saturates at the action bounds",
        ),
    ],
)
def test_each_symptom_is_found(tmp_path, symptom, env, episode_log, train, expected):
    train_columns = train_log(**(train or {}))
    if symptom in ("epsilon", "overestimation", "temperature", "saturation"):  # not a policy-gradient run
        train_columns = {"step": train_columns["step"], **train}
    findings = diagnose(write_run(tmp_path, env, episode_log, train_columns))
    assert expected in names(findings)
    finding = findings[names(findings).index(expected)]
    assert finding.evidence and finding.suggestion


def test_flat_greedy_evaluations_are_found_even_when_exploring_returns_rise(tmp_path):
    run = write_run(tmp_path, "CartPole-v1", episodes(HEALTHY_RETURNS), train_log())
    with open(run / "eval.csv", "w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(["step", "mean"])
        writer.writerows([(s, 15.0) for s in range(10_000, 110_000, 10_000)])
    assert "return flat far below the threshold" in names(diagnose(run))


def write_evaluations(directory, **columns):
    keys = list(columns)
    with open(directory / "eval.csv", "w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(keys)
        writer.writerows(zip(*(columns[k] for k in keys), strict=True))


def level_evaluations(train, test, half_width=0.05):
    """eval.csv's columns of a run on a finite level set: each side's CI half_width wide."""
    train, test = np.asarray(train, dtype=float), np.asarray(test, dtype=float)
    gap = train - test
    return {"step": np.arange(1, len(train) + 1) * 1000, "mean": train, "ci_low": train - half_width,
            "ci_high": train + half_width, "test_mean": test, "test_ci_low": test - half_width,
            "test_ci_high": test + half_width, "gap": gap, "gap_ci_low": gap - 1.5 * half_width,
            "gap_ci_high": gap + 1.5 * half_width}  # fmt: skip


@pytest.mark.parametrize(
    "train, test, flagged",
    [
        ([0.2, 0.4, 0.6, 0.8, 0.9, 1.0], [0.2, 0.35, 0.5, 0.4, 0.3, 0.2], "fell while the training"),
        ([0.5, 0.7, 0.9, 1.0, 1.0, 1.0], [0.3, 0.3, 0.35, 0.35, 0.35, 0.35], "a generalization gap"),
        ([0.2, 0.4, 0.6, 0.8, 0.85, 0.9], [0.2, 0.4, 0.6, 0.78, 0.83, 0.9], None),  # they rise together
        ([0.2, 0.4, 0.6, 0.8, 0.85, 0.9], [0.2, 0.4, 0.62, 0.6, 0.58, 0.86], None),  # a dip within the noise
    ],
)
def test_overfitting_is_named_from_the_held_out_columns(tmp_path, train, test, flagged):
    run = write_run(tmp_path, "rl_kit/ProcGrid-v0", episodes(np.linspace(0, 1, 30), np.full(30, 10)))
    write_evaluations(run, **level_evaluations(train, test))
    found = [f for f in diagnose(run) if f.name.startswith("overfitting")]
    if flagged is None:
        assert not found
    else:
        assert len(found) == 1 and flagged in found[0].name and "num_levels" in found[0].suggestion


def test_a_run_made_to_overfit_is_flagged_and_one_on_endless_levels_is_not(tmp_path):
    """PPO on one 4x4 level learns it and little else (the gap's CI excludes 0); on 200,000
    levels (more than are hashed, but finite: eval.csv has the held-out columns) the two sides
    stay together."""
    import rl_kit

    def run(name, levels, steps):
        return rl_kit.train("rl_kit/ProcGrid-v0", "ppo", steps=steps, seed=0, eval_every=steps // 5,
                            eval_episodes=100, env_kwargs={"num_levels": levels, "size": 4}, progress=False,
                            tensorboard=False, out=tmp_path / name).directory  # fmt: skip

    overfit = run("one-level", 1, 15_000)
    found = [f.name for f in diagnose(overfit) if f.name.startswith("overfitting")]
    assert found, (overfit / "eval.csv").read_text()
    general = run("many-levels", 200_000, 30_000)
    assert "gap" in (general / "eval.csv").read_text()
    assert not [f for f in diagnose(general) if f.name.startswith("overfitting")], (general / "eval.csv").read_text()
