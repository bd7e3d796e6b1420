"""Child process for the SIGTERM tests: ends spans, reports READY, waits to be killed."""

from __future__ import annotations

import os
import signal
import sys
import time

from opentelemetry import trace

import workspace_otel

MODE = sys.argv[1]
COUNT = int(sys.argv[2])


def app_handler(signum: int, frame: object) -> None:
    # os.write, not print: the signal may land while the main thread is inside
    # print("READY"), and buffered stdout is not reentrant.
    os.write(1, b"APP HANDLER RAN\n")
    sys.exit(3)


if MODE == "chained":
    signal.signal(signal.SIGTERM, app_handler)

workspace_otel.configure(service_name="sigterm-app", metrics=False)
tracer = trace.get_tracer("sigterm")
for i in range(COUNT):
    with tracer.start_as_current_span(f"done-{i}"):
        pass
in_flight = tracer.start_span("in-flight")
print("READY", flush=True)
deadline = time.monotonic() + 30
while time.monotonic() < deadline:
    time.sleep(0.05)
print("NOT KILLED", flush=True)
