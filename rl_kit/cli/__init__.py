"""The ``rl-kit`` command: a thin layer over the Python API.

    rl-kit list
    rl-kit train --env ID --agent NAME --steps N [--seed S] [--num-envs K] [--hp KEY=VALUE ...] [--hp-file FILE] [--out DIR]
    rl-kit evaluate PATH [--env ID] --episodes N --seed S [--json]
    rl-kit watch PATH [--env ID] [--episodes N] [--seed S] [--fps F] [--record FILE.gif|.mp4]
    rl-kit plot RUN... [--out FILE.png]
    rl-kit compare --env ID --agents NAME... --seeds 5 --steps N [--out DIR] [--workers K] [--ray ADDRESS]
    rl-kit tune --env ID --agent NAME --trials N [--steps N] [--storage URL] [--study NAME] [--workers K]
    rl-kit bandit [METHOD ...] [--env ID] [--runs 2000] [--steps N] [--out FILE.png]
    rl-kit diagnose RUN | rl-kit explain RUN
    rl-kit bench [--quick] [--suite tabular|policy-gradient|envs|off-policy|all] [--workers K] [--ray ADDRESS]
    rl-kit quickstart [--out DIR]
    rl-kit exercise list | rl-kit exercise start NAME [DIR] [--solution]
    rl-kit check FILE [--json] [--no-learning] [--out FILE.png]

Each subcommand's flags and handler sit together, in the module of its job: :mod:`.run_commands`
(list, train, quickstart), :mod:`.inspect_commands` (evaluate, watch, plot, diagnose, explain)
:mod:`.experiment_commands` (compare, tune, bandit, bench) and :mod:`.exercise_commands`
(exercise, check; check exits with 1 when a check fails). A mistake in what was asked
(unknown name, bad value, damaged file) prints one line naming it and exits with status 2,
without a traceback. Work stopped by Ctrl-C or SIGTERM saves what it has done and exits with
130 or 143 (128 + the signal's number), so a script can tell it from a finished run.
"""

from __future__ import annotations

import sys

from rl_kit.cli import exercise_commands, experiment_commands, inspect_commands, run_commands
from rl_kit.cli.arguments import Interrupted, Parser, UsageError, shorten
from rl_kit.errors import RLKitError
from rl_kit.infrastructure.signals import signal_name

COMMAND_MODULES = (run_commands, inspect_commands, experiment_commands, exercise_commands)


def build_parser() -> Parser:
    import rl_kit

    parser = Parser(prog="rl-kit", description="Train, evaluate, watch and compare RL agents.")
    parser.add_argument("--version", action="version", version=f"rl-kit {rl_kit.__version__}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND", parser_class=Parser)
    for module in COMMAND_MODULES:
        module.register(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    # SIGTERM stops every command as Ctrl-C does: what was done is saved, the worker processes
    # of compare, tune and bench are stopped with it (by the clean-ups the exception runs), and
    # the exit status is 143. Python's default would end this process alone, orphaning them.
    from rl_kit.infrastructure.signals import stop_on_sigterm

    stop_on_sigterm()
    try:
        code = args.handler(args)  # None: done; a number: the status to exit with (check's 1)
    except (UsageError, RLKitError) as error:  # one line, however long the value it quotes
        print(f"rl-kit {args.command}: error: {shorten(' '.join(str(error).split()), 1000)}", file=sys.stderr)
        return 2
    except MemoryError:
        print(f"rl-kit {args.command}: error: out of memory: lower what sizes it (num_envs, buffer_size, "
              "hidden_sizes, episodes)", file=sys.stderr)  # fmt: skip
        return 2
    except OSError as error:  # a full disk, a read-only folder, a file where a folder should be
        where = f"{error.filename}: " if error.filename else ""
        print(f"rl-kit {args.command}: error: cannot write {where}{error.strerror or error}", file=sys.stderr)
        return 2
    except Interrupted as stopped:
        return stopped.exit_code
    except KeyboardInterrupt as signal:
        print("\nrl-kit: interrupted", file=sys.stderr)
        return Interrupted(signal_name(signal)).exit_code
    return code or 0
