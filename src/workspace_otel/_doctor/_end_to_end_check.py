"""Check 6: one real test span, exported by the very exporter ``configure()`` builds.

The exporter comes from :func:`workspace_otel._setup._exporters.build_exporters` fed
with the resolved settings (traces only, the token source already resolved),
so the protocol (``OTEL_TRACES_EXPORTER=otlp_proto_grpc`` included), the TLS
decision, the credentials and the egress rule are the library's own.
"""

from __future__ import annotations

import io
import logging
from typing import TYPE_CHECKING, Any

from workspace_otel._doctor._context import Diagnosis
from workspace_otel._doctor._endpoint_check import NO_ENDPOINT, skip_reason
from workspace_otel._doctor._log_capture import LogCapture
from workspace_otel._doctor._report import Check, Finding
from workspace_otel._settings._links import trace_link
from workspace_otel.errors import ConfigurationError

if TYPE_CHECKING:
    from opentelemetry.sdk.trace import ReadableSpan

__all__ = ["check_end_to_end"]

_LOGGERS = ("opentelemetry", "workspace_otel", "grpc")


def _why_skipped(ctx: Diagnosis) -> str | None:
    reason = skip_reason(ctx)
    if reason is not None:
        if reason.startswith(NO_ENDPOINT):
            return f"{NO_ENDPOINT}, so no test span is sent (see check 5)"
        return reason
    if not ctx.endpoint_accepted:
        return f"the endpoint did not accept an export ({ctx.endpoint_outcome or 'see check 5'})"
    return None


def _test_span(ctx: Diagnosis) -> ReadableSpan:
    from opentelemetry.sdk.resources import Resource
    from opentelemetry.sdk.trace import SpanProcessor, TracerProvider

    ended: list[ReadableSpan] = []

    class _Keep(SpanProcessor):
        def on_end(self, span: ReadableSpan) -> None:
            ended.append(span)

    attributes: dict[str, Any] = dict(ctx.attributes)
    attributes.setdefault(
        "service.name", ctx.environ.get("OTEL_SERVICE_NAME") or "workspace-otel-doctor"
    )
    provider = TracerProvider(resource=Resource.create(attributes))
    provider.add_span_processor(_Keep())
    provider.get_tracer("workspace_otel.doctor").start_span(
        "workspace-otel doctor test span", attributes={"workspace_otel.doctor": True}
    ).end()
    provider.shutdown()
    return ended[0]


def _export(ctx: Diagnosis, span: ReadableSpan, check: Check) -> bool:
    """Build the trace exporter as configure() does and export ``span``; ``True``: delivered."""
    from opentelemetry.sdk.trace.export import SpanExportResult

    from workspace_otel._setup._console import ConsolePrinter
    from workspace_otel._setup._exporters import build_exporters

    assert ctx.plan is not None
    settings, environ = ctx.plan.traces_only(ctx.timeout)
    built = build_exporters(settings, ConsolePrinter(io.StringIO()), environ)
    try:
        otlp = [(name, exporter) for name, exporter in built.traces if name.startswith("otlp")]
        name, exporter = otlp[0]
        check.evidence["exporter"] = (
            f"{type(exporter).__name__} ({name}, {settings.traces.protocol.value}, "
            "built as configure() builds it)"
        )
        return bool(exporter.export([span]) == SpanExportResult.SUCCESS)
    finally:
        for _, each in built.traces:
            each.shutdown()
        for session in built.sessions:
            session.close()


def check_end_to_end(ctx: Diagnosis, check: Check) -> None:
    """Send one real span through the library's exporter with the library's authentication."""
    reason = _why_skipped(ctx)
    if reason is not None:
        check.verdict, check.summary = "skipped", reason
        return
    from opentelemetry.trace import format_trace_id

    span = _test_span(ctx)
    trace_id = format_trace_id(span.context.trace_id) if span.context else ""
    capture = LogCapture()
    loggers = [logging.getLogger(n) for n in _LOGGERS]
    saved = [(lg.propagate, lg.level) for lg in loggers]
    for lg in loggers:
        lg.addHandler(capture)
        lg.propagate = False
    try:
        delivered = _export(ctx, span, check)
    finally:
        for lg, (propagate, level) in zip(loggers, saved, strict=True):
            lg.removeHandler(capture)
            lg.propagate = propagate
            lg.setLevel(level)
    check.evidence["trace id"] = trace_id
    if capture.messages:
        check.evidence["exporter log"] = capture.messages[:5]
    if not delivered:
        check.add(
            Finding(
                "fail",
                "the SDK exporter could not deliver the test span although the endpoint "
                "accepted the doctor's own request",
                "Compare the exporter log above with check 5; run the application with "
                "OTEL_LOG_LEVEL=debug to see each export's answer.",
            )
        )
        return
    try:
        link = trace_link(trace_id, ctx.environ)
    except (ConfigurationError, ValueError):
        link = None
    if link:
        check.evidence["link"] = link
    check.summary = f"test span delivered: trace id {trace_id}" + (f" ({link})" if link else "")
