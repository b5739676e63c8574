"""The exercises, in learning-path order: their unit cases, classic mistakes and learning checks.

Each exercise's reference solution is ``rl_kit/exercises/solutions/<name>.py``; a case gives a
function of it hand-made inputs (the reference's output is the expected value); a mistake is a
text edit of the solution that plants a classic error, whose output on the same inputs
identifies it in a learner's and names it in the hint.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from rl_kit.errors import unknown_name
from rl_kit.exercises import learning
from rl_kit.exercises.sources import Mistake


@dataclass(frozen=True)
class Case:
    """`function(*args)` on hand-made inputs; `hint` if it fails and no known mistake matches."""

    label: str
    function: str
    args: tuple
    hint: str = ""


@dataclass(frozen=True)
class GradientCheck:
    """d `loss`(*loss_args) / d loss_args[wrt], against `gradient`(*gradient_args)."""

    label: str
    loss: str
    gradient: str
    loss_args: Callable[[], tuple]
    gradient_args: Callable[[], tuple]
    wrt: int


@dataclass(frozen=True)
class Exercise:
    name: str
    chapter: str  # the learning path's chapter it belongs to
    summary: str
    cases: Callable[[], list[Case]]
    mistakes: tuple[Mistake, ...] = ()
    gradients: tuple[GradientCheck, ...] = ()
    learn: learning.LearningCheck | None = None
    extra: dict = field(default_factory=dict)

    @property
    def learning_label(self) -> str:
        return "learning" if self.learn is None else self.learn.label


f64 = lambda *values: np.array(values, dtype=np.float64)  # noqa: E731
flags = lambda *values: np.array(values, dtype=bool)  # noqa: E731


# --- bandit -------------------------------------------------------------------------------------
def bandit_cases() -> list[Case]:
    return [
        Case("the first reward of an arm becomes its estimate", "sample_average_update", (f64(0.0, 5.0), f64(0, 0), f64(2.0, -1.0))),
        Case("the fourth reward moves the mean by a quarter of the error", "sample_average_update",
             (f64(1.0, 2.0), f64(3, 3), f64(5.0, 2.0))),
        Case("three envs at once", "sample_average_update", (f64(0.5, -1.0, 3.0), f64(1, 7, 2), f64(1.5, 0.0, 0.0))),
        Case("constant step alpha 0.1", "constant_step_update", (f64(1.0, 0.0), f64(3.0, -2.0), 0.1)),
        Case("constant step alpha 1 replaces the estimate", "constant_step_update", (f64(1.0, 4.0), f64(3.0, -2.0), 1.0)),
    ]  # fmt: skip


BANDIT_MISTAKES = (
    Mistake("the old count", "the n-th reward gets the step 1/n with n counting this reward: divide by count + 1",
            "(reward - estimate) / new_count", "(reward - estimate) / (count + (count == 0))"),
    Mistake("the count not kept", "return the count including this reward (count + 1)",
            "return estimate + (reward - estimate) / new_count, new_count",
            "return estimate + (reward - estimate) / new_count, count"),
    Mistake("the reward, not the error", "the estimate moves by alpha times the error R - Q, not alpha times R",
            "return estimate + alpha * (reward - estimate)", "return estimate + alpha * reward"),
)  # fmt: skip


# --- dynamic programming ------------------------------------------------------------------------
def tiny_mdp():
    """Three states, two actions: state 2 is reached by action 1 from 1 and ends the episode."""
    R = f64(0.0, 1.0, -1.0, 2.0, 0.0, 0.0).reshape(3, 2)
    T = np.zeros((3, 2, 3))
    T[0, 0, 0], T[0, 0, 1] = 0.5, 0.5
    T[0, 1, 1] = 1.0
    T[1, 0, 0] = 1.0
    # T[1, 1] is all zero: a terminal move (its reward 2 is the last)
    return R, T


def policy_evaluation_cases() -> list[Case]:
    R, T = tiny_mdp()
    return [
        Case("one sweep from V = 0 is the policy's rewards", "expectation_backup", (R, T, np.zeros(3), np.array([0, 1, 0]), 0.9)),
        Case("one sweep from V = (1, 2, 3), gamma 0.9", "expectation_backup", (R, T, f64(1, 2, 3), np.array([1, 0, 0]), 0.9)),
        Case("a terminal move has no future", "expectation_backup", (R, T, f64(5, 5, 5), np.array([1, 1, 1]), 0.5)),
        Case("evaluate a policy to convergence, gamma 0.9", "evaluate_policy", (R, T, np.array([1, 1, 0]), 0.9)),
    ]  # fmt: skip


POLICY_EVALUATION_MISTAKES = (
    Mistake("the best action, not the policy's", "policy evaluation follows the policy's action pi(s); "
            "a max over actions is value iteration", "return R[states, policy] + gamma * T[states, policy] @ V",
            "return (R + gamma * T @ V).max(axis=1)"),
    Mistake("a discounted reward", "gamma discounts the future values, not the reward R of this step",
            "return R[states, policy] + gamma * T[states, policy] @ V",
            "return gamma * (R[states, policy] + T[states, policy] @ V)"),
    Mistake("one sweep only", "sweep until the largest change is below theta, not once",
            "if np.max(np.abs(new - V)) < theta:", "if True:"),
)  # fmt: skip


def value_iteration_cases() -> list[Case]:
    R, T = tiny_mdp()
    return [
        Case("Q from V = (1, 2, 3), gamma 0.9", "action_values", (R, T, f64(1, 2, 3), 0.9)),
        Case("one sweep from V = 0 takes the best reward", "optimality_backup", (R, T, np.zeros(3), 0.9)),
        Case("one sweep from V = (1, 2, 3)", "optimality_backup", (R, T, f64(1, 2, 3), 0.9)),
        Case("the greedy policy weighs reward and future", "greedy_policy", (R, T, f64(1, 0, 0), 0.9)),
        Case("ties go to the first best action", "greedy_policy", (np.zeros((3, 2)), np.zeros((3, 2, 3)), np.zeros(3), 0.9)),
    ]  # fmt: skip


VALUE_ITERATION_MISTAKES = (
    Mistake("no discount", "Q(s, a) = R[s, a] + gamma * sum_s' T[s, a, s'] V(s'): gamma weighs the future",
            "return R + gamma * T @ V", "return R + T @ V"),
    Mistake("the mean over actions", "the optimality backup takes the best action (max), not the average",
            "return action_values(R, T, V, gamma).max(axis=1)", "return action_values(R, T, V, gamma).mean(axis=1)"),
    Mistake("the future alone", "the greedy action weighs the reward R[s, a] too, not only the value of where it leads",
            "return action_values(R, T, V, gamma).argmax(axis=1)", "return (T @ V).argmax(axis=1)"),
)  # fmt: skip


# --- Monte Carlo --------------------------------------------------------------------------------
def monte_carlo_cases() -> list[Case]:
    return [
        Case("an episode that terminated, gamma 0.9", "discounted_returns", (f64(1, 0, 2), 0.9, 0.0)),
        Case("the last step's return is its reward", "discounted_returns", (f64(0, 0, 0, 5), 0.5, 0.0)),
        Case("a truncated episode starts from its tail", "discounted_returns", (f64(1, 1), 0.5, 4.0),
             "an episode cut by the time limit goes on after its last step: G_T is the tail value"),
        Case("one step", "discounted_returns", (f64(3), 0.99, 0.0)),
        Case("first visits of repeated pairs", "first_visits", ([0, 1, 0, 0, 2, 1], [1, 1, 1, 0, 1, 1])),
        Case("the same state with other actions is a new pair", "first_visits", ([4, 4, 4], [0, 1, 0])),
    ]  # fmt: skip


MONTE_CARLO_MISTAKES = (
    Mistake("the return accumulated forwards", "G_t = R_{t+1} + gamma G_{t+1} needs the returns after t: "
            "compute them backwards, from the last step", "for t in range(len(rewards) - 1, -1, -1):",
            "for t in range(len(rewards)):"),
    Mistake("the reward-to-go off by one", "G_t includes the reward R_{t+1} that followed step t: add it before "
            "storing G_t", "g = rewards[t] + gamma * g\n        returns[t] = g",
            "returns[t] = g\n        g = rewards[t] + gamma * g"),
    Mistake("a truncated episode treated as terminal", "an episode cut by the time limit did not end: start "
            "from its tail value, not 0", "g = tail", "g = 0.0"),
    Mistake("every visit counted", "first-visit MC updates a pair only at its first occurrence in the episode",
            "if pair not in seen:", "if True:"),
)  # fmt: skip


# --- TD targets ---------------------------------------------------------------------------------
def td_batch():
    """Four transitions: ordinary, terminal, truncated, and terminal and truncated at once."""
    rewards = f64(1.0, -1.0, 0.5, 2.0)
    next_q = np.array([[0.5, 2.0, 1.0], [3.0, 1.0, 1.0], [1.0, 1.0, 4.0], [2.0, 2.0, 0.0]])
    return rewards, next_q, flags(False, True, False, True), flags(False, False, True, True)


def q_learning_cases() -> list[Case]:
    rewards, next_q, terminated, truncated = td_batch()
    return [
        Case("an ordinary transition bootstraps from max Q(S', .)", "q_learning_target",
             (rewards[:1], next_q[:1], terminated[:1], truncated[:1], 0.9)),
        Case("a terminal S' has no future", "q_learning_target", (rewards[1:2], next_q[1:2], terminated[1:2], truncated[1:2], 0.9)),
        Case("a truncated episode still bootstraps", "q_learning_target",
             (rewards[2:3], next_q[2:3], terminated[2:3], truncated[2:3], 0.9)),
        Case("four envs at once", "q_learning_target", (rewards, next_q, terminated, truncated, 0.5)),
    ]  # fmt: skip


def td_mistakes(expression: str, future: str) -> tuple[Mistake, ...]:
    return (
        Mistake("no masking at terminal states", "a terminal S' has no future: the target is R alone",
                expression, expression.replace(f"np.where(terminated, 0.0, {future})", future)),
        Mistake("a truncated episode treated as terminal", "a time limit does not end the task: a truncated "
                "transition still bootstraps from S' (only terminated ones do not)", expression,
                expression.replace("np.where(terminated,", "np.where(terminated | truncated,")),
    )  # fmt: skip


Q_LEARNING_MISTAKES = (
    *td_mistakes("return rewards + gamma * np.where(terminated, 0.0, future)", "future"),
    Mistake("the mean, not the max", "Q-learning bootstraps from the best next action: max_a Q(S', a)",
            "future = next_q.max(axis=1)", "future = next_q.mean(axis=1)"),
)  # fmt: skip


def sarsa_cases() -> list[Case]:
    rewards, next_q, terminated, truncated = td_batch()
    taken = next_q[np.arange(4), [0, 1, 2, 2]]
    return [
        Case("an ordinary transition bootstraps from Q(S', A')", "sarsa_target",
             (rewards[:1], taken[:1], terminated[:1], truncated[:1], 0.9)),
        Case("a terminal S' has no future", "sarsa_target", (rewards[1:2], taken[1:2], terminated[1:2], truncated[1:2], 0.9)),
        Case("a truncated episode still bootstraps", "sarsa_target", (rewards[2:3], taken[2:3], terminated[2:3], truncated[2:3], 0.9)),
        Case("four envs at once", "sarsa_target", (rewards, taken, terminated, truncated, 0.5)),
    ]  # fmt: skip


SARSA_MISTAKES = td_mistakes("return rewards + gamma * np.where(terminated, 0.0, next_q_taken)", "next_q_taken")


def expected_sarsa_cases() -> list[Case]:
    rewards, next_q, terminated, truncated = td_batch()
    return [
        Case("probabilities of epsilon-greedy, epsilon 0.3", "epsilon_greedy_probabilities", (next_q[:1], 0.3)),
        Case("tied greedy actions share 1 - epsilon", "epsilon_greedy_probabilities", (next_q[3:], 0.3)),
        Case("an ordinary transition bootstraps from the expectation", "expected_sarsa_target",
             (rewards[:1], next_q[:1], 0.2, terminated[:1], truncated[:1], 0.9)),
        Case("a terminal S' has no future", "expected_sarsa_target",
             (rewards[1:2], next_q[1:2], 0.2, terminated[1:2], truncated[1:2], 0.9)),
        Case("a truncated episode still bootstraps", "expected_sarsa_target",
             (rewards[2:3], next_q[2:3], 0.2, terminated[2:3], truncated[2:3], 0.9)),
        Case("four envs at once, ties included", "expected_sarsa_target", (rewards, next_q, 0.2, terminated, truncated, 0.5)),
    ]  # fmt: skip


EXPECTED_SARSA_MISTAKES = (
    *td_mistakes("return rewards + gamma * np.where(terminated, 0.0, expected)", "expected"),
    Mistake("epsilon forgotten", "under epsilon-greedy every action has probability at least epsilon / A: "
            "the greedy one alone is Q-learning's target",
            "epsilon / q.shape[1] + (1.0 - epsilon) * greedy / greedy.sum(axis=1, keepdims=True)",
            "greedy / greedy.sum(axis=1, keepdims=True)"),
    Mistake("ties not shared", "greedy actions tied for the best share the probability 1 - epsilon",
            "(1.0 - epsilon) * greedy / greedy.sum(axis=1, keepdims=True)", "(1.0 - epsilon) * greedy"),
)  # fmt: skip


# --- DQN --------------------------------------------------------------------------------------
def dqn_cases() -> list[Case]:
    rewards, next_q, terminated, _ = td_batch()
    return [
        Case("targets bootstrap from max Q_target(s', .), not after a terminal s'", "dqn_targets",
             (rewards, next_q, terminated.astype(float), 0.9)),
        Case("the Huber loss, small and large errors", "huber_loss", (f64(0.5, 3.0, -2.0, 1.0), f64(0.0, 0.0, 0.5, 1.2))),
        Case("the Huber loss's gradient", "huber_loss_gradient", (f64(0.5, 3.0, -2.0, 1.0), f64(0.0, 0.0, 0.5, 1.2))),
        Case("no update within an interval", "time_to_update_target", (1001, 1004, 500)),
        Case("an update when a multiple is crossed", "time_to_update_target", (998, 1002, 500)),
        Case("an update when a multiple is reached", "time_to_update_target", (996, 1000, 500)),
    ]  # fmt: skip


def huber_args():
    return f64(0.5, 3.0, -2.0, 1.0, -0.2), f64(0.0, 0.0, 0.5, 1.2, 0.3)


DQN_MISTAKES = (
    Mistake("no masking at terminal states", "a terminal s' has no future: y = r alone",
            "rewards + gamma * (1.0 - terminated) * next_q_target.max(axis=1)",
            "rewards + gamma * next_q_target.max(axis=1)"),
    Mistake("the target network updated every step", "the target network is refreshed only when the steps "
            "cross a multiple of the interval; refreshed every step it moves with theta and the target never holds still",
            "return steps_after // interval > steps_before // interval", "return True"),
    Mistake("the squared error's gradient", "the Huber gradient is the error clipped to [-1, 1] (divided by n)",
            "return np.clip(q_taken - targets, -1.0, 1.0) / len(q_taken)", "return (q_taken - targets) / len(q_taken)"),
    Mistake("a sign error in the gradient", "dL/dQ = clip(Q - y, -1, 1) / n: the error is Q - y, not y - Q",
            "return np.clip(q_taken - targets, -1.0, 1.0) / len(q_taken)",
            "return np.clip(targets - q_taken, -1.0, 1.0) / len(q_taken)"),
)  # fmt: skip


# --- convolution ------------------------------------------------------------------------------
def conv_batch(shape, kernel, filters, seed):
    """Images (B, C, H, W), weights (F, C, kh, kw), biases (F,) and a dL/dy of the matching shape."""
    rng = np.random.default_rng(seed)
    x = rng.normal(size=shape)
    weight = rng.normal(size=(filters, shape[1], *kernel))
    return x, weight, rng.normal(size=filters), rng


def conv_probe(x, weight, stride, rng):
    out_h = (x.shape[2] - weight.shape[2]) // stride + 1
    out_w = (x.shape[3] - weight.shape[3]) // stride + 1
    return rng.normal(size=(x.shape[0], weight.shape[0], out_h, out_w))


def conv_case(label: str, function: str, shape, kernel, filters, stride, seed, hint: str = "") -> Case:
    x, weight, bias, rng = conv_batch(shape, kernel, filters, seed)
    d_out = conv_probe(x, weight, stride, rng)
    args = {
        "conv2d": (x, weight, bias, stride),
        "conv2d_weight_gradient": (x, weight, d_out, stride),
        "conv2d_bias_gradient": (d_out,),
        "conv2d_input_gradient": (x, weight, d_out, stride),
    }[function]
    return Case(label, function, args, hint)  # fmt: skip


# (B, C, H, W), (kh, kw), F, stride: overlapping fields (kernel 3, stride 2) along H, disjoint
# ones (kernel 2, stride 2) along W, and a last row (H = 8) that no field reads
STRIDED = ((2, 2, 8, 6), (3, 2), 3, 2)
OVERLAPPING = ((2, 2, 4, 5), (3, 2), 3, 1)


def convolution_cases() -> list[Case]:
    one = np.arange(9.0).reshape(1, 1, 3, 3)
    kernel = f64(1.0, 0.0, 0.0, -1.0).reshape(1, 1, 2, 2)
    return [
        Case("a 2x2 kernel on a 3x3 image, by hand: y = x[i, j] - x[i+1, j+1] + 0.5", "conv2d", (one, kernel, f64(0.5), 1)),
        conv_case("two channels, three filters, a 3x2 kernel, stride 1", "conv2d", *OVERLAPPING, seed=0),
        conv_case("stride 2, a last row no receptive field reads", "conv2d", *STRIDED, seed=1),
        conv_case("stride 1: every weight summed over every position", "conv2d_weight_gradient", *OVERLAPPING, seed=2),
        conv_case("stride 2", "conv2d_weight_gradient", *STRIDED, seed=3),
        conv_case("a batch of two, three filters", "conv2d_bias_gradient", *STRIDED, seed=4),
        conv_case("stride 1: overlapping receptive fields add up", "conv2d_input_gradient", *OVERLAPPING, seed=5),
        conv_case("stride 2: overlapping along the rows, disjoint along the columns, a last row unread",
                  "conv2d_input_gradient", *STRIDED, seed=6, hint="a pixel no receptive field reads has gradient 0"),
    ]  # fmt: skip


def probe_loss_args():
    x, weight, bias, rng = conv_batch(*STRIDED[:3], seed=7)
    return x, weight, bias, STRIDED[3], conv_probe(x, weight, STRIDED[3], rng)


def input_gradient_args():
    x, weight, _, _, probe = probe_loss_args()
    return x, weight, probe, STRIDED[3]


def bias_gradient_args():
    return (probe_loss_args()[4],)


CONVOLUTION_MISTAKES = (
    Mistake("the kernel flipped", "a deep-learning convolution is a cross-correlation: y[i, j] sums w[u, v] x[s i + u, "
            "s j + v] with the kernel as it is; flipped, it is signal processing's convolution, which torch's conv2d "
            "does not compute", 'y += np.einsum("nchw,fc->nfhw", seen, weight[:, :, u, v])',
            'y += np.einsum("nchw,fc->nfhw", seen, weight[:, :, kh - 1 - u, kw - 1 - v])'),
    Mistake("the stride ignored in the forward pass", "receptive field (i, j) starts at pixel (s i, s j): step "
            "through x by the stride", "seen = x[:, :, u : u + stride * out_h : stride, v : v + stride * out_w : stride]",
            "seen = x[:, :, u : u + out_h, v : v + out_w]"),
    Mistake("the stride ignored in the weight gradient", "dL/dw[f, c, u, v] pairs dL/dy[i, j] with the pixel that "
            "output read, x[s i + u, s j + v]: every s-th pixel from offset (u, v)",
            "under = x[:, :, u : u + stride * out_h : stride, v : v + stride * out_w : stride]",
            "under = x[:, :, u : u + out_h, v : v + out_w]"),
    Mistake("the bias gradient averaged", "a bias is shared by every position of every image: its gradient is "
            "the sum of dL/dy over the batch and the positions, not their mean",
            "return d_out.sum(axis=(0, 2, 3))", "return d_out.mean(axis=(0, 2, 3))"),
    Mistake("the kernel not flipped in the input gradient", "dL/dx is the full correlation of dL/dy with the "
            "kernel rotated by 180 degrees (and its channels transposed); spreading each output's gradient back "
            "over the pixels it read takes w[f, c, u, v] at offset (u, v), as the forward pass did. Yours pairs "
            "offset (u, v) with w[kh-1-u, kw-1-v]: the kernel is the wrong way round",
            'spread = np.einsum("nfhw,fc->nchw", d_out, weight[:, :, u, v])',
            'spread = np.einsum("nfhw,fc->nchw", d_out, weight[:, :, kh - 1 - u, kw - 1 - v])'),
    Mistake("the stride ignored in the input gradient", "output (i, j) read the pixels from (s i, s j) on: its "
            "gradient goes back there, onto every s-th pixel, not onto (i, j)",
            "d_x[:, :, u : u + stride * out_h : stride, v : v + stride * out_w : stride] += spread",
            "d_x[:, :, u : u + out_h, v : v + out_w] += spread"),
    Mistake("the input gradient overwritten, not accumulated", "a pixel read by several receptive fields (a "
            "kernel larger than the stride) gets the sum of their gradients: add into dL/dx (+=), do not "
            "overwrite it", "] += spread", "] = spread"),
)  # fmt: skip


# --- off-policy continuous control (DDPG, TD3, SAC) -------------------------------------------
def off_policy_cases() -> list[Case]:
    a = np.array([[0.5, -0.9], [0.0, 0.99], [-0.3, 0.2]])
    dq = np.array([[1.0, -2.0], [0.5, 3.0], [-1.5, 0.25]])
    rewards, terminated = f64(-1.0, 0.5, -2.0, 0.0), f64(0.0, 1.0, 0.0, 0.0)
    next_q = np.array([[-3.0, 1.0, -0.5, 2.0], [-2.0, 4.0, -1.5, 1.0]])
    log_prob = f64(0.7, -1.2, 2.0, 0.1)
    noise = np.array([[0.1, -0.8], [1.5, 0.05], [-0.02, -0.6]])
    log_std = np.array([[-0.5, 0.0], [0.3, -1.0], [0.0, 0.2]])
    squashed = np.tanh(np.array([[0.3, -1.2], [2.0, 0.1], [-0.4, 0.9]]))
    return [
        Case("the actor's gradient through the critic and the tanh", "deterministic_actor_gradient", (dq, a)),
        Case("the target action: noise clipped, then the bounds", "smoothed_target_action",
             (np.array([[0.9, -0.2], [0.0, -0.95], [0.4, 0.4]]), noise, 0.5)),
        Case("clipped double Q: the smaller target critic, no future after termination", "clipped_double_q_target",
             (rewards, next_q, terminated, 0.9)),
        Case("SAC's soft target", "soft_target", (rewards, next_q, log_prob, terminated, 0.9, 0.2)),
        Case("the tanh-Gaussian log-probability", "squashed_gaussian_log_prob", (noise, log_std, squashed)),
    ]  # fmt: skip


def actor_objective_args():
    rng = np.random.default_rng(5)
    return rng.normal(size=(4, 2)), rng.normal(size=(4, 2))


def actor_gradient_args():
    u, dq_da = actor_objective_args()
    return dq_da, np.tanh(u)


OFF_POLICY_MISTAKES = (
    Mistake("no clip of the smoothing noise", "TD3 clips the target noise to +-noise_clip before adding it: a rare "
            "large draw would otherwise make y the value of an arbitrary action",
            "np.clip(noise, -noise_clip, noise_clip)", "noise"),
    Mistake("bootstrapping through a terminated step", "a terminated s' has no future: y = r alone there "
            "(a truncated one still bootstraps)",
            "rewards + gamma * (1.0 - terminated) * next_q.min(axis=0)\n", "rewards + gamma * next_q.min(axis=0)\n"),
    Mistake("the larger of the twin critics", "clipped double Q takes the smaller target critic: the larger keeps "
            "DDPG's overestimation", "return rewards + gamma * (1.0 - terminated) * next_q.min(axis=0)\n",
            "return rewards + gamma * (1.0 - terminated) * next_q.max(axis=0)\n"),
    Mistake("the entropy sign flipped", "the soft value is min Q - alpha log pi: the entropy -log pi is a bonus",
            "(next_q.min(axis=0) - alpha * next_log_prob)", "(next_q.min(axis=0) + alpha * next_log_prob)"),
    Mistake("the tanh correction forgotten", "a = tanh(u) changes the density: subtract sum_j log(1 - a_j^2 + 1e-6)",
            "return gaussian - np.log(1.0 - actions**2 + 1e-6).sum(axis=1)", "return gaussian"),
    Mistake("the tanh's slope forgotten", "a = tanh(u): the chain rule multiplies dQ/da by da/du = 1 - a^2",
            "return -dq_da * (1.0 - actions**2) / len(actions)", "return -dq_da / len(actions)"),
    Mistake("the actor climbs the wrong way", "L = -Q: dL/du = -(1/B) dQ/da (1 - a^2); without the minus the "
            "actor descends the critic", "return -dq_da * (1.0 - actions**2) / len(actions)",
            "return dq_da * (1.0 - actions**2) / len(actions)"),
)  # fmt: skip


# --- REINFORCE ----------------------------------------------------------------------------------
def reinforce_cases() -> list[Case]:
    return [
        Case("one episode, gamma 0.9", "rewards_to_go", (f64(1, 0, 2), flags(False, False, True), 0.9)),
        Case("two episodes in one rollout: the second starts afresh", "rewards_to_go",
             (f64(1, 2, 3, 4), flags(False, True, False, False), 0.5)),
        Case("the loss", "reinforce_loss", (f64(-0.1, -2.0, -0.7), f64(3.0, -1.0, 0.5))),
        Case("the gradient", "reinforce_loss_gradient", (f64(-0.1, -2.0, -0.7), f64(3.0, -1.0, 0.5))),
    ]  # fmt: skip


REINFORCE_MISTAKES = (
    Mistake("the return accumulated forwards", "G_t depends on the rewards after t: compute backwards",
            "for t in range(len(rewards) - 1, -1, -1):", "for t in range(len(rewards)):"),
    Mistake("the reward-to-go off by one", "G_t includes r_t, the reward of step t itself: add it before storing",
            "g = rewards[t] + gamma * (0.0 if dones[t] else g)\n        returns[t] = g",
            "returns[t] = g\n        g = rewards[t] + gamma * (0.0 if dones[t] else g)"),
    Mistake("not reset at episode ends", "where an episode ended, the next episode's rewards are not its future",
            "g = rewards[t] + gamma * (0.0 if dones[t] else g)", "g = rewards[t] + gamma * g"),
    Mistake("the loss's sign", "the loss to minimise is - mean(log pi * G): descending it raises the return",
            "return -np.mean(log_prob * weights)", "return np.mean(log_prob * weights)"),
    Mistake("a sign error in the gradient", "dL/dlog pi_i = - G_i / n, with the minus of the loss",
            "return -np.asarray(weights, dtype=np.float64) / len(log_prob)",
            "return np.asarray(weights, dtype=np.float64) / len(log_prob)"),
)  # fmt: skip


def reinforce_gradient_args():
    return f64(-0.1, -2.0, -0.7, -1.3), f64(3.0, -1.0, 0.5, 2.0)


# --- GAE ----------------------------------------------------------------------------------------
def gae_rollout():
    """Three steps of two envs; env 1's episode ends at step 1 and a new one begins."""
    rewards = f64(1.0, 0.5, 0.0, 1.0, 2.0, -1.0).reshape(3, 2)
    values = f64(0.5, 1.0, 0.2, 0.3, 0.1, 0.8).reshape(3, 2)
    dones = f64(0, 0, 0, 1, 0, 0).reshape(3, 2)
    return rewards, values, dones, f64(0.4, 0.6)


