"""Check ``OTEL_EXPORTER_OTLP_HEADERS`` (and per-signal ``_HEADERS``) before the SDK reads them.

The OTLP exporters parse these variables themselves and, on a malformed
entry, log a warning that prints the entry: often ``authorization=Bearer
<token>``. ``configure()`` checks them first with the same grammar the SDK
accepts (W3C-baggage-like ``name=value`` pairs separated by commas, values
URL-encoded or plain printable text) and raises a
:class:`~workspace_otel.errors.ConfigurationError` naming the variable and
the entry's position, never its text. Every value is registered with the
redaction boundary, so an echo elsewhere is masked too.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from urllib.parse import unquote

from workspace_otel._guards.redaction import register_secret
from workspace_otel.errors import ConfigurationError

__all__ = ["HEADER_VARIABLES", "check_headers_variables"]

HEADER_VARIABLES = (
    "OTEL_EXPORTER_OTLP_HEADERS",
    "OTEL_EXPORTER_OTLP_TRACES_HEADERS",
    "OTEL_EXPORTER_OTLP_METRICS_HEADERS",
    "OTEL_EXPORTER_OTLP_LOGS_HEADERS",
)

# The token and value alphabets of the SDK's liberal header parser (RFC 7230
# tchar for names; printable ASCII but '"', ',', ';' and '\' for values).
_ENTRY = (
    r"[ \t]*[\x21\x23-\x27\x2a\x2b\x2d\x2e\x30-\x39\x41-\x5a\x5e-\x7a\x7c\x7e]+[ \t]*="
    r"[ \t]*[\x20\x21\x23-\x2b\x2d-\x3a\x3c-\x5b\x5d-\x7e]*[ \t]*"
)
_DELIMITER = r"[ \t]*,[ \t]*"


def check_headers_variables(environ: Mapping[str, str]) -> None:
    """Validate every OTLP headers variable and register its values as secrets.

    Raises:
        ConfigurationError: an entry the SDK would reject (and print); the
            message names the variable and the entry's number, not its text.
    """
    for name in HEADER_VARIABLES:
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
