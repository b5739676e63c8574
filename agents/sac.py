"""Soft Actor-Critic (Haarnoja et al. 2018, "Soft Actor-Critic Algorithms and Applications":
twin critics and the temperature learned against a target entropy).

Maximum-entropy RL maximises return plus entropy, E[sum_t gamma^t (r_t + alpha H(pi(.|s_t)))],
with alpha > 0 the temperature: the policy stays as random as the reward allows, which keeps it
exploring and makes it robust. Its Q function satisfies the soft Bellman equation, and the
policy is a tanh-squashed Gaussian (:class:`rl_kit.agents.off_policy_networks.SquashedGaussianActor`;
its log-probability with the correction log(1 - tanh(u)^2) is derived there). For a minibatch
of B transitions, with fresh noise eps for each sampled action:

**Temperature** (``ent_coef`` "auto"): alpha = exp(log alpha), and log alpha descends on

    L(log alpha) = -1/B sum_i log alpha * (log pi(a_i|s_i) + H_target),    a_i ~ pi(.|s_i)
    dL/dlog alpha = -1/B sum_i (log pi(a_i|s_i) + H_target)

with H_target = -n (n the action's width) by default: when the policy's entropy -log pi is
below the target, log pi + H_target > 0, the gradient is negative and descending it raises
alpha, so the entropy bonus grows until the policy is random enough; above the target alpha falls. A fixed
``ent_coef`` (a number) skips this.

**Critics** (two, one stacked network; targets by Polyak averaging, no target actor):

    y_i = r_i + gamma (1 - terminated_i) [ min_k Q_k'(s'_i, a'_i) - alpha log pi(a'_i|s'_i) ],  a'_i ~ pi(.|s'_i)
    L(phi) = 1/2 sum_k 1/B sum_i (Q_k(s_i, a_i) - y_i)^2

The soft target values the next state with the entropy it will keep: V(s') = E[Q(s', a') -
alpha log pi(a'|s')].

**Actor** (after the critics' step, on their new values): minimise

    J(theta) = 1/B sum_i [ alpha log pi(a_i|s_i) - min_k Q_k(s_i, a_i) ],   a_i = tanh(m(s_i) + sigma(s_i) eps_i)

whose gradient has two paths, both written by hand: through the action (dJ/da_i = -1/B
dQ_k*/da with k* the critic that gave the minimum for sample i, times da/dtheta through the
reparameterised sample) and through log pi (dJ/dlog pi_i = alpha / B). Hyperparameters as
stable-baselines3's SAC.

**gSDE** (``use_sde``; the RL Zoo's MountainCarContinuous entry): the policy's noise becomes
z(s) theta, a linear function of its last hidden features, with theta drawn once per env at the
start of each collection of ``train_freq`` steps (and every ``sde_sample_freq`` steps if that is
positive) and held in between: exploration that persists long enough to climb a hill
(:class:`rl_kit.agents.off_policy_networks.StateDependentSquashedActor` has its log-probability
and gradient). Each gradient step draws one theta for its batch.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

import numpy as np

from .networks import Network
from .off_policy import SATURATED, OffPolicyAgent, OffPolicyHyperparameters
from .off_policy_networks import SquashedGaussianActor, StateDependentSquashedActor, td_loss
from .optimizers import Adam
from .schedules import Schedule
from .search_space import Choice, SearchSpace

ENTROPY_SAMPLES = 32  # samples per state of the entropy shown by watch


def parse_ent_coef(text: str) -> tuple[bool, float]:
    """(learned, initial alpha): "auto" (learned from 1.0), "auto_0.1" (learned from 0.1) or a fixed number."""
    value = str(text).strip()
    try:
        if value == "auto":
            return True, 1.0
        if value.startswith("auto_"):
            learned, alpha = True, float(value[5:])
        else:
            learned, alpha = False, float(value)
    except ValueError:
        raise ValueError(f"ent_coef must be 'auto', 'auto_<initial>' or a number, got {text!r}") from None
    if not (np.isfinite(alpha) and alpha > 0):
        raise ValueError(f"ent_coef must be positive, got {text!r}")
    return learned, alpha


@dataclass(frozen=True)
class SACHyperparameters(OffPolicyHyperparameters):
    """SAC's hyperparameters (stable-baselines3's names and defaults).

    Attributes (besides :class:`rl_kit.agents.off_policy.OffPolicyHyperparameters`'):
        ent_coef: the temperature alpha: "auto" (learned, from 1), "auto_0.1" (learned, from
            0.1) or a fixed number.
        target_entropy: H_target for the learned alpha; "auto" is -(action width).
        target_update_interval: gradient steps between Polyak updates of the critics' targets.
        use_sde: explore by gSDE (see the module's docstring) instead of independent noise.
        sde_sample_freq: with gSDE, draw theta every this many steps as well (-1: only at the
            start of each collection).
        log_std_init: with gSDE, the initial entries of the log sigma matrix.
        use_expln: with gSDE, sigma grows as log(1 + L) + 1 above L = 0 instead of exp(L).
    """

    learning_rate: Schedule = Schedule("constant", 3e-4)
    hidden_sizes: str = "256,256"
    ent_coef: str = "auto"
    target_entropy: str = "auto"
    target_update_interval: int = 1
    use_sde: bool = False
    sde_sample_freq: int = -1
    log_std_init: float = -3.0
    use_expln: bool = False

    search_space: ClassVar[SearchSpace] = {
        **OffPolicyHyperparameters.search_space,
        "ent_coef": Choice("auto", "auto_0.1", "0.1", "0.01"),
    }

    def __post_init__(self) -> None:
        super().__post_init__()
        parse_ent_coef(self.ent_coef)
        if self.target_entropy != "auto":
            try:
                float(self.target_entropy)
            except ValueError:
                raise ValueError(f"target_entropy must be 'auto' or a number, got {self.target_entropy!r}") from None
        if self.target_update_interval < 1:
            raise ValueError(f"target_update_interval must be at least 1, got {self.target_update_interval}")
        if self.sde_sample_freq == 0 or self.sde_sample_freq < -1:
            raise ValueError(
                f"sde_sample_freq must be -1 (once per collection) or positive, got {self.sde_sample_freq}"
            )


class SAC(OffPolicyAgent):
    """SAC for Box actions, on Box-vector or finite observations; see the module's docstring.

    Args:
        observation_space: a Box vector or a finite space (one-hot encoded).
        action_space: a Box vector with finite bounds.
        seed: seeds the networks, the policy's noise and the replay sampling.
        **hyperparameters: fields of :class:`SACHyperparameters`.
    """

    name = "sac"
    Hyperparameters = SACHyperparameters
    actor: SquashedGaussianActor | StateDependentSquashedActor
    hyperparameters: SACHyperparameters

    def build(self, seed: int) -> None:
        hp = self.hyperparameters
        if hp.use_sde:
            new_actor, new_critics = self.network_factories(
                StateDependentSquashedActor, seed, log_std_init=hp.log_std_init, use_expln=hp.use_expln
            )
        else:
            new_actor, new_critics = self.network_factories(SquashedGaussianActor, seed)
        self.exploration: np.ndarray | None = None  # gSDE's theta's E per env, held between draws
        self.actor = new_actor()
        self.critics, self.critics_target = new_critics(2), new_critics(2)
        self.learn_alpha, alpha = parse_ent_coef(hp.ent_coef)
        self.log_alpha = np.array([np.log(alpha)], dtype=np.float32)
        self.alpha_optimizer = Adam(self.log_alpha, eps=1e-8)
        auto = hp.target_entropy == "auto"
        self.target_entropy = -float(self.n_actions) if auto else float(hp.target_entropy)

    def networks(self) -> dict[str, Network]:
        return {"actor": self.actor, "critic": self.critics, "critic_target": self.critics_target}

    @property
    def alpha(self) -> float:
        return float(np.exp(self.log_alpha[0]))

    # --- acting -------------------------------------------------------------------------------
    def policy(self, x: np.ndarray, explore: bool) -> np.ndarray:
        if not explore:
            return self.actor.deterministic(x)
        if not self.hyperparameters.use_sde:
            return self.actor.sample(x, self.acting_noise(self.rng, len(x)))[0]
        if self.exploration is None or len(self.exploration) != len(x):
            self.exploration = self.acting_noise(self.rng, len(x))
        return self.actor.sample(x, self.exploration)[0]

    def acting_noise(self, rng: np.random.Generator, count: int) -> np.ndarray:
        """Noise for `count` rows acting independently: eps (count, n), or with gSDE one
        exploration matrix per row (count, h, n)."""
        if not self.hyperparameters.use_sde:
            return self.actor.draw_noise(rng, count)
        return np.stack([self.actor.draw_noise(rng, 1) for _ in range(count)])

    def observe(self, transitions) -> dict[str, float]:
        """As :meth:`OffPolicyAgent.observe`; with gSDE, a new theta at each collection's start."""
        metrics = super().observe(transitions)
        hp = self.hyperparameters
        if hp.use_sde and (
            self.calls % hp.train_freq == 0 or (hp.sde_sample_freq > 0 and self.calls % hp.sde_sample_freq == 0)
        ):
            self.exploration = None
        return metrics

    def policy_outputs(self, obs) -> dict[str, np.ndarray]:
        """The greedy action and its Q, the temperature alpha, and the policy's entropy at each
        state, -E[log pi(a|s)] estimated from :data:`ENTROPY_SAMPLES` samples (a generator of
        its own, so that showing it changes nothing)."""
        outputs = super().policy_outputs(obs)
        outputs["alpha"] = np.full(len(outputs["value"]), self.alpha)
        x = self.encode(obs)
        repeated = np.repeat(x, ENTROPY_SAMPLES, axis=0)
        _, log_prob = self.actor.sample(repeated, self.acting_noise(np.random.default_rng(0), len(repeated)))
        outputs["entropy"] = -log_prob.reshape(len(x), ENTROPY_SAMPLES).mean(axis=1)
        return outputs

    # --- learning -----------------------------------------------------------------------------
    def temperature_step(self, log_prob: np.ndarray, learning_rate: float) -> float:
        """One Adam step of log alpha on -1/B sum_i log alpha (log pi_i + H_target); returns the loss."""
        term = log_prob.astype(np.float64) + self.target_entropy
        loss = -float(self.log_alpha[0]) * float(term.mean())
        self.alpha_optimizer.step(np.array([-term.mean()], dtype=np.float32), learning_rate)
        return loss

    def targets(self, batch: dict[str, np.ndarray], alpha: float) -> np.ndarray:
        """y = r + gamma (1 - terminated) [min_k Q_k'(s', a') - alpha log pi(a'|s')], a' ~ pi(.|s')."""
        next_x = self.encode(batch["next_obs"])
        next_actions, next_log_prob = self.actor.sample(next_x, self.actor.draw_noise(self.rng, len(next_x)))
        soft_value = self.critics_target.forward(next_x, next_actions).min(axis=0) - alpha * next_log_prob
        return self.bootstrap(batch, soft_value)

    def update(self, batch: dict[str, np.ndarray]) -> dict[str, float]:
        hp, learning_rate = self.hyperparameters, self.learning_rate
        x = self.encode(batch["obs"])
        actions, log_prob = self.actor.sample(x, self.actor.draw_noise(self.rng, len(x)), keep=True)
        alpha = self.alpha  # this step's temperature, before its own update (as SB3)
        metrics = {"alpha": alpha, "entropy": -float(log_prob.mean())}
        if self.learn_alpha:
            metrics["alpha_loss"] = self.temperature_step(log_prob, learning_rate)
        targets = self.targets(batch, alpha)
        q = self.critics.forward(x, batch["actions"], keep=True)
        metrics["critic_loss"], d_q = td_loss(q, targets, scale=0.5)
        metrics["q_mean"] = float(q.mean())
        self.critics.backward(d_q)
        self.critics.apply_gradient(learning_rate)
        metrics["actor_loss"] = self.actor_step(x, actions, log_prob, alpha, learning_rate)
        metrics["saturated_actions"] = float((np.abs(actions) > SATURATED).mean())
        if (self.updates + 1) % hp.target_update_interval == 0:
            self.critics_target.copy_from(self.critics, hp.tau)
        return metrics

    def actor_step(
        self, x: np.ndarray, actions: np.ndarray, log_prob: np.ndarray, alpha: float, learning_rate: float
    ) -> float:
        """One step on J = 1/B sum_i [alpha log pi(a_i|s_i) - min_k Q_k(s_i, a_i)] for the kept sample."""
        q = self.critics.forward(x, actions, keep=True)
        smaller = q.argmin(axis=0)
        batch = q.shape[1]
        d_q = np.zeros_like(q)
        d_q[smaller, np.arange(batch)] = -1.0 / batch  # dJ/dQ_k*(s_i, a_i), k* the smaller critic
        d_actions = self.critics.action_gradient(d_q)
        self.actor.backward(d_actions, np.full(batch, alpha / batch, dtype=self.dtype))
        self.actor.apply_gradient(learning_rate)
        return float((alpha * log_prob - q.min(axis=0)).mean())

    # --- saving: the temperature and its optimizer, gSDE's held exploration -------------------
    def extra_state(self) -> dict[str, np.ndarray]:
        opt = self.alpha_optimizer
        state = {
            "log_alpha": self.log_alpha.copy(),
            "log_alpha.adam": np.array([opt.m[0], opt.v[0], opt.t], np.float64),
        }
        if self.exploration is not None:
            state["sde.exploration"] = self.exploration.copy()
        return state

    def load_extra_state(self, state: dict[str, np.ndarray]) -> None:
        self.log_alpha[...] = np.asarray(state["log_alpha"]).reshape(-1)[:1]
        m, v, t = np.asarray(state["log_alpha.adam"], dtype=np.float64).reshape(-1)[:3]
        self.alpha_optimizer.m[0], self.alpha_optimizer.v[0], self.alpha_optimizer.t = m, v, int(t)
        self.exploration = np.array(state["sde.exploration"]) if "sde.exploration" in state else None
