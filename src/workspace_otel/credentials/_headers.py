"""Which header carries the token, and the ``OTEL_EXPORTER_OTLP_*HEADERS`` variables.

Static OTel headers are checked before the SDK reads them
(:func:`check_headers_variables`: an entry the exporter would reject and print
is refused, naming the variable and the entry's position, never its text, and
every value is registered with the redaction boundary) and compared with the
token's header (:func:`warn_if_shadowed`).
"""

from __future__ import annotations

import logging
import os
import re
import threading
from collections.abc import Mapping
from urllib.parse import unquote

from workspace_otel._guards.fork import on_fork_in_child
from workspace_otel._guards.redaction import register_secret
from workspace_otel._settings._option_parsers import is_header_name
from workspace_otel._settings._token_config import DEFAULT_HEADER, format_value
from workspace_otel.errors import ConfigurationError

__all__ = ["check_headers_variables", "format_value", "resolve_header", "warn_if_shadowed"]

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


# The token and value alphabets of the SDK's liberal header parser (RFC 7230
# tchar for names; printable ASCII but '"', ',', ';' and '\' for values).
_ENTRY = (
    r"[ \t]*[\x21\x23-\x27\x2a\x2b\x2d\x2e\x30-\x39\x41-\x5a\x5e-\x7a\x7c\x7e]+[ \t]*="
    r"[ \t]*[\x20\x21\x23-\x2b\x2d-\x3a\x3c-\x5b\x5d-\x7e]*[ \t]*"
)
_DELIMITER = r"[ \t]*,[ \t]*"


def check_headers_variables(environ: Mapping[str, str]) -> None:
    """Validate every OTLP headers variable and register its values as secrets.

    The OTLP exporters parse these variables themselves and, on a malformed
    entry, log a warning that prints the entry (often ``authorization=Bearer
    <token>``). This applies the grammar they accept first (``name=value``
    pairs separated by commas, values URL-encoded or plain printable text).

    Raises:
        ConfigurationError: an entry the SDK would reject (and print); the
            message names the variable and the entry's number, not its text.
    """
    for name in OTEL_HEADER_VARIABLES:
        raw = environ.get(name)
        if not raw:
            continue
        for position, entry in enumerate(re.split(_DELIMITER, raw), start=1):
            if not entry:
                continue
            if not re.fullmatch(_ENTRY, entry.strip()):
                raise ConfigurationError(
                    f"{name}: entry {position} is not a name=value pair the OTLP exporter "
                    "accepts (the value is not shown: it may hold a credential); write "
                    "name=value pairs separated by commas, URL-encoding any comma, "
                    "semicolon, double quote, backslash or non-ASCII character in a value, e.g. "
                    "authorization=Bearer%20<token>"
                )
            value = entry.split("=", 1)[1].strip()
            register_secret(value)
            register_secret(unquote(value))
