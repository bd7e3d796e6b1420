"""``configure()`` and the :class:`Telemetry` handle.

One call builds the SDK's TracerProvider, MeterProvider and (when asked)
LoggerProvider with the workspace resource and authenticated OTLP exporters;
``opentelemetry-instrument`` runs the same code through
:class:`workspace_otel._instrument.WorkspaceOtelConfigurator`.
"""

from __future__ import annotations

import logging
import os
import sys
import threading
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

from workspace_otel._guards.fork import on_fork_in_child
from workspace_otel._guards.redaction import install_log_filter
from workspace_otel._options import Arguments, Settings, disabled_settings, is_disabled, resolve
from workspace_otel._otlp_headers import check_headers_variables
from workspace_otel.errors import WorkspaceOtelWarning

if TYPE_CHECKING:
    from opentelemetry.metrics import MeterProvider
    from opentelemetry.propagators.textmap import TextMapPropagator
    from opentelemetry.sdk._logs import LoggerProvider
    from opentelemetry.sdk.resources import Resource, ResourceDetector
    from opentelemetry.sdk.trace import SpanProcessor
    from opentelemetry.sdk.trace.sampling import Sampler
    from opentelemetry.trace import TracerProvider

    from workspace_otel._lifecycle import Lifecycle
    from workspace_otel._outage import CollectorWatch
    from workspace_otel.credentials import TokenSource

__all__ = ["Telemetry", "configure"]

_logger = logging.getLogger("workspace_otel")

_LOCK = threading.RLock()
_HANDLE: Telemetry | None = None


def _new_lock_after_fork() -> None:
    # A thread of the parent may have held it at fork; shutdown() takes it at exit.
    global _LOCK
    _LOCK = threading.RLock()


on_fork_in_child(__name__, _new_lock_after_fork)


@dataclass(eq=False)
class Telemetry:
    """What :func:`configure` built.

    Attributes:
        resource: the resource attached to every signal.
        tracer_provider: the SDK TracerProvider (a no-op one when disabled).
        meter_provider: the SDK MeterProvider (a no-op one when disabled).
        logger_provider: the SDK LoggerProvider, or ``None`` when logs are off.
        settings: every effective option with its provenance (``settings.describe()``).
        resource_sources: for each resource attribute, what produced it.
        span_processors: our exporting span processors; add them to another
            TracerProvider if one was installed before us.
        log_handler: the logging handler feeding ``logger_provider`` (attached to
            the root logger only when ``set_global`` is true).
        installed: per signal, whether our provider is the global one.
        summary: the start-up summary line (no secrets).
        origin: ``configure()`` or ``opentelemetry-instrument``.
        disabled: ``True`` when ``OTEL_SDK_DISABLED`` made this a no-op.
    """

    resource: Resource
    tracer_provider: TracerProvider
    meter_provider: MeterProvider
    logger_provider: LoggerProvider | None
    settings: Settings
    resource_sources: Mapping[str, str] = field(default_factory=dict)
    span_processors: tuple[SpanProcessor, ...] = ()
    log_handler: logging.Handler | None = None
    installed: Mapping[str, bool] = field(default_factory=dict)
    summary: str = ""
    origin: str = "configure()"
    disabled: bool = False
    _lifecycle: Lifecycle | None = field(default=None, repr=False)
    _shut: bool = field(default=False, repr=False)
    _watch: CollectorWatch | None = field(default=None, repr=False)

    def __repr__(self) -> str:
        return (
            f"Telemetry(origin={self.origin!r}, disabled={self.disabled}, "
            f"service.name={self.resource.attributes.get('service.name')!r}, "
            f"installed={dict(self.installed)!r})"
        )

    def _providers(self) -> list[Any]:
        providers: list[Any] = [self.tracer_provider, self.meter_provider]
        if self.logger_provider is not None:
            providers.append(self.logger_provider)
        return providers

    def force_flush(self, timeout: float | None = None) -> bool:
        """Export everything buffered, waiting at most ``timeout`` seconds in total.

        Args:
            timeout: seconds; default ``settings.flush_timeout``.

        Returns:
            ``True`` when every provider flushed in time. Never raises.
        """
        if self.disabled:
            return True
        if self._shut:
            return False
        from workspace_otel._lifecycle import run_bounded

        limit = self.settings.flush_timeout.value if timeout is None else timeout
        millis = int(limit * 1000)

        def flush() -> None:
            for provider in self._providers():
                provider.force_flush(millis)

        return run_bounded(flush, limit, "flush")

    def shutdown(self, timeout: float | None = None) -> bool:
        """Flush and shut every provider down (once), within ``timeout`` seconds.

        The logging handler is detached from the root logger first. Returns
        ``True`` when everything finished in time. Never raises.
        """
        with _LOCK:
            if self._shut or self.disabled:
                self._shut = True  # a disabled handle too: the next configure() starts afresh
                return True
            self._shut = True
        if self.log_handler is not None:
            logging.getLogger().removeHandler(self.log_handler)
        from workspace_otel import _baggage

        _baggage.uninstall()
        if self._lifecycle is not None:
            self._lifecycle.active = False
        if self._watch is not None:
            self._watch.stop_waiting()  # collector known down: no waiting
        from workspace_otel._lifecycle import run_bounded

        limit = self.settings.flush_timeout.value if timeout is None else timeout
        millis = int(limit * 1000)

        def shutdown() -> None:
            for provider in self._providers():
                stop = getattr(provider, "shutdown", None)
                if stop is None:
                    continue
                if provider is self.meter_provider:
                    stop(timeout_millis=millis)
                else:
                    stop()

        finished = run_bounded(shutdown, limit, "shutdown", warn=self._watch is None)
        if self._watch is not None:
            said = self._watch.report_exit(finished=finished, waited=limit)
            if not finished and not said:
                _logger.warning("shutdown did not finish within %.1f s; continuing", limit)
        return finished


