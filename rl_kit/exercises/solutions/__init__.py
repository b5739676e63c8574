"""The reference solutions of the exercises: each module is what a learner's file should become.

Between ``# SOLUTION`` and ``# END SOLUTION`` is the learner's part; ``rl-kit exercise start``
writes the module with each such block replaced by ``raise NotImplementedError``.
"""
