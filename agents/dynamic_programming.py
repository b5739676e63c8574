"""Dynamic programming over a known model ``P`` (Sutton & Barto 2018, chapter 4).

``P[s][a] = [(prob, next_state, reward, terminated), ...]`` is the table Gymnasium's toy-text
envs publish. It is turned once into dense arrays:

    R[s, a]      = sum_k prob_k * reward_k                     (expected reward)
    T[s, a, s']  = sum_k prob_k * [next_k = s'] * (1 - terminated_k)   (continuation)

so that ``Q = R + gamma * T V``. Values are of the infinite-horizon discounted return: a
time limit on the env is not part of the model.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class TabularModel:
    """Expected rewards ``R`` (S, A) and continuation probabilities ``T`` (S, A, S)."""

    R: np.ndarray
    T: np.ndarray

    @classmethod
    def from_P(cls, P: dict) -> TabularModel:
        n_states = len(P)
        n_actions = len(P[0])
        R = np.zeros((n_states, n_actions))
        T = np.zeros((n_states, n_actions, n_states))
        for s in range(n_states):
            for a in range(n_actions):
                for prob, next_state, reward, terminated in P[s][a]:
                    R[s, a] += prob * reward
                    if not terminated:
                        T[s, a, next_state] += prob
        return cls(R, T)

    def q_values(self, v: np.ndarray, gamma: float) -> np.ndarray:
        return self.R + gamma * self.T @ v


def value_iteration(model: TabularModel, gamma: float, tol: float = 1e-10, max_iterations: int = 100_000) -> np.ndarray:
    """Optimal state values V*: iterate V <- max_a [R + gamma T V] until it moves less than tol."""
    v = np.zeros(model.R.shape[0])
    for _ in range(max_iterations):
        v_new = model.q_values(v, gamma).max(axis=1)
        if np.max(np.abs(v_new - v)) < tol:
            return v_new
        v = v_new
    raise RuntimeError(f"value iteration did not converge in {max_iterations} iterations (gamma={gamma})")


def policy_evaluation(model: TabularModel, policy: np.ndarray, gamma: float) -> np.ndarray:
    """Exact V^pi of a deterministic policy: solve (I - gamma T_pi) V = R_pi.

    With gamma = 1 a policy that never ends an episode from some state has no finite value;
    that raises a ValueError.
    """
    states = np.arange(model.R.shape[0])
    policy = np.asarray(policy, dtype=np.int64)
    r_pi, t_pi = model.R[states, policy], model.T[states, policy]
    try:
        return np.linalg.solve(np.eye(len(states)) - gamma * t_pi, r_pi)
    except np.linalg.LinAlgError:
        raise ValueError(
            f"the policy has no finite value with gamma={gamma}: it never ends an episode from some state"
        ) from None


def policy_iteration(
    model: TabularModel, gamma: float, max_iterations: int = 10_000
) -> tuple[np.ndarray, np.ndarray, int]:
    """pi* by policy iteration: (V^pi*, pi*, the number of evaluate-improve rounds).

    Starts from the policy greedy for one-step rewards (an arbitrary start that, unlike
    "always action 0", rarely gets stuck in a loop that never ends an episode). An improvement
    keeps the current action wherever it is among the best, so the loop stops instead of
    switching between equally good actions forever.
    """
    policy = model.R.argmax(axis=1)
    states = np.arange(model.R.shape[0])
    for iteration in range(1, max_iterations + 1):
        v = policy_evaluation(model, policy, gamma)
        q = model.q_values(v, gamma)
        best = q.max(axis=1)
        keep = q[states, policy] >= best - 1e-12 * np.maximum(1.0, np.abs(best))
        improved = np.where(keep, policy, q.argmax(axis=1))
        if np.array_equal(improved, policy):
            return v, policy, iteration
        policy = improved
    raise RuntimeError(f"policy iteration did not stop in {max_iterations} iterations (gamma={gamma})")