def _token_from_env(environ: Mapping[str, str]) -> TokenSource | None:
    from workspace_otel.credentials import token_source_from_env

    return token_source_from_env(environ)


def _caller() -> str:
    try:
        frame = sys._getframe(2)
    except (AttributeError, ValueError):
        return "configure()"
    return f"configure() at {frame.f_code.co_filename}:{frame.f_lineno}"


def configure(
    *,
    service_name: str | None = None,
    resource_attributes: Mapping[str, Any] | None = None,
    detectors: Sequence[ResourceDetector | str] | None = None,
    credentials: TokenSource | Literal[False] | None = None,
    token_header: str | None = None,
    endpoint: str | None = None,
    protocol: str | None = None,
    backend: str | None = None,
    traces: bool | None = None,
    metrics: bool | None = None,
    logs: bool | None = None,
    sampler: Sampler | str | None = None,
    propagators: TextMapPropagator | Sequence[str] | None = None,
    set_global: bool | None = None,
    flush_timeout: float | None = None,
    environ: Mapping[str, str] | None = None,
) -> Telemetry:
    """Set up OpenTelemetry for this process, workspace-aware and authenticated.

    Every option left ``None`` comes from its environment variable, then from
    its default (the README has the table); the effective values and their
    provenance are in ``Telemetry.settings``.

    Args:
        service_name: ``service.name``; else ``OTEL_SERVICE_NAME``; else the
            repository name; else the program name (never ``unknown_service``).
        resource_attributes: extra attributes; they beat the detectors and
            ``OTEL_RESOURCE_ATTRIBUTES``, and lose to ``service_name``.
        detectors: detectors (instances or entry-point names) replacing the
            default (``workspace`` plus ``OTEL_EXPERIMENTAL_RESOURCE_DETECTORS``).
        credentials: a token source, ``False`` for no credentials, ``None`` for
            ``WORKSPACE_OTEL_TOKEN_SOURCE`` (default ``auto``).
        token_header: header carrying the token; else
            ``WORKSPACE_OTEL_TOKEN_HEADER``; else ``lightstep-access-token`` for
            the Lightstep backend; else ``authorization`` (``Bearer <token>``).
        endpoint: base OTLP URL (``/v1/<signal>`` is appended for HTTP); else
            ``OTEL_EXPORTER_OTLP_<SIGNAL>_ENDPOINT`` / ``OTEL_EXPORTER_OTLP_ENDPOINT``;
            else the backend preset. With none, telemetry is printed to the
            console with a one-line hint.
        protocol: ``http/protobuf`` (default) or ``grpc``; else
            ``OTEL_EXPORTER_OTLP_[<SIGNAL>_]PROTOCOL``.
        backend: ``otlp`` (default), ``lightstep`` or ``console``; else
            ``WORKSPACE_OTEL_BACKEND``.
        traces: export traces (default on; ``OTEL_TRACES_EXPORTER``).
        metrics: export metrics (default on; ``OTEL_METRICS_EXPORTER``).
        logs: export ``logging`` records (default off; ``OTEL_LOGS_EXPORTER``).
        sampler: a Sampler or a name; else ``OTEL_TRACES_SAMPLER`` (+ ``_ARG``);
            default ``parentbased_always_on``.
        propagators: a propagator or names; default ``OTEL_PROPAGATORS`` as
            applied by the API (``tracecontext,baggage``).
        set_global: install the providers globally (default ``True``); an
            existing provider installed by other code is never replaced.
        flush_timeout: seconds allowed to flush at exit / SIGTERM (default 5;
            ``WORKSPACE_OTEL_FLUSH_TIMEOUT``).
        environ: the environment to read (default ``os.environ``); for tests
            and tools.

    Returns:
        The :class:`Telemetry` handle. A second call returns the same handle
        with a :class:`~workspace_otel.errors.WorkspaceOtelWarning`; after
        ``telemetry.shutdown()`` a call builds a new pipeline.

    Raises:
        ConfigurationError: an option or variable is invalid; the message
            names it and the fix.
    """
    args = Arguments(
        service_name=service_name,
        resource_attributes=resource_attributes,
        detectors=detectors,
        credentials=credentials,
        token_header=token_header,
        endpoint=endpoint,
        protocol=protocol,
        backend=backend,
        traces=traces,
        metrics=metrics,
        logs=logs,
        sampler=sampler,
        propagators=propagators,
        set_global=set_global,
        flush_timeout=flush_timeout,
    )
    return _configure(args, os.environ if environ is None else environ, origin=_caller())


