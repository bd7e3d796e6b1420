"""The exceptions and warnings raised by workspace_otel.

Every error the library raises derives from :class:`WorkspaceOtelError`.
Messages are built from fixed text plus non-secret values: a token, client
secret or credential-bearing URL never appears in one.
"""

from __future__ import annotations

__all__ = [
    "ConfigurationError",
    "TokenError",
    "WorkspaceOtelError",
    "WorkspaceOtelWarning",
]


class WorkspaceOtelError(Exception):
    """Base class of every error raised by workspace_otel.

    Its text passes the redaction boundary: every registered secret (in every
    encoding the library produces) is masked when the error is created.
    """

    def __init__(self, *args: object) -> None:
        from workspace_otel._guards.redaction import scrub_known

        super().__init__(*(scrub_known(arg) if isinstance(arg, str) else arg for arg in args))


class ConfigurationError(WorkspaceOtelError, ValueError):
    """Invalid user configuration.

    The message names the argument or environment variable, the bad value
    (unless it is secret) and how to fix it.
    """


class TokenError(WorkspaceOtelError):
    """A token could not be obtained, parsed or used.

    Attributes:
        needs_user: ``True`` when retrying cannot help and the user must act
            (a rejected client secret, a missing audience, a CLI not found).
    """

    def __init__(self, message: str, *, needs_user: bool = False) -> None:
        super().__init__(message)
        self.needs_user = needs_user


class WorkspaceOtelWarning(UserWarning):
    """Warnings about configuration that works but is probably not intended."""
