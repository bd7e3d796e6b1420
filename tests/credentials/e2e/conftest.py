"""Helpers for end-to-end tests: the SDK's own exporters configured only by env vars."""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from typing import Any

import pytest
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SpanExportResult

_PROVIDER = TracerProvider()
_TRACER = _PROVIDER.get_tracer("workspace-otel-e2e")


def make_span(name: str = "e2e") -> ReadableSpan:
    """A finished span, ready for exporter.export()."""
    span = _TRACER.start_span(name)
    span.end()
    assert isinstance(span, ReadableSpan)
    return span


@pytest.fixture(autouse=True)
def _otel_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in list(os.environ):
        if name.startswith(("OTEL_", "WORKSPACE_OTEL_", "GCE_METADATA", "ACTIONS_ID_TOKEN")):
            monkeypatch.delenv(name)
    monkeypatch.setenv("OTEL_EXPORTER_OTLP_TIMEOUT", "5")


def export_for(
    exporter: Any, seconds: float, *, interval: float = 0.1, check: Callable[[], None] | None = None
) -> list[SpanExportResult]:
    """Export one span every ``interval`` for ``seconds``; return the results."""
    results = []
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        results.append(exporter.export([make_span()]))
        if check is not None:
            check()
        time.sleep(interval)
    return results
