"""The robustness suite reruns a learning claim on more seeds and on the torch backend."""

from rl_kit.core.hyperparameter_files import tuned_hyperparameters
from rl_kit.experiments import robustness
from rl_kit.experiments.robustness import Claim, claim_named, holds


def test_a_claim_holds_only_on_enough_of_its_seeds():
    claim = Claim("c", "rl_kit/Catch-v0", "ppo", 100, threshold=9.5, seeds=(0, 1, 2), need=2)
    assert holds(claim, [10.0, 9.5, 3.0]) and not holds(claim, [10.0, 9.4, 3.0])


def test_the_suite_runs_each_claim_on_both_backends_and_more_seeds(monkeypatch, capsys):
    tiny = Claim("tiny-catch", "rl_kit/Catch-v0", "ppo", 512, {"n_steps": 16, "batch_size": 64}, threshold=-100.0,
                 num_envs=2, episodes=2)  # fmt: skip
    monkeypatch.setattr(robustness, "CLAIMS", (tiny,))
    rows = robustness.robustness((tiny,), extra_seeds=1, workers=1)
    assert [(row["backend"], len(row["returns"])) for row in rows] == [("numpy", 2), ("torch", 2)]
    assert all(row["on its seeds"] and row["passing seeds"] == "2 of 2" for row in rows)
    robustness.print_rows(rows)
    assert "tiny-catch" in capsys.readouterr().out


def test_each_network_exercise_checks_the_claim_the_robustness_suite_reruns():
    from rl_kit.exercises.catalog import EXERCISES

    checks = [e.learn for e in EXERCISES.values() if e.learn is not None and e.learn.claim is not None]
    assert len(checks) == 5  # dqn, reinforce, gae, ppo and off_policy (its TD3)
    for check in checks:
        agent, seed, target, best = check.claim
        claim = claim_named(f"exercise-{agent}")
        assert seed in claim.seeds and target == claim.threshold and f" on {claim.env}:" in check.label
        assert (claim.measure == "best") == best
        assert claim.steps == tuned_hyperparameters(agent, claim.env).n_timesteps
