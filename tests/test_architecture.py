"""The shape of the code: no import cycle, one direction of dependency between the rooms, and
import names that cannot clash with a user's project (docs/architecture.md)."""

import ast
import subprocess
import sys
import textwrap
from importlib import metadata
from pathlib import Path

import pytest

import rl_kit

ROOT = Path(__file__).resolve().parents[1]
# Installed module name -> folder in the repository.
PACKAGES = {"rl_kit": ROOT / "rl_kit", "rl_kit.envs": ROOT / "envs", "rl_kit.agents": ROOT / "agents"}


def our_modules() -> dict[str, Path]:
    modules = {}
    for package, folder in PACKAGES.items():
        for path in folder.rglob("*.py"):
            parts = list(path.relative_to(folder).with_suffix("").parts)
            if parts[-1] == "__init__":
                parts.pop()
            modules[".".join([package, *parts])] = path
    return modules


def imports_of(name: str, path: Path, modules: dict[str, Path]) -> set[str]:
    """Every module of ours that `name` imports, at its top or inside a function alike."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*anchor, *([base] if base else [])])
            targets = [f"{base}.{alias.name}" if f"{base}.{alias.name}" in modules else base for alias in node.names]
        else:
            continue
        for target in targets:
            while target and target not in modules:  # `import a.b.c` where c is a name in a.b
                target = target.rpartition(".")[0]
            if target and target != name:
                found.add(target)
    return found


def import_graph() -> dict[str, set[str]]:
    modules = our_modules()
    return {name: imports_of(name, path, modules) for name, path in modules.items()}


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan)."""
    index, low, stack, on_stack, found = {}, {}, [], set(), []

    def visit(v):
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in graph.get(v, ()):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    sys.setrecursionlimit(10_000)
    for v in graph:
        if v not in index:
            visit(v)
    return found


def test_the_cycle_finder_finds_a_cycle_through_a_function_level_import(tmp_path):
    """The check can fail: a planted cycle, one side imported inside a function, is found."""
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}
    assert cycles(graph) == [["a", "b", "c"]]
    planted = tmp_path / "planted.py"
    planted.write_text("def f():\n    from rl_kit.core import training\n")
    modules = {"rl_kit.core.training": Path(), "rl_kit.core": Path(), "planted": planted}
    assert imports_of("planted", planted, modules) == {"rl_kit.core.training"}


def test_no_import_cycle_among_our_modules():
    graph = import_graph()
    assert len(graph) > 60  # every module was read
    assert cycles(graph) == []


ROOMS = ("core", "experiments", "presentation", "exercises", "infrastructure", "cli")
# What each part may import of ours, besides itself and rl_kit.errors.
ALLOWED = {
    "rl_kit.envs": set(),
    "rl_kit.agents": set(),
    "rl_kit.infrastructure": set(),
    "rl_kit.core": {"rl_kit.envs", "rl_kit.agents", "rl_kit.infrastructure"},
    "rl_kit.presentation": {"rl_kit.envs", "rl_kit.agents", "rl_kit.core", "rl_kit.infrastructure"},
    "rl_kit.experiments": {
        "rl_kit.envs",
        "rl_kit.agents",
        "rl_kit.core",
        "rl_kit.infrastructure",
        "rl_kit.presentation",
    },
    "rl_kit.exercises": {"rl_kit.envs", "rl_kit.agents", "rl_kit.core", "rl_kit.infrastructure"},
    # the Python front (rl_kit.train, compare, tune with keywords): builds values, like the command
    "rl_kit.api": {"rl_kit.envs", "rl_kit.agents", "rl_kit.core", "rl_kit.experiments", "rl_kit.infrastructure"},
    "rl_kit.cli": {
        "rl_kit.envs",
        "rl_kit.core",
        "rl_kit.experiments",
        "rl_kit.presentation",
        "rl_kit.exercises",
        "rl_kit.infrastructure",
        "rl_kit",  # the package's own face: its __version__
    },
}


def part_of(module: str) -> str:
    for part in sorted(ALLOWED, key=len, reverse=True):
        if module == part or module.startswith(part + "."):
            return part
    return module  # rl_kit itself, rl_kit.errors


