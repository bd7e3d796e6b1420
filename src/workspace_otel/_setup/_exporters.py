"""Build the exporters of each signal from resolved settings.

OTLP/HTTP exporters get a ``requests.Session`` from
:func:`workspace_otel.credentials.http_session` and OTLP/gRPC exporters channel
credentials from :func:`workspace_otel.credentials.grpc_credentials`, always
with the *same* token source object, so one refreshing cache serves every
signal. Without a token source the HTTP exporters still get a plain session of
ours: that bypasses ``OTEL_PYTHON_EXPORTER_OTLP_HTTP_CREDENTIAL_PROVIDER``, so
``configure(credentials=False)`` really means no credentials.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from workspace_otel._guards.egress import check_route, refusal_message
from workspace_otel._guards.redaction import register_url

if TYPE_CHECKING:
    import requests

    from workspace_otel._settings._options import Settings, Signal, SignalSettings
    from workspace_otel._setup._console import ConsolePrinter
    from workspace_otel._setup._outage import CollectorWatch
    from workspace_otel.credentials import TokenSource

_logger = logging.getLogger("workspace_otel")

_GROUPS = {
    "traces": "opentelemetry_traces_exporter",
    "metrics": "opentelemetry_metrics_exporter",
    "logs": "opentelemetry_logs_exporter",
}


class Built:
    """Exporters (or metric readers) per signal, plus the HTTP sessions to reset after fork.

    A plain class: a dataclass generates its methods with ``exec`` at import,
    on every start.
    """

    __slots__ = ("logs", "metrics", "notes", "sessions", "traces", "watch")

    def __init__(self) -> None:
        self.traces: list[tuple[str, Any]] = []
        self.metrics: list[tuple[str, Any]] = []
        self.logs: list[tuple[str, Any]] = []
        self.sessions: list[requests.Session] = []
        self.notes: list[str] = []
        self.watch: CollectorWatch | None = None


def _grpc_secure(endpoint: str, signal: Signal, environ: Mapping[str, str]) -> bool:
    """Whether the gRPC channel of ``signal`` uses TLS, as the SDK decides it.

    The scheme wins; then ``OTEL_EXPORTER_OTLP_<SIGNAL>_INSECURE``, then
    ``OTEL_EXPORTER_OTLP_INSECURE``; TLS otherwise.
    """
    scheme = endpoint[:8].lower()  # schemes are case-insensitive, as the SDK reads them
    if scheme.startswith("https://"):
        return True
    if scheme.startswith("http://"):
        return False
    for var in (f"OTEL_EXPORTER_OTLP_{signal.upper()}_INSECURE", "OTEL_EXPORTER_OTLP_INSECURE"):
        value = environ.get(var, "").strip().lower()
        if value:
            return value != "true"
    return True


def grpc_uses_tls(endpoint: str, signal: Signal, environ: Mapping[str, str]) -> bool:
    """Whether ``build_exporters`` opens a TLS channel for ``signal`` (for the doctor)."""
    return _grpc_secure(endpoint, signal, environ)


def _session(
    source: TokenSource | None, header: str, environ: Mapping[str, str], endpoint: str
) -> requests.Session:
    if source is None and environ is os.environ:
        import requests

        return requests.Session()
    from workspace_otel.credentials._http import otlp_session

    return otlp_session(source, header=header, environ=environ, endpoint=endpoint)


def _from_mapping(signal: Signal, protocol: str, environ: Mapping[str, str]) -> dict[str, Any]:
    """Settings the SDK would read from ``os.environ``, taken from configure()'s mapping instead."""
    if environ is os.environ:
        return {}
    from workspace_otel._setup._exporter_environ import exporter_kwargs

    return exporter_kwargs(signal, protocol, environ)


def _pinned(exporter: Any, protocol: str, kwargs: Mapping[str, Any]) -> Any:
    """Keep only the mapping's headers on ``exporter`` (the SDK adds the process's)."""
    if "headers" in kwargs:
        from workspace_otel._setup._exporter_environ import pin_headers

        pin_headers(exporter, protocol, kwargs["headers"])
    return exporter


