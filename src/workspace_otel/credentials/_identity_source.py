"""What the workload-identity sources (Gitpod / Ona, GitHub Actions, GCE) share.

Each mints a fresh OIDC identity token for an audience on every fetch, reads
its platform variables at fetch time (never copying a secret), and shares its
cache with the zero-argument path when it reads the live process environment.
"""

from __future__ import annotations

import os
from collections.abc import Mapping


class IdentityTokenSource:
    """Base of the sources that mint identity tokens for an audience.

    Args:
        audience: the ``aud`` requested; default ``WORKSPACE_OTEL_TOKEN_AUDIENCE``.
        environ: mapping to read; ``os.environ`` (live, read at each fetch) when
            ``None``.
        timeout: seconds allowed for one fetch.
    """

    mints_fresh_tokens = True

    def __init__(
        self,
        audience: str | None = None,
        *,
        environ: Mapping[str, str] | None = None,
        timeout: float,
    ) -> None:
        env = os.environ if environ is None else environ
        self.audience = audience or env.get("WORKSPACE_OTEL_TOKEN_AUDIENCE", "").strip() or None
        # os.environ itself counts as "live environment": same cache as the zero-arg path.
        self._environ = None if environ is os.environ else environ
        self.timeout = timeout

    @property
    def environ(self) -> Mapping[str, str]:
        """The mapping read at each fetch."""
        return os.environ if self._environ is None else self._environ

    def _environ_identity(self) -> int | None:
        """Part of the cache key: ``None`` for the live process environment."""
        return None if self._environ is None else id(self._environ)