def gae_cases() -> list[Case]:
    rewards, values, dones, next_values = gae_rollout()
    return [
        Case("lambda 0: the one-step TD errors", "generalized_advantages", (rewards, values, dones, next_values, 0.9, 0.0)),
        Case("lambda 1: Monte Carlo returns minus V", "generalized_advantages", (rewards, values, dones, next_values, 0.9, 1.0)),
        Case("lambda 0.95, gamma 0.99, an episode ends mid-rollout", "generalized_advantages",
             (rewards, values, dones, next_values, 0.99, 0.95)),
        Case("lambda 0.5, gamma 0.5", "generalized_advantages", (rewards, values, dones, next_values, 0.5, 0.5)),
    ]  # fmt: skip


GAE_MISTAKES = (
    Mistake("not reset at episode ends", "where an episode ended (done), the next episode's advantages must not "
            "flow back into it: multiply the running sum by (1 - done)",
            "last = delta + gamma * lam * continues * last", "last = delta + gamma * lam * last"),
    Mistake("lambda in the TD error", "lambda weighs the running sum of TD errors; the TD error itself is "
            "r + gamma V(s') (1 - d) - V(s)", "delta = rewards[t] + gamma * following * continues - values[t]",
            "delta = rewards[t] + gamma * lam * following * continues - values[t]"),
    Mistake("gamma missing from the recursion", "A_t = delta_t + gamma * lambda * (1 - d_t) * A_{t+1}: both gamma "
            "and lambda discount the later errors", "last = delta + gamma * lam * continues * last",
            "last = delta + lam * continues * last"),
    Mistake("returns without the values", "the critic's target is the advantage plus V(s_t)",
            "return advantages, advantages + values", "return advantages, advantages"),
)  # fmt: skip


