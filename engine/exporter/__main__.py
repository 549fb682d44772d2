"""``python -m engine.exporter``: run the exporter daemon."""

from __future__ import annotations

import sys

from engine.exporter.daemon import main

if __name__ == "__main__":
    sys.exit(main())
