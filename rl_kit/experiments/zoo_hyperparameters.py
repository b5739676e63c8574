"""The RL Zoo's hyperparameters in our names: its entry for an agent and env, over SB3's defaults.

Used by the race against ``rl_zoo3.train`` and the Zoo benchmark, and to write our own tuned
entries (``rl_kit/hyperparams``). The Zoo's files are read from the installed ``rl_zoo3``
package (the ``bench`` extra). State-dependent exploration (``use_sde``, ``sde_sample_freq``,
and for SAC ``use_expln``), ``ortho_init=False`` and SB3's RMSprop for A2C (unless an entry says ``use_rms_prop: False``)
have their counterparts in our agents; what has none is listed by :func:`unsupported`, not
dropped in silence.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path
from typing import Any

from rl_kit.errors import RLKitError

# SB3's defaults where a Zoo entry is silent, for the keys we share.
SB3_DEFAULTS: dict[str, dict[str, Any]] = {
    "ppo": dict(learning_rate=3e-4, n_steps=2048, batch_size=64, n_epochs=10, gamma=0.99, gae_lambda=0.95),
    "a2c": dict(learning_rate=7e-4, n_steps=5, gamma=0.99, gae_lambda=1.0),
    "dqn": dict(learning_rate=1e-4, buffer_size=1_000_000, learning_starts=100, batch_size=32, gamma=0.99),
    "sac": dict(learning_rate=3e-4, buffer_size=1_000_000, learning_starts=100, batch_size=256, gamma=0.99,
                tau=0.005, train_freq=1, gradient_steps=1, hidden_sizes="256,256"),
    "td3": dict(learning_rate=1e-3, buffer_size=1_000_000, learning_starts=100, batch_size=256, gamma=0.99,
                tau=0.005, train_freq=1, gradient_steps=1, hidden_sizes="400,300"),
}  # fmt: skip
SB3_DEFAULTS["ddpg"] = SB3_DEFAULTS["td3"]
OFF_POLICY = ("dqn", "sac", "td3", "ddpg")
DQN_KEYS = ("buffer_size", "learning_starts", "tau", "train_freq", "gradient_steps", "target_update_interval")
# the Zoo's exploration noise of TD3 and DDPG, in our names (no noise_type: SB3 adds none)
NOISE_TYPES = {"normal": "normal", "ornstein-uhlenbeck": "ornstein-uhlenbeck"}
SHARED_KEYS = (
    "learning_rate",
    "n_steps",
    "batch_size",
    "n_epochs",
    "gamma",
    "gae_lambda",
    "ent_coef",
    "vf_coef",
    "max_grad_norm",
    "clip_range",
    "normalize_advantage",
    "use_sde",
    "sde_sample_freq",
)


BENCH_EXTRA = "pip install 'rl-kit[bench]' (rl_zoo3 and Box2D)"


def require_zoo():
    """The installed rl_zoo3 module, or one error saying how to install it."""
    try:
        import rl_zoo3
    except ImportError:
        raise RLKitError(f"the RL Zoo suites need rl_zoo3, which is not installed: {BENCH_EXTRA}") from None
    return rl_zoo3


def zoo_entry(agent: str, env: str) -> dict:
    """The Zoo's hyperparameter entry for `agent` on `env`, from the installed rl_zoo3."""
    path = Path(require_zoo().__file__).parent / "hyperparams" / f"{agent}.yml"
    import yaml

    # the installed package's own file, not text from outside: it uses anchors and merge keys
    entries = yaml.safe_load(path.read_text(encoding="utf-8"))
    if env not in entries:
        raise KeyError(f"the RL Zoo has no {agent} entry for {env}")
    return dict(entries[env])