# --- PPO ----------------------------------------------------------------------------------------
def ppo_inputs():
    """Ratios inside the clip, above and below it, with positive and negative advantages."""
    old = f64(-1.0, -1.0, -1.0, -1.0, -1.0, -1.0)
    log_prob = old + np.log(f64(1.05, 1.5, 0.6, 1.5, 0.6, 0.9))
    advantages = f64(1.0, 2.0, 1.5, -1.0, -0.5, -2.0)
    return log_prob, old, advantages, 0.2


def ppo_cases() -> list[Case]:
    log_prob, old, advantages, clip = ppo_inputs()
    return [
        Case("inside the clip, the plain ratio", "clipped_surrogate_loss", (log_prob[:1], old[:1], advantages[:1], clip)),
        Case("A > 0 beyond 1 + eps is clipped", "clipped_surrogate_loss", (log_prob[1:2], old[1:2], advantages[1:2], clip)),
        Case("A < 0 below 1 - eps is clipped", "clipped_surrogate_loss", (log_prob[4:5], old[4:5], advantages[4:5], clip)),
        Case("A < 0 beyond 1 + eps is not (the minimum keeps the worse)", "clipped_surrogate_loss",
             (log_prob[3:4], old[3:4], advantages[3:4], clip)),
        Case("all six", "clipped_surrogate_loss", (log_prob, old, advantages, clip)),
        Case("the gradient on all six", "clipped_surrogate_gradient", (log_prob, old, advantages, clip)),
    ]  # fmt: skip


