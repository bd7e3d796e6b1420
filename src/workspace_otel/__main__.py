"""``python -m workspace_otel``: the same as the ``workspace-otel`` command."""

from workspace_otel.cli import main

raise SystemExit(main())
