"""Build one configuration's pipeline: resource, exporters, providers, lifecycle.

A provider that other code installed globally is never replaced: the signal
is left to it and one warning says how to choose (:func:`install_globals`).
The propagators named by ``OTEL_PROPAGATORS`` (or
``configure(propagators=...)``) are loaded from their entry points.

Called by ``configure()`` with resolved settings; returns the
:class:`~workspace_otel._setup._configure.Telemetry` handle of what it built,
whose one-line summary (:func:`summary_line`) names the platform, where each
signal goes (scheme, host and port only: no path, query or user info), the
token source *kind* and the header name; never a secret.
"""

from __future__ import annotations

import logging
import os
import warnings
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, cast

from workspace_otel._settings._option_table import OPTION
from workspace_otel._settings._options import Settings, Signal, endpoint_display
from workspace_otel._setup import propagator_may_be_ours
from workspace_otel._setup._configure import Telemetry
from workspace_otel.errors import WorkspaceOtelWarning

if TYPE_CHECKING:
    from opentelemetry.sdk.trace import SpanProcessor

    from workspace_otel._setup._baggage_rules import BaggageSettings
    from workspace_otel._setup._console import ConsolePrinter

__all__ = [
    "HINT",
    "build_pipeline",
    "install_globals",
    "summary_line",
]

_logger = logging.getLogger("workspace_otel")


def _batch(prefix: str, environ: Mapping[str, str]) -> dict[str, Any]:
    """A batch processor's settings from configure()'s mapping (the SDK reads ``os.environ``)."""
    if environ is os.environ:
        return {}
    from workspace_otel._setup._exporter_environ import batch_kwargs

    return batch_kwargs(prefix, environ)


def _reader(environ: Mapping[str, str]) -> dict[str, int]:
    if environ is os.environ:
        return {}
    from workspace_otel._setup._exporter_environ import reader_kwargs

    return reader_kwargs(environ)


def _metric_interval(environ: Mapping[str, str]) -> float:
    raw = environ.get("OTEL_METRIC_EXPORT_INTERVAL", "").strip()
    try:
        return float(raw) if raw else 60_000.0
    except ValueError:
        return 60_000.0


def _baggage_settings(environ: Mapping[str, str]) -> BaggageSettings | None:
    """The baggage rules, or ``None`` when they cannot change anything.

    That is when neither baggage variable is set and no propagator of ours can
    be installed: the usual start then imports none of the baggage modules.

    Raises:
        ConfigurationError: a baggage variable is invalid.
    """
    variables = (*OPTION["baggage"].variables, *OPTION["baggage_to_spans"].variables)
    if not propagator_may_be_ours() and not any(name in environ for name in variables):
        return None
    from workspace_otel._setup._baggage_rules import settings_from

    return settings_from(environ)


def _printer(settings: Settings) -> ConsolePrinter | None:
    """The console printer, or ``None`` when this configuration prints nothing.

    It prints the console exporters' output, the trace links of
    ``WORKSPACE_OTEL_TRACE_URL`` and the no-endpoint hint; its module imports
    the SDK's exporter classes, so a start that prints none of them skips it.
    """
    signals = (settings.traces, settings.metrics, settings.logs)
    if not (
        settings.console_fallback
        or settings.trace_url.value
        or any("console" in sig.exporters.value for sig in signals)
    ):
        return None
    from workspace_otel._setup._console import ConsolePrinter

    return ConsolePrinter(trace_url=settings.trace_url.value)


