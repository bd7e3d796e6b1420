"""Child for the SIGSTOP / SIGCONT run: ends a span every 50 ms for argv[1] seconds.

Tokens come from the oauth2 source configured in the environment and live a
few seconds; the parent stops this process across an expiry.
"""

from __future__ import annotations

import sys
import time

from opentelemetry import trace

import workspace_otel

SECONDS = float(sys.argv[1])

telemetry = workspace_otel.configure(service_name="sigstop-app", metrics=False)
tracer = trace.get_tracer("sigstop")
print("READY", flush=True)
count = 0
deadline = time.monotonic() + SECONDS
while time.monotonic() < deadline:
    with tracer.start_as_current_span(f"tick-{count}"):
        pass
    count += 1
    time.sleep(0.05)
telemetry.shutdown()
print(f"DONE {count}", flush=True)
