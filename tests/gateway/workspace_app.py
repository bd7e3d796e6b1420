"""A workspace process for the gateway tests: ``python workspace_app.py SECONDS [api]``.

``configure`` (default) calls ``workspace_otel.configure(logs=True)``; ``api`` uses
only the OpenTelemetry API, for runs under ``opentelemetry-instrument``. It makes
one span, one counter increment and one WARNING log record every 0.2 s for SECONDS,
flushing after each, then prints ``{"spans": N}`` on stdout.
"""

from __future__ import annotations

import json
import logging
import sys
import time

from opentelemetry import metrics, trace


def main() -> None:
    """Run the workload and print how many spans it made."""
    seconds = float(sys.argv[1])
    mode = sys.argv[2] if len(sys.argv) > 2 else "configure"
    flush = None
    if mode == "configure":
        from workspace_otel import configure

        telemetry = configure(logs=True)
        flush, shutdown = telemetry.force_flush, telemetry.shutdown
    tracer = trace.get_tracer("gateway-e2e")
    counter = metrics.get_meter("gateway-e2e").create_counter("gateway.e2e.ticks")
    logger = logging.getLogger("gateway-e2e")
    count = 0
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        with tracer.start_as_current_span(f"tick-{count}"):
            logger.warning("tick %d", count)
        counter.add(1)
        count += 1
        if flush is not None:
            flush()
        time.sleep(0.2)
    if flush is not None:
        shutdown()
    print(json.dumps({"spans": count}), flush=True)


if __name__ == "__main__":
    main()
