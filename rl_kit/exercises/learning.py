"""The learning checks: a learner's agent trained through rl-kit's own run loop, or a learner's
planner run on a real MDP, against a target; the curve saved as a PNG."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from rl_kit.exercises.report import CheckResult

GAMMA = 0.99


class CurveLogger:
    """What the supervisor reports of a run, kept in memory: metric rows and evaluations."""

    def __init__(self):
        self.metric_rows: list[tuple[int, dict]] = []
        self.evaluations: list[tuple[int, dict]] = []

    def episode(self, step, episodes, episode_return, length) -> None:
        pass

    def metrics(self, step, averaged, recent_return) -> None:
        self.metric_rows.append((step, dict(averaged)))

    def evaluation(self, step, stats) -> None:
        self.evaluations.append((step, dict(stats)))


@dataclass(frozen=True)
class LearningCheck:
    """A check that trains or solves with the learner's code: what it checks, in a line, and how
    it runs (``run(module, figure) -> CheckResult``, drawing its curve into `figure`)."""

    label: str
    run: Callable[[Any, Path], CheckResult]
    # a network check's claim, which `rl-kit bench --suite robustness` reruns on more seeds
    # (rl_kit/experiments/robustness.py, the exercise-<agent> claims): agent, seed, bar, best or final
    claim: tuple[str, int, float, bool] | None = None

    def __call__(self, module: Any, figure: Path) -> CheckResult:
        return self.run(module, figure)


def learning_check(label: str) -> Callable[[Callable[[Any, Path], CheckResult]], LearningCheck]:
    """Make the function below a :class:`LearningCheck` of `label`."""
    return lambda run: LearningCheck(label, run)


def train(
    agent, env_id: str, steps: int, num_envs: int, *, seed: int = 0, every: int = 0, evaluate=None,
    env_kwargs: dict | None = None,
) -> CurveLogger:  # fmt: skip
    """Train `agent` on `num_envs` copies of `env_id` (made with `env_kwargs`) for `steps` env
    steps with rl-kit's run loop; `evaluate()` (a dict of statistics) is called every `every` steps."""
    from rl_kit.core.loop import run_loop
    from rl_kit.core.spec import EnvConfig
    from rl_kit.core.supervisor import Cadence, Supervisor

    envs = EnvConfig(env_id, env_kwargs or {}).make_vector(num_envs)
    logger = CurveLogger()
    supervisor = Supervisor(steps, Cadence(max(steps // 100, num_envs), every), evaluate=evaluate, logger=logger)
    try:
        run_loop(agent, envs, supervisor, seed=seed)
    finally:
        envs.close()
    return logger


def save_curve(figure: Path, x, series: dict[str, np.ndarray], *, xlabel: str, ylabel: str, title: str,
               target: float | None = None, log: bool = False) -> str:  # fmt: skip
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(7, 4.2), layout="constrained")
    for label, y in series.items():
        ax.plot(x, y, "o-" if len(x) < 40 else "-", label=label, markersize=4)
    if target is not None:
        ax.axhline(target, color="black", linestyle="--", linewidth=1, label=f"the target, {target:g}")
    if log:
        ax.set_yscale("log")
    ax.set(xlabel=xlabel, ylabel=ylabel, title=title)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
    figure.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(figure, dpi=100)
    plt.close(fig)
    return str(figure)


def tabular_control(agent_name: str, env_id: str, steps: int, num_envs: int, hyperparameters: dict):
    """The learner's TD or MC agent on `env_id`: its greedy policy's exact value (from P) within
    1% of the optimum after `steps` env steps."""

    def learn(module, figure: Path) -> CheckResult:
        import gymnasium as gym

        from rl_kit.core.optimum import TabularReference

        env = gym.make(env_id)
        reference = TabularReference.of(env)
        agent = module.Agent(env.observation_space, env.action_space, seed=0, gamma=GAMMA, **hyperparameters)
        gaps = []

        def evaluate():
            gaps.append(max(reference.gap(agent.greedy_policy(), GAMMA), 0.0))
            return {"mean": gaps[-1]}

        logger = train(agent, env_id, steps, num_envs, every=steps // 20, evaluate=evaluate)
        gap = max(reference.gap(agent.greedy_policy(), GAMMA), 0.0)
        x = [step for step, _ in logger.evaluations]
        shown = save_curve(
            figure,
            x,
            {"gap of the greedy policy to the optimum": np.maximum(100 * np.array(gaps[: len(x)]), 1e-3)},
            xlabel="env steps",
            ylabel="gap to the optimal value (%, 0.001 at the optimum)",
            title=f"your {agent_name} on {env_id}",
            target=1.0,
            log=True,
        )
        return CheckResult(
            "learning",
            f"{agent_name} on {env_id}: greedy policy within 1% of the optimum after {steps:,} steps",
            gap <= 0.01,
            "a gap of at most 1.00%",
            f"a gap of {100 * gap:.2f}%",
            "" if gap <= 0.01 else "the unit checks pass but learning fails: look at how the agent uses your function",
            shown,
        )

    return LearningCheck(
        f"{agent_name} on {env_id}: greedy policy within 1% of the optimum after {steps:,} steps", learn
    )


@learning_check("epsilon-greedy on the 10-armed testbed: rl-kit's average reward over pulls 500-1000")
def bandit_testbed(module, figure: Path) -> CheckResult:
    """The learner's epsilon-greedy bandit on the 10-armed testbed (sample average, then a
    constant step): the average reward over the last half of 1000 pulls, 200 problems, reaches
    that of rl-kit's own agent on the same problems and seeds (to within 1%)."""
    from gymnasium import spaces

    from rl_kit.agents.bandits import EpsilonGreedyBandit

    problems, pulls = 200, 1000
    curves, outcome = {}, []
    for alpha in (0.0, 0.1):
        rewards = {}
        for label, cls in (("yours", module.Agent), ("rl-kit's", EpsilonGreedyBandit)):
            agent = cls(spaces.Discrete(1), spaces.Discrete(10), seed=0, epsilon=0.1, alpha=alpha)
            logger = train(agent, "rl_kit/Bandit-v0", problems * pulls, problems)
            rewards[label] = np.array([row["reward"] for _, row in logger.metric_rows])
        half = len(rewards["yours"]) // 2
        mine, theirs = rewards["yours"][half:].mean(), rewards["rl-kit's"][half:].mean()
        outcome.append((alpha, mine, theirs))
        name = "sample average" if alpha == 0 else f"alpha {alpha}"
        for label, values in rewards.items():
            curves[f"{label}, {name}"] = values
    x = np.linspace(0, pulls, len(next(iter(curves.values()))), endpoint=False) + pulls / len(
        next(iter(curves.values()))
    )
    shown = save_curve(figure, x, curves, xlabel="pull", ylabel="average reward over 200 problems",
                       title="your bandit on the 10-armed testbed")  # fmt: skip
    passed = all(mine >= 0.99 * theirs for _, mine, theirs in outcome)
    got = "; ".join(f"{'sample average' if a == 0 else f'alpha {a}'}: {m:.3f} against {t:.3f}" for a, m, t in outcome)
    return CheckResult("learning", bandit_testbed.label, passed, "at least 99% of rl-kit's average reward", got,
                       "" if passed else "the unit checks pass but the agent falls short: look at how it calls your updates",
                       shown)  # fmt: skip


def frozen_lake_model():
    import gymnasium as gym

    import rl_kit.envs  # noqa: F401  (registers the env)
    from rl_kit.core.optimum import TabularReference

    return TabularReference.of(gym.make("rl_kit/FrozenLake4x4-v0")).model


@learning_check("FrozenLake 4x4: V of three policies equals the exact V^pi")
def policy_evaluation_check(module, figure: Path) -> CheckResult:
    """The learner's evaluate_policy on FrozenLake 4x4 equals the exact V^pi (a linear solve)
    of three policies, to 1e-6."""
    from rl_kit.agents.dynamic_programming import policy_evaluation, value_iteration

    model = frozen_lake_model()
    optimal = model.q_values(value_iteration(model, GAMMA), GAMMA).argmax(axis=1)
    policies = {
        "optimal": optimal,
        "always left": np.zeros(16, int),
        "random": np.random.default_rng(0).integers(4, size=16),
    }
    errors, curves = {}, {}
    for label, policy in policies.items():
        exact = policy_evaluation(model, policy, GAMMA)
        v, sweeps = module.evaluate_policy(model.R, model.T, policy, GAMMA)
        errors[label] = (float(np.max(np.abs(np.asarray(v) - exact))), int(sweeps))
        trace, values = [], np.zeros(16)
        for _ in range(int(sweeps)):
            values = module.expectation_backup(model.R, model.T, values, policy, GAMMA)
            trace.append(max(float(np.max(np.abs(values - exact))), 1e-16))
        curves[label] = np.array(trace)
    longest = max(len(c) for c in curves.values())
    padded = {k: np.pad(c, (0, longest - len(c)), constant_values=np.nan) for k, c in curves.items()}
    shown = save_curve(figure, np.arange(1, longest + 1), padded, xlabel="sweep", ylabel="max |V - V^pi|",
                       title="your policy evaluation on FrozenLake 4x4", target=1e-6, log=True)  # fmt: skip
    passed = all(error <= 1e-6 for error, _ in errors.values())
    got = ", ".join(f"{k}: {e:.1e} in {s} sweeps" for k, (e, s) in errors.items())
    return CheckResult("learning", policy_evaluation_check.label, passed, "max |V - V^pi| <= 1e-6 for each", got,
                       "" if passed else "evaluate_policy stops too early, or sweeps the wrong backup", shown)  # fmt: skip


@learning_check("FrozenLake 4x4 and Cliff Walking: the greedy policy within 1% of the optimum")
def value_iteration_check(module, figure: Path) -> CheckResult:
    """The learner's value iteration on FrozenLake 4x4 and Cliff Walking: the exact value of its
    greedy policy within 1% of the optimum."""
    import gymnasium as gym

    from rl_kit.core.optimum import TabularReference

    gaps, curves = {}, {}
    for env_id in ("rl_kit/FrozenLake4x4-v0", "rl_kit/CliffWalking-v0"):
        env = gym.make(env_id)
        reference = TabularReference.of(env)
        model = reference.model
        v, _ = module.value_iteration(model.R, model.T, GAMMA)
        policy = np.asarray(module.greedy_policy(model.R, model.T, v, GAMMA))
        gaps[env_id] = max(reference.gap(policy, GAMMA), 0.0)
        trace, values = [], np.zeros(len(v))
        for _ in range(60):
            values = module.optimality_backup(model.R, model.T, values, GAMMA)
            trace.append(
                100 * max(reference.gap(np.asarray(module.greedy_policy(model.R, model.T, values, GAMMA)), GAMMA), 0.0)
            )
        curves[env_id] = np.array(trace)
    shown = save_curve(figure, np.arange(1, 61), curves, xlabel="sweep", ylabel="gap of the greedy policy (%)",
                       title="your value iteration", target=1.0)  # fmt: skip
    passed = all(g <= 0.01 for g in gaps.values())
    got = ", ".join(f"{k}: {100 * g:.2f}%" for k, g in gaps.items())
    return CheckResult("learning", value_iteration_check.label, passed, "a gap of at most 1.00% on each", got,
                       "" if passed else "the greedy policy of your V is not optimal: check greedy_policy", shown)  # fmt: skip


def network_control(
    agent_name: str, env_id: str = "CartPole-v1", *, seed: int = 0, target: float = 475.0, best: bool = False,
    env_kwargs: dict | None = None,
):  # fmt: skip
    """The learner's network agent, with the tuned entry of rl-kit's `agent_name` on `env_id`
    (made with `env_kwargs`; budget included), trained through the run loop: a greedy mean of
    `target` over the 20 episodes at the end, or (`best`) at the best of those and of the ten
    evaluations on the way (10 episodes each). `best` is for the learners whose last evaluation
    is a draw however right the code: DQN at 50k steps ends at 500 on some seeds and near 100 on
    others, and its evaluations on the way reach 200 to 500 on every seed (rl-kit bench --suite
    robustness). A check on an env id alone is a claim that suite reruns on more seeds; one with
    `env_kwargs` rests on a test of its own over seeds."""
    when = "at its best evaluation" if best else "over 20 episodes at the end"
    options = "".join(f" {key}={value}" for key, value in (env_kwargs or {}).items())
    label = f"{agent_name} on {env_id}{options}: a greedy mean of {target:g} {when}, with rl-kit's tuned budget"

    def learn(module, figure: Path) -> CheckResult:
        import gymnasium as gym

        from rl_kit.core.evaluation import close_all, evaluation_envs, run_episodes
        from rl_kit.core.hyperparameter_files import tuned_hyperparameters
        from rl_kit.core.spec import EnvConfig

        entry = tuned_hyperparameters(agent_name, env_id)
        env = gym.make(env_id, **(env_kwargs or {}))
        agent = module.Agent(env.observation_space, env.action_space, seed=seed, **entry.hyperparameters)
        spec = EnvConfig(env_id, env_kwargs or {})
        envs = evaluation_envs(spec, 20, agent)
        try:

            def evaluate(episodes: int = 10):
                returns, _, _ = run_episodes(agent, envs, episodes, 1_000_000)
                return {"mean": float(np.mean(returns))}

            steps = entry.n_timesteps
            assert steps, f"{agent_name}.yml has no n_timesteps for {env_id}"
            logger = train(agent, env_id, steps, entry.num_envs or 1, seed=seed, every=steps // 10, evaluate=evaluate,
                           env_kwargs=env_kwargs)  # fmt: skip
            final = evaluate(20)["mean"]
        finally:
            close_all(envs)
        score = max([final, *(stats["mean"] for _, stats in logger.evaluations)]) if best else final
        x = [step for step, _ in logger.evaluations] + [steps]
        y = [stats["mean"] for _, stats in logger.evaluations] + [final]
        shown = save_curve(figure, x, {"greedy mean return": np.array(y)}, xlabel="env steps", ylabel="mean return",
                           title=f"your {agent_name} on {env_id}{options} (seed {seed})", target=target)  # fmt: skip
        passed = score >= target
        got = f"{final:.1f} after {steps:,} steps" + (f", {score:.1f} at its best" if best else "")
        return CheckResult("learning", label, passed, f"a greedy mean of at least {target:g}", got,
                           "" if passed else "the quick checks pass but learning fails: look at the curve, and at "
                           "how the agent uses your functions", shown)  # fmt: skip

    return LearningCheck(label, learn, claim=None if env_kwargs else (agent_name, seed, target, best))
