"""How many numpy operations a step of learning costs: ``rl-kit bench --suite calls``.

At the small shapes of RL (a 64x64 network, 256 samples, 8 envs) numpy's time goes less into
arithmetic than into the fixed cost of each operation (about a microsecond or more to dispatch
it), so the count of operations per minibatch update and per env step is a figure of its own.
It is counted, not timed: the agent's arrays are viewed as a subclass of ``ndarray`` that
counts every ufunc call made on it (operators, products and reductions included: ``a + b``,
``x @ w``, ``x.sum()`` are each one) and every numpy function it reaches through
``__array_function__`` (``np.where``, ``np.clip``, ...). Results of an operation on a counted
array are counted arrays, so the count follows the data through the network. Not counted:
creating an array (``np.zeros``), indexing and reshaping, and operations on arrays that no
counted array touched.

Measured: one PPO minibatch update at the Zoo's CartPole shapes (64x64 tanh, batch 256) alone
and per member of a population of 8; one env step of acting and observing (8 envs), alone
and per member; and one DQN gradient step (64x64 ReLU, batch 64: targets, loss, backward,
clipping, Adam), alone and per member.
"""

from __future__ import annotations

from collections import Counter

import numpy as np


class CountedArray(np.ndarray):
    """An ndarray that counts the numpy operations made on it in :data:`COUNTS`."""

    def __array_ufunc__(self, ufunc, method, *inputs, **kwargs):
        COUNTS[ufunc.__name__ if method == "__call__" else f"{ufunc.__name__}.{method}"] += 1
        return counted(getattr(ufunc, method)(*plain(inputs), **plain(kwargs)))

    def __array_function__(self, func, types, args, kwargs):
        COUNTS[func.__name__] += 1
        return counted(func(*plain(args), **plain(kwargs)))  # on plain arrays: its inner steps are its own


COUNTS: Counter[str] = Counter()


def plain(value):
    """`value` with every counted array in it (in tuples, lists and dicts too) as a plain view."""
    if isinstance(value, CountedArray):
        return value.view(np.ndarray)
    if isinstance(value, (tuple, list)):
        return type(value)(plain(v) for v in value)
    if isinstance(value, dict):
        return {k: plain(v) for k, v in value.items()}
    return value


def counted(value):
    """A result of an operation on a counted array, counted in turn."""
    if isinstance(value, np.ndarray) and not isinstance(value, CountedArray):
        return value.view(CountedArray)
    if isinstance(value, tuple):
        return tuple(counted(v) for v in value)
    return value


def counting(network) -> None:
    """View `network`'s weights, gradient and optimizer state as counted arrays (the same memory),
    so that every pass through the network, clipping and the optimizer's step are counted."""
    parameters, optimizer, body = network.parameters, network.optimizer, network.body
    parameters.grad = parameters.grad.view(CountedArray)
    body.weights = [w.view(CountedArray) for w in body.weights]  # the forward and backward passes
    body.biases = [b.view(CountedArray) for b in body.biases]
    optimizer.parameters = optimizer.parameters.view(CountedArray)
    for name in ("m", "v", "_scratch"):
        if hasattr(optimizer, name):
            setattr(optimizer, name, getattr(optimizer, name).view(CountedArray))


def ppo_agent(members: int | None, **hyperparameters):
    from rl_kit.agents.ppo import PPO

    env = __import__("gymnasium").make("CartPole-v1")
    seed = 0 if members is None else tuple(range(members))
    values = dict(hidden_sizes="64,64", batch_size=256, n_epochs=1, **hyperparameters)
    return PPO(env.observation_space, env.action_space, seed=seed, **values)


