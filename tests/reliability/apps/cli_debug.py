"""Runs ``workspace-otel`` with the root logger at DEBUG on stderr (for the canary scan)."""

from __future__ import annotations

import logging
import sys

from workspace_otel.cli import main

logging.basicConfig(
    level=logging.DEBUG, stream=sys.stderr, format="%(levelname)s %(name)s %(message)s"
)
sys.exit(main(sys.argv[1:]))