def build_pipeline(
    settings: Settings, environ: Mapping[str, str], *, origin: str, auto_version: str | None
) -> Telemetry:
    from opentelemetry.sdk.metrics import MeterProvider as SdkMeterProvider
    from opentelemetry.sdk.metrics.export import MetricReader, PeriodicExportingMetricReader
    from opentelemetry.sdk.trace import TracerProvider as SdkTracerProvider
    from opentelemetry.sdk.trace.export import BatchSpanProcessor, SimpleSpanProcessor

    from workspace_otel._setup._exporters import build_exporters, reset_sessions_after_fork
    from workspace_otel._setup._lifecycle import Lifecycle, OpenSpans
    from workspace_otel._setup._resource import build_resource

    baggage = _baggage_settings(environ)  # invalid lists fail before anything is built
    resource, sources = build_resource(settings, environ, auto_version=auto_version)
    printer = _printer(settings)
    built = build_exporters(settings, printer, environ)

    # The SDK's TracerProvider re-detects its resource in a forked child with a
    # thread pool. The pool module frees its global lock in the child with an
    # at-fork hook; that hook must be registered before the provider's, or a
    # fork deadlocks in the provider's hook on a lock still held.
    import concurrent.futures.thread  # noqa: F401

    open_spans = OpenSpans()
    tracer_provider = SdkTracerProvider(
        resource=resource, sampler=settings.sampler.value, shutdown_on_exit=False
    )
    tracer_provider.add_span_processor(open_spans)
    processors: list[SpanProcessor] = []
    for name, exporter in built.traces:
        processor: SpanProcessor = (
            SimpleSpanProcessor(exporter)
            if name == "console"
            else BatchSpanProcessor(exporter, **_batch("OTEL_BSP", environ))
        )
        processors.append(processor)
        tracer_provider.add_span_processor(processor)
    prints_spans = any(n == "console" for n, _ in built.traces)
    if printer is not None and printer.trace_url and not prints_spans:
        from workspace_otel._setup._console import TraceLinkProcessor

        processors.append(TraceLinkProcessor(printer))
        tracer_provider.add_span_processor(processors[-1])

    readers: list[MetricReader] = []
    for _name, exporter in built.metrics:
        if isinstance(exporter, MetricReader):
            readers.append(exporter)
        else:
            readers.append(
                PeriodicExportingMetricReader(
                    exporter,
                    export_interval_millis=_metric_interval(environ),
                    **_reader(environ),
                )
            )
    meter_provider = SdkMeterProvider(
        resource=resource, metric_readers=readers, shutdown_on_exit=False
    )

    logger_provider = None
    log_handler = None
    if settings.logs.enabled:
        from opentelemetry.sdk._logs import LoggerProvider as SdkLoggerProvider
        from opentelemetry.sdk._logs.export import (
            BatchLogRecordProcessor,
            SimpleLogRecordProcessor,
        )

        from workspace_otel._setup._logbridge import OtelLogHandler

        logger_provider = SdkLoggerProvider(resource=resource, shutdown_on_exit=False)
        for name, exporter in built.logs:
            logger_provider.add_log_record_processor(
                SimpleLogRecordProcessor(exporter)
                if name == "console"
                else BatchLogRecordProcessor(exporter, **_batch("OTEL_BLRP", environ))
            )
        log_handler = OtelLogHandler(logger_provider)

    installed = install_globals(
        settings, tracer_provider, meter_provider, logger_provider, log_handler
    )
    if baggage is not None:
        from workspace_otel._setup._baggage_rules import install_needed

        if install_needed(baggage, set_global=settings.set_global.value):
            from workspace_otel._setup._baggage import install

            install(baggage, resource, tracer_provider, set_global=settings.set_global.value)

    telemetry = Telemetry(
        resource=resource,
        tracer_provider=tracer_provider,
        meter_provider=meter_provider,
        logger_provider=logger_provider,
        settings=settings,
        resource_sources=sources,
        span_processors=tuple(processors),
        log_handler=log_handler,
        installed=installed,
        origin=origin,
        _watch=built.watch,
    )

    def after_fork() -> None:
        reset_sessions_after_fork(built.sessions)
        if printer is not None:
            printer.reset_after_fork()
        if built.watch is not None:
            built.watch.reset_after_fork()

    lifecycle = Lifecycle(
        flush=telemetry.force_flush,
        shutdown=telemetry.shutdown,
        open_spans=open_spans,
        after_fork=after_fork,
        timeout=settings.flush_timeout.value,
    )
    lifecycle.install()
    telemetry._lifecycle = lifecycle

    telemetry.summary = summary_line(
        settings, resource.attributes, origin=origin, installed=installed
    )
    _logger.info("%s", telemetry.summary)
    for note in built.notes:
        _logger.warning("workspace_otel: %s", note)
    if printer is not None and settings.console_fallback:
        printer.write([HINT])
    return telemetry


HINT = (
    "[workspace_otel] no OTLP endpoint configured: telemetry is printed here. To export it, "
    "set OTEL_EXPORTER_OTLP_ENDPOINT (e.g. https://collector.example:4318) or "
    "WORKSPACE_OTEL_BACKEND=lightstep; WORKSPACE_OTEL_BACKEND=console keeps console output "
    "without this hint."
)


