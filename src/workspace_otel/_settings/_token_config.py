"""Which backend, token header and token source the environment configures.

The rules live here, in a module that imports nothing heavy, because
``workspace-otel headers`` runs them at every headers-helper call, where the
option resolver's own imports would cost more than the command's work.
:mod:`workspace_otel._settings._options` wraps these functions for ``configure()``
(each result becomes a ``Setting``), so both follow one rule.

Each function returns ``(value, source)``: the effective value and where it
came from (the variable's name, ``"default"``, ``"argument"`` or a short
phrase such as ``"backend lightstep"``).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

from workspace_otel._settings._option_parsers import is_header_name
from workspace_otel.errors import ConfigurationError

TYPE_CHECKING = False  # typing is not imported at run time: see workspace_otel/__init__
if TYPE_CHECKING:
    from workspace_otel.credentials import TokenSource

__all__ = [
    "BACKENDS",
    "DEFAULT_HEADER",
    "LIGHTSTEP_HEADER",
    "backend",
    "env_token_source",
    "format_value",
    "token_header",
]

BACKENDS = ("otlp", "lightstep", "console")
BACKEND_VARIABLE = "WORKSPACE_OTEL_BACKEND"
HEADER_VARIABLE = "WORKSPACE_OTEL_TOKEN_HEADER"
SOURCE_VARIABLE = "WORKSPACE_OTEL_TOKEN_SOURCE"
LIGHTSTEP_TOKEN_VARIABLE = "LS_ACCESS_TOKEN"  # noqa: S105 - a variable name, not a secret
DEFAULT_HEADER = "authorization"
LIGHTSTEP_HEADER = "lightstep-access-token"
ARGUMENT = "argument"
DEFAULT = "default"


def _set(environ: Mapping[str, str], name: str) -> str | None:
    value = environ.get(name, "").strip()
    return value or None


def backend(environ: Mapping[str, str]) -> tuple[str, str]:
    """Return ``WORKSPACE_OTEL_BACKEND`` (default ``otlp``) and its source.

    Raises:
        ConfigurationError: not one of otlp, lightstep, console.
    """
    if _set(environ, BACKEND_VARIABLE) is None:
        return BACKENDS[0], DEFAULT
    from workspace_otel._settings import _env

    return _env.get_choice(BACKEND_VARIABLE, BACKENDS, environ), BACKEND_VARIABLE


def token_header(arg: str | None, backend: str, environ: Mapping[str, str]) -> tuple[str, str]:
    """Return the header that carries the token: argument > variable > backend preset > default.

    ``WORKSPACE_OTEL_TOKEN_HEADER`` when set; ``lightstep-access-token`` for
    the Lightstep backend; else ``authorization``.

    Raises:
        ConfigurationError: the name is not an HTTP header name.
    """
    if arg is not None:
        value, source = arg.strip().lower(), ARGUMENT
    elif (raw := _set(environ, HEADER_VARIABLE)) is not None:
        value, source = raw.lower(), HEADER_VARIABLE
    elif backend == "lightstep":
        value, source = LIGHTSTEP_HEADER, "backend lightstep"
    else:
        value, source = DEFAULT_HEADER, DEFAULT
    if not is_header_name(value):
        raise ConfigurationError(
            f"{source} token header must be an HTTP header name such as authorization"
        )
    return value, source


def env_token_source(
    backend: str,
    environ: Mapping[str, str],
    credentials_from_env: Callable[[Mapping[str, str]], TokenSource | None],
) -> tuple[TokenSource | None, str]:
    """Return the token source the environment configures, and where it came from.

    ``WORKSPACE_OTEL_TOKEN_SOURCE`` (``auto`` by default), then, for the
    Lightstep backend, ``LS_ACCESS_TOKEN``; ``None`` when nothing is configured.

    Raises:
        ConfigurationError: the token source configuration is invalid.
    """
    source = credentials_from_env(environ)
    if source is not None:
        where = SOURCE_VARIABLE if _set(environ, SOURCE_VARIABLE) else f"{SOURCE_VARIABLE} (auto)"
        return source, where
    if backend == "lightstep" and _set(environ, LIGHTSTEP_TOKEN_VARIABLE):
        from workspace_otel.credentials import EnvTokenSource

        return (
            EnvTokenSource(LIGHTSTEP_TOKEN_VARIABLE, environ=environ),
            f"{LIGHTSTEP_TOKEN_VARIABLE} (backend lightstep fallback)",
        )
    return None, DEFAULT


def format_value(header: str, token: str) -> str:
    """Return ``Bearer <token>`` for ``authorization``, the raw token for any other header."""
    return f"Bearer {token}" if header == DEFAULT_HEADER else token