def our_arguments(agent: str, entry: dict) -> tuple[int, int, dict]:
    """(steps, num_envs, hyperparameters): the Zoo's entry in our names.

    ``lin_X`` schedules become ``linear(X, 0.0, steps)``; ``normalize`` (the Zoo's VecNormalize)
    becomes our observation and reward normalization; ``policy_kwargs`` give ``log_std_init``
    and the hidden sizes; each algorithm's own keys are in :func:`algorithm_values`.
    """
    steps, num_envs = int(float(entry["n_timesteps"])), int(entry.get("n_envs", 1))
    shared = SHARED_KEYS + (DQN_KEYS if agent in OFF_POLICY else ())
    values = {**SB3_DEFAULTS[agent], **{k: v for k, v in entry.items() if k in shared}}
    values.update(algorithm_values(agent, entry, steps, num_envs))
    for key, value in values.items():
        if isinstance(value, str) and value.startswith("lin_"):
            values[key] = f"linear({float(value[4:])}, 0.0, {steps})"
    values.update(normalization_values(entry.get("normalize", False)))
    values.update(policy_values(agent, str(entry.get("policy_kwargs", "")), bool(entry.get("use_sde"))))
    return steps, num_envs, values


def algorithm_values(agent: str, entry: dict, steps: int, num_envs: int) -> dict:
    """What one algorithm's entry says in keys of its own."""
    if agent == "sac":
        return {"ent_coef": str(entry.get("ent_coef", "auto"))}
    if agent in ("td3", "ddpg"):
        noise = NOISE_TYPES.get(str(entry.get("noise_type")), "none")
        return {"action_noise": noise, "action_noise_std": float(entry.get("noise_std", 0.1))}
    if agent == "dqn":  # exploration over a fraction of the budget; -1 gradient steps: one per step collected
        fraction, final = entry.get("exploration_fraction", 0.1), entry.get("exploration_final_eps", 0.05)
        values: dict = {"epsilon": f"linear(1.0, {final}, {int(fraction * steps)})"}
        if entry.get("gradient_steps") == -1:
            values["gradient_steps"] = int(entry.get("train_freq", 4)) * num_envs
        return values
    if agent == "a2c":  # SB3's A2C optimizer, unless the entry turns it off
        return {"optimizer": "rmsprop" if entry.get("use_rms_prop", True) else "adam"}
    return {}


def normalization_values(normalize) -> dict:
    """The Zoo's ``normalize`` (VecNormalize) as our observation and reward normalization."""
    if isinstance(normalize, str):  # "{'norm_obs': True, 'norm_reward': False}"
        normalize = ast.literal_eval(normalize)
    if isinstance(normalize, dict):
        return {"normalize_observations": bool(normalize.get("norm_obs", True)),
                "normalize_rewards": bool(normalize.get("norm_reward", True))}  # fmt: skip
    return {"normalize_observations": True, "normalize_rewards": True} if normalize else {}


def policy_values(agent: str, policy_kwargs: str, use_sde: bool = False) -> dict:
    """``policy_kwargs`` ("dict(log_std_init=-2,net_arch=[64,64])") in our names."""
    policy, values = policy_kwargs.replace(" ", ""), dict[str, Any]()
    log_std = re.search(r"log_std_init=([-+.0-9e]+)", policy)
    if log_std and (agent != "sac" or use_sde):  # SB3's SAC reads it for gSDE only
        values["log_std_init"] = float(log_std.group(1))
    if agent == "sac" and use_sde and "use_expln=True" in policy:
        values["use_expln"] = True
    if "ortho_init=False" in policy and agent not in OFF_POLICY:
        values["ortho_init"] = False
    layers = re.search(r"net_arch=\[([0-9,]+)\]", policy)
    if layers:
        values["hidden_sizes"] = layers.group(1)
    return values


KNOWN_POLICY_KWARGS = ("log_std_init", "ortho_init", "net_arch")


def unsupported(entry: dict, agent: str = "") -> list[str]:
    """The entry's settings our agents do not have: policy keywords other than the ones we
    translate (SAC's gSDE takes ``use_expln`` too), and gSDE at warm-up."""
    policy = str(entry.get("policy_kwargs", "")).replace(" ", "")
    keywords = re.findall(r"(?:^dict\(|,)([a-z_]+)=", policy)
    known = (*KNOWN_POLICY_KWARGS, "use_expln") if agent == "sac" and entry.get("use_sde") else KNOWN_POLICY_KWARGS
    missing = [key for key in keywords if key not in known]
    if entry.get("use_sde_at_warmup"):
        missing.append("use_sde_at_warmup")
    return missing
