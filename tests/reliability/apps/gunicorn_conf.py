"""gunicorn settings for the pre-fork test: each worker ends one span right after fork."""

from __future__ import annotations

import os
from typing import Any

from opentelemetry import trace


def post_fork(server: Any, worker: Any) -> None:
    """Runs in every worker right after fork(), before it serves."""
    with trace.get_tracer("prefork").start_as_current_span("worker-boot") as span:
        span.set_attribute("pid", os.getpid())
