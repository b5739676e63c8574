"""Make the learning path's figures by running the commands its chapters quote.

python scripts/make_docs_figures.py [--chapter 01] [--small]

Every ``rl-kit ...`` line in a ```bash block of ``docs/*.md`` is run, in order, from the
repository root, exactly as a reader would type it (through ``rl_kit.cli.main``, in this
process). A chapter names the figures it shows with a comment beside the image::

    ![The testbed](figures/01-testbed.png)
    <!-- figure: runs/learn/bandits/testbed.png -> figures/01-testbed.png -->

and once its commands have run, each file on the left is copied to the right, under ``docs/``.
So the figures are what the quoted commands make, and cannot drift from them.

``--small`` runs every command on a small budget (fewer steps, trials, seeds, runs and
episodes) in a scratch directory and copies nothing: ``tests/test_docs.py`` does this, so a
command the docs quote that no longer runs fails the tests.
"""

from __future__ import annotations

import argparse
import os
import re
import shlex
import shutil
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"
FIGURE = re.compile(r"<!--\s*figure:\s*(\S+)\s*->\s*(\S+)\s*-->")
# On a small budget, each numeric flag is capped at this value.
SMALL_BUDGET = {
    "--steps": 2000,
    "--trials": 2,
    "--seeds": 1,
    "--runs": 50,
    "--episodes": 2,
    "--evaluations": 2,
}


@dataclass
class Chapter:
    path: Path
    commands: list[list[str]] = field(default_factory=list)
    figures: list[tuple[str, str]] = field(default_factory=list)  # (made by a command, shown in the docs)


def read_chapter(path: Path) -> Chapter:
    """The ``rl-kit`` commands of the chapter's bash blocks (joining ``\\`` continuations) and its figures."""
    chapter = Chapter(path)
    in_bash, pending = False, ""
    for line in path.read_text(encoding="utf-8").splitlines():
        stripped = line.strip()
        if stripped.startswith("```"):
            in_bash = not in_bash and stripped in ("```bash", "```sh")
            continue
        if not in_bash:
            chapter.figures.extend(FIGURE.findall(line))
            continue
        text = (pending + " " + stripped.split(" #")[0].strip()).strip() if pending else stripped.split(" #")[0].strip()
        if text.endswith("\\"):
            pending = text[:-1].strip()
            continue
        pending = ""
        if text.startswith("rl-kit "):
            chapter.commands.append(shlex.split(text)[1:])
    return chapter


def chapters(only: str | None = None) -> list[Chapter]:
    paths = sorted(p for p in DOCS.glob("[0-9][0-9]-*.md") if only is None or p.name.startswith(only))
    return [read_chapter(p) for p in paths]


def as_run_here(argv: list[str], small: bool) -> list[str]:
    """The command as this script runs it: watch without waiting for frames; on a small
    budget, numeric flags capped and watched episodes cut at 100 steps."""
    out = list(argv)
    if small:
        for i, flag in enumerate(out[:-1]):
            if flag in SMALL_BUDGET:
                out[i + 1] = str(min(int(out[i + 1].replace("_", "")), SMALL_BUDGET[flag]))
    if out[0] == "watch" and "--fps" not in out:
        out += ["--fps", "1000"]
    if small and out[0] == "watch" and "--max-episode-steps" not in out:
        out += ["--max-episode-steps", "100"]  # a barely trained agent may hover to the time limit
    return out


def run_chapter(chapter: Chapter, *, small: bool = False) -> list[tuple[list[str], int, float]]:
    """Run the chapter's commands in the current directory; returns (command, exit code, seconds)."""
    from rl_kit.cli import main

    results = []
    for argv in chapter.commands:
        argv = as_run_here(argv, small)
        if argv[0] in ("train", "compare") and "--out" in argv and "--resume" not in argv:
            # rl-kit never overwrites a run: this script, which makes the chapters' runs again,
            # clears the ones it made last time first
            shutil.rmtree(argv[argv.index("--out") + 1], ignore_errors=True)
        print(f"\n$ rl-kit {shlex.join(argv)}", flush=True)
        start = time.perf_counter()
        code = main(argv)
        results.append((argv, code, time.perf_counter() - start))
    return results


def copy_figures(chapter: Chapter) -> list[Path]:
    copied = []
    for made, shown in chapter.figures:
        target = DOCS / shown
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(made, target)
        copied.append(target)
    return copied


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--chapter", help="only the chapters whose file name starts with this (e.g. 01)")
    parser.add_argument("--small", action="store_true", help="small budgets in a scratch directory; copy nothing")
    args = parser.parse_args()
    os.environ.setdefault("SDL_VIDEODRIVER", "dummy")  # watch commands run without a screen
    if args.small:
        import tempfile

        os.chdir(tempfile.mkdtemp(prefix="rl-kit-docs-"))
    else:
        os.chdir(ROOT)
    failed = []
    for chapter in chapters(args.chapter):
        print(f"\n=== {chapter.path.name}: {len(chapter.commands)} commands", flush=True)
        for argv, code, seconds in run_chapter(chapter, small=args.small):
            print(f"    exit {code} in {seconds:.1f} s", flush=True)
            if code != 0:
                failed.append(f"{chapter.path.name}: rl-kit {shlex.join(argv)}")
        if not args.small and not failed:
            for path in copy_figures(chapter):
                print(f"    figure {path.relative_to(ROOT)}")
    for line in failed:
        print(f"FAILED {line}", file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
