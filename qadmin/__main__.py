"""`python -m qadmin`: the console."""

import sys

from qadmin.cli import main

sys.exit(main())
