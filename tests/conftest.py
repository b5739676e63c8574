"""Test set-up: headless pygame, and the rl-kit envs registered."""

import os

os.environ.setdefault("SDL_VIDEODRIVER", "dummy")
os.environ.setdefault("SDL_AUDIODRIVER", "dummy")
os.environ.setdefault("PYGAME_HIDE_SUPPORT_PROMPT", "1")
os.environ.setdefault("XDG_RUNTIME_DIR", "/tmp")

import rl_kit.envs  # noqa: E402,F401  (registers the rl_kit ids)
