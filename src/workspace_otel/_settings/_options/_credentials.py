"""The options the token path needs: backend, token header and the token source, with provenance.

The rules themselves live in :mod:`workspace_otel._settings._token_config`, which
``workspace-otel headers`` runs without this package; here each result gets
its structured :class:`~workspace_otel._settings._options._provenance.Source`, decided
from the inputs (which argument or variable was set), never from text.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from workspace_otel._settings import _token_config as rules
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

if TYPE_CHECKING:
    from workspace_otel.credentials import TokenSource

__all__ = ["resolve_backend", "resolve_env_credentials", "resolve_token_header"]


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
