"""Bandit: the k-armed testbed of Sutton & Barto, chapter 2 (section 2.3).

There is one situation and `k` actions, the arms. Each arm a has a true value q*(a); pulling
it pays a reward drawn from N(q*(a), 1). In the stationary testbed the true values are drawn
from N(0, 1) when the problem is made (at reset); the best arm never changes. In the
non-stationary variant (exercise 2.5) all true values start equal (at 0) and each takes an independent
random walk, q*(a) += N(0, walk_std^2) after every step, so the best arm drifts.

An episode is one run of the testbed: one problem, ``max_episode_steps`` pulls (1000, as in
the book's figures), then a reset draws a new problem. The observation is always 0 (a
``Discrete(1)`` space: there is nothing to observe), so any agent for Discrete spaces runs
here; the bandit agents in ``rl_kit.agents.bandits`` are made for it. The native vector env steps
thousands of problems at once, which is how the book's curves, averaged over 2000 runs, are
made in a second. ``optimal_actions`` and ``true_values`` say what the best arm is (for
"% optimal action" plots); an agent is never shown them.
"""

from __future__ import annotations

import numpy as np
from gymnasium import spaces

from .batched import BatchedEnv, BatchedVectorEnv, Dynamics


class BanditDynamics(Dynamics):
    """Args: k arms; stationary (True: q* ~ N(value_mean, 1) per problem; False: random walks
    starting at value_mean); walk_std, the step of the random walk; reward_std, the noise of a
    reward around q*(a); value_mean, where the true values are centred (4 in Figure 2.5).

    A state row holds the k true values, then the last action and reward (for drawing).
    """

    title = "rl-kit Bandit"

    def __init__(
        self,
        k: int = 10,
        stationary: bool = True,
        walk_std: float = 0.01,
        reward_std: float = 1.0,
        value_mean: float = 0.0,
    ):
        if int(k) < 2:
            raise ValueError(f"a bandit needs k >= 2 arms, got {k}")
        if walk_std < 0 or reward_std < 0:
            raise ValueError(f"walk_std and reward_std must be >= 0, got {walk_std} and {reward_std}")
        self.k, self.stationary = int(k), bool(stationary)
        self.walk_std, self.reward_std, self.value_mean = float(walk_std), float(reward_std), float(value_mean)
        self.state_size = self.k + 2
        self.observation_space = spaces.Discrete(1)
        self.action_space = spaces.Discrete(self.k)
        self.action_names = tuple(f"arm {a}" for a in range(self.k))
        self.size = (max(60 * self.k, 360), 320)

    def initial_states(self, n, rng):
        states = np.zeros((n, self.state_size))
        states[:, : self.k] = self.value_mean
        if self.stationary:
            states[:, : self.k] += rng.standard_normal((n, self.k))
        states[:, self.k] = -1  # no action yet
        return states

    def step(self, states, actions, rng):
        n = len(states)
        rewards = states[np.arange(n), actions] + self.reward_std * rng.standard_normal(n)
        states = states.copy()
        states[:, self.k], states[:, self.k + 1] = actions, rewards
        if not self.stationary:
            states[:, : self.k] += self.walk_std * rng.standard_normal((n, self.k))
        return states, rewards, np.zeros(n, dtype=bool)

    def observations(self, states):
        return np.zeros(len(states), dtype=np.int64)

    def true_values(self, states) -> np.ndarray:
        return states[:, : self.k]

    def draw(self, surface, state):
        import pygame

        from .rendering import AGENT, BACKGROUND, TEXT, draw_text

        surface.fill(BACKGROUND)
        width, height = self.size
        column = width / self.k
        zero = height / 2 + 10  # q* = 0 here; 40 pixels per unit of value
        pygame.draw.line(surface, (90, 90, 100), (0, zero), (width, zero))
        last = int(state[self.k])
        best = int(np.argmax(state[: self.k]))
        for arm in range(self.k):
            value = float(np.clip(state[arm], -3.2, 3.2))
            top = zero - max(value, 0) * 40
            bar = pygame.Rect(
                int(arm * column + column * 0.2), int(top), int(column * 0.6), max(int(abs(value) * 40), 1)
            )
            color = (102, 187, 106) if arm == best else (120, 144, 156)
            pygame.draw.rect(surface, color, bar)
            if arm == last:
                pygame.draw.rect(surface, AGENT, bar.inflate(6, 6), 3)
            draw_text(surface, str(arm), (int((arm + 0.5) * column), height - 16), 18, TEXT, center=True)
        if last >= 0:
            reward = float(np.clip(state[self.k + 1], -4, 4))
            pygame.draw.circle(surface, AGENT, (int((last + 0.5) * column), int(zero - reward * 40)), 5)
            draw_text(surface, f"pulled arm {last}: reward {state[self.k + 1]:+.2f}", (6, 6), 20, TEXT)
        draw_text(surface, "bars: true values q*(a), green: the best arm", (6, 28), 16, TEXT)


class BanditEnv(BatchedEnv):
    __doc__ = __doc__
    dynamics_class = BanditDynamics
    dynamics: BanditDynamics
    metadata = {**BatchedEnv.metadata, "render_fps": 30}

    @property
    def true_values(self) -> np.ndarray:
        """q*(a) of the current problem (for plots and tests; not an observation)."""
        return self.dynamics.true_values(self.state)[0].copy()

    @property
    def optimal_action(self) -> int:
        return int(np.argmax(self.true_values))


class BanditVectorEnv(BatchedVectorEnv):
    """``num_envs`` independent bandit problems, stepped together."""

    dynamics_class = BanditDynamics
    dynamics: BanditDynamics
    metadata = {**BatchedVectorEnv.metadata, "render_fps": 30}

    @property
    def true_values(self) -> np.ndarray:
        """q*(a) of every problem, shape (num_envs, k)."""
        return self.dynamics.true_values(self.states).copy()

    @property
    def optimal_actions(self) -> np.ndarray:
        return np.argmax(self.dynamics.true_values(self.states), axis=1)
