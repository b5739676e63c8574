"""The Zoo's hyperparameters in our names, and the Zoo benchmark's report (from given returns)."""

import json
from pathlib import Path

import pytest

from rl_kit.experiments.zoo_benchmark import ROWS, write_report
from rl_kit.experiments.zoo_hyperparameters import our_arguments, unsupported


def test_a_zoo_entry_in_our_names():
    entry = {
        "normalize": "{'norm_obs': True, 'norm_reward': False}",
        "n_envs": 8,
        "n_timesteps": 2e5,
        "policy": "MlpPolicy",
        "learning_rate": "lin_0.001",
        "use_sde": True,
        "policy_kwargs": "dict(log_std_init=-2, ortho_init=False, net_arch=[64, 64])",
    }
    steps, num_envs, values = our_arguments("ppo", entry)
    assert (steps, num_envs) == (200_000, 8)
    assert values["learning_rate"] == "linear(0.001, 0.0, 200000)" and values["n_steps"] == 2048  # SB3's default
    assert values["normalize_observations"] is True and values["normalize_rewards"] is False
    assert values["log_std_init"] == -2.0 and values["hidden_sizes"] == "64,64"
    assert values["use_sde"] is True and values["ortho_init"] is False  # gSDE and torch's default init: ours too
    assert unsupported(entry) == [] and unsupported({"policy_kwargs": "dict(squash_output=True)"}) == ["squash_output"]
    _, _, dqn = our_arguments(
        "dqn", {"n_timesteps": 1e5, "exploration_fraction": 0.12, "exploration_final_eps": 0.1, "gradient_steps": -1}
    )
    assert dqn["epsilon"] == "linear(1.0, 0.1, 12000)" and dqn["gradient_steps"] == 4  # -1: one per step collected
    # SB3's A2C runs RMSprop unless the entry says otherwise, and so does ours with the Zoo's values.
    assert our_arguments("a2c", {"n_timesteps": 1e5})[2]["optimizer"] == "rmsprop"
    assert our_arguments("a2c", {"n_timesteps": 1e5, "use_rms_prop": False})[2]["optimizer"] == "adam"


def test_the_zoo_off_policy_continuous_entries_in_our_names_build_our_agents():
    """The Zoo's TD3/DDPG noise and SAC's temperature in our names; gSDE, which our SAC lacks, said."""
    from rl_kit.agents.ddpg import DDPGHyperparameters
    from rl_kit.agents.sac import SACHyperparameters

    td3 = {
        "n_timesteps": 3e5,
        "noise_type": "ornstein-uhlenbeck",
        "noise_std": 0.5,
        "policy_kwargs": "dict(net_arch=[400, 300])",
    }
    _, _, values = our_arguments("td3", td3)
    assert values["action_noise"] == "ornstein-uhlenbeck" and values["action_noise_std"] == 0.5
    assert values["hidden_sizes"] == "400,300" and values["learning_starts"] == 100  # SB3's default
    assert our_arguments("ddpg", {"n_timesteps": 1e4})[2]["action_noise"] == "none"  # no noise_type: SB3 adds none
    DDPGHyperparameters.from_dict(values)
    sac = {"n_timesteps": 5e4, "ent_coef": 0.1, "use_sde": True,
           "policy_kwargs": "dict(log_std_init=-3.67, net_arch=[64, 64], use_expln=True)"}  # fmt: skip
    _, _, values = our_arguments("sac", sac)
    assert values["ent_coef"] == "0.1" and values["use_sde"] is True
    assert values["log_std_init"] == -3.67 and values["use_expln"] is True
    assert unsupported(sac, "sac") == [] and unsupported({**sac, "use_sde_at_warmup": True}, "sac") == [
        "use_sde_at_warmup"
    ]
    SACHyperparameters.from_dict(values)
    no_sde = our_arguments("sac", {**sac, "use_sde": False})[2]  # SB3's SAC reads log_std_init for gSDE only
    assert "log_std_init" not in no_sde and "use_expln" not in no_sde