def update_operations(members: int | None = None) -> Counter[str]:
    """The numpy operations of one PPO minibatch update at CartPole's shapes (batch 256)."""
    from rl_kit.agents.rollout import Batch

    agent = ppo_agent(members)
    counting(agent.net)
    rng = np.random.default_rng(0)
    rows = () if members is None else (members,)
    floats = lambda *shape: counted(rng.standard_normal((*rows, 256, *shape)).astype(np.float32))  # noqa: E731
    actions = rng.integers(0, 2, size=(*rows, 256))
    batch = Batch(floats(4), actions, floats(), floats(), floats(), floats())
    agent.update(batch)  # the first update makes the optimizer's state; count the second
    COUNTS.clear()
    agent.update(batch)
    return Counter(COUNTS)


def step_operations(members: int | None = None, envs: int = 8, steps: int = 10) -> Counter[str]:
    """The numpy operations of `steps` env steps of acting and observing (no update among them)."""
    from rl_kit.agents.base import Transitions

    agent = ppo_agent(members, n_steps=steps + 1)
    counting(agent.net)
    count = envs * (members or 1)
    rng = np.random.default_rng(0)
    obs = counted(rng.standard_normal((count, 4)).astype(np.float32))
    COUNTS.clear()
    for _ in range(steps):
        actions = agent.act(obs)
        next_obs = counted(rng.standard_normal((count, 4)).astype(np.float32))
        ones, falses = counted(np.ones(count)), counted(np.zeros(count, dtype=bool))
        agent.observe(Transitions(obs, actions, ones, next_obs, falses, falses))
        obs = next_obs
    return Counter({key: value / steps for key, value in COUNTS.items()})


def dqn_update_operations(members: int | None = None) -> Counter[str]:
    """The numpy operations of one DQN gradient step at CartPole's shapes (64x64 ReLU, batch 64):
    the targets through the target network, the loss and its gradient, backward, clipping, Adam."""
    from rl_kit.agents.dqn import DQN

    env = __import__("gymnasium").make("CartPole-v1")
    seed = 0 if members is None else tuple(range(members))
    agent = DQN(env.observation_space, env.action_space, seed=seed, hidden_sizes="64,64", batch_size=64)
    counting(agent.q)
    counting(agent.target)
    rng = np.random.default_rng(0)
    rows = () if members is None else (members,)
    floats = lambda *shape: counted(rng.standard_normal((*rows, 64, *shape)).astype(np.float32))  # noqa: E731
    batch = {"obs": floats(4), "actions": rng.integers(0, 2, size=(*rows, 64)), "rewards": floats(),
             "next_obs": floats(4), "terminated": counted(np.zeros((*rows, 64), dtype=np.float32))}  # fmt: skip
    agent.replay.sample = lambda size, generator: batch  # sampling is indexing: not counted anyway
    agent.gradient_step()  # the first makes the optimizer's state; count the second
    COUNTS.clear()
    agent.gradient_step()
    return Counter(COUNTS)


def operation_counts(members: int = 8) -> dict[str, float]:
    """Print and return the counts: per minibatch update and per env step, alone and per member."""
    results: dict[str, float] = {}
    print("numpy operations (ufuncs, operators and reductions, and numpy functions; not creation or indexing)")
    for key, what, count in (
        ("update", "one PPO minibatch update, CartPole shapes (64x64 tanh, batch 256)", update_operations),
        ("step", "one env step of acting and observing, 8 envs", step_operations),
        ("dqn_update", "one DQN gradient step, CartPole shapes (64x64 ReLU, batch 64)", dqn_update_operations),
    ):
        alone, together = sum(count().values()), sum(count(members).values())
        results[f"{key}_operations"], results[f"{key}_operations_per_member"] = alone, together / members
        print(f"  {what}: {alone:.0f} alone; {together:.0f} for a population of {members}, "
              f"{together / members:.1f} per member")  # fmt: skip
    for what, count in (("PPO update", update_operations), ("DQN gradient step", dqn_update_operations)):
        commonest = count().most_common(8)
        print(f"  the {what}'s commonest: " + ", ".join(f"{name} {n}" for name, n in commonest))
    return results
