"""Experiments built on the run core: many runs, one question each.

:mod:`~rl_kit.experiments.compare` trains agents over seeds and reports who is better;
:mod:`~rl_kit.experiments.tuning` searches hyperparameters with Optuna;
:mod:`~rl_kit.experiments.bench` measures speed against reference implementations;
:mod:`~rl_kit.experiments.testbed` runs Sutton & Barto's k-armed testbed;
:mod:`~rl_kit.experiments.quickstart` is the README's main job. They use the core and the
infrastructure (the job pool), and presentation for their figures; the core never imports them.
"""
