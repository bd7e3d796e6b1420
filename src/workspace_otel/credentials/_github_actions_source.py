"""The GitHub Actions OIDC identity token (jobs with ``permissions: id-token: write``)."""

from __future__ import annotations

import json
from collections.abc import Hashable, Mapping
from urllib.parse import quote

from workspace_otel._guards.redaction import register_secret
from workspace_otel.credentials import _http_fetch
from workspace_otel.credentials._identity_source import IdentityTokenSource
from workspace_otel.credentials._token import Token
from workspace_otel.errors import TokenError

__all__ = ["GitHubActionsTokenSource"]

REQUEST_URL = "ACTIONS_ID_TOKEN_REQUEST_URL"
REQUEST_TOKEN = "ACTIONS_ID_TOKEN_REQUEST_TOKEN"  # noqa: S105 - a variable name


class GitHubActionsTokenSource(IdentityTokenSource):
    """Requests the job's OIDC identity token from GitHub Actions (``github-actions``).

    Sends ``GET $ACTIONS_ID_TOKEN_REQUEST_URL&audience=A`` with
    ``Authorization: Bearer $ACTIONS_ID_TOKEN_REQUEST_TOKEN`` and reads the JWT
    from the JSON answer's ``value``. These tokens live 5 minutes; the shared
    cache refreshes them ahead of expiry. Both variables exist only when the
    workflow grants ``permissions: id-token: write``; they are read at each
    fetch and never logged.

    Args:
        audience: the ``aud`` requested; default ``WORKSPACE_OTEL_TOKEN_AUDIENCE``
            (GitHub's default audience, the owner URL, when neither is set).
        environ: mapping holding the ``ACTIONS_ID_TOKEN_*`` variables;
            ``os.environ`` when ``None``.
        timeout: seconds for the request (default 10).
    """

    kind = "github-actions"

    def __init__(
        self,
        audience: str | None = None,
        *,
        environ: Mapping[str, str] | None = None,
        timeout: float = 10.0,
    ) -> None:
        super().__init__(audience, environ=environ, timeout=timeout)

    @property
    def cache_key(self) -> Hashable:
        """``("github-actions", audience)``."""
        environ_id = self._environ_identity()
        return ("github-actions", self.audience, environ_id)

    def fetch(self) -> Token:
        """Request a fresh identity token.

        Raises:
            TokenError: the request variables are missing (``needs_user``: grant
                ``id-token: write``), the request failed, or the answer has no
                ``value``.
        """
        env = self.environ
        url = env.get(REQUEST_URL, "").strip()
        request_token = env.get(REQUEST_TOKEN, "").strip()
        if not url or not request_token:
            raise TokenError(
                f"{REQUEST_URL} / {REQUEST_TOKEN} are not set: give the job "
                "`permissions: id-token: write` in the workflow",
                needs_user=True,
            )
        register_secret(request_token)
        refusal = _http_fetch.credential_refusal(url, kind=self.kind)
        if refusal:
            raise TokenError(f"{REQUEST_URL}: {refusal}", needs_user=True)
        if self.audience:
            url += ("&" if "?" in url else "?") + "audience=" + quote(self.audience, safe="")
        reply = _http_fetch.request(
            "GET",
            url,
            kind=self.kind,
            timeout=self.timeout,
            headers={"Accept": "application/json"},
            bearer=request_token,
        )
        if reply.status != 200:
            raise TokenError(
                f"the GitHub Actions OIDC endpoint answered {reply.status}",
                needs_user=reply.status in (401, 403),
            )
        try:
            document = json.loads(reply.body.decode("utf-8"))
        except (ValueError, UnicodeDecodeError, RecursionError):
            raise TokenError("the GitHub Actions OIDC endpoint answered with non-JSON") from None
        value = document.get("value") if isinstance(document, dict) else None
        if not isinstance(value, str):
            raise TokenError("the GitHub Actions OIDC endpoint answered without a 'value'")
        return Token.from_value(value, kind=self.kind)

    def describe(self) -> str:
        """Return ``github-actions (audience=A)``."""
        return f"github-actions (audience={self.audience})"

    def __repr__(self) -> str:
        return f"GitHubActionsTokenSource(audience={self.audience!r})"
