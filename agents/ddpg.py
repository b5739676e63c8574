"""Deep Deterministic Policy Gradient (Lillicrap et al. 2016), on the deterministic policy
gradient theorem (Silver et al. 2014).

A deterministic actor a = mu_theta(s) in [-1, 1]^n and a critic Q_phi(s, a) learn off-policy
from a replay buffer (:mod:`rl_kit.agents.off_policy`). For a minibatch of B transitions:

**Critic**: regress Q_phi on the one-step target of the *target* networks (phi', theta'),
held fixed:

    y_i = r_i + gamma (1 - terminated_i) Q_phi'(s'_i, mu_theta'(s'_i))
    L(phi) = 1/B sum_i (Q_phi(s_i, a_i) - y_i)^2,     dL/dQ_phi(s_i, a_i) = 2 (Q_phi(s_i, a_i) - y_i) / B

**Actor**: climb the critic. The deterministic policy gradient is

    J(theta) = 1/B sum_i Q_phi(s_i, mu_theta(s_i))
    dJ/dtheta = 1/B sum_i dQ_phi/da (s_i, a)|_{a = mu_theta(s_i)} * dmu_theta(s_i)/dtheta

a product of two backward passes written by hand: the critic's, down to its action input
(without touching phi), and the actor's, from the action up to theta (tanh's slope 1 - a^2
first; :mod:`rl_kit.agents.off_policy_networks`). We descend on -J.

**Targets** follow slowly, by Polyak averaging after each actor update:
phi' <- tau phi + (1 - tau) phi', theta' <- tau theta + (1 - tau) theta'. A target that moved
with phi at every step would chase itself.

**Exploration**: the actor is deterministic, so noise is added to its action, clipped to the
bounds: Gaussian, N(0, sigma^2) at each step, or Ornstein-Uhlenbeck (temporally correlated,
as the paper used: x <- x + theta (0 - x) dt + sigma sqrt(dt) N(0, 1), theta 0.15, dt 0.01,
reset when an episode ends).

Why it overestimates: the actor seeks the actions where the critic's error is largest and
positive, and the target bootstraps from those very actions. TD3 (:mod:`rl_kit.agents.td3`)
fixes this with three changes that are hyperparameters here, at their DDPG values:
``n_critics`` 1 (TD3: 2, the target takes the smaller), ``target_policy_noise`` 0 (TD3: 0.2,
clipped to ``target_noise_clip``) and ``policy_delay`` 1 (TD3: 2). So both agents run this one
update, as stable-baselines3 runs them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

import numpy as np

from .hyperparameters import AT_LEAST_ONE, NON_NEGATIVE, Interval
from .networks import Network
from .off_policy import SATURATED, OffPolicyAgent, OffPolicyHyperparameters
from .off_policy_networks import DeterministicActor, td_loss
from .search_space import Choice, SearchSpace

ACTION_NOISES = ("normal", "ornstein-uhlenbeck", "none")
OU_THETA, OU_DT = 0.15, 1e-2  # stable-baselines3's OrnsteinUhlenbeckActionNoise


@dataclass(frozen=True)
class DDPGHyperparameters(OffPolicyHyperparameters):
    """DDPG's hyperparameters: stable-baselines3's defaults, exploration noise as the RL Zoo's.

    Attributes (besides :class:`rl_kit.agents.off_policy.OffPolicyHyperparameters`'):
        action_noise: "normal", "ornstein-uhlenbeck" or "none".
        action_noise_std: the noise's sigma, in the [-1, 1] scale of the actions.
        n_critics: critics; the target takes the smallest of their values (TD3: 2).
        policy_delay: critic updates per actor and target update (TD3: 2).
        target_policy_noise: sigma of the Gaussian noise on the target action (TD3: 0.2).
        target_noise_clip: that noise is clipped to +-this.
    """

    action_noise: str = "normal"
    action_noise_std: float = 0.1
    n_critics: int = 1
    policy_delay: int = 1
    target_policy_noise: float = 0.0
    target_noise_clip: float = 0.5

    search_space: ClassVar[SearchSpace] = {
        **OffPolicyHyperparameters.search_space,
        "action_noise_std": Choice(0.05, 0.1, 0.2, 0.5),
    }
    limits: ClassVar[dict[str, Interval]] = {
        **OffPolicyHyperparameters.limits,
        "action_noise_std": NON_NEGATIVE,
        "n_critics": AT_LEAST_ONE,
        "policy_delay": AT_LEAST_ONE,
        "target_policy_noise": NON_NEGATIVE,
        "target_noise_clip": NON_NEGATIVE,
    }

    def __post_init__(self) -> None:
        super().__post_init__()
        if self.action_noise not in ACTION_NOISES:
            raise ValueError(f"action_noise must be one of {list(ACTION_NOISES)}, got {self.action_noise!r}")


class DDPG(OffPolicyAgent):
    """DDPG for Box actions, on Box-vector or finite observations; see the module's docstring.

    Args:
        observation_space: a Box vector or a finite space (one-hot encoded).
        action_space: a Box vector with finite bounds.
        seed: seeds the networks, the exploration and the replay sampling.
        **hyperparameters: fields of :class:`DDPGHyperparameters`.
    """

    name = "ddpg"
    Hyperparameters = DDPGHyperparameters
    actor: DeterministicActor
    hyperparameters: DDPGHyperparameters

    def build(self, seed: int) -> None:
        n_critics = self.hyperparameters.n_critics
        new_actor, new_critics = self.network_factories(DeterministicActor, seed)
        self.actor, self.actor_target = new_actor(), new_actor()
        self.critics, self.critics_target = new_critics(n_critics), new_critics(n_critics)
        self.noise_state = np.zeros((0, self.n_actions), dtype=np.float64)  # Ornstein-Uhlenbeck's x, one row per env

    def networks(self) -> dict[str, Network]:
        return {"actor": self.actor, "actor_target": self.actor_target, "critic": self.critics,
                "critic_target": self.critics_target}  # fmt: skip

    # --- acting -------------------------------------------------------------------------------
    def policy(self, x: np.ndarray, explore: bool) -> np.ndarray:
        actions = self.actor.forward(x)
        hp = self.hyperparameters
        if not explore or hp.action_noise == "none":
            return actions
        sigma = hp.action_noise_std
        if hp.action_noise == "normal":
            noise = self.rng.normal(0.0, sigma, actions.shape)
        else:
            if self.noise_state.shape[0] != len(x):
                self.noise_state = np.zeros((len(x), self.n_actions))
            self.noise_state += -OU_THETA * self.noise_state * OU_DT + sigma * np.sqrt(
                OU_DT
            ) * self.rng.standard_normal(self.noise_state.shape)
            noise = self.noise_state
        return np.clip(actions + noise, -1.0, 1.0)

    def episodes_ended(self, ended: np.ndarray) -> None:
        if self.noise_state.shape[0] == len(ended):
            self.noise_state[ended] = 0.0

    # --- learning -----------------------------------------------------------------------------
    def targets(self, batch: dict[str, np.ndarray]) -> np.ndarray:
        """y = r + gamma (1 - terminated) min_k Q_k'(s', a'), a' = mu'(s') (+ clipped noise, TD3)."""
        hp = self.hyperparameters
        next_x = self.encode(batch["next_obs"])
        next_actions = self.actor_target.forward(next_x)
        if hp.target_policy_noise > 0:
            noise = self.rng.normal(0.0, hp.target_policy_noise, next_actions.shape)
            noise = np.clip(noise, -hp.target_noise_clip, hp.target_noise_clip)
            next_actions = np.clip(next_actions + noise, -1.0, 1.0)
        return self.bootstrap(batch, self.critics_target.forward(next_x, next_actions).min(axis=0))

    def update(self, batch: dict[str, np.ndarray]) -> dict[str, float]:
        hp, learning_rate = self.hyperparameters, self.learning_rate
        x = self.encode(batch["obs"])
        targets = self.targets(batch)
        q = self.critics.forward(x, batch["actions"], keep=True)
        critic_loss, d_q = td_loss(q, targets, scale=1.0)
        self.critics.backward(d_q)
        self.critics.apply_gradient(learning_rate)
        metrics = {"critic_loss": critic_loss, "q_mean": float(q[0].mean())}
        if (self.updates + 1) % hp.policy_delay == 0:
            metrics["actor_loss"], metrics["saturated_actions"] = self.actor_step(x, learning_rate)
            self.critics_target.copy_from(self.critics, hp.tau)
            self.actor_target.copy_from(self.actor, hp.tau)
        return metrics

    def actor_step(self, x: np.ndarray, learning_rate: float) -> tuple[float, float]:
        """One step on -J = -1/B sum_i Q_1(s_i, mu(s_i)): the gradient through the first critic.
        Returns -J and the fraction of action components at the bounds (|a| > 0.99)."""
        actions = self.actor.forward(x, keep=True)
        q = self.critics.forward(x, actions, keep=True, critics=1)  # the others do not enter: not computed
        d_q = np.full_like(q, -1.0 / q.shape[1])  # d(-J)/dQ_1(s_i, mu(s_i))
        self.actor.backward(self.critics.action_gradient(d_q))
        self.actor.apply_gradient(learning_rate)
        return -float(q[0].mean()), float((np.abs(actions) > SATURATED).mean())

    # --- saving: the exploration noise's state too, so a resumed run equals an uninterrupted one
    def extra_state(self) -> dict[str, np.ndarray]:
        return {"noise.ornstein_uhlenbeck": self.noise_state.copy()} if self.noise_state.size else {}

    def load_extra_state(self, state: dict[str, np.ndarray]) -> None:
        saved = state.get("noise.ornstein_uhlenbeck")
        if saved is not None:
            self.noise_state = np.asarray(saved, dtype=np.float64).reshape(-1, self.n_actions).copy()
