"""The options with rules of their own: where each signal goes, and the token path.

Per signal: the exporters, the OTLP protocol and endpoint, and the endpoint's
shape check. The token path: backend, token header and the token source, each
with its structured :class:`~workspace_otel._settings._options._provenance.Source`,
decided from the inputs (which argument or variable was set), never from text;
the token path's rules themselves live in
:mod:`workspace_otel._settings._token_config`, which ``workspace-otel headers``
runs without this package.
"""

from __future__ import annotations

import importlib.util
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from workspace_otel._guards.redaction import display_url, register_url
from workspace_otel._settings import _token_config as rules
from workspace_otel._settings._option_table import OPTION
from workspace_otel._settings._options._provenance import (
    ARGUMENT,
    DEFAULT,
    Origin,
    Setting,
    Source,
    from_variable,
    look_up,
    raw,
)
from workspace_otel._settings._options._settings import Signal, SignalSettings, uses_otlp
from workspace_otel.errors import ConfigurationError

if TYPE_CHECKING:
    from workspace_otel.credentials import TokenSource

__all__ = [
    "BUILTIN_EXPORTERS",
    "check_endpoint",
    "has_entry_point",
    "resolve_backend",
    "resolve_env_credentials",
    "resolve_signal",
    "resolve_token_header",
]

BUILTIN_EXPORTERS = ("otlp", "otlp_proto_http", "otlp_proto_grpc", "console")
_ENTRY_POINT_GROUPS: Mapping[Signal, str] = {
    "traces": "opentelemetry_traces_exporter",
    "metrics": "opentelemetry_metrics_exporter",
    "logs": "opentelemetry_logs_exporter",
}


def has_entry_point(group: str, name: str) -> bool:
    """Whether an installed package provides the entry point ``name`` in ``group``."""
    from importlib.metadata import entry_points

    return any(True for _ in entry_points(group=group, name=name))


def _grpc_available() -> bool:
    try:
        return importlib.util.find_spec("opentelemetry.exporter.otlp.proto.grpc") is not None
    except (ImportError, ValueError):
        return False


def check_endpoint(url: str, protocol: str, where: str) -> str:
    """Validate the shape of an endpoint and return it stripped.

    Raises:
        ConfigurationError: the URL has no host, a scheme other than http(s),
            embedded credentials, or (HTTP) no scheme.
    """
    value = url.strip()
    # User-info and query values are secrets from here on; messages show display_url(value).
    register_url(value if "://" in value else f"//{value}")
    shown = display_url(value) if "://" in value else display_url(f"//{value}").lstrip("/")
    if not value or any(c.isspace() for c in value):
        raise ConfigurationError(f"{where} must be a URL such as https://collector.example:4318")
    has_scheme = "://" in value
    try:
        parts = urlsplit(value if has_scheme else f"//{value}")
    except ValueError as exc:  # e.g. an unclosed IPv6 bracket; the value may hold a secret
        raise ConfigurationError(
            f"{where} is not a valid URL: write it as https://collector.example:4318 "
            "(IPv6 hosts in brackets, e.g. http://[::1]:4318)"
        ) from exc
    if parts.username or parts.password:
        # Never echo the value: it carries a credential.
        raise ConfigurationError(
            f"{where} contains user info (a credential): remove it and configure a token "
            "source instead (WORKSPACE_OTEL_TOKEN_SOURCE or configure(credentials=...))"
        )
    if has_scheme and parts.scheme not in ("http", "https"):
        raise ConfigurationError(
            f"{where}={shown!r} has scheme {parts.scheme!r}: use http:// or https://"
        )
    if protocol == "http/protobuf" and not has_scheme:
        raise ConfigurationError(
            f"{where}={shown!r} needs a scheme for OTLP/HTTP: write https://{shown} "
            "(or http:// for a plaintext local collector)"
        )
    try:
        host, _port = parts.hostname, parts.port
    except ValueError as exc:
        raise ConfigurationError(f"{where}={shown!r} has an invalid port") from exc
    if not host:
        raise ConfigurationError(f"{where}={shown!r} has no host name")
    return value


def _exporters(
    signal: Signal, arg: bool | None, backend: str, environ: Mapping[str, str]
) -> Setting[tuple[str, ...]]:
    (var,) = OPTION["exporters"].variables_for(signal)
    text = raw(environ, var)
    env_names: tuple[str, ...] | None = None
    if text is not None:
        names = tuple(n.strip().lower() for n in text.split(",") if n.strip())
        env_names = () if names in ((), ("none",)) else names
        for name in env_names:
            if name == "none":
                raise ConfigurationError(f"{var}={text!r} mixes none with exporters: pick one")
            if name not in BUILTIN_EXPORTERS and not has_entry_point(
                _ENTRY_POINT_GROUPS[signal], name
            ):
                raise ConfigurationError(
                    f"{var}={text!r}: exporter {name!r} is not installed; use otlp, console or "
                    f"none, or install the package providing the {name!r} exporter"
                )
    source: Source
    if arg is not None:
        if not arg:
            return Setting((), ARGUMENT)
        names = env_names if env_names else ("otlp",)
        source = (
            Source(Origin.ARGUMENT, var, f"argument (exporters from {var})")
            if env_names
            else ARGUMENT
        )
    elif env_names is not None:
        names, source = env_names, from_variable(var)
    else:
        names, source = (("otlp",) if signal != "logs" else ()), DEFAULT
    if backend == "console":
        names = tuple(dict.fromkeys("console" if n.startswith("otlp") else n for n in names))
        if names:
            source = source.note(f"{source}; backend console")
    return Setting(names, source)


