"""What an agent believes, drawn: ``rl-kit explain RUN``.

- Tabular agents on our grid worlds: the learned state values as a heat map with the greedy
  actions as arrows, beside the optimal values and policy from ``P`` (value iteration), and
  their difference, in one PNG.
- Policy-gradient agents: over the states visited in a few greedy episodes, the action
  probabilities (or means), the value estimates, and which observation features drive the
  choice, by two measures: gradient x input (|d log pi(a*|s) / d s_j * s_j|, averaged; for a
  Gaussian policy, whose log-density is flat at its mode, the mean's |d mu / d s_j * s_j|) and
  permutation importance (how often the greedy action changes, or how far the mean moves,
  when feature j is shuffled across the states). Features are named where the env names
  them (``feature_names``). A PNG of charts and a CSV table.
- Off-policy continuous control (DDPG, TD3, SAC) with one action: the critic's Q(s, a) along the
  whole action range for a few of those states, the actor's greedy action marked on each curve
  beside the critic's best, so an actor that lags its critic, or a critic with many peaks, shows.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from rl_kit.core import registry
from rl_kit.core.backends import load_agent_and_env
from rl_kit.core.capabilities import CriticAgent, PolicyAgent, TableAgent
from rl_kit.core.spec import EnvConfig
from rl_kit.envs.labels import GYMNASIUM_FEATURE_NAMES, action_names, feature_names
from rl_kit.errors import RLKitError
from rl_kit.infrastructure.atomic_files import atomic_write
from rl_kit.infrastructure.budget import check_count


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
    if isinstance(agent, TableAgent):
        return explain_tabular(agent, env, output)
    if isinstance(agent, PolicyAgent):
        return explain_policy(agent, env, output, episodes=episodes, seed=seed)
    raise RLKitError(f"explain covers our tabular and policy-gradient agents, not {agent.name}")


def part_names(space, spec: EnvConfig) -> list[str]:
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


def explain_states(agent, spec: EnvConfig, output: Path) -> list[Path]:
    """A table agent on an env without a map (Blackjack-v1, Taxi-v4, ...): every state in its own
    terms with V and the greedy action (CSV), and heatmaps of both over the state's first two parts,
    one pair of panels per value of the others (Sutton & Barto's figure 5.2, for Blackjack)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    index = agent.state_index
    parts, names = agent_parts(index.space), part_names(index.space, spec)
    with spec.make() as env:
        actions_named = action_names(env)
    values, policy, q = agent.state_values(), agent.greedy_policy(), agent.action_values(np.arange(agent.n_states))
    grid = np.array(np.unravel_index(np.arange(agent.n_states), [size for _, size in parts])).T + [s for s, _ in parts]
    rows = [",".join([*names, "value", "greedy_action", *(f"q[{a}]" for a in range(q.shape[1])), "greedy_action_name"])]
    rows += [
        ",".join(
            [
                *(str(int(v)) for v in grid[i]),
                f"{values[i]:.6g}",
                str(int(policy[i])),
                *(f"{x:.6g}" for x in q[i]),
                actions_named[int(policy[i])],
            ]
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
    # States whose Q never moved from its initial 0 (never visited, or impossible: a player sum
    # of 2 in Blackjack) are left blank rather than drawn as a value and an action.
    untouched = np.all(q == 0, axis=1).reshape(size0, size1, -1)
    shaped_values = np.ma.masked_where(untouched, values.reshape(size0, size1, -1))
    shaped_policy = np.ma.masked_where(untouched, policy.reshape(size0, size1, -1))
    extent = (start1 - 0.5, start1 + size1 - 0.5, start0 - 0.5, start0 + size0 - 0.5)
    touched0, touched1 = np.nonzero(~untouched.all(axis=2))
    for ax in axes.ravel():  # zoom to the states the agent has values for
        if len(touched0):
            ax.set_xlim(start1 + touched1.min() - 0.5, start1 + touched1.max() + 0.5)
            ax.set_ylim(start0 + touched0.min() - 0.5, start0 + touched0.max() + 0.5)
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
        for a in np.unique(actions.compressed()):
            axes[row, 1].plot([], [], "s", color=plt.get_cmap("tab10")(int(a)), label=actions_named[int(a)])
        axes[row, 1].legend(fontsize=8, loc="upper right")
    fig.suptitle(f"{agent.name} on {spec.id}: what it believes, state by state (blank: Q still at its initial 0)")
    fig.savefig(output, dpi=100)
    plt.close(fig)
    return [output, table]


GRID_PANEL_PIXELS = (1200, 900)  # the largest picture of a map drawn into a panel
WIDE = 1.6  # maps this much wider than tall get their three panels stacked, one a row


def heat_colormap():
    """matplotlib's colour map of the grid painter's heat colours, for colour bars that match."""
    from matplotlib.colors import LinearSegmentedColormap

    from rl_kit.envs.rendering import VIRIDIS_ANCHORS

    return LinearSegmentedColormap.from_list("rl_kit_heat", VIRIDIS_ANCHORS / 255.0)


def grid_panels(n_panels: int, frame_size: tuple[int, int]):
    """A figure whose `n_panels` map panels fill it for any map shape: side by side for square
    and tall maps, stacked for wide ones (a 4x12 cliff), each with room for its colour bar."""
    import matplotlib.pyplot as plt

    width, height = frame_size
    aspect = width / height
    if aspect >= WIDE:
        figure_width = 13.0
        panel_height = figure_width * 0.9 / aspect + 0.6
        fig, axes = plt.subplots(
            n_panels, 1, figsize=(figure_width, panel_height * n_panels + 0.8), layout="constrained"
        )
    else:
        panel_width = 5.4
        figure_height = panel_width * 0.85 / aspect + 1.3
        fig, axes = plt.subplots(1, n_panels, figsize=(panel_width * n_panels, figure_height), layout="constrained")
    return fig, list(axes)


def explain_tabular(agent, spec: EnvConfig, output: Path) -> list[Path]:
    """A table agent on a grid world: learned V and greedy policy beside the optimum from ``P``
    (value iteration) on one colour scale, and V - V* on its own, each with its colour bar."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import pygame
    from matplotlib.cm import ScalarMappable
    from matplotlib.colors import Normalize

    from rl_kit.core.optimum import TabularReference
    from rl_kit.envs.grid_world import GridWorldEnv
    from rl_kit.envs.rendering import GridPainter, to_array

    env = spec.make(render_mode="rgb_array")
    grid = env.unwrapped
    if not isinstance(grid, GridWorldEnv):  # its map is drawn; other tabular envs get the table
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
    model = grid.model
    names = action_names(env)
    env.close()
    open_states = np.array([model.symbol(s) in ".S" for s in range(model.n_states)])
    differ = int(np.sum((learned_pi != optimal_pi) & open_states))
    shared = (
        float(min(learned_v[open_states].min(), optimal_v[open_states].min())),
        float(max(learned_v[open_states].max(), optimal_v[open_states].max())),
    )
    gap = learned_v - optimal_v
    gap_range = (float(gap[open_states].min()), float(gap[open_states].max()))
    if gap_range[1] - gap_range[0] < 1e-9:  # equal everywhere: a scale around the one value
        gap_range = (gap_range[0] - 0.5, gap_range[1] + 0.5)
    arrows = "arrows: greedy action (" + ", ".join(names) + ")"
    panels = [
        ("learned values V and greedy policy", learned_v, learned_pi, shared, "V(s)"),
        ("optimal values V* and policy (value iteration on P)", optimal_v, optimal_pi, shared, "V*(s)"),
        (f"V - V*: {differ} of {int(open_states.sum())} states act differently", gap, None, gap_range, "V(s) - V*(s)"),
    ]
    painter = GridPainter(model, GRID_PANEL_PIXELS)
    surface = pygame.Surface(painter.size)
    fig, axes = grid_panels(len(panels), painter.size)
    for ax, (title, values, actions, value_range, label) in zip(axes, panels, strict=True):
        painter.draw(surface, None, values=values, actions=actions, value_range=value_range)
        ax.imshow(to_array(surface))
        ax.set_title(title, fontsize=11)
        ax.axis("off")
        scale = ScalarMappable(Normalize(*value_range), heat_colormap())
        fig.colorbar(scale, ax=ax, label=label, fraction=0.05, pad=0.01)
    fig.suptitle(
        f"{agent.name} on {spec.id}: its greedy policy is worth {value:.4f}, the optimum {best:.4f} "
        f"(gamma {gamma})\n{arrows}",
        fontsize=12,
    )
    fig.savefig(output, dpi=100)
    plt.close(fig)
    return [output]


MAX_EPISODES, MAX_STATES = 1_000, 50_000  # attributions cost grows with the states explained


def visited_states(agent, env, episodes: int, seed: int) -> np.ndarray:
    """The states of `episodes` greedy episodes (at most :data:`MAX_STATES`)."""
    check_count("explain episodes", episodes, MAX_EPISODES)
    states: list[Any] = []
    for i in range(episodes):
        obs, _ = env.reset(seed=seed + i)
        done = len(states) >= MAX_STATES
        while not done:
            states.append(np.asarray(obs, dtype=np.float32))
            obs, _, terminated, truncated, _ = env.step(agent.act(np.asarray(obs)[None], explore=False)[0])
            done = terminated or truncated
    return np.array(states)


def attributions(agent, states: np.ndarray, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Mean |gradient x input| of the greedy action's score (log pi, the Gaussian's mean, or Q for DQN), and
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


def explain_policy(agent, spec: EnvConfig, output: Path, *, episodes: int, seed: int) -> list[Path]:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from gymnasium import spaces

    env = spec.make()
    from rl_kit.agents.networks import is_image

    if is_image(env.observation_space):
        return explain_images(agent, env, spec, output, episodes=episodes, seed=seed)
    if not isinstance(env.observation_space, spaces.Box):
        env.close()
        raise RLKitError(
            f"explain attributes choices to Box observation features; {spec.id} observes {env.observation_space}"
        )
    states = visited_states(agent, env, episodes, seed)
    names = feature_names(env, states.shape[1])
    actions_named = action_names(env)
    action_space = env.action_space
    env.close()
    outputs = agent.policy_outputs(states)
    gradient_x_input, importance = attributions(agent, states, seed)

    fig, axes = plt.subplots(2, 2, figsize=(12, 8), constrained_layout=True)
    if "q" in outputs:
        q = outputs["q"]
        axes[0, 0].bar(actions_named, q.mean(axis=0), yerr=q.std(axis=0), capsize=4, color="C0")
        axes[0, 0].set(
            title=f"action values Q(s, a) over {len(states)} visited states (mean, std)", xlabel="action", ylabel="Q"
        )
    elif "probs" in outputs:
        probs = outputs["probs"]
        where = np.arange(probs.shape[1])
        greedy_share = np.bincount(probs.argmax(axis=1), minlength=probs.shape[1]) / len(probs)
        axes[0, 0].bar(
            where - 0.2, probs.mean(axis=0), 0.4, yerr=probs.std(axis=0), capsize=4, label="pi(a|s), mean and std"
        )
        axes[0, 0].bar(where + 0.2, greedy_share, 0.4, color="C4", label="share of states where a is greedy")
        axes[0, 0].set_xticks(where, actions_named)
        axes[0, 0].set(
            title=f"the policy over {len(states)} visited states", xlabel="action", ylabel="probability, share"
        )
        axes[0, 0].legend(fontsize=8)
    elif isinstance(agent, CriticAgent) and isinstance(action_space, spaces.Box) and action_space.shape == (1,):
        draw_q_along_the_action(axes[0, 0], agent, states, action_space, actions_named[0])
    else:
        for i, column in enumerate(outputs["mean"].T):
            axes[0, 0].hist(column, bins=30, alpha=0.6, label=actions_named[i])
        axes[0, 0].set(title=f"action means over {len(states)} visited states", xlabel="mean", ylabel="states")
        axes[0, 0].legend(fontsize=8)
    axes[0, 1].hist(outputs["value"], bins=30, color="C1")
    if isinstance(agent, CriticAgent):
        axes[0, 1].set(title="the critic's Q(s, greedy action)", xlabel="Q", ylabel="states")
    else:
        axes[0, 1].set(
            title="value estimates V(s)" + (" = max Q(s, a)" if "q" in outputs else ""), xlabel="V(s)", ylabel="states"
        )
    order = np.argsort(gradient_x_input)
    axes[1, 0].barh([names[i] for i in order], gradient_x_input[order], color="C2")
    score = (
        "Q(s, greedy action)"
        if "q" in outputs
        else (
            "log pi(greedy action)"
            if agent.discrete
            else ("the greedy action" if isinstance(agent, CriticAgent) else "the action mean")
        )
    )
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


IMAGES_SHOWN = 4  # visited frames drawn with their saliency


def explain_images(agent, env, spec: EnvConfig, output: Path, *, episodes: int, seed: int) -> list[Path]:
    """Saliency over the pixels: |gradient x input| of the greedy action's score (Q for DQN, log pi
    for a categorical policy), drawn over a few visited frames and averaged over all of them, and
    summed per channel (which kind of object drives the choice). Writes the figure and a CSV."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from rl_kit.agents.networks import image_layout

    states = visited_states(agent, env, episodes, seed)
    channels, height, width, _ = image_layout(env.observation_space)
    names, actions_named = channel_names(env, channels), action_names(env)
    env.close()
    greedy = agent.act(states, explore=False)
    x, gradient = agent.choice_gradient(states)  # rows (N, C H W), channels first
    images = x.reshape(len(states), channels, height, width)
    saliency = np.abs(gradient * x).reshape(images.shape)
    per_channel = saliency.sum(axis=(2, 3)).mean(axis=0)
    maps = saliency.sum(axis=1)
    palette = plt.get_cmap("tab10")(np.arange(channels) % 10)[:, :3]

    def frame(index: int) -> np.ndarray:  # each channel in its color, the brightest where channels overlap
        return np.clip(np.einsum("chw,cr->hwr", images[index], palette), 0, 1)

    observer = getattr(env.unwrapped, "observer_pixel", None)  # an egocentric view's own cell

    def mark_observer(ax) -> None:
        if observer is not None:
            ax.plot(observer[1], observer[0], "o", ms=9, mfc="none", mec="white", mew=1.5)

    fig = plt.figure(figsize=(3 * IMAGES_SHOWN, 7), constrained_layout=True)
    # two rows laid out apart: the lower row's colour bar and labels would widen the frames' columns
    halves = fig.add_gridspec(2, 1)
    above, below = fig.add_subfigure(halves[0]), fig.add_subfigure(halves[1])
    shown = np.unique(np.linspace(0, len(states) - 1, IMAGES_SHOWN).astype(int))
    high = float(maps.max()) or 1.0
    for ax, index in zip(above.subplots(1, IMAGES_SHOWN, squeeze=False)[0], shown, strict=False):
        ax.imshow(frame(index), interpolation="nearest")
        ax.imshow(maps[index], cmap="hot", alpha=0.55, vmin=0, vmax=high, interpolation="nearest")
        mark_observer(ax)
        ax.set(title=f"state {index}: greedy {name_of(greedy[index], actions_named)}", xticks=[], yticks=[])
    for ax in above.axes[len(shown) :]:  # fewer visited states than frames shown
        ax.set_visible(False)
    mean_map, bars = below.subplots(1, 2)
    picture = mean_map.imshow(maps.mean(axis=0), cmap="hot", interpolation="nearest")
    mark_observer(mean_map)
    below.colorbar(picture, ax=mean_map, shrink=0.8)
    where = ",\nthe circle the agent's own cell" if observer is not None else ""
    mean_map.set(title=f"mean saliency over {len(states)} visited states{where}", xticks=[], yticks=[])
    order = np.argsort(per_channel)
    bars.barh([names[i] for i in order], per_channel[order], color=[palette[i] for i in order])
    score = "Q(s, greedy action)" if "q" in agent.policy_outputs(states[:1]) else "log pi(greedy action)"
    bars.set(title=f"gradient x input of {score}, per channel")
    fig.suptitle(f"{agent.name} on {spec}: which pixels drive its choices ({episodes} greedy episodes)")
    fig.savefig(output, dpi=100)
    plt.close(fig)
    table = output.with_suffix(".csv")
    rows = ["channel,gradient_x_input"] + [
        f"{n},{v:.6g}" for n, v in sorted(zip(names, per_channel, strict=True), key=lambda r: -r[1])
    ]
    table.write_text("\n".join(rows) + "\n", encoding="utf-8")
    return [output, table]


def channel_names(env, channels: int) -> list[str]:
    """An image env's channel names (MinAtar's objects, Catch's ball and paddle), per stacked frame
    where frames are stacked; else channel 0, 1, ..."""
    own = getattr(env.unwrapped, "channel_names", None)
    if own and channels % len(own) == 0:
        frames = channels // len(own)
        if frames == 1:
            return list(own)
        return [f"{name} (t-{frames - 1 - k})" for k in range(frames) for name in own]
    return [f"channel {c}" for c in range(channels)]


def name_of(action, names: list[str]) -> str:
    """A discrete action by its name; a continuous one by its values."""
    if np.ndim(action) == 0 and 0 <= int(action) < len(names):
        return names[int(action)]
    return np.array2string(np.asarray(action), precision=2)


Q_CURVES, Q_GRID = 6, 101  # states drawn, and actions along each curve


def draw_q_along_the_action(ax, agent, states: np.ndarray, space, action_name: str) -> None:
    """Q(s, a) - Q(s, mu(s)) over the action's range (mu the actor's greedy action) for up to
    :data:`Q_CURVES` states whose Q(s, mu(s)) spread evenly over its range (a balanced pendulum's
    thousand near-identical states count once), each curve with mu(s) at 0 (dot) and its
    maximum (cross): a cross above 0 is an action the critic prefers to the actor's."""
    greedy_all = agent.act(states, explore=False)
    value = agent.action_value_grid(states, greedy_all[:, None, :])[:, 0]
    targets = np.linspace(value.min(), value.max(), Q_CURVES)
    picked_index = np.unique([int(np.argmin(np.abs(value - target))) for target in targets])
    picked_index = picked_index[np.argsort(value[picked_index])]
    picked, greedy, base = states[picked_index], greedy_all[picked_index, 0], value[picked_index]
    grid = np.linspace(float(space.low[0]), float(space.high[0]), Q_GRID, dtype=np.float32)
    q = agent.action_value_grid(picked, np.broadcast_to(grid[None, :, None], (len(picked), Q_GRID, 1))) - base[:, None]
    for i, curve in enumerate(q):
        color = f"C{i}"
        ax.plot(grid, curve, color=color, lw=1.5, label=f"Q(s, mu(s)) = {base[i]:.3g}")
        ax.plot(greedy[i], 0.0, "o", color=color, ms=7)
        ax.plot(grid[curve.argmax()], curve.max(), "x", color=color, ms=8, mew=2)
    ax.axhline(0.0, color="0.6", lw=0.8)
    ax.set(
        title=f"the critic along the action: Q(s, a) - Q(s, mu(s)), {len(picked)} visited states\n"
        "(dot: the actor's greedy action mu(s); cross: the critic's best)",
        xlabel=action_name, ylabel="Q(s, a) - Q(s, mu(s))",
    )  # fmt: skip
    ax.legend(fontsize=7, ncol=2)
