"""`python -m api.cli`: the same as the `portfolio-ledger` script."""

import sys

from api.cli import main

sys.exit(main())
