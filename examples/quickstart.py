"""The README demo: one configure() call, a small trace and a metric.

With no endpoint configured anywhere, workspace_otel prints the detected
resource, the spans and the metric to stderr (plus one hint line saying how to
export for real). Point it at a collector and nothing in this file changes::

    OTEL_EXPORTER_OTLP_ENDPOINT=https://otel-gateway.example.com:4318 python examples/quickstart.py
"""

from __future__ import annotations

import time

from opentelemetry import metrics, trace

import workspace_otel

telemetry = workspace_otel.configure()
print(telemetry.summary)
print("detected resource:")
for key, value in sorted(telemetry.resource.attributes.items()):
    if not key.startswith("telemetry."):
        source = telemetry.resource_sources.get(key, "?")
        print(f"  {key} = {value!s}  ({source})")

tracer = trace.get_tracer("quickstart")
orders = metrics.get_meter("quickstart").create_counter("quickstart.orders", unit="{order}")

with tracer.start_as_current_span("checkout") as span:
    span.set_attribute("order.items", 3)
    with tracer.start_as_current_span("reserve-stock"):
        time.sleep(0.01)
    with tracer.start_as_current_span("charge-card"):
        time.sleep(0.02)
    orders.add(1, {"payment.method": "card"})

# Not required (atexit and SIGTERM flush too), but explicit for a demo.
telemetry.shutdown()