def test_the_report_says_who_reaches_the_published_figure(tmp_path):
    cartpole, acrobot = ROWS[0], ROWS[3]
    results = {
        (cartpole.name, "rl_kit"): [[500.0] * 3, [500.0] * 3],
        (cartpole.name, "zoo"): [[500.0] * 3, [480.0] * 3],
        (acrobot.name, "rl_kit"): [[-90.0] * 3, [-85.0] * 3],
        (acrobot.name, "tuned"): [[-70.0] * 3, [-72.0] * 3],
    }
    report = write_report((cartpole, acrobot), results, ["zoo ppo-acrobot seed 0: boom"], 2, 3, tmp_path)
    text = report.read_text()
    assert "| ppo | CartPole-v1 | 100,000 | 500.0 | 500.0 [500.0, 500.0] (2 seeds) | – | – | 490.0 |" in text
    assert text.count("| yes |") == 1  # CartPole; Acrobot: -87.5 against the published -73.5, own entry -71
    assert "| -71.0 | -71.0 [-72.0, -70.0] (2 seeds) | – | – | -73.5 | no; own entry: yes |" in text
    assert "## Failed runs" in text and (tmp_path / "report.png").is_file()
    not_run = text.split("## Rows not run")[1].split("##")[0]  # every row of the Zoo's table without a run is named
    assert "ppo-cartpole" not in not_run and "ppo-acrobot" not in not_run
    assert "td3-lunarlandercontinuous (300,000 steps)" in not_run and "a2c-cartpole (500,000 steps)" in not_run


def test_rows_run_before_stay_in_the_report(tmp_path):
    """results.json keeps every run, so the table can be filled a few rows at a time."""
    import json

    from rl_kit.experiments.zoo_benchmark import zoo_benchmark

    earlier = {
        "seeds": 2,
        "protocol": 2,
        "episodes": 3,
        "runs": {"ppo-cartpole": {"rl_kit": [[500.0] * 3, [500.0] * 3], "zoo": [[500.0] * 3, [490.0] * 3]}},
        "failures": ["zoo dqn-cartpole seed 1: boom"],
    }
    (tmp_path / "results.json").write_text(json.dumps(earlier))
    text = zoo_benchmark((), seeds=2, episodes=3, workers=1, out=tmp_path).read_text()  # no new rows to run
    assert "| ppo | CartPole-v1 | 100,000 | 500.0 |" in text and "dqn-cartpole seed 1: boom" in text
    assert json.loads((tmp_path / "results.json").read_text())["runs"] == earlier["runs"]
    other = zoo_benchmark((), seeds=5, episodes=3, workers=1, out=tmp_path).read_text()  # other seeds: replaced
    assert "CartPole" not in other


def test_one_side_run_again_keeps_the_other_and_concurrent_invocations_keep_each_others_rows(tmp_path):
    """--sides zoo replaces only the Zoo's runs; two invocations that overlap both land in results.json.

    Before, an invocation read results.json when it started and wrote it back when it ended,
    so a second one started meanwhile wrote over the first's rows."""
    import json

    from rl_kit.experiments.zoo_benchmark import merge_run

    cartpole, acrobot = ROWS[0], ROWS[3]
    path = tmp_path / "results.json"
    earlier = {
        "protocol": 2,
        "seeds": 2,
        "episodes": 1,
        "runs": {cartpole.name: {"rl_kit": [[500.0], [500.0]], "zoo": [[9.0], [9.0]]}},
        "failures": [f"zoo {cartpole.name} seed 1: boom", f"rl_kit {cartpole.name} seed 0: old"],
    }
    path.write_text(json.dumps(earlier))
    first, second = set(), set()  # two invocations started from that file, their runs interleaved
    merge_run(path, 2, 1, (cartpole.name, "zoo"), [480.0], None, first)
    merge_run(path, 2, 1, (acrobot.name, "rl_kit"), [-80.0], None, second)
    merge_run(path, 2, 1, (cartpole.name, "zoo"), [490.0], None, first)
    stored = json.loads(path.read_text())
    assert stored["runs"][cartpole.name] == {"rl_kit": [[500.0], [500.0]], "zoo": [[480.0], [490.0]]}
    assert stored["runs"][acrobot.name] == {"rl_kit": [[-80.0]]}
    assert stored["failures"] == [f"rl_kit {cartpole.name} seed 0: old"]  # the Zoo's old one is gone


@pytest.mark.parametrize(
    "damage",
    [b'{"seeds": 2, "runs": {', b"[1, 2]", b'{"protocol": 2, "seeds": 2, "episodes": 1, "runs": []}', b"\x00\xff\xfe"],
)
def test_a_damaged_results_file_is_kept_aside_and_each_run_is_kept_as_it_finishes(tmp_path, damage, capsys):
    """Before, a damaged results.json made the merge at the end raise after every run had
    finished, and a kill mid-invocation lost every run: both are kept now."""
    from rl_kit.experiments.zoo_benchmark import merge_run

    path = tmp_path / "results.json"
    path.write_bytes(damage)
    merge_run(path, 2, 1, (ROWS[0].name, "rl_kit"), [500.0], None, set())
    assert json.loads(path.read_text())["runs"] == {ROWS[0].name: {"rl_kit": [[500.0]]}}
    (aside,) = tmp_path.glob("results.json.damaged-*")
    assert aside.read_bytes() == damage
    assert "kept aside" in capsys.readouterr().out


