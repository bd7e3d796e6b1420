"""A short script whose only export happens in the exit flush (no timer ever fires)."""

from __future__ import annotations

from opentelemetry import trace

import workspace_otel

workspace_otel.configure(service_name="exit-only", metrics=False)
tracer = trace.get_tracer("exit-only")
for i in range(3):
    with tracer.start_as_current_span(f"short-{i}"):
        pass
print("DONE", flush=True)
