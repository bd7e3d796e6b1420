"""``configure()`` and the :class:`Telemetry` handle.

One call builds the SDK's TracerProvider, MeterProvider and (when asked)
LoggerProvider with the workspace resource and authenticated OTLP exporters;
``opentelemetry-instrument`` runs the same code through
:class:`workspace_otel._instrument.WorkspaceOtelConfigurator`. This module
decides *whether* to build (already configured, disabled, declarative file)
and owns the handle; :mod:`workspace_otel._setup._pipeline` builds the pipeline and
installs its globals.

A little over 400 lines on purpose: the handle's flush and shutdown take the
same lock as :func:`configure` and share its state, so they stay beside it.
"""

from __future__ import annotations

import logging
import os
import sys
import threading
import warnings
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any, Literal

from workspace_otel._guards.fork import on_fork_in_child
from workspace_otel._guards.redaction import install_log_filter
from workspace_otel._settings._option_table import unknown_variables
from workspace_otel._settings._options import (
    Arguments,
    Settings,
    disabled_settings,
    is_disabled,
    resolve,
)
from workspace_otel._settings._options._provenance import config_file
from workspace_otel.credentials._headers import check_headers_variables
from workspace_otel.errors import WorkspaceOtelWarning

if TYPE_CHECKING:
    from opentelemetry.metrics import MeterProvider
    from opentelemetry.propagators.textmap import TextMapPropagator
    from opentelemetry.sdk._logs import LoggerProvider
    from opentelemetry.sdk.resources import Resource, ResourceDetector
    from opentelemetry.sdk.trace import SpanProcessor
    from opentelemetry.sdk.trace.sampling import Sampler
    from opentelemetry.trace import TracerProvider

    from workspace_otel._setup._lifecycle import Lifecycle
    from workspace_otel._setup._outage import CollectorWatch
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

    def __init__(
        self,
        resource: Resource,
        tracer_provider: TracerProvider,
        meter_provider: MeterProvider,
        logger_provider: LoggerProvider | None,
        settings: Settings,
        resource_sources: Mapping[str, str] | None = None,
        span_processors: tuple[SpanProcessor, ...] = (),
        log_handler: logging.Handler | None = None,
        installed: Mapping[str, bool] | None = None,
        summary: str = "",
        origin: str = "configure()",
        disabled: bool = False,
        _lifecycle: Lifecycle | None = None,
        _watch: CollectorWatch | None = None,
    ) -> None:
        # A plain class: generating a dataclass's __init__ at import cost about
        # a millisecond of every start (budget P2).
        self.resource = resource
        self.tracer_provider = tracer_provider
        self.meter_provider = meter_provider
        self.logger_provider = logger_provider
        self.settings = settings
        self.resource_sources: Mapping[str, str] = (
            {} if resource_sources is None else resource_sources
        )
        self.span_processors = span_processors
        self.log_handler = log_handler
        self.installed: Mapping[str, bool] = {} if installed is None else installed
        self.summary = summary
        self.origin = origin
        self.disabled = disabled
        self._lifecycle = _lifecycle
        self._shut = False
        self._watch = _watch

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
        from workspace_otel._setup._lifecycle import run_bounded

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
        from workspace_otel._setup import propagator_may_be_ours

        if propagator_may_be_ours():
            from workspace_otel._setup import _baggage

            _baggage.uninstall()
        if self._lifecycle is not None:
            self._lifecycle.active = False
        if self._watch is not None:
            self._watch.stop_waiting()  # collector known down: no waiting
        from workspace_otel._setup._lifecycle import run_bounded

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
            given = args.given()
            extra = f"; these arguments were ignored: {', '.join(given)}" if given else ""
            warnings.warn(
                f"workspace_otel is already configured (by {_HANDLE.origin}); "
                f"returning the existing Telemetry handle{extra}. Call "
                "telemetry.shutdown() first only if you really mean to stop telemetry.",
                WorkspaceOtelWarning,
                stacklevel=3,
            )
            return _HANDLE
        if unknown_variables(environ):  # the usual start has none: no typo search loaded
            from workspace_otel._settings._typos import warn_unknown_variables

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
        path = config_file(environ)
        if path is not None:
            from workspace_otel._setup._declarative import configure_from_file

            _HANDLE = configure_from_file(path, settings, origin)
            return _HANDLE
        from workspace_otel._setup._pipeline import build_pipeline

        _HANDLE = build_pipeline(settings, environ, origin=origin, auto_version=auto_version)
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


def _reset_for_tests() -> None:
    """Forget the configured handle (shutting it down); tests reset the API globals themselves."""
    global _HANDLE
    with _LOCK:
        handle, _HANDLE = _HANDLE, None
    if handle is not None:
        if handle._lifecycle is not None:
            handle._lifecycle.uninstall()
        handle.shutdown(timeout=2.0)
