"""``python -m mcgraph.cli``."""

import sys

from mcgraph.cli import main

sys.exit(main())