def summary_line(
    settings: Settings,
    resource_attributes: Mapping[str, Any],
    *,
    origin: str,
    installed: Mapping[str, bool],
) -> str:
    """Return the INFO line logged once at start."""
    platform = resource_attributes.get("workspace.provider") or "none"
    parts = [
        f"workspace_otel configured ({origin}):",
        f"platform={platform}",
        f"service.name={resource_attributes.get('service.name', '')}",
    ]
    destinations: dict[str, list[str]] = {}
    for sig in (settings.traces, settings.metrics, settings.logs):
        for name in sig.exporters.value:
            if name.startswith("otlp"):
                where = f"{endpoint_display(sig.endpoint.value)} ({sig.protocol.value})"
            else:
                where = name
            destinations.setdefault(where, []).append(sig.signal)
    if destinations:
        parts.append(
            "signals="
            + "; ".join(f"{'+'.join(sigs)} -> {where}" for where, sigs in destinations.items())
        )
    else:
        parts.append("signals=none")
    source = settings.credentials.value
    parts.append(f"token={source.kind if source is not None else 'none'}")
    if source is not None:
        parts.append(f"header={settings.token_header.value}")
    not_global = [
        s for s, ok in installed.items() if not ok and settings.signal(cast(Signal, s)).enabled
    ]
    if not_global:
        parts.append("not-global=" + ",".join(not_global))
    return " ".join(parts)


def _foreign(signal: str) -> str | None:
    """Return the class name of a provider someone else installed globally, if any."""
    try:
        if signal == "traces":
            from opentelemetry import trace

            current: Any = trace.get_tracer_provider()
            return (
                None if isinstance(current, trace.ProxyTracerProvider) else type(current).__name__
            )
        if signal == "metrics":
            from opentelemetry.metrics import _internal as metrics_internal

            current = metrics_internal.get_meter_provider()
            proxy = metrics_internal._ProxyMeterProvider
            return None if isinstance(current, proxy) else type(current).__name__
        from opentelemetry._logs import _internal as logs_internal

        current = logs_internal.get_logger_provider()
        return (
            None
            if isinstance(current, logs_internal.ProxyLoggerProvider)
            else type(current).__name__
        )
    except Exception:
        _logger.debug("could not inspect the global %s provider", signal, exc_info=True)
        return None


def install_globals(
    settings: Settings,
    tracer_provider: Any,
    meter_provider: Any,
    logger_provider: Any,
    log_handler: logging.Handler | None,
) -> dict[str, bool]:
    installed = {"traces": False, "metrics": False, "logs": False}
    if not settings.set_global.value:
        return installed
    from opentelemetry import metrics, trace

    taken: list[str] = []
    for signal, enabled in (
        ("traces", settings.traces.enabled),
        ("metrics", settings.metrics.enabled),
        ("logs", settings.logs.enabled),
    ):
        if not enabled:
            continue
        other = _foreign(signal)
        if other is not None:
            taken.append(f"{signal} ({other})")
            continue
        if signal == "traces":
            trace.set_tracer_provider(tracer_provider)
        elif signal == "metrics":
            metrics.set_meter_provider(meter_provider)
        else:
            from opentelemetry._logs import set_logger_provider

            set_logger_provider(logger_provider)
            if log_handler is not None:
                logging.getLogger().addHandler(log_handler)
        installed[signal] = True
    if taken:
        warnings.warn(
            "workspace_otel did not replace the global provider(s) already installed by other "
            f"code: {', '.join(taken)}. Telemetry from those stays with them and is not exported "
            "by workspace_otel. To choose: call workspace_otel.configure() before the other "
            "setup, or pass set_global=False and use telemetry.tracer_provider / "
            "meter_provider explicitly, or add telemetry.span_processors to the existing "
            "TracerProvider (provider.add_span_processor(p)).",
            WorkspaceOtelWarning,
            stacklevel=5,
        )
    if settings.propagators.value is not None:
        from opentelemetry.propagate import set_global_textmap

        set_global_textmap(_propagator(settings.propagators.value))
    return installed


def _propagator(value: Any) -> Any:
    if not isinstance(value, tuple):
        return value
    from importlib.metadata import entry_points

    from opentelemetry.propagators.composite import CompositePropagator

    found = []
    for name in value:
        if name == "none":
            continue
        found.append(next(iter(entry_points(group="opentelemetry_propagator", name=name))).load()())
    return CompositePropagator(found)
