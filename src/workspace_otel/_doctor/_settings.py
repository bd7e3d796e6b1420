"""The effective export settings for traces, with where each value came from.

This mirrors how the OTLP trace exporters and ``configure()`` read the
environment (signal-specific ``OTEL_EXPORTER_OTLP_TRACES_*`` first, then the
generic ``OTEL_EXPORTER_OTLP_*``, then the ``WORKSPACE_OTEL_BACKEND`` preset,
then defaults), so the doctor probes exactly what the application would use.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from urllib.parse import unquote, urlsplit

from workspace_otel import _env

__all__ = [
    "LIGHTSTEP_GRPC",
    "LIGHTSTEP_HTTP_TRACES",
    "Setting",
    "Settings",
    "parse_headers",
    "resolve",
]

LIGHTSTEP_GRPC = {
    "us": "https://ingest.lightstep.com:443",
    "eu": "https://ingest.eu.lightstep.com:443",
}
LIGHTSTEP_HTTP_TRACES = {
    "us": "https://ingest.lightstep.com/traces/otlp/v0.9",
    "eu": "https://ingest.eu.lightstep.com/traces/otlp/v0.9",
}
LIGHTSTEP_HEADER = "lightstep-access-token"
HTTP_TRACES_PATH = "v1/traces"
ARGUMENT = "--endpoint"
DEFAULT = "default"


@dataclass(frozen=True)
class Setting:
    """One effective value and its origin.

    Attributes:
        value: The value (``None``: unset).
        source: ``--endpoint``, the variable it came from, ``preset ...`` or ``default``.
    """

    value: str | None
    source: str


@dataclass
class Settings:
    """What the trace exporter would use.

    Attributes:
        backend: ``otlp``, ``lightstep`` or ``console``.
        protocol: ``http/protobuf`` or ``grpc`` (or an unsupported value, kept for the report).
        endpoint: The endpoint as configured (base URL or full URL).
        traces_url: For HTTP the URL requests go to; for gRPC the endpoint URL.
        appended_path: ``True`` when the trace path was appended to a base URL.
        headers: Static headers (``OTEL_EXPORTER_OTLP[_TRACES]_HEADERS``), lower-case names.
        headers_source: Variable the headers came from.
        certificate: CA bundle path for TLS.
        client_certificate: Client certificate for mTLS.
        client_key: Client key for mTLS.
        insecure: gRPC ``insecure`` flag.
        token_header: Header that carries the token.
        values: Every setting shown in the report.
        errors: ``(variable, message)`` for values that could not be read.
    """

    backend: str = "otlp"
    protocol: str = "http/protobuf"
    endpoint: Setting = field(default_factory=lambda: Setting(None, DEFAULT))
    traces_url: str | None = None
    appended_path: bool = False
    headers: dict[str, str] = field(default_factory=dict)
    headers_source: str | None = None
    certificate: Setting = field(default_factory=lambda: Setting(None, DEFAULT))
    client_certificate: Setting = field(default_factory=lambda: Setting(None, DEFAULT))
    client_key: Setting = field(default_factory=lambda: Setting(None, DEFAULT))
    insecure: Setting = field(default_factory=lambda: Setting(None, DEFAULT))
    token_header: Setting = field(default_factory=lambda: Setting("authorization", DEFAULT))
    values: dict[str, Setting] = field(default_factory=dict)
    errors: list[tuple[str, str]] = field(default_factory=list)

    @property
    def grpc_secure(self) -> bool:
        """Whether the gRPC exporter would open a TLS channel (and consult credential providers)."""
        url = self.endpoint.value or ""
        scheme = urlsplit(url).scheme.lower() if "://" in url else ""
        if scheme == "https":
            return True
        if scheme == "http":
            return False
        return (self.insecure.value or "").strip().lower() != "true"


def parse_headers(raw: str) -> dict[str, str]:
    """Parse an ``OTEL_EXPORTER_OTLP_HEADERS`` value like the SDK (tolerantly, silently).

    Unlike the SDK's parser this never logs, because a malformed entry
    usually contains a secret.
    """
    headers: dict[str, str] = {}
    for item in raw.split(","):
        name, sep, value = item.partition("=")
        if not sep or not name.strip():
            continue
        headers[unquote(name).strip().lower()] = unquote(value).strip()
    return headers


def _first(environ: Mapping[str, str], *names: str) -> Setting:
    for name in names:
        value = environ.get(name, "").strip()
        if value:
            return Setting(value, name)
    return Setting(None, DEFAULT)


def _append_path(base: str) -> str:
    return base + ("" if base.endswith("/") else "/") + HTTP_TRACES_PATH


def resolve(environ: Mapping[str, str], endpoint_override: str | None = None) -> Settings:
    """Work out the effective trace-export settings.

    Args:
        environ: The environment.
        endpoint_override: ``--endpoint``: a base URL (``/v1/traces`` is
            appended for HTTP) or, when it has a path, the full traces URL.

    Returns:
        The settings; unreadable values are listed in ``errors``.
    """
    s = Settings()
    backend = (environ.get("WORKSPACE_OTEL_BACKEND", "") or "").strip().lower() or "otlp"
    backend_source = "WORKSPACE_OTEL_BACKEND" if environ.get("WORKSPACE_OTEL_BACKEND") else DEFAULT
    if backend not in ("otlp", "lightstep", "console"):
        s.errors.append(
            (
                "WORKSPACE_OTEL_BACKEND",
                f"WORKSPACE_OTEL_BACKEND={backend!r} is not valid: "
                "set it to otlp, lightstep or console",
            )
        )
        backend = "otlp"
    s.backend = backend
    s.values["backend"] = Setting(backend, backend_source)

    traces_exporter = _first(environ, "OTEL_TRACES_EXPORTER")
    s.values["traces exporter"] = Setting(traces_exporter.value or "otlp", traces_exporter.source)
    disabled = _first(environ, "OTEL_SDK_DISABLED")
    s.values["sdk disabled"] = Setting(disabled.value or "false", disabled.source)

    protocol = _first(environ, "OTEL_EXPORTER_OTLP_TRACES_PROTOCOL", "OTEL_EXPORTER_OTLP_PROTOCOL")
    s.protocol = (protocol.value or "http/protobuf").lower()
    s.values["protocol"] = Setting(s.protocol, protocol.source)

    region = (environ.get("WORKSPACE_OTEL_LIGHTSTEP_REGION", "") or "us").strip().lower()
    if region not in LIGHTSTEP_GRPC:
        s.errors.append(
            (
                "WORKSPACE_OTEL_LIGHTSTEP_REGION",
                f"WORKSPACE_OTEL_LIGHTSTEP_REGION={region!r} is not valid: set it to us or eu",
            )
        )
        region = "us"

    grpc = s.protocol == "grpc"
    signal = _first(environ, "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT")
    generic = _first(environ, "OTEL_EXPORTER_OTLP_ENDPOINT")
    if endpoint_override:
        s.endpoint = Setting(endpoint_override.strip(), ARGUMENT)
        path = urlsplit(s.endpoint.value or "").path
        if grpc or path not in ("", "/"):
            s.traces_url = s.endpoint.value
        else:
            s.traces_url = _append_path(s.endpoint.value or "")
            s.appended_path = True
    elif signal.value:
        s.endpoint = signal
        s.traces_url = signal.value
    elif generic.value:
        s.endpoint = generic
        if grpc:
            s.traces_url = generic.value
        else:
            s.traces_url = _append_path(generic.value)
            s.appended_path = True
    elif backend == "lightstep":
        preset = LIGHTSTEP_GRPC[region] if grpc else LIGHTSTEP_HTTP_TRACES[region]
        s.endpoint = Setting(preset, "preset (WORKSPACE_OTEL_BACKEND=lightstep)")
        s.traces_url = preset
    s.values["endpoint"] = s.endpoint
    if s.traces_url and s.traces_url != s.endpoint.value:
        s.values["traces url"] = Setting(s.traces_url, f"{s.endpoint.source} + /{HTTP_TRACES_PATH}")

    headers = _first(environ, "OTEL_EXPORTER_OTLP_TRACES_HEADERS", "OTEL_EXPORTER_OTLP_HEADERS")
    if headers.value:
        s.headers = parse_headers(headers.value)
        s.headers_source = headers.source

    s.certificate = _first(
        environ, "OTEL_EXPORTER_OTLP_TRACES_CERTIFICATE", "OTEL_EXPORTER_OTLP_CERTIFICATE"
    )
    s.client_certificate = _first(
        environ,
        "OTEL_EXPORTER_OTLP_TRACES_CLIENT_CERTIFICATE",
        "OTEL_EXPORTER_OTLP_CLIENT_CERTIFICATE",
    )
    s.client_key = _first(
        environ, "OTEL_EXPORTER_OTLP_TRACES_CLIENT_KEY", "OTEL_EXPORTER_OTLP_CLIENT_KEY"
    )
    s.insecure = _first(
        environ, "OTEL_EXPORTER_OTLP_TRACES_INSECURE", "OTEL_EXPORTER_OTLP_INSECURE"
    )
    for label, setting in (
        ("ca certificate", s.certificate),
        ("client certificate", s.client_certificate),
        ("client key", s.client_key),
    ):
        if setting.value:
            s.values[label] = setting
    if grpc:
        s.values["insecure"] = Setting(s.insecure.value or "false", s.insecure.source)

    header = _first(environ, "WORKSPACE_OTEL_TOKEN_HEADER")
    if header.value:
        s.token_header = Setting(header.value.lower(), header.source)
    elif backend == "lightstep":
        s.token_header = Setting(LIGHTSTEP_HEADER, "preset (WORKSPACE_OTEL_BACKEND=lightstep)")
    s.values["token header"] = s.token_header

    source = _first(environ, "WORKSPACE_OTEL_TOKEN_SOURCE")
    s.values["token source"] = Setting(source.value or "auto", source.source)
    for label, name in (
        ("token audience", "WORKSPACE_OTEL_TOKEN_AUDIENCE"),
        ("identity", "WORKSPACE_OTEL_IDENTITY"),
        ("git", "WORKSPACE_OTEL_GIT"),
        ("trace url", "WORKSPACE_OTEL_TRACE_URL"),
    ):
        value = environ.get(name, "").strip()
        known = _env.BY_NAME.get(name)
        if value:
            s.values[label] = Setting(value, name)
        elif known is not None and known.default is not None:
            s.values[label] = Setting(known.default, DEFAULT)
    service = _first(environ, "OTEL_SERVICE_NAME")
    if service.value:
        s.values["service name"] = service
    return s
