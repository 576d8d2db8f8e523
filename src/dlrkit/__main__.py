"""`python -m dlrkit` runs the command line."""

import sys

from dlrkit.cli import main

sys.exit(main())
