"""Readable, compact console exporters (the no-endpoint fallback and ``backend="console"``).

One line per span, metric point or log record, written to ``sys.stderr`` (so a
program's own output on stdout stays clean). The resource is printed once,
before the first item. Root spans get a link when ``WORKSPACE_OTEL_TRACE_URL``
holds a template with ``{trace_id}``. The log exporter lives in
:mod:`workspace_otel._setup._console_logs`, so the logs SDK loads only with logs on.
"""

from __future__ import annotations

import logging
import sys
import threading
from collections.abc import Mapping, Sequence
from typing import IO, TYPE_CHECKING, Any

from opentelemetry.sdk.metrics.export import (
    Gauge,
    Histogram,
    MetricExporter,
    MetricExportResult,
    MetricsData,
    Sum,
)
from opentelemetry.sdk.trace import ReadableSpan, SpanProcessor
from opentelemetry.sdk.trace.export import SpanExporter, SpanExportResult
from opentelemetry.trace import StatusCode, format_span_id, format_trace_id

from workspace_otel._settings._links import render

if TYPE_CHECKING:
    from opentelemetry.sdk.resources import Resource

_MAX_VALUE = 120
_MAX_ATTRS = 8
_HIDDEN_PREFIXES = ("telemetry.sdk.", "telemetry.distro.")


def _link_from_template(template: str | None, trace_id: int) -> str | None:
    """Return the link of a trace from a ``{trace_id}`` template (no other expansion)."""
    return render(template, format_trace_id(trace_id)) if template else None


def _value(value: Any) -> str:
    if isinstance(value, (list, tuple)):
        text = "[" + ",".join(str(v) for v in value) + "]"
    else:
        text = str(value)
    text = text.replace("\n", "\\n")
    return text if len(text) <= _MAX_VALUE else text[: _MAX_VALUE - 1] + "…"


def _attrs(attributes: Mapping[str, Any] | None, limit: int = _MAX_ATTRS) -> str:
    if not attributes:
        return ""
    items = list(attributes.items())
    shown = " ".join(f"{k}={_value(v)}" for k, v in items[:limit])
    more = len(items) - limit
    return shown + (f" (+{more} more)" if more > 0 else "")


class ConsolePrinter:
    """Writes lines to a stream (default: the current ``sys.stderr``) under one lock.

    Args:
        stream: a text stream, or ``None`` for ``sys.stderr`` looked up at each write.
        trace_url: ``WORKSPACE_OTEL_TRACE_URL`` template, or ``None``.
    """

    def __init__(self, stream: IO[str] | None = None, trace_url: str | None = None) -> None:
        self._stream = stream
        self.trace_url = trace_url
        self._lock = threading.Lock()
        self._resource_printed = False

    def write(self, lines: Sequence[str], resource: Resource | None = None) -> None:
        """Write ``lines``, preceded once by the resource."""
        stream = self._stream or sys.stderr
        with self._lock:
            out: list[str] = []
            if resource is not None and not self._resource_printed:
                self._resource_printed = True
                out.append(format_resource(resource))
            out.extend(lines)
            if not out:
                return
            try:
                stream.write("\n".join(out) + "\n")
                stream.flush()
            except (OSError, ValueError):
                pass  # closed stream at exit: never raise into the application

    def reset_after_fork(self) -> None:
        """Give a forked child its own lock."""
        self._lock = threading.Lock()


def format_resource(resource: Resource) -> str:
    """Return the resource as one header line plus one indented line per attribute."""
    attrs = {
        k: v for k, v in sorted(resource.attributes.items()) if not k.startswith(_HIDDEN_PREFIXES)
    }
    body = "\n".join(f"    {k} = {_value(v)}" for k, v in attrs.items())
    return "[workspace_otel] resource:\n" + body


