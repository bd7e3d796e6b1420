"""The :class:`TokenSource` protocol every source implements."""

from __future__ import annotations

from collections.abc import Hashable
from typing import Protocol, runtime_checkable

from workspace_otel.credentials._token import Token

__all__ = ["TokenSource"]


@runtime_checkable
class TokenSource(Protocol):
    """Something that can fetch a fresh token, with no caching of its own.

    Sources are plain fetchers: :class:`RefreshingTokenCache` decides when to
    call :meth:`fetch`, shares the result between threads and exporters, and
    keeps the current token through failures.

    Optional attributes the cache honours when present:

    * ``revalidate_interval`` (float seconds): how often to call :meth:`fetch`
      again when a token has no known expiry (default 60 s).
    * ``mints_fresh_tokens`` (bool): every fetch returns a newly issued token,
      so a JWT ``iat`` far from local time means the local clock is wrong and
      the token's lifetime is trusted over its ``exp``.
    """

    @property
    def kind(self) -> str:
        """Short name of the source type (``env``, ``file``, ``oauth2`` ...)."""
        ...

    @property
    def cache_key(self) -> Hashable:
        """Identity of the configuration: equal keys share one cache per process.

        It must include every setting that changes which token :meth:`fetch`
        returns (arguments, environment, timeouts, files, endpoints). The
        registry adds ``revalidate_interval`` itself, for every source. It
        may contain hashes of secrets but never a secret itself.
        """
        ...

    def fetch(self) -> Token:
        """Obtain a token now.

        Raises:
            TokenError: with ``needs_user=True`` when retrying cannot help.
        """
        ...

    def describe(self) -> str:
        """Return a one-line, non-secret description for logs and ``doctor``."""
        ...