def test_an_unknown_side_is_refused_by_name(tmp_path):
    import pytest

    from rl_kit.experiments.zoo_benchmark import zoo_benchmark

    with pytest.raises(Exception, match="ours_and_theirs"):
        zoo_benchmark((), sides=("ours_and_theirs",), out=tmp_path)


def test_the_own_entry_side_runs_only_where_our_entry_is_not_the_zoos(monkeypatch):
    """A row whose entry in rl_kit/hyperparams is the Zoo's would only repeat the ours side."""
    from rl_kit.core.hyperparameter_files import tuned_hyperparameters
    from rl_kit.experiments import zoo_hyperparameters
    from rl_kit.experiments.zoo_benchmark import ROWS, tuned_command, tuned_entry

    zoo = {  # the Zoo's entries as its ppo.yml and a2c.yml have them (rl_zoo3 is the bench extra's)
        ("ppo", "Acrobot-v1"): {"normalize": True, "n_envs": 16, "n_timesteps": 1e6, "n_steps": 256,
                                "gae_lambda": 0.94, "gamma": 0.99, "n_epochs": 4, "ent_coef": 0.0},
        ("a2c", "CartPole-v1"): {"n_envs": 8, "n_timesteps": 5e5, "ent_coef": 0.0},
    }  # fmt: skip
    monkeypatch.setattr(zoo_hyperparameters, "zoo_entry", lambda agent, env: dict(zoo[agent, env]))

    by_name = {row.name: row for row in ROWS}
    assert tuned_entry(by_name["ppo-acrobot"]) is None  # ppo.yml's Acrobot-v1 entry is the Zoo's
    ours = tuned_entry(by_name["a2c-cartpole"])  # ours: 32-step rollouts, 200k steps
    assert ours is not None and ours.hyperparameters["n_steps"] == 32
    command = tuned_command(by_name["a2c-cartpole"], 3, Path("out"))
    assert command[command.index("--steps") + 1] == str(tuned_hyperparameters("a2c", "CartPole-v1").n_timesteps)
    assert "--no-tuned" not in command and "--hp" not in command and command[command.index("--seed") + 1] == "3"


def test_runs_of_the_old_protocol_are_kept_aside_and_each_run_draws_its_own_starts(tmp_path):
    """Before, every run of every side was evaluated on the same 20 episodes from seed 10,000;
    the verdicts against a published figure could rest on which 20 starts those were."""
    from rl_kit.experiments.zoo_benchmark import episode_seed, evaluation_episodes, merge_run

    path = tmp_path / "results.json"
    old = {"seeds": 5, "episodes": 20, "runs": {ROWS[0].name: {"zoo": [[500.0] * 20]}}, "failures": []}
    path.write_text(json.dumps(old))
    merge_run(path, 5, None, (ROWS[0].name, "rl_kit"), [500.0], None, set())
    assert json.loads((tmp_path / "results.json.protocol-1").read_text()) == old
    assert json.loads(path.read_text())["protocol"] == 2
    assert len({episode_seed(seed) for seed in range(5)}) == 5
    pendulum = next(row for row in ROWS if row.env == "Pendulum-v1")
    assert evaluation_episodes(pendulum) == 750  # 150,000 steps of 200-step episodes


def test_the_ci_covers_the_episodes_noise_as_well_as_the_seeds():
    import numpy as np

    from rl_kit.core.stats import bootstrap_ci, two_level_bootstrap_ci

    rng = np.random.default_rng(0)
    few = [rng.normal(mean, 50.0, size=5) for mean in (-150, -152, -148, -151, -149)]  # noisy runs, close seeds
    seeds_only = bootstrap_ci([g.mean() for g in few])
    both = two_level_bootstrap_ci(few)
    assert both[1] - both[0] > seeds_only[1] - seeds_only[0]
    many = [np.full(1000, mean) for mean in (-150, -152, -148, -151, -149)]  # no episode noise: the seeds' CI
    assert two_level_bootstrap_ci(many) == pytest.approx(
        bootstrap_ci([-150, -152, -148, -151, -149], resamples=2000), abs=1.0
    )


