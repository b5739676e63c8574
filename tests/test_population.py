"""A population of seeds in one process: each member a run of its own, statistically the same as
its run alone, resumable as a whole."""

import csv
from dataclasses import replace

import gymnasium as gym
import numpy as np
import pytest

import rl_kit
from rl_kit.agents.a2c import A2C
from rl_kit.agents.ppo import PPO, clipped_objective
from rl_kit.agents.rollout import Batch
from rl_kit.core.backends import load_agent
from rl_kit.core.population import population_reason, train_population
from rl_kit.core.spec import CheckpointSpec, EnvConfig, EvaluationSpec, RunOptions
from rl_kit.core.training import execute, plan
from rl_kit.errors import RLKitError
from rl_kit.infrastructure.yaml_text import read_yaml_file

QUIET = RunOptions(progress=False, tensorboard=False)


def rows(path, columns):
    with open(path, newline="") as f:
        return [tuple(row[c] for c in columns) for row in csv.DictReader(f)]


@pytest.mark.parametrize("env_id", ["CartPole-v1", "Pendulum-v1"])
def test_a_members_start_and_gradient_step_are_its_run_alones(env_id):
    """Member k starts from the weights seed k gives alone, and one step on the same minibatch
    moves it where the agent alone moves (to float32 rounding: the norms are summed otherwise)."""
    env = gym.make(env_id)
    seeds = (3, 5, 9)
    hp = dict(batch_size=16, n_steps=8)
    population = PPO(env.observation_space, env.action_space, seed=seeds, **hp)
    alone = [PPO(env.observation_space, env.action_space, seed=s, **hp) for s in seeds]
    for k, agent in enumerate(alone):
        for name, value in agent.net.parameters.values.items():
            assert np.array_equal(population.net.parameters.values[name][k], value), name
    rng = np.random.default_rng(0)
    size = env.observation_space.shape[0]
    obs = rng.normal(size=(3, 16, size)).astype(np.float32)
    if isinstance(env.action_space, gym.spaces.Discrete):
        actions = rng.integers(0, 2, size=(3, 16))
    else:
        actions = rng.normal(size=(3, 16, 1)).astype(np.float32)
    step_together_and_alone(population, alone, obs, actions, rng, learning_rate=1e-3)
    for k, agent in enumerate(alone):
        assert not np.array_equal(agent.net.parameters.data, alone[(k + 1) % 3].net.parameters.data)


def step_together_and_alone(population, alone, obs, actions, rng, learning_rate: float) -> None:
    """One PPO gradient step on the same random minibatch, (K, B, ...) for the population and
    member k's rows for `alone[k]`: each member's loss, gradient norm and parameters after the
    step are its run alone's (to float32 rounding: the norms are summed otherwise)."""
    log_probs, values, advantages, returns = (rng.normal(size=actions.shape[:2]).astype(np.float32) for _ in range(4))
    batch = Batch(obs, actions, log_probs, values, advantages, returns)
    objective = clipped_objective(batch, advantages, 0.2, 0.5, 0.01)
    result = population.net.step(objective, obs, actions, learning_rate, 0.5)
    for k, agent in enumerate(alone):
        own = Batch(obs[k], actions[k], log_probs[k], values[k], advantages[k], returns[k])
        objective = clipped_objective(own, advantages[k], 0.2, 0.5, 0.01)
        step = agent.net.step(objective, obs[k], actions[k], learning_rate, 0.5)
        assert result.losses["policy_loss"][k] == pytest.approx(step.losses["policy_loss"], rel=1e-6)
        assert result.grad_norm[k] == pytest.approx(step.grad_norm, rel=1e-5)
        np.testing.assert_allclose(population.net.parameters.data[k], agent.net.parameters.data, atol=1e-6)