@pytest.mark.parametrize("part", sorted(ALLOWED))
def test_each_room_imports_only_what_it_may(part):
    """envs and agents import no other part of ours; the core never imports the rooms above it."""
    wrong = {
        (module, target)
        for module, targets in import_graph().items()
        if part_of(module) == part
        for target in targets
        if part_of(target) != part and target != "rl_kit.errors" and part_of(target) not in ALLOWED[part]
    }
    assert wrong == set()


def test_the_distribution_installs_one_top_level_name():
    top_level = metadata.distribution("rl-kit").read_text("top_level.txt")
    assert top_level.split() == ["rl_kit"]


def run_python(code: str, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", code], cwd=cwd, capture_output=True, text=True, timeout=300)


def test_importing_the_envs_pulls_in_neither_torch_nor_the_agents(tmp_path):
    result = run_python(
        textwrap.dedent(
            """
            import sys
            import gymnasium as gym
            import rl_kit.envs
            env = gym.make("rl_kit/GridWorld-v0")
            heavy = [m for m in sys.modules if m.split(".")[0] in ("torch", "stable_baselines3")
                     or m.startswith("rl_kit.agents") or m.startswith("rl_kit.core")]
            print(heavy)
            """
        ),
        tmp_path,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"


def test_a_user_project_with_its_own_envs_and_agents_packages(tmp_path):
    """A project of the usual RL shape keeps its own `envs` and `agents` and uses ours beside them."""
    for package, value in (("envs", "their envs"), ("agents", "their agents")):
        (tmp_path / package).mkdir()
        (tmp_path / package / "__init__.py").write_text(f"NAME = {value!r}\n")
    (tmp_path / "agents" / "base.py").write_text("class Agent:\n    pass\n")
    (tmp_path / "script.py").write_text(
        textwrap.dedent(
            """
            import gymnasium as gym
            import rl_kit
            import envs, agents
            from agents.base import Agent

            env = gym.make("rl_kit/GridWorld-v0")
            env.reset(seed=0)
            run = rl_kit.train("rl_kit/GridWorld-v0", "q_learning", steps=2000, out="run",
                               progress=False, tensorboard=False, eval_every=0)
            print(envs.NAME, "|", agents.NAME, "|", Agent.__module__, "|", run.result.steps)
            print(type(run.agent).__module__)
            """
        )
    )
    result = subprocess.run([sys.executable, "script.py"], cwd=tmp_path, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    first, second = result.stdout.strip().splitlines()
    assert first == "their envs | their agents | agents.base | 2000"
    assert second == "rl_kit.agents.q_learning"
    assert (tmp_path / "run" / "agent.safetensors").is_file()


def test_import_rl_kit_is_lazy(tmp_path):
    result = run_python(
        "import sys, rl_kit; print(sorted({m.split('.')[0] for m in sys.modules} & {'torch', 'stable_baselines3'}))",
        tmp_path,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"
    assert callable(rl_kit.train) and "train" in dir(rl_kit)
    with pytest.raises(AttributeError):
        rl_kit.no_such_name  # noqa: B018


def test_the_command_and_numpy_agents_start_without_torch(tmp_path):
    """`rl-kit --help`, `rl-kit list` and a PPO run on the numpy networks load neither torch nor SB3."""
    result = run_python(
        textwrap.dedent(
            """
            import contextlib, io, sys
            from rl_kit.cli import main
            with contextlib.redirect_stdout(io.StringIO()):
                for argv in (["--help"], ["list"]):
                    try:
                        main(argv)
                    except SystemExit:
                        pass
                import rl_kit
                rl_kit.train("CartPole-v1", "ppo", steps=512, out="run", progress=False, tensorboard=False,
                             eval_every=256, eval_episodes=2, hyperparameters={"n_steps": 32})
                rl_kit.evaluate("run", episodes=3)
            print(sorted({m.split('.')[0] for m in sys.modules} & {'torch', 'stable_baselines3'}))
            """
        ),
        tmp_path,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"


def test_every_import_of_ours_names_something_that_exists():
    """Imports inside functions run only on their path: check them all here, statically."""
    import importlib

    modules = our_modules()
    missing = []
    for name, path in modules.items():
        package = name if path.name == "__init__.py" else name.rpartition(".")[0]
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not isinstance(node, ast.ImportFrom):
                continue
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*anchor, *([base] if base else [])])
            if not base.startswith("rl_kit"):
                continue
            target = importlib.import_module(base)
            for alias in node.names:
                if not hasattr(target, alias.name) and f"{base}.{alias.name}" not in modules:
                    missing.append(f"{name}: from {base} import {alias.name}")
    assert missing == []


MAX_PARAMETERS = 8  # a function that needs more takes a value (RunSpec, RunOptions, Cadence, ...)


def parameter_counts(path: Path) -> dict[str, int]:
    """Each public function and method of `path` (``__init__`` included) and its parameters,
    ``self`` and ``cls`` not counted."""
    counts = {}
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if not isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            continue
        if node.name.startswith("_") and node.name != "__init__":
            continue
        a = node.args
        named = [p.arg for p in a.posonlyargs + a.args + a.kwonlyargs if p.arg not in ("self", "cls")]
        counts[f"{path.name}:{node.name}"] = len(named) + bool(a.vararg) + bool(a.kwarg)
    return counts


def test_the_parameter_counter_sees_a_long_signature(tmp_path):
    planted = tmp_path / "planted.py"
    planted.write_text("def relay(a, b, *, c, d, e, f, g, h, i): ...\nclass C:\n    def __init__(self, a): ...\n")
    assert parameter_counts(planted) == {"planted.py:relay": 9, "planted.py:__init__": 1}


def test_no_public_function_of_the_core_takes_more_than_eight_parameters():
    """The core takes values; the keyword builders live in the fronts (rl_kit.api, the command)."""
    counts: dict[str, int] = {}
    for path in (ROOT / "rl_kit" / "core").rglob("*.py"):
        counts.update(parameter_counts(path))
    assert len(counts) > 100  # every module was read
    assert {name: n for name, n in counts.items() if n > MAX_PARAMETERS} == {}


def env_makers(path: Path) -> list[str]:
    """The calls in `path` that make an env without an :class:`EnvConfig`: Gymnasium's ``make``,
    ``make_vec`` (as ``gym.make``, ``gymnasium.make`` or imported bare), and SB3's
    ``make_vec_env`` with anything but a spec's ``make`` as its env."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if not isinstance(node, ast.Call):
            continue
        function = node.func
        if isinstance(function, ast.Attribute) and isinstance(function.value, ast.Name):
            if function.value.id in ("gym", "gymnasium") and function.attr in ("make", "make_vec"):
                found.append(f"{path.name}:{node.lineno} {function.value.id}.{function.attr}")
        elif isinstance(function, ast.Name) and function.id in ("make", "make_vec"):
            found.append(f"{path.name}:{node.lineno} {function.id}")
        elif isinstance(function, ast.Name) and function.id == "make_vec_env":
            first = node.args[0] if node.args else None
            if not (isinstance(first, ast.Attribute) and first.attr == "make"):
                found.append(f"{path.name}:{node.lineno} make_vec_env")
    return found


def test_the_env_maker_finder_finds_a_backend_that_makes_its_own_env(tmp_path):
    planted = tmp_path / "planted.py"
    planted.write_text(
        "import gymnasium as gym\nfrom gymnasium import make\n"
        "gym.make('CartPole-v1')\nmake('CartPole-v1')\nmake_vec_env('CartPole-v1', n_envs=2)\n"
        "make_vec_env(spec.env.make, n_envs=2)\nspec.env.make()\n"
    )
    assert env_makers(planted) == ["planted.py:3 gym.make", "planted.py:4 make", "planted.py:5 make_vec_env"]


def test_no_backend_makes_an_env_except_through_its_env_spec():
    """Both backends (and everything else in the run core) make envs with ``EnvConfig.make`` or
    ``EnvConfig.make_vector``: the time limit, kwargs and wrappers cannot diverge between them."""
    core = [p for p in (ROOT / "rl_kit" / "core").rglob("*.py") if p.name != "spec.py"]
    assert len(core) > 15
    assert [call for path in core for call in env_makers(path)] == []


def test_each_agent_name_is_written_once_and_its_class_answers_to_it():
    """The registry's names come from the agents package, whose classes carry the same names."""
    from rl_kit import agents
    from rl_kit.core import registry

    assert registry.NETWORK_AGENTS == tuple(agents.NETWORK_AGENTS)
    for name in registry.AGENTS:
        assert registry.agent_class(name).name == name
    assert len(set(registry.AGENTS)) == len(registry.AGENTS)


def test_the_old_name_of_env_config_still_answers_with_a_deprecation_warning():
    with pytest.warns(DeprecationWarning, match="EnvConfig"):
        old = rl_kit.EnvSpec
    assert old is rl_kit.EnvConfig