def format_span(span: ReadableSpan, trace_url: str | None = None) -> list[str]:
    """Return the console lines of one span (two for a root span with a trace link)."""
    ctx = span.get_span_context()
    if ctx is None:
        return []
    duration = ""
    if span.start_time is not None and span.end_time is not None:
        duration = f"{(span.end_time - span.start_time) / 1e6:.2f} ms"
    parent = span.parent
    is_root = parent is None or parent.is_remote
    where = (
        f"trace={format_trace_id(ctx.trace_id)} (root)"
        if is_root
        else f"trace={format_trace_id(ctx.trace_id)[:8]}… parent={format_span_id(parent.span_id)}"  # type: ignore[union-attr]
    )
    parts = ["[span]", span.name, duration, where]
    if span.status.status_code is StatusCode.ERROR:
        parts.append(
            "ERROR" + (f": {_value(span.status.description)}" if span.status.description else "")
        )
    for event in span.events:
        if event.name == "exception" and event.attributes:
            parts.append(f"exception={_value(event.attributes.get('exception.type', ''))}")
    attrs = _attrs(span.attributes)
    if attrs:
        parts.append(attrs)
    lines = ["  ".join(p for p in parts if p)]
    if is_root and (link := _link_from_template(trace_url, ctx.trace_id)):
        lines.append(f"    -> {link}")
    return lines


class ConsoleSpanExporter(SpanExporter):
    """Span exporter printing one compact line per span (and the resource once)."""

    def __init__(self, printer: ConsolePrinter) -> None:
        self._printer = printer

    def export(self, spans: Sequence[ReadableSpan]) -> SpanExportResult:
        """Print the spans; never raises."""
        try:
            lines: list[str] = []
            for span in spans:
                lines.extend(format_span(span, self._printer.trace_url))
            self._printer.write(lines, spans[0].resource if spans else None)
        except Exception:
            logging.getLogger("workspace_otel").debug("console export failed", exc_info=True)
            return SpanExportResult.FAILURE
        return SpanExportResult.SUCCESS

    def shutdown(self) -> None:
        """Nothing to release."""

    def force_flush(self, timeout_millis: int = 30000) -> bool:
        """Nothing is buffered."""
        return True


def _point_value(data: Any, point: Any) -> str:
    if isinstance(data, Histogram):
        return f"count={point.count} sum={point.sum:g}"
    value = point.value
    return f"{value:g}" if isinstance(value, float) else str(value)


class ConsoleMetricExporter(MetricExporter):
    """Metric exporter printing one compact line per data point."""

    def __init__(self, printer: ConsolePrinter) -> None:
        super().__init__()
        self._printer = printer

    def export(
        self, metrics_data: MetricsData, timeout_millis: float = 10_000, **kwargs: Any
    ) -> MetricExportResult:
        """Print the data points; never raises."""
        try:
            lines: list[str] = []
            resource = None
            for rm in metrics_data.resource_metrics:
                resource = rm.resource
                for sm in rm.scope_metrics:
                    for metric in sm.metrics:
                        kind = {Sum: "sum", Gauge: "gauge", Histogram: "histogram"}.get(
                            type(metric.data), type(metric.data).__name__.lower()
                        )
                        unit = f" {metric.unit}" if metric.unit else ""
                        for point in metric.data.data_points:
                            attrs = _attrs(point.attributes)
                            lines.append(
                                f"[metric]  {metric.name} ({kind}) = "
                                f"{_point_value(metric.data, point)}{unit}"
                                + (f"  {attrs}" if attrs else "")
                            )
            self._printer.write(lines, resource)
        except Exception:
            logging.getLogger("workspace_otel").debug("console export failed", exc_info=True)
            return MetricExportResult.FAILURE
        return MetricExportResult.SUCCESS

    def force_flush(self, timeout_millis: float = 10_000) -> bool:
        """Nothing is buffered."""
        return True

    def shutdown(self, timeout_millis: float = 30_000, **kwargs: Any) -> None:
        """Nothing to release."""


class TraceLinkProcessor(SpanProcessor):
    """Prints a link for each root span when exporting elsewhere (``WORKSPACE_OTEL_TRACE_URL``)."""

    def __init__(self, printer: ConsolePrinter) -> None:
        self._printer = printer

    def on_end(self, span: ReadableSpan) -> None:
        """Print ``[trace] <name> -> <link>`` for a root span."""
        ctx = span.get_span_context()
        if ctx is None or (span.parent is not None and not span.parent.is_remote):
            return
        link = _link_from_template(self._printer.trace_url, ctx.trace_id)
        if link:
            self._printer.write([f"[trace] {span.name} -> {link}"])
