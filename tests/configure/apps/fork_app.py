"""Child process for the fork test: configure, end a span, fork workers that each export."""

from __future__ import annotations

import os
import sys

from opentelemetry import trace

import workspace_otel

WORKERS = int(sys.argv[1])

workspace_otel.configure(service_name="fork-app", metrics=False)
tracer = trace.get_tracer("fork")
with tracer.start_as_current_span("parent-before-fork"):
    pass

children = []
for worker in range(WORKERS):
    pid = os.fork()
    if pid == 0:
        for j in range(2):
            with tracer.start_as_current_span(f"worker-{worker}-{j}"):
                pass
        sys.exit(0)
    children.append(pid)

for pid in children:
    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0, status

with tracer.start_as_current_span("parent-after-fork"):
    pass
print("DONE", flush=True)
