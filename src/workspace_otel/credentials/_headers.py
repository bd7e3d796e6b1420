"""Which header carries the token, and whether static OTel headers collide with it."""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Mapping
from urllib.parse import unquote

from workspace_otel._guards.fork import on_fork_in_child
from workspace_otel._settings._option_parsers import is_header_name
from workspace_otel._settings._token_config import DEFAULT_HEADER, format_value
from workspace_otel.errors import ConfigurationError

__all__ = ["format_value", "resolve_header", "warn_if_shadowed"]

_logger = logging.getLogger("workspace_otel.credentials")

HEADER_VARIABLE = "WORKSPACE_OTEL_TOKEN_HEADER"
OTEL_HEADER_VARIABLES = (
    "OTEL_EXPORTER_OTLP_HEADERS",
    "OTEL_EXPORTER_OTLP_TRACES_HEADERS",
    "OTEL_EXPORTER_OTLP_METRICS_HEADERS",
    "OTEL_EXPORTER_OTLP_LOGS_HEADERS",
)
_warned: set[tuple[str, str, str]] = set()
_warned_lock = threading.Lock()


def _new_lock_after_fork() -> None:
    global _warned_lock
    _warned_lock = threading.Lock()


on_fork_in_child(__name__, _new_lock_after_fork)


def resolve_header(header: str | None, environ: Mapping[str, str] | None = None) -> str:
    """Return the lower-case header name to carry the token.

    ``header`` when given, else ``WORKSPACE_OTEL_TOKEN_HEADER``, else ``authorization``.

    Raises:
        ConfigurationError: not a valid HTTP header name.
    """
    env = os.environ if environ is None else environ
    if header:  # given (an empty string means "not given", as it always did)
        name, origin = header.strip().lower(), "header="
    else:
        name = (env.get(HEADER_VARIABLE, "").strip() or DEFAULT_HEADER).lower()
        origin = f"{HEADER_VARIABLE}="
    if not is_header_name(name):
        raise ConfigurationError(
            f"{origin}{name!r} is not a valid header name: use e.g. authorization or "
            "lightstep-access-token"
        )
    return name


def _header_names(raw: str) -> set[str]:
    names = set()
    for item in raw.split(","):
        key, sep, _ = item.partition("=")
        if sep:
            names.add(unquote(key).strip().lower())
    return names


def warn_if_shadowed(
    header: str, transport: str, environ: Mapping[str, str] | None = None
) -> list[str]:
    """Log one warning per variable when a static OTel header names ``header``.

    Over HTTP our auth replaces the static value (which is then useless);
    over gRPC both are sent and the static one comes first, so a Collector
    reading the first value sees the stale static token. Values are never
    logged.

    Returns:
        The variables that set the header.
    """
    env = os.environ if environ is None else environ
    hits = [v for v in OTEL_HEADER_VARIABLES if header in _header_names(env.get(v, ""))]
    for variable in hits:
        key = (variable, header, transport)
        with _warned_lock:
            if key in _warned:
                continue
            _warned.add(key)
        effect = (
            "is replaced by the refreshed token"
            if transport == "http"
            else "is sent before the refreshed token, and servers read the first value"
        )
        _logger.warning(
            "%s sets the %s header, which %s: remove it from %s",
            variable,
            header,
            effect,
            variable,
        )
    return hits
