"""A static token read from an environment variable at every fetch."""

from __future__ import annotations

import os
from collections.abc import Hashable, Mapping

from workspace_otel.credentials._cache_timing import check_interval
from workspace_otel.credentials._token import Token
from workspace_otel.errors import ConfigurationError, TokenError

__all__ = ["EnvTokenSource"]


class EnvTokenSource:
    """Reads the token from an environment variable (``env:NAME``).

    The variable is read again at every fetch, so a value changed in-process
    (``os.environ[...] = ...``) is picked up at the next revalidation (every
    :attr:`revalidate_interval` seconds, or at once after a 401). A JWT's
    ``exp`` claim, when present, gives the expiry; otherwise the token has none.

    Under ``WORKSPACE_OTEL_TOKEN_SOURCE=auto`` this source reads
    ``WORKSPACE_OTEL_TOKEN``. GitLab CI ``id_tokens`` are used the same way:
    ``WORKSPACE_OTEL_TOKEN_SOURCE=env:MY_ID_TOKEN``.

    Args:
        name: the variable to read (default ``WORKSPACE_OTEL_TOKEN``).
        environ: the mapping to read; ``os.environ`` (live) when ``None``.
        revalidate_interval: seconds between re-reads of a token without expiry.
    """

    kind = "env"
    mints_fresh_tokens = False

    def __init__(
        self,
        name: str = "WORKSPACE_OTEL_TOKEN",
        *,
        environ: Mapping[str, str] | None = None,
        revalidate_interval: float = 5.0,
    ) -> None:
        if not name or "=" in name or "\0" in name:
            raise ConfigurationError(
                "EnvTokenSource needs an environment variable name, e.g. env:MY_TOKEN"
            )
        self.name = name
        # os.environ itself counts as "live environment": same cache as the zero-arg path.
        self._environ = None if environ is os.environ else environ
        self.revalidate_interval = check_interval(
            revalidate_interval, "EnvTokenSource(revalidate_interval=...)"
        )

    @property
    def cache_key(self) -> Hashable:
        """``("env", name, mapping identity or None)``.

        The revalidation interval is added by the shared-cache registry, as
        for every source.
        """
        return ("env", self.name, None if self._environ is None else id(self._environ))

    def fetch(self) -> Token:
        """Return the variable's current value as a token.

        Raises:
            TokenError: unset or empty (``needs_user``), or not a valid token.
        """
        environ = os.environ if self._environ is None else self._environ
        raw = environ.get(self.name, "")
        if not raw.strip():
            raise TokenError(
                f"the environment variable {self.name} is unset or empty: "
                "set it to the token, or choose another WORKSPACE_OTEL_TOKEN_SOURCE",
                needs_user=True,
            )
        try:
            return Token.from_value(raw, kind=self.kind)
        except TokenError as exc:
            raise TokenError(f"{self.name}: {exc}", needs_user=True) from None

    def describe(self) -> str:
        """Return ``env:NAME``."""
        return f"env:{self.name}"

    def __repr__(self) -> str:
        return f"EnvTokenSource(name={self.name!r})"
