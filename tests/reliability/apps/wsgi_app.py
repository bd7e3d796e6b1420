"""A tiny WSGI app for the pre-fork test, loaded by gunicorn with ``--preload``.

configure() runs in the master before the workers are forked, and the master
exports one span (so it holds a token) before forking.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable
from typing import Any

from opentelemetry import trace

import workspace_otel

telemetry = workspace_otel.configure(service_name="prefork-app", metrics=False)
tracer = trace.get_tracer("prefork")
with tracer.start_as_current_span("master-boot") as _span:
    _span.set_attribute("pid", os.getpid())
telemetry.force_flush()


def app(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
    """Answer with this worker's pid, inside a span."""
    with tracer.start_as_current_span("request") as span:
        span.set_attribute("pid", os.getpid())
        span.set_attribute("path", str(environ.get("PATH_INFO", "")))
        body = str(os.getpid()).encode()
    start_response("200 OK", [("Content-Type", "text/plain"), ("Content-Length", str(len(body)))])
    return [body]
