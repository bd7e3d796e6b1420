"""Child for the SIGTERM runs: one export in flight (held by a 503) and spans queued.

argv: ``default`` or ``chained`` (an application SIGTERM handler installed
before configure()). Prints READY once every span is ended and the flush
thread has started; the parent then waits for the 503 and sends SIGTERM.
"""

from __future__ import annotations

import os
import signal
import sys
import threading
import time

from opentelemetry import trace

import workspace_otel

MODE = sys.argv[1]


def app_handler(signum: int, frame: object) -> None:
    # os.write: a signal handler must not re-enter a buffered print of the main thread.
    os.write(1, b"APP HANDLER RAN\n")
    sys.exit(3)


if MODE == "chained":
    signal.signal(signal.SIGTERM, app_handler)

telemetry = workspace_otel.configure(service_name="sigterm-runs", metrics=False)
tracer = trace.get_tracer("sigterm-runs")
for i in range(10):
    with tracer.start_as_current_span(f"in-flight-{i}"):
        pass
# Export these now: the receiver answers 503 + Retry-After, so the export is in flight.
threading.Thread(target=telemetry.force_flush, daemon=True).start()
time.sleep(0.05)
for i in range(10):
    with tracer.start_as_current_span(f"queued-{i}"):
        pass
os.write(1, b"READY\n")
deadline = time.monotonic() + 30
while time.monotonic() < deadline:
    time.sleep(0.02)
print("NOT KILLED", flush=True)