def _configure(
    args: Arguments,
    environ: Mapping[str, str],
    *,
    origin: str,
    auto_version: str | None = None,
) -> Telemetry:
    global _HANDLE
    with _LOCK:
        if _HANDLE is not None and _HANDLE._shut:
            # Shut down on purpose: a notebook or a test starts again.
            _retire(_HANDLE)
            _HANDLE = None
        if _HANDLE is not None:
            given = [name for name in args._FIELDS if getattr(args, name) is not None]
            extra = f"; these arguments were ignored: {', '.join(given)}" if given else ""
            warnings.warn(
                f"workspace_otel is already configured (by {_HANDLE.origin}); "
                f"returning the existing Telemetry handle{extra}. Call "
                "telemetry.shutdown() first only if you really mean to stop telemetry.",
                WorkspaceOtelWarning,
                stacklevel=3,
            )
            return _HANDLE
        from workspace_otel._typos import warn_unknown_variables

        warn_unknown_variables(environ)
        disabled = is_disabled(environ)
        if disabled.value:
            _HANDLE = _disabled_handle(disabled_settings(disabled), origin)
            _logger.info("workspace_otel: OTEL_SDK_DISABLED is true; nothing was configured")
            return _HANDLE
        # The SDK's exporters read os.environ whatever mapping configure() was given.
        check_headers_variables(environ)
        if environ is not os.environ:
            check_headers_variables(os.environ)
        settings = resolve(args, environ, credentials_from_env=_token_from_env)
        from workspace_otel._declarative import config_file, configure_from_file

        path = config_file(environ)
        if path is not None:
            _HANDLE = configure_from_file(path, settings, origin)
            return _HANDLE
        _HANDLE = _build(settings, environ, origin=origin, auto_version=auto_version)
        # After the exporters exist: their module loggers get the scrubbing filter too.
        install_log_filter()
        return _HANDLE


def _retire(handle: Telemetry) -> None:
    """Undo what a shut-down handle installed, so a new pipeline can take its place.

    Its exit and signal hooks are removed, and the API's set-once globals that
    still point at its (dead) providers are released; a global installed by
    other code is never touched.
    """
    if handle._lifecycle is not None:
        handle._lifecycle.uninstall()
    try:
        from opentelemetry import trace
        from opentelemetry._logs import _internal as logs_internal
        from opentelemetry.metrics import _internal as metrics_internal
        from opentelemetry.util._once import Once

        if trace._TRACER_PROVIDER is handle.tracer_provider:
            trace._TRACER_PROVIDER = None
            trace._TRACER_PROVIDER_SET_ONCE = Once()
        if metrics_internal._METER_PROVIDER is handle.meter_provider:
            metrics_internal._METER_PROVIDER = None
            metrics_internal._METER_PROVIDER_SET_ONCE = Once()
        if (
            handle.logger_provider is not None
            and logs_internal._LOGGER_PROVIDER is handle.logger_provider
        ):
            logs_internal._LOGGER_PROVIDER = None
            logs_internal._LOGGER_PROVIDER_SET_ONCE = Once()
    except Exception:  # an API without these internals: the old globals stay
        _logger.debug("could not release the global providers", exc_info=True)


