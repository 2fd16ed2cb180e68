"""``python -m midfreq`` runs the ``midfreq`` command."""

import sys

from midfreq.cli import main

sys.exit(main())