def _protocol(
    signal: Signal,
    arg: str | None,
    names: tuple[str, ...],
    backend: str,
    environ: Mapping[str, str],
) -> Setting[str]:
    protocol: Setting[str] = look_up("protocol", arg, environ, signal=signal)
    (exporters_var,) = OPTION["exporters"].variables_for(signal)
    if "otlp_proto_grpc" in names:
        protocol = Setting("grpc", from_variable(exporters_var))
    elif "otlp_proto_http" in names:
        protocol = Setting("http/protobuf", from_variable(exporters_var))
    if signal == "logs" and backend == "lightstep" and protocol.value != "grpc":
        protocol = Setting(
            "grpc",
            Source(Origin.PRESET, None, "backend lightstep (no documented OTLP/HTTP logs path)"),
        )
    return protocol


def _endpoint(
    signal: Signal,
    arg: str | None,
    protocol: str,
    backend: str,
    region: str,
    environ: Mapping[str, str],
) -> Setting[str | None]:
    found: Setting[Any] = look_up("endpoint", arg, environ, signal=signal)
    if found.value is None:
        if backend == "lightstep":
            from workspace_otel._settings._options import _lightstep  # only for this backend

            return Setting(
                _lightstep.endpoint(signal, protocol, region),
                Source(Origin.PRESET, None, f"backend lightstep ({region})"),
            )
        return Setting(None, found.source)
    where = found.source.variable or "configure(endpoint)"
    value = check_endpoint(found.value, protocol, where)
    generic = OPTION["endpoint"].variables_for(None)[-1]
    if protocol == "http/protobuf" and found.source.variable in (None, generic):
        # A base URL: the signal path is added, as the SDK does for the generic variable.
        value = f"{value.rstrip('/')}/v1/{signal}"
    return Setting(value, found.source)


def resolve_signal(
    signal: Signal,
    args: Any,
    backend: str,
    region: str,
    environ: Mapping[str, str],
) -> SignalSettings:
    """Resolve the exporters, protocol and endpoint of one signal.

    Raises:
        ConfigurationError: a value is invalid, or gRPC is asked without its extra.
    """
    exporters = _exporters(signal, getattr(args, signal), backend, environ)
    protocol = _protocol(signal, args.protocol, exporters.value, backend, environ)
    endpoint = _endpoint(signal, args.endpoint, protocol.value, backend, region, environ)
    otlp = uses_otlp(exporters.value)
    if otlp and endpoint.value is None:
        # Never fail silently against localhost: print to the console instead.
        names = tuple(
            dict.fromkeys("console" if n.startswith("otlp") else n for n in exporters.value)
        )
        text = f"no endpoint configured ({exporters.source})"
        exporters = Setting(names, Source(Origin.FALLBACK, exporters.source.variable, text))
        otlp = False
    if otlp and protocol.value == "grpc" and not _grpc_available():
        raise ConfigurationError(
            f"{signal} export over gRPC needs the gRPC exporter: pip install 'workspace-otel[grpc]'"
            " (or use the default protocol http/protobuf)"
        )
    return SignalSettings(signal, exporters, protocol, endpoint)


def resolve_backend(environ: Mapping[str, str], arg: str | None = None) -> Setting[str]:
    """Return the backend: argument > ``WORKSPACE_OTEL_BACKEND`` > ``otlp``.

    Raises:
        ConfigurationError: not one of otlp, lightstep, console.
    """
    if arg is not None:
        return look_up("backend", arg, environ)
    value, _ = rules.backend(environ)
    chosen = raw(environ, rules.BACKEND_VARIABLE) is not None
    return Setting(value, from_variable(rules.BACKEND_VARIABLE) if chosen else DEFAULT)


def resolve_token_header(arg: str | None, backend: str, environ: Mapping[str, str]) -> Setting[str]:
    """Return the header that carries the token: argument > variable > backend preset > default.

    ``WORKSPACE_OTEL_TOKEN_HEADER`` when set; ``lightstep-access-token`` for
    the Lightstep backend; else ``authorization``.

    Raises:
        ConfigurationError: the name is not an HTTP header name.
    """
    value, text = rules.token_header(arg, backend, environ)
    if arg is not None:
        return Setting(value, ARGUMENT)
    if raw(environ, rules.HEADER_VARIABLE) is not None:
        return Setting(value, from_variable(rules.HEADER_VARIABLE))
    if backend == "lightstep":
        return Setting(value, Source(Origin.PRESET, None, text))
    return Setting(value, DEFAULT)


def resolve_env_credentials(
    backend: str, environ: Mapping[str, str], credentials_from_env: Any
) -> Setting[TokenSource | None]:
    """Return the token source the environment configures.

    ``WORKSPACE_OTEL_TOKEN_SOURCE`` (``auto`` by default), then, for the
    Lightstep backend, ``LS_ACCESS_TOKEN``; ``None`` when nothing is configured.

    Raises:
        ConfigurationError: the token source configuration is invalid.
    """
    variable = rules.SOURCE_VARIABLE
    chosen = raw(environ, variable) is not None
    source, text = rules.env_token_source(backend, environ, credentials_from_env)
    if source is not None and text != variable and not text.startswith(f"{variable} "):
        # The Lightstep fallback: the token sits in LS_ACCESS_TOKEN.
        fallback = rules.LIGHTSTEP_TOKEN_VARIABLE
        return Setting(source, Source(Origin.PRESET, fallback, text))
    if chosen:  # named, or WORKSPACE_OTEL_TOKEN_SOURCE=none
        return Setting(source, from_variable(variable))
    if source is not None:
        return Setting(source, Source(Origin.DEFAULT, variable, text))
    return Setting(None, Source(Origin.DEFAULT, variable, DEFAULT))  # auto found nothing