PPO_MISTAKES = (
    Mistake("no minimum", "PPO takes the minimum of the unclipped and the clipped term, a pessimistic bound; "
            "the clipped term alone rewards pushing a bad action's ratio up",
            "return -np.minimum(ratio * advantages, np.clip(ratio, 1 - clip, 1 + clip) * advantages).mean()",
            "return -(np.clip(ratio, 1 - clip, 1 + clip) * advantages).mean()"),
    Mistake("the clip on the wrong side", "min, not max: the clip may only remove an incentive (above 1 + eps "
            "for A > 0, below 1 - eps for A < 0), never add one",
            "return -np.minimum(ratio * advantages, np.clip(ratio, 1 - clip, 1 + clip) * advantages).mean()",
            "return -np.maximum(ratio * advantages, np.clip(ratio, 1 - clip, 1 + clip) * advantages).mean()"),
    Mistake("a sign error in the gradient", "L has a minus in front: dL/dlog pi = - rho A / n where the "
            "gradient flows", "return -np.where(flows, unclipped, 0.0) / len(log_prob)",
            "return np.where(flows, unclipped, 0.0) / len(log_prob)"),
    Mistake("d rho / d log pi forgotten", "d rho / d log pi = rho: the gradient of rho A is rho A, not A",
            "return -np.where(flows, unclipped, 0.0) / len(log_prob)",
            "return -np.where(flows, advantages, 0.0) / len(log_prob)"),
    Mistake("gradient through the clipped term", "where the clipped term is the minimum it is constant in "
            "log pi: no gradient flows there", "flows = (unclipped < clipped) | ((ratio >= 1 - clip) & (ratio <= 1 + clip))",
            "flows = np.ones(len(ratio), dtype=bool)"),
)  # fmt: skip


