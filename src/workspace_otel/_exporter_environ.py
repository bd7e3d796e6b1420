"""The OTLP exporter settings read from the mapping ``configure(environ=...)`` was given.

The SDK's OTLP exporters read their headers, timeout, compression and
certificate variables from ``os.environ`` whatever mapping configure() used.
When configure() reads another mapping, every one of those settings is
resolved here from that mapping (signal-specific variable first, then the
general one, then the SDK's default) and passed to the exporter explicitly.
The variables' values were checked before (headers, numbers, files).

Passing headers is not enough: the OTLP/HTTP exporter merges the process's
headers variables under the ones it is given, and the gRPC one falls back to
them when it is given none. :func:`pin_headers` puts the exporter's header
set back to exactly what the mapping says, after it was built.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

__all__ = ["exporter_kwargs", "pin_headers"]

_logger = logging.getLogger("workspace_otel")

_DEFAULT_TIMEOUT = 10.0  # seconds: the SDK's default for OTEL_EXPORTER_OTLP_TIMEOUT


def _get(environ: Mapping[str, str], signal: str, suffix: str) -> str | None:
    for name in (f"OTEL_EXPORTER_OTLP_{signal.upper()}_{suffix}", f"OTEL_EXPORTER_OTLP_{suffix}"):
        value = environ.get(name, "").strip()
        if value:
            return value
    return None


def exporter_kwargs(signal: str, protocol: str, environ: Mapping[str, str]) -> dict[str, Any]:
    """Keyword arguments for the SDK's OTLP exporter of ``signal``, all from ``environ``.

    Args:
        signal: ``traces``, ``metrics`` or ``logs``.
        protocol: ``grpc`` or ``http/protobuf``.
        environ: the mapping configure() reads.

    Returns:
        ``headers``, ``timeout`` and ``compression`` (and, over HTTP, the
        certificate files), so the exporter reads none of them from ``os.environ``.
    """
    from opentelemetry.util.re import parse_env_headers

    raw_timeout = _get(environ, signal, "TIMEOUT")
    kwargs: dict[str, Any] = {
        "headers": parse_env_headers(_get(environ, signal, "HEADERS") or "", liberal=True),
        "timeout": float(raw_timeout) if raw_timeout else _DEFAULT_TIMEOUT,
    }
    compression = (_get(environ, signal, "COMPRESSION") or "none").lower()
    if protocol == "grpc":
        from grpc import Compression as GrpcCompression

        kwargs["compression"] = (
            GrpcCompression.Gzip if compression == "gzip" else GrpcCompression.NoCompression
        )
        return kwargs
    from opentelemetry.exporter.otlp.proto.http import Compression

    kwargs["compression"] = {"gzip": Compression.Gzip, "deflate": Compression.Deflate}.get(
        compression, Compression.NoCompression
    )
    # True: the system's trusted roots (what the SDK uses when no file is named).
    kwargs["certificate_file"] = _get(environ, signal, "CERTIFICATE") or True
    kwargs["client_key_file"] = _get(environ, signal, "CLIENT_KEY")
    kwargs["client_certificate_file"] = _get(environ, signal, "CLIENT_CERTIFICATE")
    return kwargs


def pin_headers(exporter: Any, protocol: str, headers: Mapping[str, str]) -> None:
    """Make ``headers`` the only configured headers ``exporter`` sends.

    The OTLP/HTTP exporter keeps its own defaults (content type, user agent)
    and its compression's ``Content-Encoding``, exactly as it does when the
    mapping is the process environment; the gRPC exporter sends ``headers``
    as its call metadata.

    Args:
        exporter: an SDK OTLP exporter, just built with ``exporter_kwargs``.
        protocol: ``grpc`` or ``http/protobuf``.
        headers: the headers parsed from configure()'s mapping.
    """
    if protocol == "grpc":
        if isinstance(getattr(exporter, "_headers", None), tuple):
            exporter._headers = tuple(headers.items())
            return
    else:
        client: Any = getattr(exporter, "_client", None)
        if isinstance(getattr(client, "_headers", None), dict):
            from opentelemetry.exporter.otlp.proto.http import _OTLP_HTTP_HEADERS

            pinned = {key.lower(): value for key, value in _OTLP_HTTP_HEADERS.items()}
            pinned.update({key.lower(): value for key, value in headers.items()})
            encoding = getattr(getattr(client, "_compression", None), "value", "none")
            if encoding != "none" and "content-encoding" not in pinned:
                pinned["Content-Encoding"] = encoding
            client._headers = pinned
            return
    _logger.debug(
        "workspace_otel: this OTLP exporter version keeps its headers elsewhere; "
        "the process's OTEL_EXPORTER_OTLP_*HEADERS may be sent too"
    )
