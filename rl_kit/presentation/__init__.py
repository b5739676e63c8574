"""What a person sees of a run: plots and dashboards (:mod:`~rl_kit.presentation.plots`), the
pygame window and recordings (:mod:`~rl_kit.presentation.watch`), pictures of what an agent
believes (:mod:`~rl_kit.presentation.explain`) and findings read from the logs
(:mod:`~rl_kit.presentation.diagnose`). It reads run directories and saved agents through the
core; it trains nothing.
"""
