"""SARSA: on-policy TD control (Rummery & Niranjan 1994; Sutton & Barto 2018, section 6.4).

    Q(S, A) <- Q(S, A) + alpha * [ R + gamma * Q(S', A') - Q(S, A) ]

A' is the action the epsilon-greedy policy will really take in S'. So ``observe`` chooses A'
right away and ``act`` plays that same A' at the next step: the quintuple
(S, A, R, S', A') that names the method. Where an episode ended, the next observation is a
new episode's first, which ``act`` recognises and answers with a fresh choice.
"""

from __future__ import annotations

import numpy as np

from .base import Transitions
from .tabular import TabularAgent


class Sarsa(TabularAgent):
    """Tabular SARSA; see :class:`rl_kit.agents.tabular.TabularAgent` for the arguments."""

    name = "sarsa"

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._next_obs: np.ndarray | None = None  # S' (its index) of the last batch, where it continues
        self._next_action: np.ndarray | None = None  # A' chosen for it

    def td_target(self, t: Transitions, gamma: float) -> np.ndarray:
        next_obs = self.state_index(t.next_obs)
        next_action = self.epsilon_greedy(self.q[next_obs])
        ended = np.asarray(t.terminated) | np.asarray(t.truncated)
        self._next_obs = np.where(ended, -1, next_obs)  # -1 never matches a state
        self._next_action = next_action
        return t.reward + gamma * self.continues(t) * self.q[next_obs, next_action]

    def training_state(self):
        arrays, rest = super().training_state()
        if self._next_obs is not None and self._next_action is not None:  # the A' already chosen for the next step
            arrays = {**arrays, "next_obs": self._next_obs, "next_action": self._next_action}
        return arrays, rest

    def load_training_state(self, arrays, rest) -> None:
        super().load_training_state({k: v for k, v in arrays.items() if not k.startswith("next_")}, rest)
        if "next_obs" in arrays:
            self._next_obs, self._next_action = np.array(arrays["next_obs"]), np.array(arrays["next_action"])

    def act(self, obs, *, explore: bool = True) -> np.ndarray:
        actions = super().act(obs, explore=explore)
        states = self.state_index(obs)
        chosen_obs, chosen_action = self._next_obs, self._next_action
        if explore and chosen_obs is not None and chosen_action is not None and chosen_obs.shape == states.shape:
            actions = np.where(chosen_obs == states, chosen_action, actions)
        return actions
