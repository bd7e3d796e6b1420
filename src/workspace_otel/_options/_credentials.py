"""The options the token path needs: backend, token header and the token source.

Kept apart from the rest of resolution so that ``workspace-otel headers`` and
``token`` resolve exactly what ``configure()`` resolves, without the SDK.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from workspace_otel._options import _lightstep
from workspace_otel._options._lookup import look_up, raw
from workspace_otel._options._provenance import Origin, Setting, Source

if TYPE_CHECKING:
    from workspace_otel.credentials import TokenSource

__all__ = ["resolve_backend", "resolve_env_credentials", "resolve_token_header"]

_TOKEN_SOURCE = "WORKSPACE_OTEL_TOKEN_SOURCE"  # noqa: S105 - a variable name
_LS_ACCESS_TOKEN = "LS_ACCESS_TOKEN"  # noqa: S105 - a variable name


def resolve_backend(environ: Mapping[str, str], arg: str | None = None) -> Setting[str]:
    """Return the backend: argument > ``WORKSPACE_OTEL_BACKEND`` > ``otlp``.

    Raises:
        ConfigurationError: not one of otlp, lightstep, console.
    """
    return look_up("backend", arg, environ)


def resolve_token_header(arg: str | None, backend: str, environ: Mapping[str, str]) -> Setting[str]:
    """Return the header that carries the token: argument > variable > backend preset > default.

    ``WORKSPACE_OTEL_TOKEN_HEADER`` when set; ``lightstep-access-token`` for
    the Lightstep backend; else ``authorization``.

    Raises:
        ConfigurationError: the name is not an HTTP header name.
    """
    header: Setting[str] = look_up("token_header", arg, environ)
    if header.source.kind is Origin.DEFAULT and backend == "lightstep":
        return Setting(_lightstep.HEADER, Source(Origin.PRESET, None, "backend lightstep"))
    return header


def resolve_env_credentials(
    backend: str, environ: Mapping[str, str], credentials_from_env: Any
) -> Setting[TokenSource | None]:
    """Return the token source the environment configures.

    ``WORKSPACE_OTEL_TOKEN_SOURCE`` (``auto`` by default), then, for the
    Lightstep backend, ``LS_ACCESS_TOKEN``; ``None`` when nothing is configured.

    Raises:
        ConfigurationError: the token source configuration is invalid.
    """
    source = credentials_from_env(environ)
    chosen = raw(environ, _TOKEN_SOURCE) is not None
    if source is not None:
        if chosen:
            return Setting(source, Source(Origin.VARIABLE, _TOKEN_SOURCE))
        return Setting(source, Source(Origin.DEFAULT, _TOKEN_SOURCE, f"{_TOKEN_SOURCE} (auto)"))
    if backend == "lightstep" and raw(environ, _LS_ACCESS_TOKEN):
        return Setting(
            _lightstep_static_source(environ),
            Source(
                Origin.PRESET, _LS_ACCESS_TOKEN, f"{_LS_ACCESS_TOKEN} (backend lightstep fallback)"
            ),
        )
    if chosen:  # WORKSPACE_OTEL_TOKEN_SOURCE=none
        return Setting(None, Source(Origin.VARIABLE, _TOKEN_SOURCE))
    return Setting(
        None, Source(Origin.DEFAULT, _TOKEN_SOURCE, f"{_TOKEN_SOURCE} (auto: none found)")
    )


def _lightstep_static_source(environ: Mapping[str, str]) -> TokenSource:
    from workspace_otel import credentials

    return credentials.EnvTokenSource(_LS_ACCESS_TOKEN, environ=environ)
