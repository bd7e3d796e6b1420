"""OAuth2 client credentials (RFC 6749 section 4.4) and token exchange (RFC 8693)."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Hashable, Sequence
from pathlib import Path
from urllib.parse import quote

from workspace_otel._guards import egress, safe_read
from workspace_otel._guards.redaction import (
    display_url,
    register_basic_credentials,
    register_secret,
    register_url,
)
from workspace_otel._guards.redaction import scrub_strict as redact
from workspace_otel.credentials import _http_fetch, _jwt
from workspace_otel.credentials._source import TokenSource
from workspace_otel.credentials._token import Token, check_token_value
from workspace_otel.errors import ConfigurationError, TokenError

__all__ = ["OAuth2ClientCredentialsSource"]

TOKEN_EXCHANGE_GRANT = "urn:ietf:params:oauth:grant-type:token-exchange"  # noqa: S105
SUBJECT_TOKEN_TYPES = {
    "jwt": "urn:ietf:params:oauth:token-type:jwt",
    "access_token": "urn:ietf:params:oauth:token-type:access_token",
    "id_token": "urn:ietf:params:oauth:token-type:id_token",
}
_USER_ERRORS = frozenset(
    {
        "invalid_client",
        "invalid_grant",
        "unauthorized_client",
        "unsupported_grant_type",
        "invalid_scope",
        "invalid_target",
        "invalid_request",
    }
)
_TRANSIENT_STATUSES = frozenset({408, 429})
_MAX_SECRET_FILE_BYTES = 64 * 1024


def _scopes(scopes: str | Sequence[str] | None) -> tuple[str, ...]:
    if scopes is None:
        return ()
    if isinstance(scopes, str):
        scopes = scopes.replace(",", " ").split()
    return tuple(s for s in scopes if s)


class OAuth2ClientCredentialsSource:
    """Gets access tokens from an OAuth2 token endpoint (``oauth2``).

    Without ``subject_source`` it uses the client-credentials grant. With one,
    it performs an RFC 8693 token exchange: the subject source's token (for
    example the workspace's Gitpod identity token) is sent as
    ``subject_token`` and the answer is the backend's own token.

    The client authenticates with HTTP Basic (``client_secret_basic``) when it
    has a secret, else sends only ``client_id`` (a public client). The secret
    file, when used, is re-read at every fetch so a rotated secret is picked
    up. ``400`` / ``401`` answers such as ``invalid_client`` or
    ``invalid_grant`` need the user and are reported once; ``5xx``, timeouts
    and unreadable answers are retried with backoff by the cache.

    Args:
        token_url: the token endpoint (``WORKSPACE_OTEL_OAUTH2_TOKEN_URL``);
            ``https`` unless it is a loopback address.
        client_id: ``WORKSPACE_OTEL_OAUTH2_CLIENT_ID``.
        client_secret: ``WORKSPACE_OTEL_OAUTH2_CLIENT_SECRET``.
        client_secret_file: ``WORKSPACE_OTEL_OAUTH2_CLIENT_SECRET_FILE``.
        scopes: ``WORKSPACE_OTEL_OAUTH2_SCOPES`` (space or comma separated).
        audience: ``WORKSPACE_OTEL_OAUTH2_AUDIENCE``, sent as ``audience``.
        subject_source: source of the subject token
            (``WORKSPACE_OTEL_OAUTH2_SUBJECT_TOKEN_SOURCE``).
        subject_token_type: ``jwt``, ``access_token``, ``id_token`` or
            ``auto`` (``jwt`` when the subject token is a JWT).
        timeout: seconds for the whole request (``WORKSPACE_OTEL_OAUTH2_TIMEOUT``,
            default 10).

    Raises:
        ConfigurationError: the URL is not https (nor loopback), or a secret is
            given both directly and as a file.
    """

    kind = "oauth2"
    mints_fresh_tokens = True

    def __init__(
        self,
        token_url: str,
        client_id: str | None = None,
        client_secret: str | None = None,
        *,
        client_secret_file: str | Path | None = None,
        scopes: str | Sequence[str] | None = None,
        audience: str | None = None,
        subject_source: TokenSource | None = None,
        subject_token_type: str = "auto",  # noqa: S107
        timeout: float = 10.0,
    ) -> None:
        verdict = egress.check(token_url)
        if not verdict:
            raise ConfigurationError(
                f"WORKSPACE_OTEL_OAUTH2_TOKEN_URL ({display_url(token_url)}) is refused: "
                f"{verdict.reason}"
            )
        register_url(token_url)
        register_secret(client_secret)
        if client_secret and client_secret_file:
            raise ConfigurationError(
                "set only one of WORKSPACE_OTEL_OAUTH2_CLIENT_SECRET and "
                "WORKSPACE_OTEL_OAUTH2_CLIENT_SECRET_FILE"
            )
        if (client_secret or client_secret_file) and not client_id:
            given = (
                "WORKSPACE_OTEL_OAUTH2_CLIENT_SECRET"
                if client_secret
                else "WORKSPACE_OTEL_OAUTH2_CLIENT_SECRET_FILE"
            )
            raise ConfigurationError(
                f"{given} is set but WORKSPACE_OTEL_OAUTH2_CLIENT_ID is not: an OAuth2 client "
                "secret needs its client id; set WORKSPACE_OTEL_OAUTH2_CLIENT_ID"
            )
        allowed = ("auto", *SUBJECT_TOKEN_TYPES)
        if subject_token_type not in allowed:
            raise ConfigurationError(
                f"subject_token_type={subject_token_type!r} is not valid: use auto, "
                + ", ".join(SUBJECT_TOKEN_TYPES)
            )
        self.token_url = token_url
        self.client_id = client_id
        self._client_secret = client_secret
        self.client_secret_file = Path(client_secret_file) if client_secret_file else None
        self.scopes = _scopes(scopes)
        self.audience = audience
        self.subject_source = subject_source
        self.subject_token_type = subject_token_type
        self.timeout = timeout

    @property
    def cache_key(self) -> Hashable:
        """Endpoint, client, scopes, audience, subject source; the secret only hashed."""
        secret_hash = (
            hashlib.sha256(self._client_secret.encode()).hexdigest()
            if self._client_secret
            else None
        )
        return (
            "oauth2",
            self.token_url,
            self.client_id,
            secret_hash,
            str(self.client_secret_file) if self.client_secret_file else None,
            self.scopes,
            self.audience,
            None if self.subject_source is None else self.subject_source.cache_key,
            self.subject_token_type,
        )

    def _secret(self) -> str | None:
        if self.client_secret_file is None:
            return self._client_secret
        try:
            raw = safe_read.read_text(
                self.client_secret_file, limit=_MAX_SECRET_FILE_BYTES, errors="strict"
            )
        except (OSError, UnicodeDecodeError) as exc:
            reason = (
                str(exc)
                if isinstance(exc, safe_read.UnsafeFileError)
                else getattr(exc, "strerror", None) or type(exc).__name__
            )
            raise TokenError(
                f"cannot read the OAuth2 client secret file {self.client_secret_file}: {reason}; "
                "fix WORKSPACE_OTEL_OAUTH2_CLIENT_SECRET_FILE",
                needs_user=True,
            ) from None
        try:
            return check_token_value(raw, "the OAuth2 client secret file")
        except TokenError as exc:
            raise TokenError(str(exc), needs_user=True) from None

    def _form(self) -> tuple[dict[str, str], str | None]:
        form: dict[str, str] = {}
        subject_value: str | None = None
        if self.subject_source is None:
            form["grant_type"] = "client_credentials"
        else:
            subject = self.subject_source.fetch()
            subject_value = subject.value
            token_type = self.subject_token_type
            if token_type == "auto":  # noqa: S105
                token_type = "jwt" if _jwt.decode_claims(subject.value) else "access_token"
            form["grant_type"] = TOKEN_EXCHANGE_GRANT
            form["subject_token"] = subject.value
            form["subject_token_type"] = SUBJECT_TOKEN_TYPES[token_type]
        if self.scopes:
            form["scope"] = " ".join(self.scopes)
        if self.audience:
            form["audience"] = self.audience
        return form, subject_value

    def fetch(self) -> Token:
        """Request a token from the endpoint.

        Raises:
            TokenError: transport failure, an error answer (``needs_user`` for
                4xx such as ``invalid_client`` / ``invalid_grant``), or an
                answer without a usable ``access_token``.
        """
        secret = self._secret()
        form, subject_value = self._form()
        auth: tuple[str, str] | None = None
        if secret:
            register_basic_credentials(self.client_id or "", secret)
        if self.client_id and secret:
            auth = (quote(self.client_id, safe=""), quote(secret, safe=""))
        elif self.client_id:
            form["client_id"] = self.client_id
        reply = _http_fetch.request(
            "POST",
            self.token_url,
            kind=self.kind,
            timeout=self.timeout,
            headers={"Accept": "application/json"},
            data=form,
            auth=auth,
        )
        host = _http_fetch.host_of(self.token_url)
        secrets = tuple(s for s in (secret, subject_value) if s)
        try:
            document = json.loads(reply.body.decode("utf-8"))
        except (ValueError, UnicodeDecodeError, RecursionError):
            document = None
        if reply.status != 200:
            return self._raise_for_error(reply.status, document, host, secrets)
        if not isinstance(document, dict):
            raise TokenError(f"the OAuth2 token endpoint at {host} answered with non-JSON")
        value = document.get("access_token")
        if not isinstance(value, str):
            raise TokenError(f"the OAuth2 token endpoint at {host} answered without access_token")
        expires_in = document.get("expires_in")
        if isinstance(expires_in, str):
            try:
                expires_in = float(expires_in)
            except ValueError:
                expires_in = None
        if isinstance(expires_in, bool) or not isinstance(expires_in, (int, float)):
            expires_in = None
        return Token.from_value(value, kind=self.kind, expires_in=expires_in)

    def _raise_for_error(
        self, status: int, document: object, host: str, secrets: tuple[str, ...]
    ) -> Token:
        code = ""
        description = ""
        if isinstance(document, dict):
            raw_code = document.get("error")
            code = raw_code if isinstance(raw_code, str) else ""
            raw = document.get("error_description")
            description = redact(raw, *secrets, limit=120) if isinstance(raw, str) else ""
        message = f"the OAuth2 token endpoint at {host} answered {status}"
        if code:
            safe_code = code if code.replace("_", "").isalpha() and len(code) <= 40 else ""
            message += f" {safe_code or redact(code, *secrets, limit=40)}"
        if description:
            message += f" ({description})"
        needs_user = 400 <= status < 500 and status not in _TRANSIENT_STATUSES
        if code in _USER_ERRORS or needs_user:
            fix = (
                "check WORKSPACE_OTEL_OAUTH2_CLIENT_ID and the client secret"
                if code in {"invalid_client", "unauthorized_client", ""}
                else "check the client's grants, scopes, audience and the subject token"
            )
            raise TokenError(f"{message}: {fix}", needs_user=True)
        raise TokenError(message)

    def describe(self) -> str:
        """Return e.g. ``oauth2 client_credentials at idp.example:443 (client_id=x)``."""
        grant = "token-exchange" if self.subject_source else "client_credentials"
        text = f"oauth2 {grant} at {_http_fetch.host_of(self.token_url)}"
        if self.client_id:
            text += f" (client_id={self.client_id})"
        if self.subject_source is not None:
            text += f" subject from {self.subject_source.describe()}"
        return text

    def __repr__(self) -> str:
        return (
            "OAuth2ClientCredentialsSource("
            f"token_url_host={_http_fetch.host_of(self.token_url)!r}, "
            f"client_id={self.client_id!r}, scopes={self.scopes!r}, audience={self.audience!r}, "
            f"subject_source={self.subject_source!r})"
        )