def _disabled_handle(settings: Settings, origin: str) -> Telemetry:
    from opentelemetry.metrics import NoOpMeterProvider
    from opentelemetry.sdk.resources import Resource
    from opentelemetry.trace import NoOpTracerProvider

    return Telemetry(
        resource=Resource.get_empty(),
        tracer_provider=NoOpTracerProvider(),
        meter_provider=NoOpMeterProvider(),
        logger_provider=None,
        settings=settings,
        installed={"traces": False, "metrics": False, "logs": False},
        summary="workspace_otel disabled (OTEL_SDK_DISABLED)",
        origin=origin,
        disabled=True,
    )


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


def _metric_interval(environ: Mapping[str, str]) -> float:
    raw = environ.get("OTEL_METRIC_EXPORT_INTERVAL", "").strip()
    try:
        return float(raw) if raw else 60_000.0
    except ValueError:
        return 60_000.0


def _build(
    settings: Settings, environ: Mapping[str, str], *, origin: str, auto_version: str | None
) -> Telemetry:
    from opentelemetry.sdk.metrics import MeterProvider as SdkMeterProvider
    from opentelemetry.sdk.metrics.export import MetricReader, PeriodicExportingMetricReader
    from opentelemetry.sdk.trace import TracerProvider as SdkTracerProvider
    from opentelemetry.sdk.trace.export import BatchSpanProcessor, SimpleSpanProcessor

    from workspace_otel import _baggage
    from workspace_otel._console import ConsolePrinter, TraceLinkProcessor
    from workspace_otel._exporters import build_exporters, reset_sessions_after_fork
    from workspace_otel._lifecycle import Lifecycle, OpenSpans
    from workspace_otel._resource import build_resource
    from workspace_otel._summary import HINT, summary_line

    baggage = _baggage.settings_from(environ)  # invalid lists fail before anything is built
    resource, sources = build_resource(settings, environ, auto_version=auto_version)
    printer = ConsolePrinter(trace_url=settings.trace_url.value)
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
            SimpleSpanProcessor(exporter) if name == "console" else BatchSpanProcessor(exporter)
        )
        processors.append(processor)
        tracer_provider.add_span_processor(processor)
    if settings.trace_url.value and not any(n == "console" for n, _ in built.traces):
        processors.append(TraceLinkProcessor(printer))
        tracer_provider.add_span_processor(processors[-1])

    readers: list[MetricReader] = []
    for _name, exporter in built.metrics:
        if isinstance(exporter, MetricReader):
            readers.append(exporter)
        else:
            readers.append(
                PeriodicExportingMetricReader(
                    exporter, export_interval_millis=_metric_interval(environ)
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

        from workspace_otel._logbridge import OtelLogHandler

        logger_provider = SdkLoggerProvider(resource=resource, shutdown_on_exit=False)
        for name, exporter in built.logs:
            logger_provider.add_log_record_processor(
                SimpleLogRecordProcessor(exporter)
                if name == "console"
                else BatchLogRecordProcessor(exporter)
            )
        log_handler = OtelLogHandler(logger_provider)

    installed = _install_globals(
        settings, tracer_provider, meter_provider, logger_provider, log_handler
    )
    _baggage.install(baggage, resource, tracer_provider, set_global=settings.set_global.value)

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
    if settings.console_fallback:
        printer.write([HINT])
    return telemetry


def _install_globals(
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


def _reset_for_tests() -> None:
    """Forget the configured handle (shutting it down); tests reset the API globals themselves."""
    global _HANDLE
    with _LOCK:
        handle, _HANDLE = _HANDLE, None
    if handle is not None:
        if handle._lifecycle is not None:
            handle._lifecycle.uninstall()
        handle.shutdown(timeout=2.0)