def test_a_population_refuses_what_would_make_a_member_step_alone():
    env = gym.make("CartPole-v1")
    for hp in ({"target_kl": 0.02}, {"backend": "torch"}):
        with pytest.raises(ValueError, match="population cannot run with"):
            PPO(env.observation_space, env.action_space, seed=(0, 1), **hp)
    specs = [plan("CartPole-v1", "ppo", steps=1000, seed=s) for s in (0, 1)]
    assert population_reason(specs) is None
    assert "single run" in population_reason(specs[:1])
    assert "the same run" in population_reason([specs[0], specs[0]])
    assert population_reason([specs[0], specs[0].with_hyperparameters({"learning_rate": 1e-4})]) is None
    assert "differ in more" in population_reason([specs[0], specs[1].with_hyperparameters({"n_epochs": 3})])
    assert "more than their seeds" in population_reason([specs[0], replace(specs[1], steps=2000)])
    assert "does not train as a population" in population_reason(
        [plan("Pendulum-v1", "sac", steps=1000, seed=s) for s in (0, 1)]
    )
    dqn = [plan("CartPole-v1", "dqn", steps=1000, seed=s) for s in (0, 1)]
    assert population_reason([dqn[0], dqn[1].with_hyperparameters({"target_update_interval": 50})]) is None
    assert "target_update_interval" in population_reason([dqn[0], dqn[1].with_hyperparameters({"batch_size": 8})])


