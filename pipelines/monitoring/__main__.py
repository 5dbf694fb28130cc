"""``python -m pipelines.monitoring``: see ``pipelines.monitoring.cli``."""

import sys

from pipelines.monitoring.cli import main

sys.exit(main())
