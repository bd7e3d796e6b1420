"""Child for the outage tests: spans and a metric point for a collector that is not there.

``early``: batches leave while the app runs (the outage is known before exit);
``exit-only``: the first export happens in the exit flush.
"""

from __future__ import annotations

import sys
import time

from opentelemetry import metrics, trace

import workspace_otel

MODE = sys.argv[1]
SPANS = int(sys.argv[2])

workspace_otel.configure(service_name="outage-app")
tracer = trace.get_tracer("outage")
metrics.get_meter("outage").create_counter("outage.requests").add(1)
for i in range(SPANS):
    with tracer.start_as_current_span(f"lost-{i}"):
        pass
if MODE == "early":
    time.sleep(1.0)  # several schedule delays: the batches meet the closed port
print("DONE", flush=True)