def population_specs(env: str | EnvConfig, agent: str, seeds, steps: int, **hyperparameters):
    spec = plan(env, agent, steps=steps, seed=0, num_envs=4, hyperparameters=hyperparameters)
    spec = replace(spec, evaluation=EvaluationSpec(every=steps // 4, episodes=3))
    return [replace(spec, seed=s) for s in seeds]


def test_each_member_writes_a_run_directory_as_if_it_had_run_alone(tmp_path):
    specs = population_specs("Acrobot-v1", "a2c", (4, 7), 2_000, normalize_observations=True)
    runs = train_population(specs, [tmp_path / "seed4", tmp_path / "seed7"], QUIET)
    alone = rl_kit.train("Acrobot-v1", "a2c", steps=2_000, seed=4, num_envs=4, eval_every=500, eval_episodes=3,
                         hyperparameters={"normalize_observations": True}, out=tmp_path / "alone",
                         progress=False, tensorboard=False)  # fmt: skip
    own = {p.name for p in (tmp_path / "alone").iterdir() if not p.name.startswith(".")}
    for k, run in enumerate(runs):
        assert {p.name for p in run.directory.iterdir() if not p.name.startswith(".")} == own
        assert run.result.steps == alone.result.steps == 2_000
        config = read_yaml_file(run.directory / "config.yaml", "run config")
        assert config["population"] == {"members": ["seed4", "seed7"], "member": k, "seeds": [4, 7]}
        assert config["seed"] == run.spec.seed
        saved = load_agent(run.directory)
        assert saved.hyperparameters == alone.agent.hyperparameters
        assert int(saved.state_dict()["counters"][0]) == int(alone.agent.state_dict()["counters"][0])
        assert [r[0] for r in rows(run.directory / "eval.csv", ("step",))] == ["500", "1000", "1500", "2000"]
        episodes = rows(run.directory / "episodes.csv", ("step", "length"))
        assert episodes and all(int(step) <= 2_000 for step, _ in episodes)
    first, second = (load_agent(run.directory).state_dict() for run in runs)
    assert not np.array_equal(first["net.body.weights.0"], second["net.body.weights.0"])


def killed_and_resumed(tmp_path, env: str | EnvConfig, agent: str = "ppo", **hyperparameters):
    """A population trained whole, and the same killed at step 2,500 and resumed from a member's directory."""
    specs = population_specs(env, agent, (1, 2, 3), 4_096, **(hyperparameters or dict(n_steps=64, batch_size=64)))
    specs = [replace(s, checkpoints=CheckpointSpec(every=1_024)) for s in specs]
    whole = train_population(specs, [tmp_path / "whole" / f"seed{s.seed}" for s in specs], QUIET)

    def stop(step, agent):
        if step >= 2_500:
            raise KeyboardInterrupt  # as Ctrl-C would, between two steps
        return False

    broken_dirs = [tmp_path / "broken" / f"seed{s.seed}" for s in specs]
    broken = train_population(specs, broken_dirs, replace(QUIET, callback=stop, callback_every=256))
    assert all(run.result.interrupted and run.result.steps < 4_096 for run in broken)
    resumed = rl_kit.train(resume=broken_dirs[1], progress=False, tensorboard=False)
    assert resumed.directory == broken_dirs[1] and resumed.result.steps == 4_096
    return [run.directory for run in whole], broken_dirs


LOGS = (("episodes.csv", ("step", "return", "length")), ("eval.csv", ("step", "mean")),
        ("train.csv", ("step", "policy_loss", "value_loss")))  # fmt: skip
DQN_LOGS = (*LOGS[:2], ("train.csv", ("step", "loss", "q_mean", "epsilon")))


DQN_SMALL = dict(learning_starts=200, train_freq=2, target_update_interval=300, buffer_size=3_000, batch_size=16,
                 hidden_sizes="32", learning_rate=1e-3, epsilon="linear(1.0, 0.05, 2000)")  # fmt: skip


PIXEL_CATCH = EnvConfig("rl_kit/Catch-v0", {"observation": "pixels"})


@pytest.mark.parametrize(("env_id", "agent", "hyperparameters"),
                         [("Pendulum-v1", "ppo", {}), ("Acrobot-v1", "dqn", DQN_SMALL),
                          (PIXEL_CATCH, "ppo", dict(n_steps=64, batch_size=64, augment="cutout"))])  # fmt: skip
def test_a_killed_population_resumes_to_the_files_of_an_uninterrupted_one(tmp_path, env_id, agent, hyperparameters):
    """On a classic-control twin, whose sub-envs' states the checkpoints keep, as a run alone
    does; DQN's members resume with their replay buffers; PPO's on images with their torsos
    (and cutout's draws from the shared generator)."""
    whole, broken = killed_and_resumed(tmp_path, env_id, agent, **hyperparameters)
    for a, b in zip(whole, broken, strict=True):
        saved, learned = load_agent(b).state_dict(), load_agent(a).state_dict()
        assert saved.keys() == learned.keys()
        assert all(np.array_equal(saved[key], learned[key]) for key in learned), a.name
        for name, columns in DQN_LOGS if agent == "dqn" else LOGS:
            assert rows(b / name, columns) == rows(a / name, columns), name


def test_a_population_on_gymnasiums_cartpole_resumes_with_its_episodes_afresh(tmp_path):
    """Gymnasium's vector CartPole cannot save its state: as for a run alone, the resumed
    population starts new episodes, its rows up to the checkpoint kept and the rest its own."""
    whole, broken = killed_and_resumed(tmp_path, "CartPole-v1")
    for a, b in zip(whole, broken, strict=True):
        before = [row for row in rows(a / "train.csv", LOGS[2][1]) if int(row[0]) <= 2_048]
        assert rows(b / "train.csv", LOGS[2][1])[: len(before)] == before
        assert [r[0] for r in rows(b / "eval.csv", ("step",))] == ["1024", "2048", "3072", "4096"]
        assert read_yaml_file(b / "result.yaml", "result")["steps_done"] == 4_096


def test_a_member_alone_cannot_be_trained_into_a_population_directory(tmp_path):
    specs = population_specs("CartPole-v1", "ppo", (0, 1), 512, n_steps=32, batch_size=64)
    train_population(specs, [tmp_path / "a", tmp_path / "b"], QUIET)
    with pytest.raises(RLKitError, match="already holds a run"):
        train_population(specs, [tmp_path / "a", tmp_path / "c"], QUIET)
    with pytest.raises(RLKitError, match="side by side"):
        train_population(specs, [tmp_path / "x" / "a", tmp_path / "y" / "b"], QUIET)


@pytest.mark.parametrize("agent_class", [PPO, A2C])
def test_members_learn_as_their_runs_alone_do(tmp_path, agent_class):
    """The learning outcome over seeds: 6 members and the same 6 seeds alone, on CartPole; the
    members' mean greedy return is far above random play and within a margin of the runs' alone."""
    name = agent_class.name
    steps, seeds = (30_000, range(6)) if name == "ppo" else (60_000, range(6))
    specs = [
        replace(s, evaluation=EvaluationSpec(every=0)) for s in population_specs("CartPole-v1", name, seeds, steps)
    ]
    members = train_population(specs, [tmp_path / "population" / f"seed{s.seed}" for s in specs], QUIET)
    alone = [execute(spec, replace(QUIET, directory=tmp_path / "alone" / f"seed{spec.seed}")) for spec in specs]
    together = [rl_kit.evaluate(run.agent, "CartPole-v1", episodes=10, seed=100).mean for run in members]
    apart = [rl_kit.evaluate(run.agent, "CartPole-v1", episodes=10, seed=100).mean for run in alone]
    # random play scores about 22; on the development machine 16 seeds of PPO at 30k steps
    # averaged 423 together and 434 apart, single seeds anywhere from 115 to 500
    assert np.mean(together) > 200, together
    assert np.mean(together) > np.mean(apart) - 150, (together, apart)


def test_train_seeds_runs_a_population_and_resumes_it_from_a_member(tmp_path, capsys):
    from rl_kit.cli import main

    command = ["train", "--env", "Pendulum-v1", "--agent", "ppo", "--steps", "1024", "--num-envs", "2",
               "--hp", "n_steps=64", "--checkpoint-every", "512", "--seeds", "3", "--seed", "5", "--no-progress"]  # fmt: skip
    assert main([*command, "--out", str(tmp_path / "together")]) == 0
    assert "3 seeds of ppo on Pendulum-v1 as one population" in capsys.readouterr().err
    members = sorted(p.name for p in (tmp_path / "together").iterdir())
    assert members == ["seed5", "seed6", "seed7"]
    assert main(["train", "--resume", str(tmp_path / "together" / "seed6"), "--steps", "2048", "--no-progress"]) == 0
    for name in members:
        assert read_yaml_file(tmp_path / "together" / name / "result.yaml", "result")["steps_done"] == 2048
    assert main([*command, "--population", "off", "--out", str(tmp_path / "apart")]) == 0
    assert "one after another (--population off)" in capsys.readouterr().err
    assert "population" not in read_yaml_file(tmp_path / "apart" / "seed6" / "config.yaml", "run config")
    with pytest.raises(RLKitError, match="member of a population"):
        rl_kit.core.training.resume_run(tmp_path / "together" / "seed5")


def test_compare_trains_an_agents_seeds_as_one_population_and_says_so(tmp_path):
    comparison = rl_kit.compare("CartPole-v1", ["ppo", "dqn", "sb3_ppo"], steps=1_024, seeds=2, episodes=3,
                                out=tmp_path / "c", workers=1, progress=False)  # fmt: skip
    assert comparison.populations == {"ppo": None, "dqn": None, "sb3_ppo": "sb3_ppo does not train as a population"}
    report = comparison.report.read_text(encoding="utf-8")
    assert "Trained as one population (all seeds in one process, one computation): ppo, dqn;" in report
    assert "| ppo | 2 (one population) |" in report and "| dqn | 2 (one population) |" in report
    assert "| sb3_ppo | 2 |" in report
    assert len(comparison.outcomes) == 6 and not any(o.failed for o in comparison.outcomes)
    config = read_yaml_file(tmp_path / "c" / "runs" / "ppo" / "seed1" / "config.yaml", "run config")
    assert config["population"]["members"] == ["seed0", "seed1"]
    apart = rl_kit.compare("CartPole-v1", ["ppo"], steps=1_024, seeds=2, episodes=3, out=tmp_path / "d",
                           workers=1, progress=False, population=False)  # fmt: skip
    assert apart.populations == {"ppo": "--population off"}
    assert "one population" not in apart.report.read_text(encoding="utf-8")


@pytest.mark.parametrize("env_id", ["Acrobot-v1", "CartPole-v1"])
def test_a_population_of_one_with_the_agents_generator_learns_its_first_update_exactly(env_id):
    """The whole path (acting, the rollout with its resets, GAE, the member batch, the epochs of
    one full-batch update) equals the agent alone's to float32 rounding, once the population's
    generator is the agent's; a rollout later the two have drawn their randomness differently."""
    from rl_kit.core.loop import run_loop
    from rl_kit.core.spec import EnvConfig
    from rl_kit.core.supervisor import Supervisor

    hp = dict(n_steps=32, batch_size=128, n_epochs=4, learning_rate=1e-3)
    learned = []
    for seed in (7, (7,)):
        envs = EnvConfig.of(env_id).make_vector(4)
        agent = PPO(envs.single_observation_space, envs.single_action_space, seed=seed, **hp)
        agent.rng = np.random.default_rng(7)
        run_loop(agent, envs, Supervisor(4 * 32), seed=7)
        assert agent.updates == 1
        learned.append(agent.net.parameters.data.reshape(-1))
    moved = np.abs(learned[0] - PPO(envs.single_observation_space, envs.single_action_space, seed=7,
                                    **hp).net.parameters.data).max()  # fmt: skip
    assert np.abs(learned[0] - learned[1]).max() < 1e-6 < moved


def test_members_with_their_own_values_step_as_each_alone_with_those_values():
    """Learning rate, clipping norm, clip range and both coefficients per member."""
    from rl_kit.agents.policy_gradient import normalized_advantages

    env = gym.make("CartPole-v1")
    own = [
        {"learning_rate": 1e-3, "max_grad_norm": 0.5, "vf_coef": 0.5, "ent_coef": 0.0, "clip_range": 0.2},
        {"learning_rate": 3e-2, "max_grad_norm": 5.0, "vf_coef": 1.0, "ent_coef": 0.1, "clip_range": 0.05},
    ]
    population = PPO(env.observation_space, env.action_space, seed=(3, 3), member_values=own, batch_size=16)
    alone = [PPO(env.observation_space, env.action_space, seed=3, batch_size=16, **values) for values in own]
    rng = np.random.default_rng(1)
    obs = rng.normal(size=(2, 16, 4)).astype(np.float32)
    actions = rng.integers(0, 2, size=(2, 16))
    log_probs, values, advantages, returns = (rng.normal(size=(2, 16)).astype(np.float32) for _ in range(4))
    advantages = normalized_advantages(advantages)
    batch = Batch(obs, actions, log_probs, values, advantages, returns)
    clip, vf, ent = population.scheduled("clip_range"), population.value("vf_coef"), population.value("ent_coef")
    population.gradient_step(clipped_objective(batch, advantages, clip, vf, ent), batch)
    for k, agent in enumerate(alone):
        hp = agent.hyperparameters
        mine = Batch(obs[k], actions[k], log_probs[k], values[k], advantages[k], returns[k])
        agent.gradient_step(clipped_objective(mine, advantages[k], hp.clip_range(0), hp.vf_coef, hp.ent_coef), mine)
        np.testing.assert_allclose(population.net.parameters.data[k], agent.net.parameters.data, atol=1e-6)
    assert np.abs(population.net.parameters.data[0] - population.net.parameters.data[1]).max() > 1e-3


def test_each_members_discount_and_lambda_shape_its_own_advantages():
    from rl_kit.agents.rollout import Rollout, generalized_advantages

    env = gym.make("CartPole-v1")
    own = [{"gamma": 0.9, "gae_lambda": 0.5}, {"gamma": 0.999, "gae_lambda": 1.0}]
    agent = PPO(env.observation_space, env.action_space, seed=(0, 1), member_values=own, n_steps=5)
    rng = np.random.default_rng(2)
    rollout = Rollout(5, 6, 4, (), np.int64)  # 2 members x 3 envs
    rollout.rewards[...], rollout.values[...] = rng.normal(size=(5, 6)), rng.normal(size=(5, 6))
    rollout.dones[2, 1] = rollout.dones[3, 4] = 1.0
    rewards, values, dones = rollout.rewards.copy(), rollout.values.copy(), rollout.dones.copy()
    last = rng.normal(size=6).astype(np.float32)
    gamma, lam = agent.per_env(agent.value("gamma"), 6), agent.per_env(agent.value("gae_lambda"), 6)
    batch = rollout.batch(last, gamma, lam, members=2)
    for k, values_k in enumerate(own):
        columns = slice(3 * k, 3 * k + 3)
        expected, _ = generalized_advantages(rewards[:, columns], values[:, columns], dones[:, columns], last[columns],
                                             values_k["gamma"], values_k["gae_lambda"])  # fmt: skip
        np.testing.assert_allclose(batch.advantages[k], expected.reshape(-1), rtol=1e-6)


def test_a_population_of_values_records_each_members_own_and_learns_with_it(tmp_path):
    base = population_specs("Acrobot-v1", "a2c", (0,), 1_000)[0]
    specs = [base.with_hyperparameters({"learning_rate": 0.0, "gamma": 0.9}),
             replace(base.with_hyperparameters({"learning_rate": 0.01}), seed=1)]  # fmt: skip
    assert population_reason(specs) is None
    runs = train_population(specs, [tmp_path / "frozen", tmp_path / "learning"], QUIET)
    configs = [read_yaml_file(run.directory / "config.yaml", "run config") for run in runs]
    assert [c["hyperparameters"]["learning_rate"] for c in configs] == [0.0, 0.01]
    assert [c["hyperparameters"]["gamma"] for c in configs] == [0.9, 0.99]  # the second's own: the entry's
    start = A2C(runs[0].agent.observation_space, runs[0].agent.action_space, seed=0, **configs[0]["hyperparameters"])
    frozen, learning = (load_agent(run.directory).state_dict() for run in runs)
    assert np.array_equal(frozen["net.body.weights.1"], start.state_dict()["net.body.weights.1"])
    assert load_agent(runs[1].directory).hyperparameters.learning_rate(0) == 0.01
    start = A2C(runs[1].agent.observation_space, runs[1].agent.action_space, seed=1, **configs[1]["hyperparameters"])
    assert not np.array_equal(learning["net.body.weights.1"], start.state_dict()["net.body.weights.1"])


# --- DQN -------------------------------------------------------------------------------------


def test_a_dqn_members_start_targets_and_gradient_step_are_its_run_alones_with_its_values():
    """Member k starts from seed k's networks alone; on the same minibatch its targets (its own
    discount) and its step (its own learning rate and clipping norm) are its run alone's, to
    float32 rounding."""
    from rl_kit.agents.dqn import DQN

    env = gym.make("CartPole-v1")
    own = [{"learning_rate": 1e-3, "gamma": 0.9, "max_grad_norm": 0.5}, {"learning_rate": 3e-2, "gamma": 0.99,
                                                                         "max_grad_norm": 10.0}]  # fmt: skip
    hp = dict(hidden_sizes="16,16", batch_size=8)
    population = DQN(env.observation_space, env.action_space, seed=(3, 5), member_values=own, **hp)
    alone = [DQN(env.observation_space, env.action_space, seed=s, **hp, **v) for s, v in zip((3, 5), own, strict=True)]
    for k, agent in enumerate(alone):
        assert np.array_equal(population.q.parameters.data[k], agent.q.parameters.data)
        assert np.array_equal(population.target.parameters.data[k], agent.q.parameters.data)
    rng = np.random.default_rng(0)
    batch = {"obs": rng.normal(size=(2, 8, 4)).astype(np.float32), "actions": rng.integers(0, 2, size=(2, 8)),
             "rewards": rng.normal(size=(2, 8)).astype(np.float32), "next_obs": rng.normal(size=(2, 8, 4)).astype(
                 np.float32), "terminated": (rng.random((2, 8)) < 0.3).astype(np.float32)}  # fmt: skip
    population.replay.sample = lambda size, generator: batch
    targets = population.targets(batch)
    loss, _ = population.gradient_step()
    for k, agent in enumerate(alone):
        mine = {name: value[k] for name, value in batch.items()}
        agent.replay.sample = lambda size, generator, mine=mine: mine
        np.testing.assert_allclose(targets[k], agent.targets(mine), rtol=1e-6)
        assert loss[k] == pytest.approx(agent.gradient_step()[0], rel=1e-6)
        np.testing.assert_allclose(population.q.parameters.data[k], agent.q.parameters.data, atol=1e-6)
    moved = np.abs(population.q.parameters.data[1] - alone[1].target.parameters.data).max()
    assert moved > 1e-3  # the step did move member 1, as far as its run alone


@pytest.mark.parametrize("env_id", ["Acrobot-v1", "CartPole-v1"])
def test_a_dqn_population_of_one_follows_its_run_alone(env_id):
    """The whole path (acting, replay with its resets, sampling, targets, Adam, the target's
    copies) of a population of one stays with the agent alone's for 2,400 env steps, float32
    rounding apart: the same actions and minibatches drawn. CartPole's Gymnasium vector env
    resets in the next step: its reset rows are not transitions."""
    from rl_kit.agents.dqn import DQN
    from rl_kit.core.loop import run_loop
    from rl_kit.core.spec import EnvConfig
    from rl_kit.core.supervisor import Supervisor

    learned = []
    for seed in (7, (7,)):
        envs = EnvConfig.of(env_id).make_vector(4)
        agent = DQN(envs.single_observation_space, envs.single_action_space, seed=seed, **DQN_SMALL)
        run_loop(agent, envs, Supervisor(2_400), seed=7)
        state = agent.state_dict() if seed == 7 else agent.member_state(0)
        learned.append(state)
    assert learned[0]["counters"].tolist() == learned[1]["counters"].tolist()
    assert learned[0]["counters"][2] > 250 and learned[0]["counters"][3] >= 7  # gradient steps, target copies
    for name, value in learned[0].items():
        np.testing.assert_allclose(learned[1][name], value, atol=1e-5, err_msg=name)


def test_dqn_members_explore_and_copy_their_targets_on_their_own_schedules():
    from rl_kit.agents.base import Transitions
    from rl_kit.agents.dqn import DQN

    env = gym.make("CartPole-v1")
    own = [{"epsilon": 0.0, "target_update_interval": 40}, {"epsilon": 1.0, "target_update_interval": 100}]
    agent = DQN(env.observation_space, env.action_space, seed=(0, 1), member_values=own, learning_starts=10**6)
    rng = np.random.default_rng(0)
    for _ in range(50):  # 2 members x 4 envs, 4 transitions a member a step: 200 each
        obs = rng.normal(size=(8, 4)).astype(np.float32)
        actions = agent.act(obs)
        greedy = agent.action_values(obs).argmax(axis=1)
        assert np.array_equal(actions[:4], greedy[:4])  # epsilon 0: greedy
        agent.observe(Transitions(obs, actions, np.ones(8), obs, np.zeros(8, bool), np.zeros(8, bool)))
    assert agent.steps.tolist() == [200, 200] and agent.target_updates.tolist() == [5, 2]
    assert agent.replay.size.tolist() == [200, 200]
    assert agent.member(1).epsilon == 1.0 and agent.member(0).hyperparameters.target_update_interval == 40
    assert np.array_equal(agent.replay.arrays["obs"][1, 196:200], obs[4:])  # member 1's envs, its own buffer
    assert np.array_equal(agent.replay.arrays["obs"][0, 196:200], obs[:4])
    with pytest.raises(ValueError, match="population cannot run with backend torch"):
        DQN(env.observation_space, env.action_space, seed=(0, 1), backend="torch")
    with pytest.raises(ValueError, match="differ only in learning_rate, gamma"):
        DQN(env.observation_space, env.action_space, seed=(0, 1), member_values=[{"batch_size": 8}, {}])


def test_dqn_members_learn_as_their_runs_alone_do(tmp_path):
    """The learning outcome over seeds, on our Catch (vector observations): 4 members and the
    same 4 seeds alone. On the development machine at 20k steps, 6 seeds caught 8.2 of 10 balls
    on average together and 9.0 apart (random play: about -6), single seeds 5.2 to 10."""
    specs = [replace(s, evaluation=EvaluationSpec(every=0))
             for s in population_specs("rl_kit/Catch-v0", "dqn", range(4), 20_000, **CATCH)]  # fmt: skip
    members = train_population(specs, [tmp_path / "population" / f"seed{s.seed}" for s in specs], QUIET)
    alone = [execute(spec, replace(QUIET, directory=tmp_path / "alone" / f"seed{spec.seed}")) for spec in specs]
    together = [rl_kit.evaluate(run.agent, specs[0].env, episodes=10, seed=100).mean for run in members]
    apart = [rl_kit.evaluate(run.agent, specs[0].env, episodes=10, seed=100).mean for run in alone]
    assert np.mean(together) > 4, together
    assert np.mean(together) > np.mean(apart) - 4, (together, apart)


CATCH = dict(learning_rate=1e-3, batch_size=32, buffer_size=10_000, learning_starts=500, train_freq=1,
             gradient_steps=1, target_update_interval=250, epsilon="linear(1.0, 0.05, 4000)", hidden_sizes="64",
             gamma=0.95)  # fmt: skip


def test_a_dqn_population_on_images_steps_each_member_as_its_run_alone():
    """The convolution torso in a population: member k starts from seed k's torso and MLP alone,
    and one gradient step on the same minibatch moves its torso where its run alone moves it."""
    from rl_kit.agents.dqn import DQN

    env = gym.make("rl_kit/Catch-v0", observation="pixels")
    hp = dict(hidden_sizes="32", batch_size=8)
    population = DQN(env.observation_space, env.action_space, seed=(3, 5), learning_rate=1e-2, **hp)
    alone = [DQN(env.observation_space, env.action_space, seed=s, learning_rate=1e-2, **hp) for s in (3, 5)]
    for k, agent in enumerate(alone):
        assert np.array_equal(population.q.parameters.data[k], agent.q.parameters.data)
    rng = np.random.default_rng(0)
    images = lambda: rng.integers(0, 2, size=(2, 8, 10, 5, 2)).astype(np.uint8) * 255  # noqa: E731
    batch = {"obs": images(), "actions": rng.integers(0, 3, size=(2, 8)), "next_obs": images(),
             "rewards": rng.normal(size=(2, 8)).astype(np.float32), "terminated": np.zeros((2, 8), np.float32)}  # fmt: skip
    population.replay.sample = lambda size, generator: batch
    population.gradient_step()
    obs = images()
    for k, agent in enumerate(alone):
        mine = {name: value[k] for name, value in batch.items()}
        agent.replay.sample = lambda size, generator, mine=mine: mine
        agent.gradient_step()
        np.testing.assert_allclose(population.q.parameters.data[k], agent.q.parameters.data, atol=1e-6)
        np.testing.assert_allclose(population.member(k).action_values(obs[k]), agent.action_values(obs[k]), atol=1e-5)
    conv = population.q.parameters.values["q.conv.0.weight"]
    assert np.abs(conv[0] - alone[1].q.parameters.values["q.conv.0.weight"]).max() > 1e-3  # members differ


@pytest.mark.parametrize("agent_class", [PPO, A2C])
def test_an_actor_critic_population_on_images_steps_each_member_as_its_run_alone(agent_class):
    """The shared torso in a population of PPO or A2C: member k starts from seed k's torso and
    MLPs alone, and one gradient step on the same minibatch moves it where its run alone does."""
    env = gym.make("rl_kit/Catch-v0", observation="pixels")
    seeds, hp = (3, 5), dict(hidden_sizes="32", n_steps=8, learning_rate=1e-2)
    population = agent_class(env.observation_space, env.action_space, seed=seeds, **hp)
    alone = [agent_class(env.observation_space, env.action_space, seed=s, **hp) for s in seeds]
    for k, agent in enumerate(alone):
        assert np.array_equal(population.net.parameters.data[k], agent.net.parameters.data)
    rng = np.random.default_rng(0)
    images = rng.integers(0, 2, size=(2 * 8, 10, 5, 2)).astype(np.uint8) * 255
    obs = population.encode(images)  # (K, B, inputs): each member's rows
    actions = rng.integers(0, 3, size=(2, 8))
    step_together_and_alone(population, alone, obs, actions, rng, learning_rate=1e-2)
    for k, agent in enumerate(alone):
        np.testing.assert_array_equal(
            population.member(k).act(images[:8], explore=False), agent.act(images[:8], explore=False)
        )
    torso = population.net.parameters.values["torso.0.weight"]
    assert np.abs(torso[0] - alone[1].net.parameters.values["torso.0.weight"]).max() > 1e-3  # members differ


@pytest.mark.parametrize("agent", ["ppo", "a2c"])
def test_members_on_images_learn_as_their_runs_alone_do(tmp_path, agent):
    """The learning outcome on pixel Catch, 4 seeds as one population at the budget and bar that
    tests/test_policy_gradient_learning.py holds 4 seeds alone to (random play: about -6)."""
    spec = replace(plan(PIXEL_CATCH, agent, steps=20_000, seed=0), evaluation=EvaluationSpec(every=0))
    specs = [replace(spec, seed=s) for s in range(4)]
    members = train_population(specs, [tmp_path / f"seed{s.seed}" for s in specs], QUIET)
    scores = [rl_kit.evaluate(run.agent, run.spec.env, episodes=10, seed=100).mean for run in members]
    assert sum(score >= 8 for score in scores) >= 3, scores