#: The channel's own reconnect backoff, capped at 1 s (gRPC's default grows from 1 s by
#: x1.6 up to 120 s). The exporter's retries (1, 2, 4, 8 s) are the outer backoff; a
#: channel still waiting out its own longer step fails each of them at once with
#: ``UNAVAILABLE``, so a gateway back after 5 s could wait for the 8 s step. At most one
#: connection attempt per second per channel while the collector is down.
RECONNECT_OPTIONS: tuple[tuple[str, int], ...] = (
    ("grpc.initial_reconnect_backoff_ms", 250),
    ("grpc.max_reconnect_backoff_ms", 1000),
)


def _grpc_proxy_options(endpoint: str, environ: Mapping[str, str]) -> tuple[tuple[str, Any], ...]:
    """The channel's proxy, from the mapping instead of the process's ``*_proxy`` variables."""
    if environ is os.environ:
        return ()
    from workspace_otel._guards.egress import proxies_in

    target = endpoint if "://" in endpoint else f"https://{endpoint}"
    proxies = proxies_in(environ, target.replace("grpc://", "http://", 1))
    proxy = next(iter(proxies.values()), None)
    if proxy is None:
        return (("grpc.enable_http_proxy", 0),)
    return (("grpc.http_proxy", proxy),)


def _otlp_http(
    signal: Signal,
    sig: SignalSettings,
    session: requests.Session,
    environ: Mapping[str, str],
) -> Any:
    endpoint = sig.endpoint.value
    kwargs: dict[str, Any] = {
        "endpoint": endpoint,
        "session": session,
        **_from_mapping(signal, "http/protobuf", environ),
    }
    if signal == "traces":
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

        return _pinned(OTLPSpanExporter(**kwargs), "http/protobuf", kwargs)
    if signal == "metrics":
        from opentelemetry.exporter.otlp.proto.http.metric_exporter import OTLPMetricExporter

        return _pinned(OTLPMetricExporter(**kwargs), "http/protobuf", kwargs)
    from opentelemetry.exporter.otlp.proto.http._log_exporter import OTLPLogExporter

    return _pinned(OTLPLogExporter(**kwargs), "http/protobuf", kwargs)


def _otlp_grpc(
    signal: Signal, sig: SignalSettings, credentials: Any, environ: Mapping[str, str]
) -> Any:
    """``credentials=None`` means a plaintext channel; both are always passed explicitly.

    Explicit credentials keep the SDK from loading the provider named by
    ``OTEL_PYTHON_EXPORTER_OTLP_GRPC_CREDENTIAL_PROVIDER`` on its own.
    """
    endpoint = sig.endpoint.value
    assert endpoint is not None
    kwargs: dict[str, Any] = {
        "endpoint": endpoint,
        "insecure": credentials is None,
        **_from_mapping(signal, "grpc", environ),
        "channel_options": RECONNECT_OPTIONS + _grpc_proxy_options(endpoint, environ),
    }
    if credentials is not None:
        kwargs["credentials"] = credentials
    if signal == "traces":
        from opentelemetry.exporter.otlp.proto.grpc.trace_exporter import OTLPSpanExporter

        return _pinned(OTLPSpanExporter(**kwargs), "grpc", kwargs)
    if signal == "metrics":
        from opentelemetry.exporter.otlp.proto.grpc.metric_exporter import OTLPMetricExporter

        return _pinned(OTLPMetricExporter(**kwargs), "grpc", kwargs)
    from opentelemetry.exporter.otlp.proto.grpc._log_exporter import OTLPLogExporter

    return _pinned(OTLPLogExporter(**kwargs), "grpc", kwargs)


def _from_entry_point(signal: Signal, name: str) -> Any:
    from importlib.metadata import entry_points

    found = list(entry_points(group=_GROUPS[signal], name=name))
    return found[0].load()()


def _console_exporter(signal: Signal, printer: ConsolePrinter | None) -> Any:
    if printer is None:  # a caller's mistake, not a user's: build_pipeline passes one
        raise ValueError(f"the console exporter of {signal} needs a ConsolePrinter")
    if signal == "logs":
        from workspace_otel._setup._console_logs import ConsoleLogExporter

        return ConsoleLogExporter(printer)
    from workspace_otel._setup._console import ConsoleMetricExporter, ConsoleSpanExporter

    if signal == "traces":
        return ConsoleSpanExporter(printer)
    return ConsoleMetricExporter(printer)


