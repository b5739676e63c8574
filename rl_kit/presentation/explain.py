"""What an agent believes, drawn: ``rl-kit explain RUN``.

- Tabular agents on our grid worlds: the learned state values as a heat map with the greedy
  actions as arrows, beside the optimal values and policy from ``P`` (value iteration), and
  their difference, in one PNG.
- Policy-gradient agents: over the states visited in a few greedy episodes, the action
  probabilities (or means), the value estimates, and which observation features drive the
  choice, by two measures: gradient x input (|d log pi(a*|s) / d s_j * s_j|, averaged) and
  permutation importance (how often the greedy action changes, or how far the mean moves,
  when feature j is shuffled across the states). Features are named where the env names
  them (``feature_names``). A PNG of charts and a CSV table.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from rl_kit.core import registry
from rl_kit.core.backends import load_agent_and_env
from rl_kit.core.spec import EnvSpec
from rl_kit.errors import RLKitError
from rl_kit.infrastructure.atomic_files import atomic_write


def explain(
    run: str | Path,
    output: str | Path | None = None,
    *,
    episodes: int = 5,
    seed: int = 0,
    max_episode_steps: int | None = None,
) -> list[Path]:
    """Write the explanation of a saved agent; returns the files written. `max_episode_steps`
    overrides the env's time limit for the episodes whose states are explained."""
    agent, env = load_agent_and_env(run, None, max_episode_steps)
    base = Path(run) if Path(run).is_dir() else Path(run).parent
    output = Path(output) if output else base / "explain.png"
    if hasattr(agent, "state_values"):
        return explain_tabular(agent, env, output)
    if hasattr(agent, "policy_outputs"):
        return explain_policy(agent, env, output, episodes=episodes, seed=seed)
    raise RLKitError(f"explain covers our tabular and policy-gradient agents, not {agent.name}")


def part_names(space, spec: EnvSpec) -> list[str]:
    """Names of a finite space's parts: known ones (Blackjack's), a Dict's keys, else obs[0], obs[1], ..."""
    import gymnasium as gym
    from gymnasium import spaces

    if isinstance(space, spaces.Dict):
        return list(space.spaces)
    count = len(agent_parts(space))
    known = GYMNASIUM_FEATURE_NAMES.get(gym.spec(spec.id).name)
    if known and len(known) == count:
        return list(known)
    return ["state"] if count == 1 else [f"obs[{i}]" for i in range(count)]


def agent_parts(space) -> list[tuple[int, int]]:
    from rl_kit.agents.spaces import finite_parts

    return finite_parts(space) or []


