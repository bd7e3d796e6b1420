"""The token source and header the CLI's ``headers`` and ``token`` commands use.

Both follow exactly the rules ``configure()`` follows (their one home is
:mod:`workspace_otel._settings._token_config`, which ``configure()`` uses too):
``WORKSPACE_OTEL_TOKEN_SOURCE`` (``auto`` by default), the Lightstep
backend's ``LS_ACCESS_TOKEN`` fallback, and the header from
``WORKSPACE_OTEL_TOKEN_HEADER`` or the backend. Tokens come
through :func:`~workspace_otel.credentials.shared_cache`, with its refresh,
backoff and wait rules.

Nothing here writes a token to disk on its own. Programs that re-run a
headers helper every few minutes (Claude Code re-runs ``otelHeadersHelper``
every 29 minutes by default) fetch once per run; to share one token between
processes, keep it in a file of your choosing with ``workspace-otel token
--file PATH --watch`` and point the others at it
(``WORKSPACE_OTEL_TOKEN_SOURCE=file:PATH``).
"""

from __future__ import annotations

from collections.abc import Mapping

from workspace_otel.errors import TokenError

TYPE_CHECKING = False  # typing is not imported at run time: see workspace_otel/__init__
if TYPE_CHECKING:
    from workspace_otel.credentials import Token, TokenSource


class Configured:
    """The resolved source and header.

    Attributes:
        source: where tokens come from.
        header: lower-case header name (``authorization`` sends ``Bearer <token>``).
    """

    __slots__ = ("header", "source")

    def __init__(self, source: TokenSource, header: str) -> None:
        self.source = source
        self.header = header


def quiet_library_logs() -> None:
    """Keep the library's log records off stderr: these commands print their own one line.

    Without a handler, Python's last-resort handler would print the token
    cache's warnings next to the command's own message. An application that
    configures logging still sees the records (they propagate as usual).
    ``logging`` is not imported for this: the handler is added when anything
    first imports it (a cached ``headers`` never does, budget P12).
    """
    from workspace_otel._guards import lazy_logging as _lazy_logging

    _lazy_logging.quiet("workspace_otel")


def configured(environ: Mapping[str, str]) -> Configured:
    """Return the configured token source and header.

    Raises:
        ConfigurationError: a variable is invalid (named, with the fix).
        TokenError: no token source is configured (``needs_user``).
    """
    from workspace_otel._settings import _token_config
    from workspace_otel.credentials import token_source_from_env

    backend, _ = _token_config.backend(environ)
    header, _ = _token_config.token_header(None, backend, environ)
    source, _ = _token_config.env_token_source(backend, environ, token_source_from_env)
    if source is None:
        raise TokenError(
            "no token source is configured: set WORKSPACE_OTEL_TOKEN_SOURCE (e.g. gitpod, "
            "github-actions, oauth2, file:PATH, command:CMDLINE) or WORKSPACE_OTEL_TOKEN",
            needs_user=True,
        )
    return Configured(source, header)


def current_token(config: Configured, timeout: float) -> Token:
    """Return a usable token through the shared cache, waiting at most ``timeout`` seconds.

    Raises:
        TokenError: none could be had in time; the message says why.
    """
    from workspace_otel.credentials import shared_cache

    return shared_cache(config.source).token(timeout=timeout)


def header_line(config: Configured, token: Token) -> tuple[str, str]:
    """Return ``(name, value)`` of the header carrying ``token``.

    ``Authorization: Bearer <token>`` by default; any other configured header
    (``lightstep-access-token``) carries the raw token.
    """
    from workspace_otel._settings._token_config import DEFAULT_HEADER, format_value

    name = "Authorization" if config.header == DEFAULT_HEADER else config.header
    return name, format_value(config.header, token.value)


def one_line_reason(command: str, exc: BaseException) -> str:
    """Return ``workspace-otel COMMAND: <reason>`` on one line, with no secret in it.

    The library's own errors are built from fixed templates that never quote a
    secret (and pass the redaction boundary when created); any other error
    text (an ``OSError`` naming a path, say) passes the scrubber here.
    """
    from workspace_otel.errors import WorkspaceOtelError

    text = str(exc) or type(exc).__name__
    if not isinstance(exc, WorkspaceOtelError):
        from workspace_otel._guards.redaction import scrub

        text = scrub(text)
    text = " ".join(text.split())
    return f"workspace-otel {command}: {text[:400]}"
