"""``python -m bregmalib``: the command-line entry point."""

import sys

from bregmalib.cli import main

sys.exit(main())