def explain_states(agent, spec: EnvSpec, output: Path) -> list[Path]:
    """A table agent on an env without a map (Blackjack-v1, Taxi-v4, ...): every state in its own
    terms with V and the greedy action (CSV), and heatmaps of both over the state's first two parts,
    one pair of panels per value of the others (Sutton & Barto's figure 5.2, for Blackjack)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    index = agent.state_index
    parts, names = agent_parts(index.space), part_names(index.space, spec)
    values, policy, q = agent.state_values(), agent.greedy_policy(), agent.action_values(np.arange(agent.n_states))
    grid = np.array(np.unravel_index(np.arange(agent.n_states), [size for _, size in parts])).T + [s for s, _ in parts]
    rows = [",".join([*names, "value", "greedy_action", *(f"q[{a}]" for a in range(q.shape[1]))])]
    rows += [
        ",".join(
            [*(str(int(v)) for v in grid[i]), f"{values[i]:.6g}", str(int(policy[i])), *(f"{x:.6g}" for x in q[i])]
        )
        for i in range(agent.n_states)
    ]
    table = output.with_suffix(".csv")
    atomic_write(table, "\n".join(rows) + "\n")
    if len(parts) < 2 or int(np.prod([size for _, size in parts[2:]])) > 4:
        return [table]  # no two axes to draw on, or too many panels: the table says it all
    (start0, size0), (start1, size1) = parts[0], parts[1]
    rest = list(np.ndindex(*[size for _, size in parts[2:]])) or [()]
    fig, axes = plt.subplots(len(rest), 2, figsize=(12, 4.2 * len(rest)), squeeze=False, constrained_layout=True)
    shaped_values = values.reshape(size0, size1, -1)
    shaped_policy = policy.reshape(size0, size1, -1)
    extent = (start1 - 0.5, start1 + size1 - 0.5, start0 - 0.5, start0 + size0 - 0.5)
    for row, others in enumerate(rest):
        column = int(np.ravel_multi_index(others, [size for _, size in parts[2:]])) if others else 0
        label = ", ".join(f"{n} = {v + s}" for n, v, (s, _) in zip(names[2:], others, parts[2:], strict=True))
        image = axes[row, 0].imshow(
            shaped_values[:, :, column], origin="lower", aspect="auto", extent=extent, cmap="viridis"
        )
        fig.colorbar(image, ax=axes[row, 0], label="V(s) = max_a Q(s, a)")
        axes[row, 0].set(xlabel=names[1], ylabel=names[0], title=f"value {label}".strip())
        actions = shaped_policy[:, :, column]
        image = axes[row, 1].imshow(actions, origin="lower", aspect="auto", extent=extent, cmap="tab10", vmin=0, vmax=9)
        axes[row, 1].set(xlabel=names[1], ylabel=names[0], title=f"greedy action {label}".strip())
        for a in np.unique(actions):
            axes[row, 1].plot([], [], "s", color=plt.get_cmap("tab10")(int(a)), label=f"action {int(a)}")
        axes[row, 1].legend(fontsize=8, loc="upper right")
    fig.suptitle(f"{agent.name} on {spec.id}: what it believes, state by state")
    fig.savefig(output, dpi=100)
    plt.close(fig)
    return [output, table]


def explain_tabular(agent, spec: EnvSpec, output: Path) -> list[Path]:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from rl_kit.core.optimum import TabularReference

    env = spec.make(render_mode="rgb_array")
    grid = env.unwrapped
    if not hasattr(grid, "set_overlay") or not hasattr(grid, "P"):
        env.close()
        return explain_states(agent, spec, output)
    gamma = agent.hyperparameters.gamma
    planner = registry.make_agent(
        "value_iteration", env.observation_space, env.action_space, hyperparameters={"gamma": gamma}, env=env
    )
    learned_v, optimal_v = agent.state_values(), planner.state_values()
    learned_pi, optimal_pi = agent.greedy_policy(), planner.greedy_policy()
    reference = TabularReference.of(env)
    value, best = reference.policy_value(learned_pi, gamma), reference.optimal_value(gamma)
    env.reset(seed=0)
    open_states = np.array([grid.model.symbol(s) in ".S" for s in range(grid.model.n_states)])
    differ = int(np.sum((learned_pi != optimal_pi) & open_states))
    panels = [
        ("learned values V and greedy policy", learned_v, learned_pi),
        ("optimal values V* and policy (value iteration on P)", optimal_v, optimal_pi),
        (f"V - V*  ({differ} of {open_states.sum()} states act differently)", learned_v - optimal_v, None),
    ]
    fig, axes = plt.subplots(1, 3, figsize=(16, 5.5), constrained_layout=True)
    for ax, (title, values, actions) in zip(axes, panels, strict=True):
        grid.set_overlay(values, actions)
        ax.imshow(env.render())
        ax.set_title(title, fontsize=10)
        ax.axis("off")
    fig.suptitle(
        f"{agent.name} on {spec.id}: its greedy policy is worth {value:.4f}, the optimum {best:.4f} (gamma {gamma})"
    )
    fig.savefig(output, dpi=100)
    plt.close(fig)
    env.close()
    return [output]


# Gymnasium's classic-control envs name their observations only in their docs.
GYMNASIUM_FEATURE_NAMES = {
    "CartPole": ("cart position", "cart velocity", "pole angle", "pole angular velocity"),
    "Acrobot": ("cos theta1", "sin theta1", "cos theta2", "sin theta2", "theta1 velocity", "theta2 velocity"),
    "MountainCar": ("position", "velocity"),
    "Pendulum": ("cos theta", "sin theta", "angular velocity"),
    "Blackjack": ("player sum", "dealer showing", "usable ace"),
}


def feature_names(env, size: int) -> list[str]:
    base = env.unwrapped
    names = getattr(base, "feature_names", None) or getattr(getattr(base, "dynamics", None), "feature_names", None)
    if names is None and env.spec is not None:
        names = GYMNASIUM_FEATURE_NAMES.get(env.spec.name)
    return list(names) if names and len(names) == size else [f"obs[{i}]" for i in range(size)]


def visited_states(agent, env, episodes: int, seed: int) -> np.ndarray:
    states = []
    for i in range(episodes):
        obs, _ = env.reset(seed=seed + i)
        done = False
        while not done:
            states.append(np.asarray(obs, dtype=np.float32))
            obs, _, terminated, truncated, _ = env.step(agent.act(np.asarray(obs)[None], explore=False)[0])
            done = terminated or truncated
    return np.array(states)


def attributions(agent, states: np.ndarray, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Mean |gradient x input| of the greedy action's score (log pi, or Q for DQN), and
    permutation importance, per feature."""
    x, gradient = agent.choice_gradient(states)
    gradient_x_input = np.abs(gradient * x).mean(axis=0)
    rng = np.random.default_rng(seed)
    greedy = agent.act(states, explore=False)
    importance = np.zeros(states.shape[1])
    for j in range(states.shape[1]):
        shuffled = states.copy()
        shuffled[:, j] = rng.permutation(shuffled[:, j])
        changed = agent.act(shuffled, explore=False)
        importance[j] = np.mean(changed != greedy) if agent.discrete else np.mean(np.abs(changed - greedy))
    return gradient_x_input, importance


