"""Trace links: turn a trace id into a clickable URL for the user's trace viewer.

``WORKSPACE_OTEL_TRACE_URL`` holds a template with the placeholder
``{trace_id}`` (32 lower-case hex digits), for example::

    # Lightstep / ServiceNow Cloud Observability
    WORKSPACE_OTEL_TRACE_URL=https://app.lightstep.com/<project>/trace?trace_handle={trace_id}
    # a local Jaeger (in a Codespace: its forwarded-port URL)
    WORKSPACE_OTEL_TRACE_URL=http://localhost:16686/trace/{trace_id}

Unset or blank means no links. The console exporter and ``workspace-otel
doctor`` call :func:`trace_link` for each root span.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from urllib.parse import urlsplit

from workspace_otel._settings._option_table import OPTION
from workspace_otel.errors import ConfigurationError

__all__ = ["PLACEHOLDER", "VARIABLE", "render", "trace_link", "trace_url_template"]

(VARIABLE,) = OPTION["trace_url"].variables  # the option table names it
PLACEHOLDER = "{trace_id}"
_TRACE_ID = r"^[0-9a-f]{32}$"


def trace_url_template(environ: Mapping[str, str] | None = None) -> str | None:
    """Return the validated link template, or ``None`` when links are off.

    Args:
        environ: Mapping to read; ``os.environ`` when ``None``.

    Raises:
        ConfigurationError: The template lacks ``{trace_id}``, is not an
            ``http(s)`` URL, or has other ``{...}`` fields.
    """
    env = os.environ if environ is None else environ
    template = env.get(VARIABLE, "").strip()
    if not template:
        return None
    if PLACEHOLDER not in template:
        raise ConfigurationError(
            f"{VARIABLE} must contain {PLACEHOLDER} where the trace id goes, for example "
            f"https://app.lightstep.com/<project>/trace?trace_handle={PLACEHOLDER}"
        )
    try:
        parts = urlsplit(template.replace(PLACEHOLDER, "0" * 32))
    except ValueError as exc:  # e.g. an unclosed IPv6 bracket
        raise ConfigurationError(
            f"{VARIABLE} is not a valid URL; set it to a link such as "
            f"http://localhost:16686/trace/{PLACEHOLDER}"
        ) from exc
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ConfigurationError(
            f"{VARIABLE} must be an http:// or https:// URL with a host; "
            f"set it to a link such as http://localhost:16686/trace/{PLACEHOLDER}"
        )
    if parts.username is not None or parts.password is not None:
        raise ConfigurationError(
            f"{VARIABLE} must not carry credentials (user:password@): remove them from the URL"
        )
    if "{" in template.replace(PLACEHOLDER, "") or "}" in template.replace(PLACEHOLDER, ""):
        raise ConfigurationError(
            f"{VARIABLE} may only contain the placeholder {PLACEHOLDER}; "
            "remove the other braces from the URL"
        )
    return template


def trace_link(trace_id_hex: str, environ: Mapping[str, str] | None = None) -> str | None:
    """Return the link to a trace, or ``None`` when ``WORKSPACE_OTEL_TRACE_URL`` is unset.

    Args:
        trace_id_hex: The trace id as 32 hex digits (case-insensitive).
        environ: Mapping to read; ``os.environ`` when ``None``.

    Raises:
        ConfigurationError: The template is invalid (see :func:`trace_url_template`).
        ValueError: ``trace_id_hex`` is not 32 hex digits.
    """
    template = trace_url_template(environ)
    return None if template is None else render(template, trace_id_hex)


def render(template: str, trace_id_hex: str) -> str:
    """Fill a template already validated by :func:`trace_url_template` with a trace id.

    Raises:
        ValueError: ``trace_id_hex`` is not 32 hex digits.
    """
    trace_id = trace_id_hex.strip().lower()
    if not re.match(_TRACE_ID, trace_id):
        raise ValueError("trace_id_hex must be 32 hexadecimal digits")
    return template.replace(PLACEHOLDER, trace_id)
