"""The Gitpod Classic / Ona workspace OIDC identity token, through the platform CLI."""

from __future__ import annotations

import os
import shutil
from collections.abc import Hashable, Mapping

from workspace_otel.credentials._command_output import parse_command_output
from workspace_otel.credentials._identity_source import IdentityTokenSource
from workspace_otel.credentials._run_command import DEFAULT_TIMEOUT, run_command
from workspace_otel.credentials._token import Token
from workspace_otel.errors import TokenError

__all__ = ["GitpodTokenSource"]

_CLASSIC_CLIS = ("gp",)
_ONA_CLIS = ("gitpod", "ona")


class GitpodTokenSource(IdentityTokenSource):
    """Mints the workspace's OIDC identity token with the platform CLI (``gitpod``).

    * Gitpod Classic (``GITPOD_WORKSPACE_ID`` set): ``gp idp token --audience A``.
    * Ona (``GITPOD_ENVIRONMENT_ID`` set): ``gitpod idp token --audience A``, or
      ``ona idp token --audience A`` where only the newer CLI is installed.

    The CLI prints the raw JWT (60-minute lifetime on Gitpod Classic); its
    ``exp`` claim drives refresh. The executable is looked up on ``PATH`` at
    each fetch, so installing it later is enough. A missing audience or CLI is
    reported once as an error that needs the user, with the fix.

    Args:
        audience: the ``aud`` the token is minted for; default
            ``WORKSPACE_OTEL_TOKEN_AUDIENCE``. The Collector's ``oidc``
            authenticator must expect the same value.
        environ: variables to read (``PATH``, ``GITPOD_*``); ``os.environ`` when
            ``None``. The CLI itself inherits the process environment.
        timeout: seconds before the CLI is killed (default 10).
    """

    kind = "gitpod"

    def __init__(
        self,
        audience: str | None = None,
        *,
        environ: Mapping[str, str] | None = None,
        timeout: float = DEFAULT_TIMEOUT,
    ) -> None:
        super().__init__(audience, environ=environ, timeout=timeout)

    @property
    def cache_key(self) -> Hashable:
        """``("gitpod", audience)``."""
        return ("gitpod", self.audience, self._environ_identity())

    def candidates(self) -> tuple[str, ...]:
        """Return the CLI names to try, in order, for this environment."""
        env = self.environ
        if env.get("GITPOD_ENVIRONMENT_ID"):
            return _ONA_CLIS
        if env.get("GITPOD_WORKSPACE_ID"):
            return _CLASSIC_CLIS
        return _CLASSIC_CLIS + _ONA_CLIS

    def command(self) -> list[str]:
        """Return the argv that :meth:`fetch` would run.

        Raises:
            TokenError: no audience, or no CLI on ``PATH`` (``needs_user``).
        """
        if not self.audience:
            raise TokenError(
                "the gitpod token source needs an audience: set WORKSPACE_OTEL_TOKEN_AUDIENCE "
                "to the audience your collector's oidc authenticator expects",
                needs_user=True,
            )
        env = self.environ
        names = self.candidates()
        for name in names:
            path = shutil.which(name, path=env.get("PATH", os.defpath))
            if path:
                return [path, "idp", "token", "--audience", self.audience]
        raise TokenError(
            f"no Gitpod CLI ({' / '.join(names)}) found on PATH: run inside a Gitpod / Ona "
            "workspace, or choose another WORKSPACE_OTEL_TOKEN_SOURCE",
            needs_user=True,
        )

    def fetch(self) -> Token:
        """Run ``<cli> idp token --audience A`` and parse the JWT it prints.

        Raises:
            TokenError: see :meth:`command` and :func:`run_command`.
        """
        argv = self.command()
        output = run_command(argv, timeout=self.timeout, what=os.path.basename(argv[0]))
        return parse_command_output(output, self.kind)

    def describe(self) -> str:
        """Return ``gitpod (audience=A)``."""
        return f"gitpod (audience={self.audience})"

    def __repr__(self) -> str:
        return f"GitpodTokenSource(audience={self.audience!r})"
