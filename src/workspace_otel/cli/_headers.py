"""``workspace-otel headers``: the headers an OTLP export needs now, as one JSON object.

The contract of "headers helper" hooks such as Claude Code's
``otelHeadersHelper``: the program runs the command, reads one JSON object of
string header names to string values from its stdout, and runs it again
periodically (Claude Code: at start, then every 29 minutes, or every
``CLAUDE_CODE_OTEL_HEADERS_HELPER_DEBOUNCE_MS`` milliseconds). Tokens whose
life is shorter than that interval expire between runs: when that variable is
set and the token expires sooner, one line on stderr says so.

The token is printed on purpose, to stdout only. Every failure is one
scrubbed line on stderr and a non-zero exit status, with nothing on stdout.
"""

from __future__ import annotations

import json
import os
import sys
import time
from collections.abc import Mapping

from workspace_otel.cli import _credentials

TYPE_CHECKING = False  # typing is not imported at run time: see workspace_otel/__init__
if TYPE_CHECKING:
    from typing import TextIO

HELPER_INTERVAL_VARIABLE = "CLAUDE_CODE_OTEL_HEADERS_HELPER_DEBOUNCE_MS"


def _interval_warning(environ: Mapping[str, str], expires_at: float | None) -> str | None:
    raw = environ.get(HELPER_INTERVAL_VARIABLE, "").strip()
    if not raw or expires_at is None:
        return None
    try:
        interval = float(raw) / 1000.0
    except ValueError:
        return None
    left = expires_at - time.time()
    if interval <= 0 or left >= interval:
        return None
    return (
        f"workspace-otel headers: this token expires in {max(left, 0):.0f} s, before the "
        f"next run in {interval:.0f} s: lower {HELPER_INTERVAL_VARIABLE} below the token "
        "lifetime"
    )


def run_headers(*, out: TextIO, timeout: float, environ: Mapping[str, str] | None = None) -> int:
    """Print ``{"<header>": "<value>"}``; return the exit status.

    Returns:
        0; 1 when no token can be had now (token service down, no usable
        token); 2 when the configuration is missing or invalid.
    """
    from workspace_otel.errors import ConfigurationError, TokenError

    env = os.environ if environ is None else environ
    _credentials.quiet_library_logs()
    try:
        config = _credentials.configured(env)
        token = _credentials.current_token(config, timeout)
    except ConfigurationError as exc:
        print(_credentials.one_line_reason("headers", exc), file=sys.stderr)
        return 2
    except TokenError as exc:
        print(_credentials.one_line_reason("headers", exc), file=sys.stderr)
        return 2 if exc.needs_user else 1
    name, value = _credentials.header_line(config, token)
    out.write(json.dumps({name: value}) + "\n")
    out.flush()
    warning = _interval_warning(
        env, None if token.expires_at is None else token.expires_at.timestamp()
    )
    if warning:
        print(warning, file=sys.stderr)
    return 0
