"""The ``vault`` source: one field of a KV v2 secret in HashiCorp Vault or OpenBao.

The client is hvac (``pip install 'workspace-otel[vault]'``), imported on the
first fetch. Each fetch runs on the cache's background thread and does, in
order:

1. make sure a Vault token is at hand: with a role, log in with the JWT auth
   method (``POST /v1/auth/<mount>/login``) using the workspace identity
   token, renew the Vault token once half its lease has gone, and log in
   again when renewal is refused or the lease cannot grow any more; without
   a role, read ``VAULT_TOKEN`` or ``~/.vault-token`` (at every fetch, so a
   ``vault login`` is picked up);
2. read the secret (``GET /v1/<mount>/data/<path>``) and return the field.

The source tells the cache to call again within ``revalidate_interval``
(default 60 s) and, with a role, before half the Vault token's remaining
lease has gone, so a new secret version is picked up within the interval and
the Vault token never lapses while the process runs. A 401 from the
collector makes the cache fetch at once (its invalidate path).

Errors that need the user (role not found, bound claims not matched,
permission denied on the path, a KV v1 mount, a missing field) are raised as
``TokenError(needs_user=True)`` with the fix, which the cache reports once;
an unreachable, sealed or failing server is retried with backoff.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Hashable, Mapping
from pathlib import Path
from types import ModuleType
from typing import Any

from workspace_otel._guards import redaction, safe_read
from workspace_otel.credentials import _jwt
from workspace_otel.credentials._secret_store_source import (
    SecretStoreSource,
    check_endpoint,
    string_field,
    token_of,
)
from workspace_otel.credentials._secret_store_support import SecretStatus, parse_time
from workspace_otel.credentials._source import TokenSource
from workspace_otel.credentials._token import Token
from workspace_otel.credentials._vault_answers import (
    SECRET_VARIABLE,
    document_of,
    login_error,
    read_error,
)
from workspace_otel.errors import ConfigurationError, TokenError

__all__ = ["VaultSecretSource", "parse_secret_reference"]

DEFAULT_ADDR = "https://127.0.0.1:8200"  # the Vault CLI's own default
DEFAULT_AUTH_MOUNT = "jwt"
TOKEN_FILE_LIMIT = 64 * 1024
# Log in again when a renewal grants no more than this fraction of the
# original lease (renewal itself is due once half the lease has gone).
MIN_USEFUL_RENEWAL = 0.5


def parse_secret_reference(value: str) -> tuple[str, str, str]:
    """Split ``MOUNT/PATH#FIELD`` into its three parts.

    Raises:
        ConfigurationError: a part is missing; the message names
            ``WORKSPACE_OTEL_VAULT_SECRET`` and shows the expected form.
    """
    location, sep, field = value.strip().partition("#")
    mount, slash, path = location.strip("/").partition("/")
    if not (sep and slash and mount and path.strip("/") and field.strip()):
        raise ConfigurationError(
            f"{SECRET_VARIABLE} must be MOUNT/PATH#FIELD of a KV v2 secret, "
            "e.g. secret/otel/lightstep#access_token"
        )
    return mount, path.strip("/"), field.strip()


class VaultSecretSource(SecretStoreSource):
    """Reads one field of a KV v2 secret from Vault / OpenBao (``vault``).

    Args:
        secret: ``MOUNT/PATH#FIELD`` (``WORKSPACE_OTEL_VAULT_SECRET``), e.g.
            ``secret/otel/lightstep#access_token``, read as
            ``GET /v1/secret/data/otel/lightstep``.
        role: the JWT auth role to log in with (``WORKSPACE_OTEL_VAULT_ROLE``);
            without one, Vault's own token (``VAULT_TOKEN``, else
            ``~/.vault-token``) is used.
        auth_mount: where the JWT auth method is mounted
            (``WORKSPACE_OTEL_VAULT_AUTH_MOUNT``, default ``jwt``).
        jwt_source: the source of the identity token sent to the login
            (``WORKSPACE_OTEL_VAULT_JWT_SOURCE``; default: the workspace's OIDC
            identity token). Required with ``role``.
        address: Vault's URL (``VAULT_ADDR``, default ``https://127.0.0.1:8200``);
            ``https``, or plain ``http`` to a loopback address only.
        namespace: Vault Enterprise / OpenBao namespace (``VAULT_NAMESPACE``).
        ca_cert: CA bundle for Vault's TLS certificate (``VAULT_CACERT``).
        revalidate_interval: seconds between reads of the secret (a new
            version is picked up within it); default 60.
        timeout: seconds allowed for each request to Vault; default 10.
        environ: mapping to read ``VAULT_TOKEN`` from at each fetch;
            ``os.environ`` when ``None``.
        token_file: Vault's token helper file (default ``~/.vault-token``).
        monotonic: clock for lease accounting (tests inject one).

    Raises:
        ConfigurationError: a malformed secret reference, a plain-http
            address that is not loopback, or a role without a JWT source.
    """

    kind = "vault"
    client_module = "hvac"
    extra = "vault"

    def __init__(
        self,
        secret: str,
        *,
        role: str | None = None,
        auth_mount: str = DEFAULT_AUTH_MOUNT,
        jwt_source: TokenSource | None = None,
        address: str | None = None,
        namespace: str | None = None,
        ca_cert: str | None = None,
        revalidate_interval: float = 60.0,
        timeout: float = 10.0,
        environ: Mapping[str, str] | None = None,
        token_file: str | os.PathLike[str] | None = None,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self.mount, self.path, self.field = parse_secret_reference(secret)
        self.role = role or None
        self.auth_mount = (auth_mount or DEFAULT_AUTH_MOUNT).strip("/")
        if self.role is not None and jwt_source is None:
            raise ConfigurationError(
                "WORKSPACE_OTEL_VAULT_ROLE needs an identity token to log in with: set "
                "WORKSPACE_OTEL_VAULT_JWT_SOURCE (e.g. gitpod, github-actions, file:PATH)"
            )
        self.jwt_source = jwt_source if self.role is not None else None
        self.address = (address or DEFAULT_ADDR).rstrip("/")
        check_endpoint("VAULT_ADDR", self.address, "a Vault token", checked=self.address + "/")
        self.namespace = namespace or None
        self.ca_cert = ca_cert or None
        super().__init__(
            revalidate_interval=revalidate_interval,
            timeout=timeout,
            environ=environ,
            monotonic=monotonic,
        )
        self._token_file = Path(token_file) if token_file else None
        # A forked child drops the client only: new connections, same Vault token.
        self._vault_token: str | None = None
        self._renewable = False
        self.logins = 0
        self.renewals = 0

    # -- what the cache reads ---------------------------------------------

    @property
    def cache_key(self) -> Hashable:
        """Address, namespace, secret, login: equal configurations share one cache."""
        return (
            "vault",
            self.address,
            self.namespace,
            self.mount,
            self.path,
            self.field,
            self.role,
            self.auth_mount,
            None if self.jwt_source is None else self.jwt_source.cache_key,
            self.ca_cert,
            None if self._environ is None else id(self._environ),
            None if self._token_file is None else str(self._token_file),
        )

    def describe(self) -> str:
        """Return e.g. ``vault secret/otel/lightstep#access_token at https://vault:8200 (...)``."""
        how = f"jwt role {self.role} at auth/{self.auth_mount}" if self.role else "VAULT_TOKEN"
        return (
            f"vault {self.mount}/{self.path}#{self.field} at "
            f"{redaction.display_url(self.address)} ({how})"
        )

    def __repr__(self) -> str:
        return (
            f"VaultSecretSource(address={redaction.display_url(self.address)!r}, "
            f"secret={self.mount + '/' + self.path + '#' + self.field!r}, role={self.role!r}, "
            f"auth_mount={self.auth_mount!r}, namespace={self.namespace!r})"
        )

    # -- fetching -----------------------------------------------------------

    def _fetch_with(self, hvac: ModuleType) -> Token:
        """Log in or renew when due, then read the field of the current secret version."""
        import requests

        try:
            client = self._authenticated_client(hvac)
            try:
                document = self._read(client)
            except (hvac.exceptions.Forbidden, hvac.exceptions.Unauthorized):
                if self.role is None:
                    raise
                # The Vault token may have been revoked: log in once more.
                self._forget_token()
                client = self._authenticated_client(hvac)
                document = self._read(client)
        except hvac.exceptions.VaultError as exc:
            raise read_error(
                hvac, exc, mount=self.mount, path=self.path, role=self.role, client=self._client
            ) from None
        except requests.exceptions.Timeout:
            raise TokenError(
                f"Vault at {redaction.display_url(self.address)} did not answer within "
                f"{self.timeout:g} s"
            ) from None
        except requests.exceptions.RequestException as exc:
            raise TokenError(
                f"cannot reach Vault at {redaction.display_url(self.address)} "
                f"({type(exc).__name__})"
            ) from None
        return self._token_from(document)

    def _unreadable(self, exc: Exception) -> str:
        return (
            f"Vault at {redaction.display_url(self.address)} gave an answer hvac could not "
            f"read ({type(exc).__name__})"
        )

    def _new_client(self, hvac: Any, token: str | None) -> Any:
        import requests

        session = requests.Session()
        # No .netrc, no REQUESTS_CA_BUNDLE (VAULT_CACERT decides). Proxies from
        # the environment only for https: plain http is loopback only and must
        # not go through a proxy, while inside TLS the token may.
        session.trust_env = False
        if self.address.startswith("https:"):
            session.proxies.update(requests.utils.get_environ_proxies(self.address))
        return hvac.Client(
            url=self.address,
            token=token,
            verify=self.ca_cert if self.ca_cert else True,
            timeout=self.timeout,
            allow_redirects=False,
            session=session,
            namespace=self.namespace,
        )

    def _authenticated_client(self, hvac: Any) -> Any:
        if self.role is None:
            token = self._own_token()
            if self._client is None or token != self._vault_token:
                self._client = self._new_client(hvac, token)
                self._vault_token = token
                self._identity = self._lookup_identity(hvac, self._client)
            return self._client
        now = self._monotonic()
        if self._vault_token is None or self._lease.expired(now):
            self._login(hvac)
        elif self._lease.renewal_due(now):
            self._renew_or_login(hvac)
        if self._client is None:  # a forked child keeps the token, not the connections
            self._client = self._new_client(hvac, self._vault_token)
        return self._client

    def _own_token(self) -> str:
        token = self.environ.get("VAULT_TOKEN", "").strip()
        if token:
            redaction.register_secret(token)
            return token
        path = self._token_file or Path.home() / ".vault-token"
        try:
            token = safe_read.read_text(path, limit=TOKEN_FILE_LIMIT).strip()
        except FileNotFoundError:
            token = ""
        except (OSError, safe_read.UnsafeFileError, UnicodeDecodeError) as exc:
            raise TokenError(
                f"cannot read the Vault token file {path} ({type(exc).__name__})",
                needs_user=True,
            ) from None
        if not token:
            raise TokenError(
                "no Vault token: set WORKSPACE_OTEL_VAULT_ROLE to log in with the workspace "
                "identity, or VAULT_TOKEN (or run `vault login`, which writes ~/.vault-token)",
                needs_user=True,
            )
        redaction.register_secret(token)
        return token

    def _lookup_identity(self, hvac: Any, client: Any) -> str:
        try:
            data = document_of(client.auth.token.lookup_self(), "lookup-self").get("data") or {}
        except (hvac.exceptions.VaultError, OSError, ValueError, TokenError):
            return "a Vault token (lookup-self not allowed)"
        if not isinstance(data, Mapping):
            return "a Vault token"
        name = data.get("display_name") or "token"
        return f"{name} (Vault token, policies {','.join(data.get('policies') or [])})"

    def _login(self, hvac: Any) -> None:
        assert self.jwt_source is not None
        jwt = self.jwt_source.fetch().value
        redaction.register_secret(jwt)
        client = self._new_client(hvac, None)
        try:
            answer = client.auth.jwt.jwt_login(role=self.role, jwt=jwt, path=self.auth_mount)
        except hvac.exceptions.VaultError as exc:
            raise login_error(hvac, exc, self.role, self.auth_mount) from None
        auth = document_of(answer, f"auth/{self.auth_mount}/login").get("auth") or {}
        if not isinstance(auth, Mapping):
            auth = {}
        token = auth.get("client_token")
        if not isinstance(token, str) or not token:
            raise TokenError(f"Vault's login at auth/{self.auth_mount} returned no client token")
        redaction.register_secret(token)
        self._client = client
        self._vault_token = token
        client.token = token
        self._renewable = bool(auth.get("renewable"))
        # No positive lease_duration: a token without expiry (root, periodic-less).
        self._lease.start(auth.get("lease_duration"), self._monotonic())
        self.logins += 1
        claims = _jwt.decode_claims(jwt) or {}
        subject = _jwt.string_claim(claims, "sub") or "?"
        issuer = _jwt.string_claim(claims, "iss") or "?"
        self._identity = f"sub={subject} iss={issuer} (entity {auth.get('entity_id') or '?'})"

    def _renew_or_login(self, hvac: Any) -> None:
        original = self._lease.ttl
        if self._renewable:
            try:
                answer = self._client.auth.token.renew_self()
            except hvac.exceptions.VaultError:
                answer = None
            auth = answer.get("auth") if isinstance(answer, Mapping) else None
            auth = auth if isinstance(auth, Mapping) else {}
            granted = auth.get("lease_duration")
            if (
                isinstance(granted, (int, float))
                and original is not None
                and granted > original * MIN_USEFUL_RENEWAL
            ):
                self._renewable = bool(auth.get("renewable"))
                self._lease.start(granted, self._monotonic())
                self._lease.ttl = original  # renewal is timed against the original lease
                self.renewals += 1
                return
        # Not renewable, refused, or near its max TTL: a fresh login.
        self._login(hvac)

    def _forget_token(self) -> None:
        self._vault_token = None
        self._lease.clear()

    def _read(self, client: Any) -> Mapping[str, Any]:
        answer = client.secrets.kv.v2.read_secret_version(
            path=self.path, mount_point=self.mount, raise_on_deleted_version=True
        )
        data = document_of(answer, f"{self.mount}/data/{self.path}").get("data")
        if not isinstance(data, Mapping):
            raise TokenError(f"Vault answered {self.mount}/data/{self.path} without data")
        return data

    def _token_from(self, document: Mapping[str, Any]) -> Token:
        fields = document.get("data")
        where = f"{self.mount}/{self.path}"
        if not isinstance(fields, Mapping):
            raise TokenError(f"the Vault secret {where} has no data", needs_user=True)
        value = string_field(
            fields,
            self.field,
            f"the Vault secret {where}",
            f"fix the #FIELD part of {SECRET_VARIABLE}",
        )
        metadata = document.get("metadata") or {}
        token = token_of(value, self.kind, f"the Vault field {where}#{self.field}")
        raw_created = metadata.get("created_time") if isinstance(metadata, Mapping) else None
        created = parse_time(raw_created) if isinstance(raw_created, str) else None
        self.status = SecretStatus(
            store=self.kind,
            identity=self._identity,
            login=(
                f"jwt role {self.role} at auth/{self.auth_mount}"
                if self.role
                else "VAULT_TOKEN / ~/.vault-token"
            ),
            location=f"{where}#{self.field} at {redaction.display_url(self.address)}",
            version=str(metadata.get("version", "?")) if isinstance(metadata, Mapping) else "?",
            created=created,
        )
        return token
