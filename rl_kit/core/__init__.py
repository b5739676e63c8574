"""The run core: what carries one run from its spec to a trained, saved, logged agent.

A run is one value, a frozen :class:`~rl_kit.core.spec.RunSpec` (its env an
:class:`~rl_kit.core.spec.EnvConfig`), written to ``config.yaml`` and read back to resume.
:func:`~rl_kit.core.training.execute` runs it with a :class:`~rl_kit.core.spec.RunOptions`
(where it writes, what it shows) into a run directory (:mod:`~rl_kit.core.run_directory`): it asks
:mod:`~rl_kit.core.backends` for the backend of the agent's name (our run loop in
:mod:`~rl_kit.core.native_backend`, or stable-baselines3's own loop in
:mod:`~rl_kit.core.sb3_backend`), and both report to one :class:`~rl_kit.core.supervisor.Supervisor`,
which owns everything around learning: episode statistics, the progress bar, periodic
evaluation, logs, checkpoints, callbacks and Ctrl-C. Saved agents, checkpoints, logs,
evaluation and the statistics it reports live here too. Nothing here imports the other rooms.
"""
