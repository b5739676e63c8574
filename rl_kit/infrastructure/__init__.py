"""Plumbing with no RL in it: files written whole or not at all
(:mod:`~rl_kit.infrastructure.atomic_files`) and a pool that runs a grid of jobs in fresh
processes or on Ray (:mod:`~rl_kit.infrastructure.job_pool`). It imports no other room.
"""
