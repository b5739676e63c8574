"""What the policy-gradient agents share: acting, collecting a rollout, saving.

``act`` runs one forward pass for the whole batch of envs and remembers what the update will
need (encoded observation, sampled action, its log-probability, the value estimate).
``observe`` stores the step; when ``n_steps`` steps of every env are in, it computes
advantages (:mod:`rl_kit.agents.rollout`) and calls the algorithm's ``update``, the only method
an algorithm's own module defines. ``update`` builds the algorithm's
:class:`rl_kit.agents.objective.Objective` and hands it to the network's ``step``.

**A population** (``seed`` a tuple of K seeds) is K runs of the agent that differ in seed,
learning as one computation: a leading member axis through the networks, the optimizer, the
rollout and the updates, and K x N envs, where env j belongs to member j // N. ``act`` and
``observe`` take the K x N envs' batch as the agent alone takes its N; the algorithms' updates
are written once, for both (every per-sample array has the member axis first, every reduction
is over the last axis). Each member starts from the weights its run alone would start from;
one generator samples for all. :meth:`PolicyGradientAgent.member` gives a member's state as
an agent of its own, to save or evaluate. Members may also differ in the values that change
no shape and no control flow (``MEMBER_VALUES``: learning rate, clip range, coefficients,
discount, GAE's lambda, the clipping norm), given as ``member_values``: each is then a column
of the member's values, per env where the rollout takes it (gamma, lambda).

The network is written from scratch in numpy (:mod:`rl_kit.agents.networks`) unless the
``backend`` hyperparameter says ``torch`` (:mod:`rl_kit.agents.torch_networks`, autograd, the
reference). Both run on one thread, so a seed's result does not depend on the machine's cores.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np
from gymnasium import spaces

from .base import Transitions
from .distributions import Categorical, StateDependentGaussian
from .hyperparameters import AT_LEAST_ONE, NON_NEGATIVE, POSITIVE, UNIT, ImageNetworkHyperparameters, Interval
from .networks import ActorCritic, NonFiniteLossError, single_threaded_blas
from .optimizers import OPTIMIZERS
from .population import PopulationMembers
from .rollout import Batch, Rollout, generalized_advantages
from .running_stats import RunningMeanStd
from .schedules import Schedule
from .search_space import Choice, FloatRange, SearchSpace

__all__ = ["NonFiniteLossError", "PolicyGradientAgent", "PolicyGradientHyperparameters"]


@dataclass(frozen=True)
class PolicyGradientHyperparameters(ImageNetworkHyperparameters):
    """Shared by REINFORCE, A2C and PPO (and the network's shape, :class:`ImageNetworkHyperparameters`).

    Attributes:
        learning_rate: the optimizer's step size; a number or schedule over env steps.
        gamma: discount factor.
        gae_lambda: lambda of generalized advantage estimation (1: Monte Carlo returns).
        n_steps: steps per env in one rollout (the batch is n_steps * num_envs).
        ent_coef: weight of the entropy bonus.
        vf_coef: weight of the value loss.
        max_grad_norm: clip the gradient's global norm to this (0: no clipping).
        normalize_observations: normalize observations by running mean and std (saved with the agent).
        normalize_rewards: divide rewards by the running std of the discounted return (the RL
            Zoo's ``normalize: true`` is this and the observations' normalization together).
        log_std_init: the Gaussian policy's initial log standard deviation (Box actions).
        optimizer: "adam" (Kingma & Ba 2015) or "rmsprop" (alpha 0.99, eps 1e-5: stable-baselines3's
            A2C, the optimizer the RL Zoo's A2C entries were tuned with).
        weight_decay: AdamW's decoupled weight decay lambda (0: none; :mod:`rl_kit.agents.optimizers`),
            each step theta <- theta (1 - learning_rate * lambda): a regulariser against overfitting.
        use_sde: explore Box actions by gSDE (Raffin et al. 2022): noise z(s) theta from the policy's
            features, theta drawn per env and held (see :mod:`rl_kit.agents.distributions`); log
            sigma is then a matrix, and ``log_std_init`` its start. numpy backend only.
        sde_sample_freq: with gSDE, draw new theta every this many steps (-1: once per rollout).
        ortho_init: orthogonal initialisation (PPO's); False: torch's default for linear layers.
    """

    learning_rate: Schedule = Schedule("constant", 3e-4)
    gamma: float = 0.99
    gae_lambda: float = 0.95
    n_steps: int = 128
    ent_coef: float = 0.0
    vf_coef: float = 0.5
    max_grad_norm: float = 0.5
    normalize_observations: bool = False
    normalize_rewards: bool = False
    log_std_init: float = 0.0
    optimizer: str = "adam"
    weight_decay: float = 0.0
    use_sde: bool = False
    sde_sample_freq: int = -1
    ortho_init: bool = True

    search_space: ClassVar[SearchSpace] = {
        "learning_rate": FloatRange(1e-5, 1e-2, log=True),
        "gamma": Choice(0.95, 0.98, 0.99, 0.995, 0.999),
        "gae_lambda": Choice(0.9, 0.95, 0.98, 1.0),
        "ent_coef": FloatRange(1e-6, 0.1, log=True),
        "max_grad_norm": Choice(0.3, 0.5, 1.0, 5.0),
        "hidden_sizes": Choice("64", "64,64", "128,128"),
        "activation": Choice("tanh", "relu"),
    }

    limits: ClassVar[dict[str, Interval]] = {
        "learning_rate": NON_NEGATIVE,  # annealed to 0 at the end of a run
        "gamma": UNIT,
        "gae_lambda": UNIT,
        "n_steps": AT_LEAST_ONE,
        "ent_coef": NON_NEGATIVE,
        "vf_coef": NON_NEGATIVE,
        "max_grad_norm": POSITIVE,
        "weight_decay": NON_NEGATIVE,
    }

    def __post_init__(self) -> None:
        super().__post_init__()
        if self.weight_decay and self.optimizer != "adam":
            raise ValueError(f"weight_decay is AdamW's: it needs optimizer adam, not {self.optimizer}")
        if self.optimizer not in OPTIMIZERS:
            raise ValueError(f"optimizer must be one of {list(OPTIMIZERS)}, got {self.optimizer!r}")
        if self.use_sde and self.backend != "numpy":
            raise ValueError("use_sde runs on the numpy networks only (backend: numpy)")
        if self.sde_sample_freq == 0 or self.sde_sample_freq < -1:
            raise ValueError(f"sde_sample_freq must be -1 (once per rollout) or positive, got {self.sde_sample_freq}")


class PolicyGradientAgent(PopulationMembers):
    """Base of REINFORCE, A2C and PPO.

    Args:
        observation_space: a Box vector or Discrete space (one-hot encoded).
        action_space: Discrete (categorical policy) or a Box vector (diagonal Gaussian).
        seed: seeds network initialisation and the agent's sampling generator; a tuple of K
            seeds makes a population of K members (numpy backend, no gSDE, no target_kl).
        member_values: for a population, one mapping per member of its own values of
            ``MEMBER_VALUES``, over `hyperparameters`.
        **hyperparameters: fields of the agent's hyperparameter dataclass.
    """

    name: ClassVar[str]
    Hyperparameters: ClassVar[type[PolicyGradientHyperparameters]] = PolicyGradientHyperparameters
    MEMBER_VALUES = ("learning_rate", "clip_range", "ent_coef", "vf_coef", "gamma", "gae_lambda", "max_grad_norm")
    # Advantages and returns of a rollout (GAE): an exercise's agent puts the learner's here.
    advantage_estimator = staticmethod(generalized_advantages)

    def __init__(
        self,
        observation_space: spaces.Space,
        action_space: spaces.Space,
        *,
        seed: int | tuple[int, ...] | None = None,
        member_values: Sequence[Mapping[str, Any]] | None = None,
        **hyperparameters,
    ):
        self.observation_space, self.action_space = observation_space, action_space
        self.hyperparameters = hp = self.Hyperparameters.from_dict(hyperparameters, agent=self.name)
        seed = self.join_population(seed, member_values, hyperparameters)
        Network: Any  # numpy's ActorCritic or torch's TorchActorCritic: the same methods
        if hp.backend == "torch":
            from .torch_networks import TorchActorCritic as Network
        else:
            single_threaded_blas()
            Network = ActorCritic
        self.net = Network(
            observation_space,
            action_space,
            hp.hidden(),
            hp.activation,
            self.name,
            seed,
            log_std_init=hp.log_std_init,
            optimizer=hp.optimizer,
            use_sde=hp.use_sde,
            orthogonal_init=hp.ortho_init,
            conv_layers=hp.convolutions(),
            weight_decay=hp.weight_decay,
        )
        self.seed: int | tuple[int, ...] = seed
        self.rng = np.random.default_rng(list(seed) if isinstance(seed, tuple) else seed)
        self.obs_stats = (
            RunningMeanStd(observation_space.shape, members=self.members)
            if hp.normalize_observations and isinstance(observation_space, spaces.Box)
            else None
        )
        # Reward scaling as the RL Zoo's VecNormalize does it: each env's discounted return so
        # far, R <- gamma R + r, and rewards divided by the running standard deviation of R.
        self.return_stats = RunningMeanStd((), members=self.members) if hp.normalize_rewards else None
        self.running_returns: np.ndarray | None = None
        self.discrete = isinstance(action_space, spaces.Discrete)
        self.rollout: Rollout | None = None
        self.exploration: np.ndarray | None = None  # gSDE's theta per env, (num_envs, h, d)
        self.steps: Any = 0 if self.members is None else np.zeros(self.members, dtype=np.int64)  # each member's
        self.updates = 0
        # what act() computed for the observations it was given: (obs, x, actions, log_probs, values)
        self._pending: tuple[Any, np.ndarray, np.ndarray, np.ndarray, np.ndarray] | None = None

    # --- acting -----------------------------------------------------------------------------
    def encode(self, obs: np.ndarray) -> np.ndarray:
        """The network's inputs (B, inputs); a population's K x N observations as (K, N, inputs)."""
        obs = np.asarray(obs)
        if self.members is not None:
            return self.by_member(self.net.encode(self.by_member(obs, self.normalized).reshape(obs.shape)))
        if self.obs_stats is not None:
            obs = self.obs_stats.normalize(obs)
        return self.net.encode(obs)

    def normalized(self, obs: np.ndarray) -> np.ndarray:
        """A population's observations (K, N, ...) by each member's statistics."""
        return obs if self.obs_stats is None else self.obs_stats.normalize(obs)

    def env_actions(self, actions: np.ndarray) -> np.ndarray:
        """Actions as the env takes them: Gaussian samples are clipped to the Box bounds."""
        if self.discrete:
            return actions.astype(np.int64)
        space = self.action_space
        assert isinstance(space, spaces.Box)
        return np.clip(actions, space.low, space.high).astype(space.dtype)

    def act(self, obs, *, explore: bool = True) -> np.ndarray:
        x = self.encode(obs)
        outputs, values = self.net.forward(x)
        distribution = self.net.distribution(outputs)
        if not explore:
            return self.env_actions(self.flat(distribution.mode()))
        if isinstance(distribution, StateDependentGaussian):
            actions = distribution.sample(self.exploration_matrices(distribution, len(x)))
        else:
            actions = distribution.sample(self.rng)
        log_probs = distribution.log_prob(actions)
        self._pending = (obs, self.flat(x), self.flat(actions), self.flat(log_probs), self.flat(values))
        return self.env_actions(self.flat(actions))

    def exploration_matrices(self, distribution, num_envs: int) -> np.ndarray:
        """gSDE's theta per env: drawn at each rollout's start (and every ``sde_sample_freq`` steps), then held."""
        t = 0 if self.rollout is None else self.rollout.t
        freq = self.hyperparameters.sde_sample_freq
        if self.exploration is None or len(self.exploration) != num_envs or t == 0 or (freq > 0 and t % freq == 0):
            self.exploration = distribution.exploration_matrices(self.rng, num_envs)
        return self.exploration

    def policy_outputs(self, obs) -> dict[str, np.ndarray]:
        """For display: action probabilities (discrete) or means (continuous), and the value."""
        outputs, values = self.net.forward(self.encode(obs))
        distribution = self.net.distribution(outputs)
        if isinstance(distribution, Categorical):
            return {"probs": distribution.probs, "value": values}
        return {"mean": distribution.mean, "value": values}

    def choice_gradient(self, obs) -> tuple[np.ndarray, np.ndarray]:
        """(x, how the greedy choice moves with x): the encoded observations and d log pi(greedy a | s)/dx
        for a categorical policy; for a Gaussian, whose log-density is flat at its mode, the size
        of the mean's gradient, sqrt(sum_j (d mu_j/dx)^2)."""
        x = self.encode(obs)
        if not self.discrete:
            return x, np.sqrt((self.net.mean_input_gradient(x) ** 2).sum(axis=0))
        chosen = self.net.distribution(self.net.forward(x)[0]).mode()
        return x, self.net.log_prob_input_gradient(x, chosen)

    # --- learning ---------------------------------------------------------------------------
    def observe(self, transitions: Transitions) -> dict[str, float]:
        t, hp = transitions, self.hyperparameters
        if self._pending is None or self._pending[0] is not t.obs:
            self.act(t.obs)  # the loop always acts first; this keeps direct callers correct
        assert self._pending is not None
        _, x, actions, log_probs, values = self._pending
        self._pending = None
        num_envs = len(t.reward)
        if self.rollout is None or self.rollout.num_envs != num_envs:
            self.rollout = Rollout(hp.n_steps, num_envs, x.shape[1], tuple(actions.shape[1:]), actions.dtype)
        rewards = self.scaled_rewards(t)
        truncated = np.asarray(t.truncated) & ~np.asarray(t.terminated)
        if truncated.any():  # a time limit is not the end of the MDP: bootstrap from the final state
            if self.members is None:
                rewards[truncated] += hp.gamma * self.net.values(self.encode(np.asarray(t.next_obs)[truncated]))
            else:  # every member's network sees its own envs' rows
                gamma = self.per_env(self.value("gamma"), num_envs)
                bootstrap = gamma * self.flat(self.net.values(self.encode(t.next_obs)))
                rewards[truncated] += bootstrap[truncated]
        dones = np.asarray(t.terminated) | np.asarray(t.truncated)
        valid = None if t.valid is None else np.asarray(t.valid)
        self.rollout.add(x, actions, log_probs, values, rewards, dones, valid)
        if self.members is not None:
            self.count_member_steps(np.asarray(t.obs), valid)
        else:
            if self.obs_stats is not None:
                self.obs_stats.update(np.asarray(t.obs) if t.valid is None else np.asarray(t.obs)[t.valid])
            self.steps += num_envs if t.valid is None else int(np.count_nonzero(t.valid))
        if not self.rollout.full:
            return {}
        batch = self.rollout.batch(
            self.flat(self.net.values(self.encode(t.next_obs))),
            self.per_env(self.value("gamma"), num_envs),
            self.per_env(self.value("gae_lambda"), num_envs),
            self.advantage_estimator,
            self.members,
        )
        metrics: dict[str, Any] = self.update(batch)
        self.updates += 1
        metrics["learning_rate"] = self.scheduled("learning_rate")
        metrics["explained_variance"] = explained_variance(batch.values, batch.returns)
        return metrics

    def scaled_rewards(self, t: Transitions) -> np.ndarray:
        """The step's rewards, divided by the running std of the discounted return if asked."""
        rewards = np.asarray(t.reward, dtype=np.float64).copy()
        if self.return_stats is None:
            return rewards
        if self.running_returns is None or len(self.running_returns) != len(rewards):
            self.running_returns = np.zeros(len(rewards))
        valid = np.ones(len(rewards), bool) if t.valid is None else np.asarray(t.valid, bool)
        gamma = self.per_env(self.value("gamma"), len(rewards))
        self.running_returns[valid] = (
            self.running_returns[valid] * (gamma if np.ndim(gamma) == 0 else gamma[valid]) + rewards[valid]
        )
        if self.members is not None:
            self.return_stats.update_members(self.by_member(self.running_returns), self.by_member(valid))
        elif valid.any():
            self.return_stats.update(self.running_returns[valid])
        self.running_returns[np.asarray(t.terminated) | np.asarray(t.truncated)] = 0.0
        variance = (
            self.return_stats.var
            if self.members is None
            else np.repeat(self.return_stats.var, len(rewards) // self.members)
        )
        return np.clip(rewards / np.sqrt(variance + 1e-8), -10.0, 10.0)

    def update(self, batch: Batch) -> dict[str, float]:
        """One update from a finished rollout: the algorithm itself."""
        raise NotImplementedError

    def gradient_step(self, objective, batch: Batch):
        """One step of the network on `objective` over `batch`, at the scheduled learning rate."""
        at_step = int(np.max(self.steps))
        learning_rate, max_grad_norm = self.scheduled("learning_rate"), self.value("max_grad_norm")
        return self.net.step(objective, batch.obs, batch.actions, learning_rate, max_grad_norm, self.name, at_step)

    def minibatch_order(self, samples: int) -> np.ndarray:
        """A random order of the rollout's samples (one row per member in a population)."""
        if self.members is None:
            return self.rng.permutation(samples)
        return np.argsort(self.rng.random((self.members, samples)), axis=1)

    # --- a population -------------------------------------------------------------------------
    @classmethod
    def population_refusals(cls, hp: PolicyGradientHyperparameters) -> list[str]:
        reasons = super().population_refusals(hp)
        if hp.use_sde:
            reasons.append("use_sde (each env holds its own noise)")
        if getattr(hp, "target_kl", 0.0):
            reasons.append("target_kl (each member would stop its epochs at another minibatch)")
        return reasons

    def count_member_steps(self, obs: np.ndarray, valid: np.ndarray | None) -> None:
        """Each member's env steps (its schedules' clock) and observation statistics."""
        assert self.members is not None
        if self.obs_stats is not None:
            self.obs_stats.update_members(self.by_member(obs), None if valid is None else self.by_member(valid))
        per_member = len(obs) // self.members
        self.steps += per_member if valid is None else self.by_member(valid).sum(axis=1)

    def member_state(self, k: int) -> dict[str, np.ndarray]:
        """Member `k`'s :meth:`state_dict`, as its run alone would save it."""
        state = self.net.state_dict(member=k)
        if self.obs_stats is not None:
            state.update({f"obs_stats.{key}": v for key, v in self.obs_stats.member(k).items()})
        if self.return_stats is not None:
            state.update({f"return_stats.{key}": v for key, v in self.return_stats.member(k).items()})
        state["counters"] = np.array([self.steps[k], self.updates], dtype=np.int64)
        return state

    def member_rows(self, k: int) -> slice:
        """Member `k`'s envs among the K x N."""
        assert self.members is not None and self.rollout is not None
        per_member = self.rollout.num_envs // self.members
        return slice(k * per_member, (k + 1) * per_member)

    def member_training_state(self, k: int) -> tuple[dict[str, np.ndarray], dict]:
        """Member `k`'s :meth:`training_state`: its state, its envs' columns of the rollout so far
        and reward scaling, and the population's generator (one for all)."""
        arrays = self.member_state(k)
        rest: dict[str, Any] = {"generator": self.rng.bit_generator.state, "rollout_t": None}
        if self.rollout is not None:
            rows = self.member_rows(k)
            arrays.update({f"rollout.{f}": getattr(self.rollout, f)[:, rows].copy() for f in Rollout.FIELDS})
            rest["rollout_t"] = self.rollout.t
            if self.running_returns is not None:
                arrays["running_returns"] = self.running_returns[rows].copy()
        return arrays, rest

    def load_member_training_states(self, states: list[tuple[dict[str, np.ndarray], dict]]) -> None:
        """The inverse of :meth:`member_training_state` for every member at once (a resumed population)."""
        assert self.members is not None and len(states) == self.members
        for k, (arrays, _) in enumerate(states):
            self.net.load_state_dict(arrays, self.name, member=k)
            if self.obs_stats is not None:
                self.obs_stats.load_member(k, {key: arrays[f"obs_stats.{key}"] for key in ("mean", "var", "count")})
            if self.return_stats is not None:
                self.return_stats.load_member(
                    k, {key: arrays[f"return_stats.{key}"] for key in ("mean", "var", "count")}
                )
            self.steps[k], self.updates = (int(x) for x in np.asarray(arrays["counters"]).reshape(-1)[:2])
        first, rest = states[0]
        self.rng.bit_generator.state = rest["generator"]
        if "running_returns" in first:
            self.running_returns = np.concatenate([np.asarray(a["running_returns"], np.float64) for a, _ in states])
        if rest.get("rollout_t") is not None:
            columns = {
                f: np.concatenate([np.asarray(a[f"rollout.{f}"]) for a, _ in states], axis=1) for f in Rollout.FIELDS
            }
            n_steps, num_envs = columns["rewards"].shape
            actions = columns["actions"]
            self.rollout = Rollout(n_steps, num_envs, columns["obs"].shape[2], actions.shape[2:], actions.dtype)
            for f in Rollout.FIELDS:
                getattr(self.rollout, f)[...] = columns[f]
            self.rollout.t = rest["rollout_t"]

    # --- checkpoints (resuming training) ----------------------------------------------------
    def training_state(self) -> tuple[dict[str, np.ndarray], dict]:
        """`state_dict`, the rollout collected so far, and the sampling generator's state."""
        arrays = self.state_dict()
        rest: dict[str, Any] = {"generator": self.rng.bit_generator.state, "rollout_t": None}
        if self.running_returns is not None:
            arrays["running_returns"] = self.running_returns.copy()
        if self.exploration is not None:
            arrays["sde_exploration"] = self.exploration.copy()
        if self.rollout is not None:
            arrays.update({f"rollout.{f}": getattr(self.rollout, f).copy() for f in Rollout.FIELDS})
            rest["rollout_t"] = self.rollout.t
        return arrays, rest

    def load_training_state(self, arrays: dict[str, np.ndarray], rest: dict) -> None:
        extra = ("running_returns", "sde_exploration")
        self.load_state_dict({k: v for k, v in arrays.items() if not k.startswith("rollout.") and k not in extra})
        if not isinstance(rest.get("generator"), dict):
            raise ValueError(
                f"{self.name}: this checkpoint was written by an older rl-kit (torch sampling); it cannot be resumed exactly"
            )
        self.rng.bit_generator.state = rest["generator"]
        if "running_returns" in arrays:
            self.running_returns = np.array(arrays["running_returns"], dtype=np.float64)
        if "sde_exploration" in arrays:
            self.exploration = np.array(arrays["sde_exploration"], dtype=self.net.dtype)
        if rest.get("rollout_t") is not None:
            n_steps, num_envs = arrays["rollout.rewards"].shape
            actions = np.asarray(arrays["rollout.actions"])
            self.rollout = Rollout(n_steps, num_envs, arrays["rollout.obs"].shape[2], actions.shape[2:], actions.dtype)
            for f in Rollout.FIELDS:
                getattr(self.rollout, f)[...] = arrays[f"rollout.{f}"]
            self.rollout.t = rest["rollout_t"]

    # --- saving -----------------------------------------------------------------------------
    def state_dict(self) -> dict[str, np.ndarray]:
        state = self.net.state_dict()
        if self.obs_stats is not None:
            state.update({f"obs_stats.{k}": v for k, v in self.obs_stats.state_dict().items()})
        if self.return_stats is not None:
            state.update({f"return_stats.{k}": v for k, v in self.return_stats.state_dict().items()})
        state["counters"] = np.array([self.steps, self.updates], dtype=np.int64)
        return state

    def load_state_dict(self, state: dict[str, np.ndarray]) -> None:
        self.net.load_state_dict(state, self.name)
        if self.obs_stats is not None:
            self.obs_stats.load_state_dict({k: state[f"obs_stats.{k}"] for k in ("mean", "var", "count")})
        if self.return_stats is not None:
            self.return_stats.load_state_dict({k: state[f"return_stats.{k}"] for k in ("mean", "var", "count")})
        self.steps, self.updates = (int(x) for x in np.asarray(state["counters"]).reshape(-1)[:2])


def normalized_advantages(advantages: np.ndarray) -> np.ndarray:
    """(A - mean A) / (std A + 1e-8) over the last axis (a member's samples); one sample is left as it is."""
    if advantages.shape[-1] < 2:
        return advantages
    mean = advantages.mean(axis=-1, keepdims=True)
    return (advantages - mean) / (advantages.std(axis=-1, ddof=1, keepdims=True) + 1e-8)


def explained_variance(predicted: np.ndarray, target: np.ndarray) -> float | np.ndarray:
    """1 - Var[target - predicted] / Var[target]: 1 is perfect, 0 no better than a constant
    (over the last axis: one per member in a population)."""
    if target.ndim == 1:
        variance = np.var(target)
        return float("nan") if variance == 0 else float(1 - np.var(target - predicted) / variance)
    variance = np.var(target, axis=-1)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(variance == 0, np.nan, 1 - np.var(target - predicted, axis=-1) / variance)
