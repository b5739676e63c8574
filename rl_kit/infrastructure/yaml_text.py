"""YAML from outside (config.yaml, --hp-file, --hp values), read so it cannot exhaust memory.

``yaml.safe_load`` runs no code, but it expands aliases: nine lines of ``&a``/``*a`` nesting
(the "billion laughs") become billions of list items, gigabytes before anything can check
them. :func:`load_yaml` refuses aliases outright (rl-kit never writes them; the RL Zoo's own
files, which use anchors and merge keys, are an installed package's and read as they are),
caps the text's size and nesting, and says what is wrong in one line.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from rl_kit.errors import RLKitError

MAX_YAML_BYTES = 16 * 2**20  # config.yaml and hyperparameter files are a few kilobytes
MAX_DEPTH = 100


class _NoAliasLoader(yaml.SafeLoader):
    """The safe loader, but an alias (``*name``) or deep nesting is an error, not an expansion."""

    def compose_node(self, parent, index):
        if self.check_event(yaml.AliasEvent):
            event = self.peek_event()
            raise yaml.composer.ComposerError(
                None, None, "aliases (*name) are not accepted: write the value out", event.start_mark
            )
        self._depth = getattr(self, "_depth", 0) + 1
        try:
            if self._depth > MAX_DEPTH:
                raise yaml.composer.ComposerError(
                    None, None, f"nested deeper than {MAX_DEPTH} levels", self.peek_event().start_mark
                )
            return super().compose_node(parent, index)
        finally:
            self._depth -= 1


def load_yaml(text: str, source: str) -> Any:
    """The value the YAML `text` holds; RLKitError names `source` and the problem in one line."""
    if len(text) > MAX_YAML_BYTES:
        raise RLKitError(f"{source} is {len(text):,} characters of YAML, more than the {MAX_YAML_BYTES:,} accepted")
    loader = _NoAliasLoader(text)
    try:
        return loader.get_single_data()
    except yaml.YAMLError as error:
        problem = " ".join(str(error).split())
        raise RLKitError(f"{source} is not valid YAML: {problem}"[:500]) from None
    finally:
        loader.dispose()


def read_yaml_file(path: str | Path, what: str) -> Any:
    """The YAML value in the file at `path` (`what` names it in errors: "hyperparameter file")."""
    path = Path(path)
    if path.is_dir():
        raise RLKitError(f"{what} {path} is a directory, not a file")
    if not path.is_file():
        raise RLKitError(f"{what} {path} does not exist (or is not a regular file)")
    if path.stat().st_size > MAX_YAML_BYTES:
        raise RLKitError(f"{what} {path} is {path.stat().st_size:,} bytes, more than the {MAX_YAML_BYTES:,} accepted")
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise RLKitError(f"{what} {path} is not text (not UTF-8): not a YAML file") from None
    return load_yaml(text, f"{what} {path}")