def explain_policy(agent, spec: EnvSpec, output: Path, *, episodes: int, seed: int) -> list[Path]:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from gymnasium import spaces

    env = spec.make()
    if not isinstance(env.observation_space, spaces.Box):
        env.close()
        raise RLKitError(
            f"explain attributes choices to Box observation features; {spec.id} observes {env.observation_space}"
        )
    states = visited_states(agent, env, episodes, seed)
    names = feature_names(env, states.shape[1])
    env.close()
    outputs = agent.policy_outputs(states)
    gradient_x_input, importance = attributions(agent, states, seed)

    fig, axes = plt.subplots(2, 2, figsize=(12, 8), constrained_layout=True)
    if "q" in outputs:
        q = outputs["q"]
        axes[0, 0].bar(range(q.shape[1]), q.mean(axis=0), yerr=q.std(axis=0), capsize=4, color="C0")
        axes[0, 0].set(
            title=f"action values Q(s, a) over {len(states)} visited states (mean, std)", xlabel="action", ylabel="Q"
        )
    elif "probs" in outputs:
        probs = outputs["probs"]
        axes[0, 0].bar(range(probs.shape[1]), probs.mean(axis=0), yerr=probs.std(axis=0), capsize=4, color="C0")
        axes[0, 0].set(
            title=f"action probabilities over {len(states)} visited states (mean, std)",
            xlabel="action",
            ylabel="probability",
        )
    else:
        for i, column in enumerate(outputs["mean"].T):
            axes[0, 0].hist(column, bins=30, alpha=0.6, label=f"action[{i}]")
        axes[0, 0].set(title=f"action means over {len(states)} visited states", xlabel="mean")
        axes[0, 0].legend(fontsize=8)
    axes[0, 1].hist(outputs["value"], bins=30, color="C1")
    axes[0, 1].set(
        title="value estimates V(s)" + (" = max Q(s, a)" if "q" in outputs else ""), xlabel="V(s)", ylabel="states"
    )
    order = np.argsort(gradient_x_input)
    axes[1, 0].barh([names[i] for i in order], gradient_x_input[order], color="C2")
    score = "Q(s, greedy action)" if "q" in outputs else "log pi(greedy action)"
    axes[1, 0].set(title=f"gradient x input of {score}")
    order = np.argsort(importance)
    axes[1, 1].barh([names[i] for i in order], importance[order], color="C3")
    label = "states whose greedy action changes" if agent.discrete else "mean change of the action"
    axes[1, 1].set(title=f"permutation importance\n({label})")
    fig.suptitle(f"{agent.name} on {spec.id}: what drives its choices ({episodes} greedy episodes)")
    fig.savefig(output, dpi=100)
    plt.close(fig)

    table = output.with_suffix(".csv")
    rows = ["feature,gradient_x_input,permutation_importance"]
    rows += [
        f"{n},{g:.6g},{p:.6g}"
        for n, g, p in sorted(zip(names, gradient_x_input, importance, strict=True), key=lambda r: -r[2])
    ]
    table.write_text("\n".join(rows) + "\n", encoding="utf-8")
    return [output, table]
