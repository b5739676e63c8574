"""Read a run's logs and say what went wrong, with the evidence and what to try.

Each check looks at the logs a run directory already has (``episodes.csv``, ``train.csv``,
``eval.csv``, ``config.yaml``) and returns a :class:`Finding` only when its symptom shows:

- the return stays flat far below the env's reward threshold;
- the policy's entropy collapsed before the return rose;
- explained variance stays below 0 (the value function is not learning);
- approximate KL spikes, or the clip fraction is high;
- the gradient norm explodes;
- (almost) every episode is truncated by the time limit;
- rewards are large in scale;
- exploration (epsilon) ended before the return rose;
- exploration (an epsilon schedule) outlasts the run's budget: it was still exploring at the end;
- the greedy policy is far from the exact optimum, where the env publishes its model ``P``;
- the critic overestimates (DDPG, TD3): its Q at episode starts above the discounted return
  that followed;
- SAC's temperature collapsed before the return rose;
- the actor saturates at the action bounds;
- overfitting, on a run trained on a finite set of a level family's levels: the held-out
  levels' return falls while the training levels' rises, or the gap between them is material
  and its CI excludes 0.

A directory without any log is an error, not a healthy run.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from rl_kit.agents.schedules import Schedule
from rl_kit.core.run_directory import read_spec
from rl_kit.core.spec import RunSpec
from rl_kit.errors import RLKitError
from rl_kit.presentation.plots import read_csv


@dataclass
class Finding:
    name: str
    evidence: str
    suggestion: str

    def __str__(self) -> str:
        return f"{self.name}: {self.evidence}\n  try: {self.suggestion}"


@dataclass
class RunLogs:
    directory: Path
    spec: RunSpec
    episodes: dict[str, np.ndarray]
    train: dict[str, np.ndarray]
    evaluations: dict[str, np.ndarray]

    @classmethod
    def read(cls, directory: str | Path) -> RunLogs:
        directory = Path(directory)
        logs = cls(
            directory,
            read_spec(directory),
            read_csv(directory / "episodes.csv"),
            read_csv(directory / "train.csv"),
            read_csv(directory / "eval.csv"),
        )
        if not (logs.episodes or logs.train or logs.evaluations):
            raise RLKitError(f"{directory} has no logs (episodes.csv, train.csv, eval.csv): nothing to diagnose")
        return logs

    def spec_value(self, name: str):
        import gymnasium as gym

        return getattr(gym.spec(self.spec.env.id), name)

    @property
    def threshold(self) -> float | None:
        return self.spec_value("reward_threshold")

    @property
    def max_episode_steps(self) -> int | None:
        return self.spec_value("max_episode_steps")


def _fraction(values: np.ndarray, start: float = 0.0, end: float = 1.0) -> np.ndarray:
    n = len(values)
    return values[int(start * n) : max(int(end * n), int(start * n) + 1)]


def flat_return(logs: RunLogs) -> Finding | None:
    # Greedy evaluations say what the agent has learned; exploring episodes understate it.
    evaluated = logs.evaluations.get("mean") is not None and len(logs.evaluations["mean"]) >= 5
    log, column, what = (
        (logs.evaluations, "mean", "greedy evaluations") if evaluated else (logs.episodes, "return", "episodes")
    )
    returns, threshold = log.get(column), logs.threshold
    if returns is None or len(returns) < (5 if evaluated else 20) or threshold is None:
        return None
    first, last = _fraction(returns, 0, 0.2).mean(), _fraction(returns, 0.8, 1).mean()
    gap = threshold - first
    if last < threshold and gap > 0 and (last - first) < 0.1 * gap:
        return Finding(
            "return flat far below the threshold",
            f"the return of {what} went from {first:.3g} (first 20%) to {last:.3g} (last 20%, up to step {int(log['step'][-1]):,}); "
            f"the env's threshold is {threshold:.3g}",
            "train longer, raise the learning rate, or check the hyperparameters against the tuned file (rl_kit/hyperparams)",
        )
    return None


def entropy_collapse(logs: RunLogs) -> Finding | None:
    if "alpha" in logs.train:  # SAC steers its entropy to a target by design: temperature_collapse
        return None
    entropy = logs.train.get("entropy")
    returns = logs.episodes.get("return")
    if entropy is None or len(entropy) < 5 or returns is None or len(returns) < 10:
        return None
    start = entropy[: max(1, len(entropy) // 10)].mean()
    collapsed = np.flatnonzero(entropy < 0.1 * start) if start > 0 else np.array([])
    if collapsed.size == 0:
        return None
    step = logs.train["step"][collapsed[0]]
    first = _fraction(returns, 0, 0.2).mean()
    so_far = returns[logs.episodes["step"] <= step]
    before = _fraction(so_far, 0.8, 1).mean() if so_far.size else first  # the return when entropy collapsed
    goal = max(_fraction(returns, 0.8, 1).mean(), logs.threshold if logs.threshold is not None else -np.inf)
    if goal > first and (before - first) < 0.5 * (goal - first):
        return Finding(
            "entropy collapsed before the return rose",
            f"policy entropy fell from {start:.3g} to {entropy[collapsed[0]]:.3g} by step {int(step):,}, "
            f"while the return was still {before:.3g} (started at {first:.3g})",
            "raise the entropy coefficient (ent_coef, e.g. 0.01) or lower the learning rate",
        )
    return None


def value_not_learning(logs: RunLogs) -> Finding | None:
    ev = logs.train.get("explained_variance")
    if ev is None or len(ev) < 6:
        return None
    late = _fraction(ev, 0.5, 1)
    late = late[np.isfinite(late)]
    if late.size and np.mean(late < 0) > 0.5:
        return Finding(
            "the value function is not learning",
            f"explained variance was below 0 in {100 * np.mean(late < 0):.0f}% of updates in the second half "
            f"(median {np.median(late):.2f})",
            "normalize rewards or observations, raise vf_coef, or lower the learning rate",
        )
    return None


def unstable_updates(logs: RunLogs) -> Finding | None:
    kl, clip = logs.train.get("approx_kl"), logs.train.get("clip_fraction")
    evidence = []
    if kl is not None and len(kl):
        spikes = np.flatnonzero(kl > 0.05)
        if spikes.size > 0.1 * len(kl):
            evidence.append(
                f"approximate KL above 0.05 in {spikes.size} of {len(kl)} updates (max {kl.max():.3g} at step {int(logs.train['step'][kl.argmax()]):,})"
            )
    if clip is not None and len(clip) and np.nanmean(clip) > 0.3:
        evidence.append(f"mean clip fraction {np.nanmean(clip):.2f}")
    if evidence:
        return Finding(
            "policy updates too large",
            "; ".join(evidence),
            "lower the learning rate or n_epochs, or set target_kl (e.g. 0.02)",
        )
    return None


def exploding_gradients(logs: RunLogs) -> Finding | None:
    norm = logs.train.get("grad_norm")
    if norm is None or len(norm) < 6:
        return None
    early = np.median(norm[: max(3, len(norm) // 5)])
    worst = int(np.nanargmax(norm))
    if early > 0 and norm[worst] > 50 * early:
        return Finding(
            "gradient norm exploding",
            f"gradient norm reached {norm[worst]:.3g} at step {int(logs.train['step'][worst]):,}, against {early:.3g} early on",
            "lower the learning rate, keep max_grad_norm small (0.5), normalize observations and rewards",
        )
    return None


def always_truncated(logs: RunLogs) -> Finding | None:
    lengths, limit = logs.episodes.get("length"), logs.max_episode_steps
    if lengths is None or len(lengths) < 10 or limit is None:
        return None
    share = np.mean(lengths >= limit)
    if share >= 0.95:
        returns = logs.episodes.get("return")
        if logs.threshold is not None and returns is not None and _fraction(returns, 0.8, 1).mean() >= logs.threshold:
            return None  # reaching the limit is the goal (CartPole)
        if returns is not None:
            first, last = _fraction(returns, 0, 0.2).mean(), _fraction(returns, 0.8, 1).mean()
            if last - first > 0.5 * abs(first) + 1e-8:
                return None  # not stuck: the return rose, and the limit is how this env's episodes end (Pendulum)
        return Finding(
            "every episode is truncated",
            f"{100 * share:.0f}% of {len(lengths)} episodes ran into the time limit of {limit} steps",
            "the agent may be stuck (check with rl-kit watch), or the time limit is too short for the task",
        )
    return None


def large_rewards(logs: RunLogs) -> Finding | None:
    returns, lengths = logs.episodes.get("return"), logs.episodes.get("length")
    value_loss = logs.train.get("value_loss")
    if value_loss is None:
        return None  # reward scale matters to networks; a Q table does not care
    per_step = (
        np.abs(returns) / np.maximum(lengths, 1)
        if returns is not None and lengths is not None and len(returns)
        else None
    )
    if per_step is not None and np.median(per_step) > 10:
        evidence = f"median |return| per step is {np.median(per_step):.3g}"
    elif value_loss is not None and len(value_loss) and np.nanmedian(value_loss) > 1000:
        evidence = f"median value loss is {np.nanmedian(value_loss):.3g}"
    else:
        return None
    return Finding(
        "reward scale large",
        evidence,
        "scale or normalize rewards (e.g. divide by a constant) so returns are of order 1-100",
    )


def exploration_ended_early(logs: RunLogs) -> Finding | None:
    epsilon, returns = logs.train.get("epsilon"), logs.episodes.get("return")
    if epsilon is None or len(epsilon) < 5 or returns is None or len(returns) < 10:
        return None
    final = epsilon[-1]
    if epsilon[0] - final < 1e-9:
        return None
    reached = np.flatnonzero(np.abs(epsilon - final) < 1e-9)[0]
    step, total = logs.train["step"][reached], logs.train["step"][-1]
    threshold = logs.threshold
    late = _fraction(returns, 0.8, 1).mean()
    if step < 0.2 * total and threshold is not None and late < threshold:
        return Finding(
            "exploration ended too early",
            f"epsilon reached its final {final:.3g} at step {int(step):,} of {int(total):,}; the return is still {late:.3g} "
            f"(threshold {threshold:.3g})",
            "lengthen the epsilon schedule, e.g. epsilon=linear(1.0, 0.05, <half the steps>)",
        )
    return None


def exploration_outlasts_budget(logs: RunLogs) -> Finding | None:
    text = logs.spec.hyperparameters.get("epsilon")
    if text is None:
        return None
    try:
        schedule = Schedule.parse(text)
    except (ValueError, TypeError):
        return None
    if schedule.steps is None or schedule.end is None or int(schedule.steps) <= logs.spec.steps:
        return None
    at_end = schedule(logs.spec.steps)
    if at_end - schedule.end < 0.05:
        return None
    return Finding(
        "exploration outlasts the budget",
        f"epsilon is {text} but the run had {logs.spec.steps:,} steps: it still explored with epsilon "
        f"{at_end:.3g} at the end (the schedule reaches {schedule.end:g} only at step {int(schedule.steps):,})",
        f"train for {int(schedule.steps):,} steps or more, or shorten the schedule to fit the budget, "
        f"e.g. epsilon=linear({schedule.start:g}, {schedule.end:g}, {logs.spec.steps // 2})",
    )


def far_from_optimum(logs: RunLogs) -> Finding | None:
    """The saved greedy policy's exact value against the optimum, from the env's ``P``."""
    from rl_kit.core.agent_files import AGENT_FILE, load
    from rl_kit.core.optimum import compare_with_optimum

    path = logs.directory / AGENT_FILE
    if not path.is_file():
        return None
    try:
        exact = compare_with_optimum(load(path), logs.spec.env)
    except RLKitError:
        return None
    if not exact or exact["gap"] <= 0.05:
        return None
    return Finding(
        "greedy policy far from the optimum",
        f"its exact value from P is {exact['policy_value']:.4g} against the optimum {exact['optimal_value']:.4g} "
        f"({100 * exact['gap']:.0f}% short, gamma={exact['gamma']:g})",
        "train longer, let exploration and the step size decay within the budget, or start from the tuned entry",
    )


def _late(values: np.ndarray) -> np.ndarray:
    """The finite values of the second half of a column."""
    late = _fraction(values, 0.5, 1)
    return late[np.isfinite(late)]


def q_overestimation(logs: RunLogs) -> Finding | None:
    """Q above the return that followed, by a gap that grows (Fujimoto et al. 2018, Figure 1): a
    gap that shrinks is a critic still catching up from its start near 0, not overestimation."""
    q, obtained = logs.train.get("q_start"), logs.train.get("discounted_return")
    if q is None or obtained is None or "alpha" in logs.train:  # SAC's soft Q counts its entropy bonus too
        return None
    finite = np.isfinite(q) & np.isfinite(obtained)
    q, obtained = q[finite], obtained[finite]
    if q.size < 8:
        return None
    gap = q - obtained
    middle, late = _fraction(gap, 0.25, 0.5), _fraction(gap, 0.75, 1)
    scale = float(np.mean(np.abs(_fraction(obtained, 0.75, 1)))) + 1e-8
    if np.mean(late) > 0.25 * scale and np.mean(late) > np.mean(middle) and np.mean(late > 0) > 0.75:
        return Finding(
            "the critic overestimates",
            f"in the last quarter its Q at episode starts averaged {np.mean(_fraction(q, 0.75, 1)):.4g}, the "
            f"discounted return that followed {np.mean(_fraction(obtained, 0.75, 1)):.4g} "
            f"({100 * np.mean(late) / scale:+.0f}%), a gap wider than in the second quarter ({np.mean(middle):.3g})",
            "use td3 (twin critics, target smoothing, delayed actor), or lower the learning rate or tau",
        )
    return None


def temperature_collapse(logs: RunLogs) -> Finding | None:
    alpha, returns = logs.train.get("alpha"), logs.episodes.get("return")
    if alpha is None or len(alpha) < 5 or returns is None or len(returns) < 10:
        return None
    late = _late(alpha)
    if late.size == 0 or np.median(late) > 1e-3:
        return None
    first, last = _fraction(returns, 0, 0.2).mean(), _fraction(returns, 0.8, 1).mean()
    threshold = logs.threshold
    if threshold is not None and last >= threshold:
        return None
    return Finding(
        "SAC's temperature collapsed",
        f"alpha fell to {np.median(late):.2g} in the second half (from {alpha[0]:.3g}), and the return went from "
        f"{first:.4g} to {last:.4g}: the policy stopped exploring",
        "raise target_entropy (e.g. -0.5 per action dimension) or fix ent_coef (e.g. 0.05)",
    )


def actor_saturation(logs: RunLogs) -> Finding | None:
    saturated = logs.train.get("saturated_actions")
    if saturated is None:
        return None
    late = _late(saturated)
    if late.size < 4 or np.mean(late) < 0.5:
        return None
    return Finding(
        "the actor saturates at the action bounds",
        f"{100 * np.mean(late):.0f}% of the actor's action components were at a bound (|a| > 0.99 after tanh) in the "
        "second half: there its gradient vanishes (1 - a^2)",
        "lower the learning rate, scale the rewards down, or check that the action bounds suit the env",
    )


OVERFITTING_HELP = (
    "train on more levels (num_levels), add weight decay (--hp weight_decay=0.1), augment the view "
    "(--hp augment=cutout), or raise the entropy bonus (ent_coef); compare with rl-kit evaluate RUN --levels both"
)


def overfitting(logs: RunLogs) -> Finding | None:
    """From eval.csv's held-out columns (a run on a finite set of levels; see
    :class:`rl_kit.core.evaluation.PeriodicEvaluation`): the held-out return falling while the
    training return rises (the last 20% of evaluations' held-out CIs all below the best earlier
    evaluation's CI, and the training return above where it was then), or, at the last
    evaluation, a gap of at least a tenth of the training return whose 95% CI excludes 0."""
    evaluations = logs.evaluations
    if "gap" not in evaluations or len(evaluations["gap"]) == 0:
        return None
    train, test, steps = evaluations["mean"], evaluations["test_mean"], evaluations["step"]
    if len(test) >= 5:
        late = max(1, len(test) // 5)
        peak = int(np.argmax(test[:-late]))  # the held-out return's best, before the last 20%
        late_train, late_test = train[-late:].mean(), test[-late:].mean()
        if late_train > train[peak] and np.max(evaluations["test_ci_high"][-late:]) < evaluations["test_ci_low"][peak]:
            return Finding(
                "overfitting: the held-out levels' return fell while the training levels' rose",
                f"held-out return {test[peak]:.3g} at step {int(steps[peak]):,}, {late_test:.3g} in the last 20% of "
                f"evaluations, while the training levels' went from {train[peak]:.3g} to {late_train:.3g}",
                OVERFITTING_HELP,
            )
    gap, low, high = evaluations["gap"][-1], evaluations["gap_ci_low"][-1], evaluations["gap_ci_high"][-1]
    if low > 0 and low >= 0.1 * abs(train[-1]):
        return Finding(
            "overfitting: a generalization gap",
            f"at step {int(steps[-1]):,} the training levels' return is {train[-1]:.3g} and the held-out levels' "
            f"{test[-1]:.3g}: a gap of {gap:.3g}, 95% CI [{low:.3g}, {high:.3g}], which excludes 0",
            OVERFITTING_HELP,
        )
    return None


CHECKS = (
    flat_return,
    entropy_collapse,
    value_not_learning,
    unstable_updates,
    exploding_gradients,
    always_truncated,
    large_rewards,
    exploration_ended_early,
    exploration_outlasts_budget,
    far_from_optimum,
    q_overestimation,
    temperature_collapse,
    actor_saturation,
    overfitting,
)


def diagnose(run_directory: str | Path) -> list[Finding]:
    """The findings of every check on one run directory (empty for a healthy run)."""
    logs = RunLogs.read(run_directory)
    return [finding for check in CHECKS if (finding := check(logs)) is not None]
