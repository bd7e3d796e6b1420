"""The exporter and processor settings read from the mapping ``configure(environ=...)`` was given.

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

The batch processors (``OTEL_BSP_*``, ``OTEL_BLRP_*``) and the periodic
metric reader (``OTEL_METRIC_EXPORT_TIMEOUT``) read ``os.environ`` the same
way; :func:`batch_kwargs` and :func:`reader_kwargs` give them the mapping's
values. Not covered: the span limits (``OTEL_*_LIMIT``), which the SDK's
TracerProvider still reads from ``os.environ``, and gRPC's own ``no_proxy``
reading (a proxy the mapping names is still skipped for hosts the process's
``no_proxy`` / ``no_grpc_proxy`` lists).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

__all__ = [
    "batch_kwargs",
    "exporter_kwargs",
    "pin_headers",
    "reader_kwargs",
    "variable_for",
]

_logger = logging.getLogger("workspace_otel")

_DEFAULT_TIMEOUT = 10.0  # seconds: the SDK's default for OTEL_EXPORTER_OTLP_TIMEOUT
# The specification's defaults of the batch processors' variables, by prefix:
# schedule delay, queue size, batch size, export timeout (milliseconds / items).
_BATCH_DEFAULTS = {
    "OTEL_BSP": {
        "schedule_delay_millis": ("SCHEDULE_DELAY", 5000),
        "max_queue_size": ("MAX_QUEUE_SIZE", 2048),
        "max_export_batch_size": ("MAX_EXPORT_BATCH_SIZE", 512),
        "export_timeout_millis": ("EXPORT_TIMEOUT", 30000),
    },
    "OTEL_BLRP": {
        "schedule_delay_millis": ("SCHEDULE_DELAY", 1000),
        "max_queue_size": ("MAX_QUEUE_SIZE", 2048),
        "max_export_batch_size": ("MAX_EXPORT_BATCH_SIZE", 512),
        "export_timeout_millis": ("EXPORT_TIMEOUT", 30000),
    },
}
_METRIC_EXPORT_TIMEOUT = 30000  # milliseconds: OTEL_METRIC_EXPORT_TIMEOUT's default


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


def _int(environ: Mapping[str, str], name: str, default: int) -> int:
    raw = environ.get(name, "").strip()
    try:
        return int(raw) if raw else default
    except ValueError:  # checked before; the SDK too falls back to its default
        return default


def batch_kwargs(prefix: str, environ: Mapping[str, str]) -> dict[str, int]:
    """Keyword arguments of a batch processor, from ``environ`` instead of ``os.environ``.

    Args:
        prefix: ``OTEL_BSP`` (spans) or ``OTEL_BLRP`` (log records).
        environ: the mapping configure() reads.

    Returns:
        The schedule delay, queue size, batch size and export timeout,
        every one explicit so the processor reads none from ``os.environ``.
    """
    return {
        argument: _int(environ, f"{prefix}_{suffix}", default)
        for argument, (suffix, default) in _BATCH_DEFAULTS[prefix].items()
    }


def reader_kwargs(environ: Mapping[str, str]) -> dict[str, int]:
    """The metric reader's export timeout (``OTEL_METRIC_EXPORT_TIMEOUT``) from ``environ``."""
    return {
        "export_timeout_millis": _int(environ, "OTEL_METRIC_EXPORT_TIMEOUT", _METRIC_EXPORT_TIMEOUT)
    }


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