def build_exporters(
    settings: Settings,
    printer: ConsolePrinter | None,
    environ: Mapping[str, str] | None = None,
) -> Built:
    """Create every configured exporter; the token source is shared by all of them.

    Args:
        settings: the resolved settings.
        printer: the console printer of the console exporters (``None`` when
            no signal exports to the console).
        environ: the environment configure() reads (default ``os.environ``),
            for the gRPC ``OTEL_EXPORTER_OTLP_[<SIGNAL>_]INSECURE`` and
            certificate variables.

    Raises:
        ConfigurationError: from the credentials factories (bad token configuration).
    """
    env = os.environ if environ is None else environ
    built = Built()
    source = settings.credentials.value
    header = settings.token_header.value
    warned_plaintext = False
    for sig in (settings.traces, settings.metrics, settings.logs):
        target: list[tuple[str, Any]] = getattr(built, sig.signal)
        for name in sig.exporters.value:
            if name == "console":
                exporter: Any = _console_exporter(sig.signal, printer)
            elif name.startswith("otlp"):
                endpoint = sig.endpoint.value or ""
                register_url(endpoint)
                if sig.protocol.value == "grpc":
                    creds = plugin = None
                    if _grpc_secure(endpoint, sig.signal, env):
                        from workspace_otel.credentials._grpc import (
                            grpc_credentials_and_plugin,
                            tls_channel_credentials,
                        )

                        if source is None:
                            creds = tls_channel_credentials(env)
                        else:
                            creds, plugin = grpc_credentials_and_plugin(
                                source, header=header, endpoint=endpoint or None, environ=env
                            )
                    elif source is not None and not warned_plaintext:
                        warned_plaintext = True
                        built.notes.append(
                            "gRPC endpoint is plaintext: the token is NOT sent (gRPC only "
                            "attaches call credentials on TLS); use https:// or http/protobuf"
                        )
                    exporter = _otlp_grpc(sig.signal, sig, creds, env)
                    if plugin is not None:
                        from workspace_otel.credentials._grpc_retry import retry_unauthenticated

                        exporter = retry_unauthenticated(exporter, plugin)
                    _watch(built, settings, exporter, sig.signal, endpoint, grpc=True)
                else:
                    session = _session(source, header, env, endpoint)
                    if source is not None and not warned_plaintext and endpoint:
                        note = _route_note(endpoint, session)
                        if note:
                            warned_plaintext = True
                            built.notes.append(note)
                    built.sessions.append(session)
                    exporter = _otlp_http(sig.signal, sig, session, env)
                    _watch(built, settings, exporter, sig.signal, endpoint, session=session)
            else:
                exporter = _from_entry_point(sig.signal, name)
            target.append((name, exporter))
    return built


def _route_note(endpoint: str, session: requests.Session) -> str:
    """The egress rule's refusal for ``endpoint`` over ``session``'s proxies, or ``""``."""
    verdict = check_route(endpoint, proxies=session.proxies, trust_env=session.trust_env)
    return "" if verdict else refusal_message(endpoint, verdict.reason)


def _watch(
    built: Built,
    settings: Settings,
    exporter: Any,
    signal: Signal,
    endpoint: str,
    *,
    session: Any = None,
    grpc: bool = False,
) -> None:
    """Put an OTLP exporter under the collector watch (one per configuration).

    Over HTTP the watch sees the requests of ``session``; over gRPC
    (``grpc=True``) the calls of the exporter's service stub.
    """
    from workspace_otel._setup._outage import CollectorWatch

    if built.watch is None:
        built.watch = CollectorWatch(settings.flush_timeout.value)
    if grpc:
        built.watch.watch_grpc_stub(exporter, endpoint)
    elif session is not None:
        built.watch.watch_session(session, endpoint)
    built.watch.watch_exporter(exporter, signal)


def reset_sessions_after_fork(sessions: list[requests.Session]) -> None:
    """Drop connections inherited from the parent so a child never shares a socket with it.

    The token auth of each session gets new locks too.
    """
    for session in sessions:
        try:
            for adapter in session.adapters.values():
                adapter.close()
            reset = getattr(session.auth, "reset_after_fork", None)
            if reset is not None:
                reset()
        except Exception:
            _logger.debug("could not reset an HTTP session after fork", exc_info=True)