def test_the_aggregate_row_is_the_normalised_iqm_over_rows_and_seeds(tmp_path):
    """0 is random actions, 1 the published figure: runs at the published figure on every row
    aggregate to 1, on rows of any scale and sign."""
    cartpole, acrobot = ROWS[0], ROWS[3]
    results = {
        (cartpole.name, "rl_kit"): [[cartpole.published]] * 2,
        (acrobot.name, "rl_kit"): [[acrobot.published]] * 2,
        (cartpole.name, "zoo"): [[cartpole.published]],  # one seed of two: left out of the aggregate
    }
    text = write_report((cartpole, acrobot), results, [], 2, 1, tmp_path).read_text()
    assert "| ours | 2 | 1.000 [1.000, 1.000] |" in text
    assert "| Zoo |" not in text


def test_resuming_keeps_a_rows_runs_and_runs_only_the_seeds_it_lacks(tmp_path):
    """A row of hours a seed is filled over several sessions: a resumed invocation adds seeds."""
    import json

    from rl_kit.experiments.zoo_benchmark import merge_run, read_results, runs_to_do, stored_seeds

    path, td3 = tmp_path / "results.json", next(row for row in ROWS if row.name == "td3-mountaincarcontinuous")
    merge_run(path, 5, None, (td3.name, "rl_kit"), [90.0], None, set(), seed=0)
    merge_run(path, 5, None, (td3.name, "rl_kit"), [92.0], None, {(td3.name, "rl_kit")}, seed=2)
    done = stored_seeds(read_results(path, 5, None))
    assert done == {(td3.name, "rl_kit"): {0, 2}}
    todo = runs_to_do((td3,), 5, ("rl_kit", "zoo"), done)
    assert [(kind, seed) for kind, _, seed in todo if kind == "rl_kit"] == [("rl_kit", 1), ("rl_kit", 3), ("rl_kit", 4)]
    assert len([1 for kind, _, _ in todo if kind == "zoo"]) == 5
    merge_run(path, 5, None, (td3.name, "rl_kit"), [94.0], None, set(), seed=1, resume=True)  # a new invocation
    stored = json.loads(path.read_text())
    assert stored["runs"][td3.name]["rl_kit"] == [[90.0], [92.0], [94.0]]
    assert stored["run_seeds"][td3.name]["rl_kit"] == [0, 2, 1]
    merge_run(path, 5, None, (td3.name, "rl_kit"), [50.0], None, set(), seed=0)  # not resuming: replaced
    assert json.loads(path.read_text())["runs"][td3.name]["rl_kit"] == [[50.0]]
    # a file from before seeds were kept: its runs count as seeds 0, 1, ...
    old = {"protocol": 2, "seeds": 5, "episodes": None, "runs": {td3.name: {"zoo": [[1.0], [2.0]]}}, "failures": []}
    path.write_text(json.dumps(old))
    assert stored_seeds(read_results(path, 5, None)) == {(td3.name, "zoo"): {0, 1}}


def test_our_side_of_a_ppo_row_trains_its_consecutive_seeds_as_one_population():
    from rl_kit.experiments.zoo_benchmark import benchmark_jobs, benchmark_population, benchmark_run, job_runs
    from rl_kit.infrastructure.job_pool import Outcome

    ppo = next(row for row in ROWS if row.agent == "ppo")
    dqn = next(row for row in ROWS if row.agent == "dqn")
    runs = [("rl_kit", ppo, 0), ("rl_kit", ppo, 1), ("rl_kit", ppo, 3), ("zoo", ppo, 0), ("rl_kit", dqn, 0)]
    jobs = benchmark_jobs(runs, 7)
    described = sorted((job.function.__name__, job.args[0], job.args[1].name, job.args[2]) for job in jobs)
    assert described == sorted([
        ("benchmark_population", "rl_kit", ppo.name, (0, 1)),
        ("benchmark_run", "rl_kit", ppo.name, 3),
        ("benchmark_run", "zoo", ppo.name, 0),
        ("benchmark_run", "rl_kit", dqn.name, 0),
    ])  # fmt: skip
    population = next(job for job in jobs if job.function is benchmark_population)
    assert job_runs(Outcome(population, {0: [1.0], 1: [2.0]})) == [
        ("rl_kit", ppo, 0, [1.0], None), ("rl_kit", ppo, 1, [2.0], None)
    ]  # fmt: skip
    failed = job_runs(Outcome(population, error="Traceback\nRuntimeError: boom"))
    assert [f[4] for f in failed] == [
        f"rl_kit {ppo.name} seed 0: RuntimeError: boom",
        f"rl_kit {ppo.name} seed 1: RuntimeError: boom",
    ]
    single = next(job for job in jobs if job.function is benchmark_run and job.args[2] == 3)
    assert job_runs(Outcome(single, [5.0])) == [("rl_kit", ppo, 3, [5.0], None)]
