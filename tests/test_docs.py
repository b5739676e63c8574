"""The learning path cannot rot: every command its chapters quote runs (on a small budget), every
figure it shows exists and is made by a quoted command, and every file it links to exists."""

import importlib.util
import re
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"
spec = importlib.util.spec_from_file_location("make_docs_figures", ROOT / "scripts" / "make_docs_figures.py")
figures_script = importlib.util.module_from_spec(spec)
sys.modules[spec.name] = figures_script  # its dataclasses look their module up
spec.loader.exec_module(figures_script)

CHAPTERS = figures_script.chapters()


def test_the_path_has_its_fifteen_chapters_in_order_each_linked_to_the_next():
    names = [c.path.name for c in CHAPTERS]
    assert len(names) == 15 and names == sorted(names)
    assert [int(name[:2]) for name in names] == list(range(1, 16))
    index = (DOCS / "README.md").read_text(encoding="utf-8")
    assert all(f"({name})" in index for name in names)
    for before, after in zip(names[:-1], names[1:], strict=True):
        assert f"]({after})" in (DOCS / before).read_text(encoding="utf-8").split("\n## ")[0], before
        assert f"]({before})" in (DOCS / after).read_text(encoding="utf-8").split("\n## ")[0], after


def test_the_parser_joins_continued_lines_and_skips_other_blocks(tmp_path):
    page = tmp_path / "99-test.md"
    page.write_text(
        "```bash\nrl-kit train --env A \\\n    --agent b   # a comment\npython other.py\n```\n"
        "```\nrl-kit not-a-command\n```\n<!-- figure: runs/x.png -> figures/x.png -->\n"
    )
    chapter = figures_script.read_chapter(page)
    assert chapter.commands == [["train", "--env", "A", "--agent", "b"]]
    assert chapter.figures == [("runs/x.png", "figures/x.png")]
    assert figures_script.as_run_here(["compare", "--steps", "200_000", "--seeds", "5"], small=True) == [
        "compare",
        "--steps",
        "2000",
        "--seeds",
        "1",
    ]


@pytest.mark.parametrize("chapter", CHAPTERS, ids=[c.path.stem for c in CHAPTERS])
def test_every_quoted_command_runs_and_makes_the_figures_shown(chapter, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert chapter.commands, "a chapter quotes the commands that run it"
    for argv, code, _ in figures_script.run_chapter(chapter, small=True):
        assert code == 0, f"rl-kit {' '.join(argv)} exited {code}"
    for made, shown in chapter.figures:
        assert (tmp_path / made).is_file(), f"no command of {chapter.path.name} makes {made}"
        assert (DOCS / shown).is_file(), f"docs/{shown} is missing: run scripts/make_docs_figures.py"


@pytest.mark.parametrize("page", sorted(DOCS.glob("*.md")), ids=lambda p: p.stem)
def test_every_image_and_link_points_to_a_file(page):
    text = page.read_text(encoding="utf-8")
    shown = {shown for _, shown in figures_script.read_chapter(page).figures}
    for target in re.findall(r"\]\(([^)#\s]+)\)", text):
        if target.startswith("http"):
            continue
        assert (page.parent / target).exists(), f"{page.name} links to {target}, which does not exist"
    for image in re.findall(r"!\[[^\]]*\]\((figures/[^)]+)\)", text):
        assert image in shown, f"{page.name} shows {image} without saying which command makes it"
