"""The OTLP exporter settings read from the mapping ``configure(environ=...)`` was given.

The SDK's OTLP exporters read their headers, timeout, compression and
certificate variables from ``os.environ`` whatever mapping configure() used.
When configure() reads another mapping, every one of those settings is
resolved here from that mapping (signal-specific variable first, then the
general one, then the SDK's default) and passed to the exporter explicitly.
The variables' values were checked before (headers, numbers, files).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

__all__ = ["exporter_kwargs", "variable_for"]

_DEFAULT_TIMEOUT = 10.0  # seconds: the SDK's default for OTEL_EXPORTER_OTLP_TIMEOUT


def variable_for(environ: Mapping[str, str], signal: str, suffix: str) -> str | None:
    """Return the variable ``signal``'s exporter takes ``suffix`` from (``None``: unset).

    The signal-specific ``OTEL_EXPORTER_OTLP_<SIGNAL>_<SUFFIX>`` wins over the
    general ``OTEL_EXPORTER_OTLP_<SUFFIX>``; empty values count as unset.
    """
    for name in (f"OTEL_EXPORTER_OTLP_{signal.upper()}_{suffix}", f"OTEL_EXPORTER_OTLP_{suffix}"):
        if environ.get(name, "").strip():
            return name
    return None


def _get(environ: Mapping[str, str], signal: str, suffix: str) -> str | None:
    name = variable_for(environ, signal, suffix)
    return environ[name].strip() if name is not None else None


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