# Cliff Walking budgets from rl-kit's own learning tests (tests/test_learning.py).
CLIFF = "rl_kit/CliffWalking-v0"

EXERCISE_LIST = (
    Exercise("bandit", "01-bandits", "the sample-average and constant-step estimates of an arm's value",
             bandit_cases, BANDIT_MISTAKES, learn=learning.bandit_testbed),
    Exercise("policy_evaluation", "02-dynamic-programming", "the Bellman expectation backup, swept to V^pi",
             policy_evaluation_cases, POLICY_EVALUATION_MISTAKES, learn=learning.policy_evaluation_check),
    Exercise("value_iteration", "02-dynamic-programming", "the Bellman optimality backup and the greedy policy",
             value_iteration_cases, VALUE_ITERATION_MISTAKES, learn=learning.value_iteration_check),
    Exercise("monte_carlo", "03-monte-carlo", "an episode's discounted returns and first visits, for MC control",
             monte_carlo_cases, MONTE_CARLO_MISTAKES,
             learn=learning.tabular_control("monte_carlo", "rl_kit/GridWorld-v0", 200_000, 16,
                                            {"alpha": 0.0, "epsilon": 0.1})),
    Exercise("sarsa", "04-td-learning", "SARSA's target, terminal and truncated transitions apart",
             sarsa_cases, SARSA_MISTAKES,
             learn=learning.tabular_control("sarsa", CLIFF, 50_000, 8, {"alpha": 0.5, "epsilon": 0.0})),
    Exercise("q_learning", "04-td-learning", "Q-learning's target, terminal and truncated transitions apart",
             q_learning_cases, Q_LEARNING_MISTAKES,
             learn=learning.tabular_control("q_learning", CLIFF, 60_000, 8,
                                            {"alpha": 0.5, "epsilon": "linear(1.0, 0.0, 50000)"})),
    Exercise("expected_sarsa", "04-td-learning", "the epsilon-greedy expectation in Expected SARSA's target",
             expected_sarsa_cases, EXPECTED_SARSA_MISTAKES,
             learn=learning.tabular_control("expected_sarsa", CLIFF, 50_000, 8, {"alpha": 0.5, "epsilon": 0.0})),
    Exercise("dqn", "06-dqn", "DQN's targets, the Huber loss and its gradient, the target network's schedule",
             dqn_cases, DQN_MISTAKES,
             (GradientCheck("Huber, errors on both sides of 1", "huber_loss", "huber_loss_gradient", huber_args,
                            huber_args, 0),),
             learn=learning.network_control("dqn", seed=1, target=150.0, best=True)),
    Exercise("convolution", "07-from-pixels", "a convolution's forward pass and its weight, bias and input "
             "gradients, by hand", convolution_cases, CONVOLUTION_MISTAKES,
             (GradientCheck("input, stride 2, overlapping fields", "probe_loss", "conv2d_input_gradient",
                            probe_loss_args, input_gradient_args, 0),
              GradientCheck("weights, stride 2", "probe_loss", "conv2d_weight_gradient", probe_loss_args,
                            input_gradient_args, 1),
              GradientCheck("biases", "probe_loss", "conv2d_bias_gradient", probe_loss_args, bias_gradient_args, 2)),
             learn=learning.network_control("dqn", "rl_kit/Catch-v0", target=8.0, best=True,
                                            env_kwargs={"observation": "pixels"})),
    Exercise("reinforce", "08-reinforce", "the reward-to-go, the REINFORCE loss and its gradient by hand",
             reinforce_cases, REINFORCE_MISTAKES,
             (GradientCheck("returns of both signs", "reinforce_loss", "reinforce_loss_gradient",
                            reinforce_gradient_args, reinforce_gradient_args, 0),),
             learn=learning.network_control("reinforce", target=400.0, best=True)),
    Exercise("gae", "09-actor-critic", "generalized advantage estimation over a rollout of several envs",
             gae_cases, GAE_MISTAKES, learn=learning.network_control("ppo")),
    Exercise("ppo", "10-ppo", "the clipped surrogate objective and its gradient by hand",
             ppo_cases, PPO_MISTAKES,
             (GradientCheck("ratios on both sides of the clip, advantages of both signs", "clipped_surrogate_loss",
                            "clipped_surrogate_gradient", ppo_inputs, ppo_inputs, 0),),
             learn=learning.network_control("ppo")),
    Exercise("off_policy", "11-off-policy-control", "DDPG's actor gradient through the critic, TD3's target, "
             "SAC's soft target and the tanh-Gaussian log-probability", off_policy_cases, OFF_POLICY_MISTAKES,
             (GradientCheck("a critic linear in the action", "actor_objective_of_a_linear_critic",
                            "deterministic_actor_gradient", actor_objective_args, actor_gradient_args, 0),),
             learn=learning.network_control("td3", "Pendulum-v1", target=-400.0, best=True)),
)  # fmt: skip
EXERCISES = {exercise.name: exercise for exercise in EXERCISE_LIST}


def exercise_named(name: str) -> Exercise:
    if name not in EXERCISES:
        raise unknown_name("exercise", name, EXERCISES)
    return EXERCISES[name]
