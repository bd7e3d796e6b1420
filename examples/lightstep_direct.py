"""Direct export to Lightstep (ServiceNow Cloud Observability) with a refreshed key.

The second deployment path of the README: no collector, the workspace sends
straight to ``ingest.lightstep.com`` with the ``lightstep-access-token``
header. The key is not a plain environment variable: it is read from a file
that a secret manager rotates (re-read when it changes), or printed by a
command (``vault kv get ...``, ``op read ...``), and refreshed in the
background for every signal at once.

    LIGHTSTEP_TOKEN_FILE=/run/secrets/lightstep python examples/lightstep_direct.py
    LIGHTSTEP_TOKEN_COMMAND="op read op://otel/lightstep/token" python examples/lightstep_direct.py

The same without code: ``WORKSPACE_OTEL_BACKEND=lightstep`` and
``WORKSPACE_OTEL_TOKEN_SOURCE=file:/run/secrets/lightstep`` (or
``command:...``). ``WORKSPACE_OTEL_LIGHTSTEP_REGION=eu`` selects
``ingest.eu.lightstep.com``.
"""

from __future__ import annotations

import os
import sys

from opentelemetry import metrics, trace

import workspace_otel
from workspace_otel.credentials import CommandTokenSource, FileTokenSource, TokenSource

source: TokenSource
if os.environ.get("LIGHTSTEP_TOKEN_FILE"):
    source = FileTokenSource(os.environ["LIGHTSTEP_TOKEN_FILE"])
elif os.environ.get("LIGHTSTEP_TOKEN_COMMAND"):
    source = CommandTokenSource(os.environ["LIGHTSTEP_TOKEN_COMMAND"])
else:
    sys.exit("set LIGHTSTEP_TOKEN_FILE or LIGHTSTEP_TOKEN_COMMAND")

telemetry = workspace_otel.configure(backend="lightstep", credentials=source)
print(telemetry.summary)

with trace.get_tracer("lightstep-direct").start_as_current_span("direct-export") as span:
    span.set_attribute("example", "lightstep_direct")
metrics.get_meter("lightstep-direct").create_counter("direct.exports").add(1)

ok = telemetry.shutdown(timeout=10)
print("flushed" if ok else "flush timed out")
