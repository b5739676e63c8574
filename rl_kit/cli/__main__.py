"""``python -m rl_kit.cli``: the same as the ``rl-kit`` command."""

import sys

from rl_kit.cli import main

sys.exit(main())
