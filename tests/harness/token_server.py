"""A real OAuth2 / OIDC token server on loopback, built on Authlib.

:class:`TokenServer` runs Authlib's RFC 6749 ``AuthorizationServer`` with two
token grants registered on it:

* ``client_credentials`` (Authlib's ``ClientCredentialsGrant``), and
* ``urn:ietf:params:oauth:grant-type:token-exchange`` (RFC 8693,
  :class:`TokenExchangeGrant` here; Authlib has no stock one).

Clients authenticate with ``client_secret_basic`` or ``client_secret_post``.
A failed client authentication answers ``invalid_client`` with **401** (plus
``WWW-Authenticate``) when the client used the ``Authorization`` header and
**400** otherwise, as RFC 6749 section 5.2 says.

Access tokens are RS256 JWTs signed with a real 2048-bit RSA key (``kid`` in
the header) carrying ``iss``/``sub``/``aud``/``exp``/``iat``/``nbf``/``jti``;
the server publishes ``/.well-known/openid-configuration`` (and the same
document at ``/.well-known/oauth-authorization-server``) and its JWKS at
``/keys``. ``iss`` is the server's base URL, ``http://127.0.0.1:<port>`` (or
``https://`` with ``tls=``).

Time: ``iat = nbf = floor(now)``; ``exp = ceil(now + lifetime)`` for whole-second
lifetimes and ``now + lifetime`` rounded to milliseconds otherwise, so a token
is never shorter-lived than ``lifetime``; ``expires_in`` is ``lifetime`` (an
int when whole). A negative lifetime mints already-expired tokens.

Token exchange: ``subject_token`` must be a JWT from a trusted issuer (this
server, or one added with :meth:`TokenServer.trust_issuer`), unexpired
(zero leeway) and correctly signed, with ``subject_token_type`` one of the
``jwt``/``id_token``/``access_token`` URNs; otherwise ``invalid_grant`` /
``invalid_request``. The issued token has ``sub`` = the subject token's
``sub``, ``act = {"sub": <client_id>}``, ``client_id``, ``aud`` = the
``audience`` parameter(s) or the server's default audience, and the response
adds ``issued_token_type = urn:ietf:params:oauth:token-type:access_token``.
Both grants accept the optional ``audience`` and ``scope`` parameters.

Faults (``fail_mode``, applied to ``POST /token`` only; ``fail_count`` limits
how many requests fail before the mode resets to ``None``):

``"500"``           500 with a plain-text body
``"invalid_client"``  400 ``{"error": "invalid_client"}``
``"stall"``         hold the request ``stall_seconds`` (default 10 s, ended at
                    once by :meth:`stop`), then answer normally
``"garbage"``       200 ``text/html`` that is not JSON
``"no_token"``      200 JSON without ``access_token``
``"huge"``          200 JSON body of :data:`HUGE_BODY_BYTES` (5 MiB)

Outages: :meth:`TokenServer.suspend` / :meth:`TokenServer.resume` close and
reopen the port on the same number (connection refused in between).

Test-only ``GET /mint?aud=A[&aud=B]&sub=S&lifetime=L&profile=P&iss=I`` returns a
fresh raw JWT as ``text/plain`` (used by the fake CLIs); ``profile`` adds the
claims of ``gitpod-classic`` or ``ona`` tokens (platforms.md 2.6, 3.2).

Recording: :attr:`TokenServer.requests` lists one :class:`TokenRequest` per
``POST /token`` (grant type, client id, auth method, audience, scope, subject
token issuer/subject/type, status; never secrets or tokens);
:attr:`TokenServer.token_requests` counts them; ``mint_requests`` and
``jwks_requests`` count the other endpoints.

The ``authlib`` logger is set to WARNING because Authlib logs issued tokens at
DEBUG, which would show up in tests' captured logs.
"""

from __future__ import annotations

import base64
import json
import logging
import math
import threading
import time
import uuid
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

from authlib.oauth2.rfc6749 import (
    AuthorizationServer,
    ClientMixin,
    InvalidClientError,
    InvalidGrantError,
    InvalidRequestError,
    OAuth2Payload,
    OAuth2Request,
    UnauthorizedClientError,
)
from authlib.oauth2.rfc6749.grants import (
    BaseGrant,
    ClientCredentialsGrant,
    TokenEndpointMixin,
)
from cryptography.hazmat.primitives.asymmetric import rsa
from joserfc import jwt
from joserfc.jwk import RSAKey
from werkzeug.datastructures import MultiDict
from werkzeug.wrappers import Request, Response

from ._serving import LoopbackServer
from .jwt_validation import (
    JwtValidator,
    TokenRejected,
    check_claims,
    decode_unverified,
    verify_signature,
)

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIEnvironment

    from .tls import TlsMaterial

__all__ = [
    "ACCESS_TOKEN_TYPE",
    "CLIENT_CREDENTIALS",
    "FAIL_MODES",
    "HUGE_BODY_BYTES",
    "ID_TOKEN_TYPE",
    "JWT_TOKEN_TYPE",
    "TOKEN_EXCHANGE",
    "FailMode",
    "TokenExchangeGrant",
    "TokenRequest",
    "TokenServer",
]

CLIENT_CREDENTIALS = "client_credentials"
TOKEN_EXCHANGE = "urn:ietf:params:oauth:grant-type:token-exchange"
ACCESS_TOKEN_TYPE = "urn:ietf:params:oauth:token-type:access_token"
ID_TOKEN_TYPE = "urn:ietf:params:oauth:token-type:id_token"
JWT_TOKEN_TYPE = "urn:ietf:params:oauth:token-type:jwt"
SUBJECT_TOKEN_TYPES = frozenset({ACCESS_TOKEN_TYPE, ID_TOKEN_TYPE, JWT_TOKEN_TYPE})

FailMode = Literal["500", "invalid_client", "stall", "garbage", "no_token", "huge"]
FAIL_MODES: tuple[FailMode, ...] = ("500", "invalid_client", "stall", "garbage", "no_token", "huge")
#: Size of the ``"huge"`` fault's body.
HUGE_BODY_BYTES = 5 * 1024 * 1024

# Authlib logs issued token dicts at DEBUG; keep them out of captured logs.
logging.getLogger("authlib").setLevel(logging.WARNING)

_TOKEN_AUTH_METHODS = ["client_secret_basic", "client_secret_post"]


@dataclass(frozen=True)
class TokenRequest:
    """What one ``POST /token`` asked for (no secrets, no tokens).

    Attributes:
        grant_type: The ``grant_type`` parameter.
        client_id: From the Basic header or the form.
        auth_method: ``client_secret_basic``, ``client_secret_post`` or ``None``.
        audience: ``audience`` parameter values.
        scope: ``scope`` parameter.
        subject_token_type: ``subject_token_type`` (token exchange).
        subject_issuer: Unverified ``iss`` of the subject token.
        subject_sub: Unverified ``sub`` of the subject token.
        requested_token_type: ``requested_token_type`` (token exchange).
        fail_mode: Fault applied to this request, if any.
        status: HTTP status answered.
        at: Wall-clock time the request arrived.
    """

    grant_type: str | None
    client_id: str | None
    auth_method: str | None
    audience: tuple[str, ...]
    scope: str | None
    subject_token_type: str | None
    subject_issuer: str | None
    subject_sub: str | None
    requested_token_type: str | None
    fail_mode: str | None
    status: int
    at: float


@dataclass(frozen=True)
class _Client(ClientMixin):  # type: ignore[misc]
    client_id: str
    secret: str = field(repr=False)

    def get_client_id(self) -> str:
        return self.client_id

    def get_default_redirect_uri(self) -> None:
        return None

    def get_allowed_scope(self, scope: str | None) -> str | None:
        return scope

    def check_redirect_uri(self, redirect_uri: str) -> bool:
        return False

    def check_client_secret(self, client_secret: str) -> bool:
        import hmac

        return hmac.compare_digest(self.secret.encode(), client_secret.encode())

    def check_endpoint_auth_method(self, method: str, endpoint: str) -> bool:
        return endpoint == "token" and method in _TOKEN_AUTH_METHODS

    def check_response_type(self, response_type: str) -> bool:
        return False

    def check_grant_type(self, grant_type: str) -> bool:
        return grant_type in (CLIENT_CREDENTIALS, TOKEN_EXCHANGE)


@dataclass(frozen=True)
class _Principal:
    """Who a token is for; passed to the token generator as Authlib's ``user``."""

    sub: str
    audience: tuple[str, ...]
    claims: Mapping[str, Any]


class _Payload(OAuth2Payload):  # type: ignore[misc]
    def __init__(self, values: MultiDict[str, str]) -> None:
        self._values = values

    @property
    def data(self) -> MultiDict[str, str]:
        return self._values

    @property
    def datalist(self) -> dict[str, list[str]]:
        return {key: self._values.getlist(key) for key in self._values}


class _WerkzeugOAuth2Request(OAuth2Request):  # type: ignore[misc]
    """Authlib request adapter over a werkzeug request (like Authlib's Flask one)."""

    def __init__(self, request: Request) -> None:
        super().__init__(method=request.method, uri=request.url, headers=request.headers)
        self._request = request
        self.payload = _Payload(request.values)

    @property
    def args(self) -> MultiDict[str, str]:
        return self._request.args

    @property
    def form(self) -> MultiDict[str, str]:
        return self._request.form


def _audiences(request: Any, default: str) -> tuple[str, ...]:
    values = [a for a in request.payload.data.getlist("audience") if a]
    return tuple(values) if values else (default,)


def _authenticate(grant: Any) -> Any:
    """Authenticate the client; 400 (not 401) when no Authorization header was used."""
    try:
        return grant.server.authenticate_client(grant.request, grant.TOKEN_ENDPOINT_AUTH_METHODS)
    except InvalidClientError as error:
        if "Authorization" not in grant.request.headers:
            error.status_code = 400
        raise


class _ClientCredentialsGrant(ClientCredentialsGrant):  # type: ignore[misc]
    TOKEN_ENDPOINT_AUTH_METHODS = _TOKEN_AUTH_METHODS

    def authenticate_token_endpoint_client(self) -> Any:
        return _authenticate(self)

    def create_token_response(self) -> tuple[int, dict[str, Any], list[tuple[str, str]]]:
        client_id = self.request.client.get_client_id()
        principal = _Principal(
            sub=client_id,
            audience=_audiences(self.request, self.server.token_server.audience),
            claims={"client_id": client_id},
        )
        token = self.generate_token(
            user=principal, scope=self.request.payload.scope, include_refresh_token=False
        )
        self.save_token(token)
        return 200, token, self.TOKEN_RESPONSE_HEADER


class TokenExchangeGrant(BaseGrant, TokenEndpointMixin):  # type: ignore[misc]
    """RFC 8693 token exchange for Authlib's ``AuthorizationServer``.

    Validates ``subject_token`` with the server's ``verify_subject_token`` and
    issues an access token for the subject, acted on by the client.
    """

    GRANT_TYPE = TOKEN_EXCHANGE
    TOKEN_ENDPOINT_AUTH_METHODS = _TOKEN_AUTH_METHODS

    def authenticate_token_endpoint_client(self) -> Any:
        return _authenticate(self)

    def validate_token_request(self) -> None:
        """Authenticate the client and validate the subject token."""
        client = self.authenticate_token_endpoint_client()
        if not client.check_grant_type(self.GRANT_TYPE):
            raise UnauthorizedClientError("The client may not use token exchange")
        data = self.request.payload.data
        subject_token = data.get("subject_token")
        subject_token_type = data.get("subject_token_type")
        if not subject_token:
            raise InvalidRequestError("Missing 'subject_token'")
        if subject_token_type not in SUBJECT_TOKEN_TYPES:
            raise InvalidRequestError("Missing or unsupported 'subject_token_type'")
        requested = data.get("requested_token_type")
        if requested is not None and requested not in (ACCESS_TOKEN_TYPE, JWT_TOKEN_TYPE):
            raise InvalidRequestError("Unsupported 'requested_token_type'")
        try:
            subject = self.server.token_server.verify_subject_token(subject_token)
        except TokenRejected as exc:
            raise InvalidGrantError(f"subject_token rejected: {exc.reason}") from None
        sub = subject.get("sub")
        if not isinstance(sub, str) or not sub:
            raise InvalidGrantError("subject_token has no 'sub'")
        client_id = client.get_client_id()
        self.request.client = client
        self.request.user = _Principal(
            sub=sub,
            audience=_audiences(self.request, self.server.token_server.audience),
            claims={"client_id": client_id, "act": {"sub": client_id}},
        )
        self.server.validate_requested_scope(self.request.payload.scope)

    def create_token_response(self) -> tuple[int, dict[str, Any], list[tuple[str, str]]]:
        """Issue the exchanged access token."""
        token = self.generate_token(
            user=self.request.user,
            scope=self.request.payload.scope,
            include_refresh_token=False,
        )
        token["issued_token_type"] = ACCESS_TOKEN_TYPE
        self.save_token(token)
        return 200, token, self.TOKEN_RESPONSE_HEADER


class _AuthorizationServer(AuthorizationServer):  # type: ignore[misc]
    """Authlib's generic server wired to werkzeug requests/responses."""

    def __init__(self, token_server: TokenServer) -> None:
        super().__init__()
        self.token_server = token_server

    def query_client(self, client_id: str) -> _Client | None:
        secret = self.token_server.clients.get(client_id)
        return None if secret is None else _Client(client_id, secret)

    def save_token(self, token: dict[str, Any], request: Any) -> None:
        """Tokens are self-contained JWTs; nothing to store."""

    def create_oauth2_request(self, request: Request) -> _WerkzeugOAuth2Request:
        return _WerkzeugOAuth2Request(request)

    def handle_response(
        self, status: int, body: Any, headers: Iterable[tuple[str, str]]
    ) -> Response:
        payload = json.dumps(body) if isinstance(body, dict) else body
        return Response(payload, status=status, headers=list(headers))

    def send_signal(self, name: str, *args: Any, **kwargs: Any) -> None:
        """No signal system."""


def _expiry(now: float, lifetime: float) -> int | float:
    end = now + lifetime
    if float(lifetime).is_integer():
        return math.ceil(end)
    return round(end, 3)


def _expires_in(lifetime: float) -> int | float:
    return int(lifetime) if float(lifetime).is_integer() else lifetime


# Initial signing keys come round-robin from a small per-process pool of RSA
# keys (2048-bit generation costs ~50 ms, paid once per pool slot); every use
# gets a fresh random ``kid``. Two servers alive at once get different key
# material unless _POOL_SIZE servers were created in between. rotate_key()
# always generates a brand-new key.
_POOL_SIZE = 8
_pool: list[rsa.RSAPrivateKey] = []
_pool_next = 0
_pool_lock = threading.Lock()


def _rsa_key(fresh: bool) -> rsa.RSAPrivateKey:
    global _pool_next
    if fresh:
        return rsa.generate_private_key(public_exponent=65537, key_size=2048)
    with _pool_lock:
        slot = _pool_next % _POOL_SIZE
        _pool_next += 1
        if slot == len(_pool):
            _pool.append(rsa.generate_private_key(public_exponent=65537, key_size=2048))
        return _pool[slot]


def _new_key(*, fresh: bool = False) -> RSAKey:
    key: RSAKey = RSAKey.import_key(
        _rsa_key(fresh), parameters={"kid": uuid.uuid4().hex[:16], "use": "sig"}
    )
    return key


def _profile_claims(profile: str, aud: Sequence[str]) -> tuple[str, dict[str, Any]]:
    """Return ``(default sub, extra claims)`` that look like a platform's tokens."""
    if profile == "gitpod-classic":
        context = "https://github.com/example-org/example-repo"
        return context, {
            "azp": aud[0] if aud else "",
            "name": "Example Developer",
            "user_id": "6a3c4d2e-1b0f-4e8a-9c7d-5f1e2a3b4c5d",
            "org_id": "0f1e2d3c-4b5a-4968-8776-5a4b3c2d1e0f",
            "context": context,
            "workspace_id": "exampleorg-examplerep-a1b2c3d4e5f",
            "repository": "https://github.com/example-org/example-repo.git",
            "email": "developer@example.com",
            "email_verified": False,
            "c_hash": base64.urlsafe_b64encode(uuid.uuid4().bytes).decode().rstrip("="),
        }
    if profile == "ona":
        org, env = "0198a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b", "0199b2c3-d4e5-7f6a-9b0c-1d2e3f4a5b6c"
        return f"org:{org}/env:{env}", {
            "environment_id": env,
            "organization_id": org,
            "project_id": "0197c3d4-e5f6-7a8b-0c1d-2e3f4a5b6c7d",
            "runner_id": "0196d4e5-f6a7-7b8c-1d2e-3f4a5b6c7d8e",
            "creator_principal": "user",
            "creator_id": "0195e5f6-a7b8-7c9d-2e3f-4a5b6c7d8e9f",
            "creator_email": "developer@example.com",
            "creator_name": "Example Developer",
        }
    return "test-subject", {}


class TokenServer:
    """OAuth2 / OIDC token server on ``127.0.0.1:<free port>`` (starts at construction).

    Args:
        lifetime: Access-token lifetime in seconds (settable later via
            :attr:`lifetime`).
        audience: Default ``aud`` of issued tokens.
        clients: ``client_id -> client_secret`` of registered clients.
        tls: Serve HTTPS with this material (issuer becomes ``https://...``).
        stall_seconds: How long the ``"stall"`` fault holds a request.

    Attributes:
        issuer: ``iss`` of issued tokens (the base URL).
        token_url: ``POST`` endpoint for both grants.
        jwks_url: JWKS endpoint.
        discovery_url: OIDC discovery document.
        mint_url: Test-only ``GET /mint`` endpoint.
        lifetime: Current token lifetime (seconds).
        fail_mode: Current fault for ``POST /token`` (see module docs) or ``None``.
        fail_count: Remaining faulty requests before ``fail_mode`` resets
            (``None``: until changed).
        stall_seconds: Hold time of the ``"stall"`` fault.
        requests: One :class:`TokenRequest` per ``POST /token``.
        mint_requests: Number of ``GET /mint`` calls.
        jwks_requests: Number of JWKS fetches.
    """

    def __init__(
        self,
        lifetime: float = 60.0,
        audience: str = "workspace-otel-test",
        clients: Mapping[str, str] | None = None,
        *,
        tls: TlsMaterial | None = None,
        stall_seconds: float = 10.0,
    ) -> None:
        self.lifetime = lifetime
        self.audience = audience
        self.clients: dict[str, str] = dict(
            {"test-client": "test-secret"} if clients is None else clients
        )
        self.tls = tls
        self.stall_seconds = stall_seconds
        self.fail_mode: FailMode | None = None
        self.fail_count: int | None = None
        self.requests: list[TokenRequest] = []
        self.mint_requests = 0
        self.jwks_requests = 0
        self._lock = threading.Lock()
        self._keys: list[RSAKey] = [_new_key()]
        self._listeners: list[Callable[[], None]] = []
        self._foreign: dict[str, JwtValidator] = {}
        self._authz = _AuthorizationServer(self)
        self._authz.register_token_generator("default", self._generate_token)
        self._authz.register_grant(_ClientCredentialsGrant)
        self._authz.register_grant(TokenExchangeGrant)
        self._server = LoopbackServer(
            self._wsgi,
            ssl_context=None if tls is None else tls.server_context(),
            name="token-server",
        )
        self.issuer = self._server.base_url
        self.token_url = f"{self.issuer}/token"
        self.jwks_url = f"{self.issuer}/keys"
        self.discovery_url = f"{self.issuer}/.well-known/openid-configuration"
        self.mint_url = f"{self.issuer}/mint"
        self._trusted: dict[str, str | None] = {self.issuer: None}

    # -- lifecycle ---------------------------------------------------------

    def __enter__(self) -> TokenServer:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    def __repr__(self) -> str:
        return f"TokenServer(issuer={self.issuer!r}, lifetime={self.lifetime!r})"

    def stop(self) -> None:
        """Stop serving and release the port (idempotent)."""
        self._server.stop()

    def suspend(self) -> None:
        """Take the port down (connections refused) until :meth:`resume`."""
        self._server.suspend()

    def resume(self) -> None:
        """Serve again on the same port."""
        self._server.resume()

    @property
    def port(self) -> int:
        """The listening port."""
        return self._server.port

    # -- keys and tokens ---------------------------------------------------

    @property
    def kid(self) -> str:
        """``kid`` of the current signing key."""
        with self._lock:
            return str(self._keys[0].kid)

    def jwks(self) -> dict[str, Any]:
        """Return the public JWKS document served at :attr:`jwks_url`."""
        with self._lock:
            keys = list(self._keys)
        return {"keys": [{**key.as_dict(private=False), "alg": "RS256"} for key in keys]}

    def rotate_key(self, *, keep_old: bool = False) -> str:
        """Sign with a new key from now on.

        Args:
            keep_old: Keep publishing (and trusting) the previous key(s), as
                in a rolling rotation. By default old keys are dropped, so
                tokens they signed fail validation.

        Returns:
            The new ``kid``.

        Validators built from this server (``JwtValidator(server)``) forget
        their cached keys.
        """
        key = _new_key(fresh=True)
        with self._lock:
            self._keys = [key, *self._keys] if keep_old else [key]
            listeners = list(self._listeners)
        for listener in listeners:
            listener()
        return str(key.kid)

    def add_rotation_listener(self, listener: Callable[[], None]) -> None:
        """Call ``listener()`` after every :meth:`rotate_key`."""
        with self._lock:
            self._listeners.append(listener)

    def trust_issuer(
        self, issuer: str, jwks_url: str | None = None, *, ca_file: str | None = None
    ) -> None:
        """Accept subject tokens from ``issuer`` in token exchange.

        Args:
            issuer: Exact ``iss`` value.
            jwks_url: Where that issuer's keys are; ``None`` means the tokens
                are signed with this server's keys (as the Actions and
                metadata stand-ins do).
            ca_file: CA bundle for an ``https`` ``jwks_url``.
        """
        with self._lock:
            self._trusted[issuer] = jwks_url
            if jwks_url is not None:
                self._foreign[issuer] = JwtValidator(jwks_url, issuer, None, ca_file=ca_file)

    def mint(
        self,
        sub: str = "test-subject",
        aud: str | Sequence[str] | None = None,
        lifetime: float | None = None,
        extra_claims: Mapping[str, Any] | None = None,
        *,
        issuer: str | None = None,
        now: float | None = None,
    ) -> str:
        """Sign a JWT with the current key.

        Args:
            sub: ``sub`` claim.
            aud: ``aud`` claim (a string stays a string, a sequence becomes a
                list); default: the server's audience.
            lifetime: Seconds until ``exp`` (negative: already expired);
                default :attr:`lifetime`.
            extra_claims: Added last (may override the standard ones).
            issuer: ``iss`` claim; default :attr:`issuer`.
            now: Issue time; default the current time.

        Returns:
            The compact JWT.
        """
        issued = time.time() if now is None else now
        life = self.lifetime if lifetime is None else lifetime
        audience: str | list[str] = (
            self.audience if aud is None else aud if isinstance(aud, str) else list(aud)
        )
        claims: dict[str, Any] = {
            "iss": self.issuer if issuer is None else issuer,
            "sub": sub,
            "aud": audience,
            "iat": math.floor(issued),
            "nbf": math.floor(issued),
            "exp": _expiry(issued, life),
            "jti": uuid.uuid4().hex,
        }
        if extra_claims:
            claims.update(extra_claims)
        with self._lock:
            key = self._keys[0]
        return jwt.encode({"alg": "RS256", "kid": key.kid}, claims, key)

    def verify_subject_token(self, token: str) -> dict[str, Any]:
        """Validate a token-exchange subject token; return its claims.

        Raises:
            TokenRejected: Untrusted issuer, expired, or bad signature.
        """
        header, claims = decode_unverified(token)
        issuer = claims.get("iss")
        with self._lock:
            trusted = issuer in self._trusted
            foreign = self._foreign.get(issuer) if isinstance(issuer, str) else None
            keys = list(self._keys)
        if not trusted or not isinstance(issuer, str):
            raise TokenRejected("untrusted issuer")
        if foreign is not None:
            return foreign.validate(token)
        check_claims(claims, issuer=issuer, audience=None, now=time.time())
        if header.get("alg") != "RS256" or not verify_signature(token, header, keys):
            raise TokenRejected("signature not verified")
        return claims

    def _generate_token(
        self,
        grant_type: str,
        client: _Client,
        user: _Principal | None = None,
        scope: str | None = None,
        expires_in: int | None = None,
        include_refresh_token: bool = False,
    ) -> dict[str, Any]:
        """Authlib token generator: a signed JWT access token."""
        principal = user or _Principal(client.client_id, (self.audience,), {})
        lifetime = self.lifetime
        extra = dict(principal.claims)
        if scope:
            extra["scope"] = scope
        aud: str | list[str] = (
            principal.audience[0] if len(principal.audience) == 1 else list(principal.audience)
        )
        token: dict[str, Any] = {
            "access_token": self.mint(principal.sub, aud, lifetime, extra),
            "token_type": "Bearer",
            "expires_in": _expires_in(lifetime),
        }
        if scope:
            token["scope"] = scope
        return token

    # -- HTTP --------------------------------------------------------------

    @property
    def token_requests(self) -> int:
        """Number of ``POST /token`` requests so far (any outcome)."""
        with self._lock:
            return len(self.requests)

    def discovery(self) -> dict[str, Any]:
        """Return the discovery document."""
        return {
            "issuer": self.issuer,
            "token_endpoint": self.token_url,
            "jwks_uri": self.jwks_url,
            "grant_types_supported": [CLIENT_CREDENTIALS, TOKEN_EXCHANGE],
            "token_endpoint_auth_methods_supported": list(_TOKEN_AUTH_METHODS),
            "id_token_signing_alg_values_supported": ["RS256"],
            "response_types_supported": ["token"],
            "subject_types_supported": ["public"],
            "claims_supported": ["iss", "sub", "aud", "exp", "iat", "nbf", "jti", "act"],
        }

    def _wsgi(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        request = Request(environ)
        response = self._dispatch(request)
        return response(environ, start_response)

    def _dispatch(self, request: Request) -> Response:
        path, method = request.path, request.method
        if path in ("/.well-known/openid-configuration", "/.well-known/oauth-authorization-server"):
            return _json_response(self.discovery())
        if path == "/keys" and method == "GET":
            with self._lock:
                self.jwks_requests += 1
            return _json_response(self.jwks())
        if path == "/token":
            if method != "POST":
                return Response("method not allowed", status=405, headers={"Allow": "POST"})
            return self._token_endpoint(request)
        if path == "/mint" and method == "GET":
            return self._mint_endpoint(request)
        return Response("not found", status=404, mimetype="text/plain")

    def _take_fail_mode(self) -> FailMode | None:
        with self._lock:
            mode = self.fail_mode
            if mode is None:
                return None
            if self.fail_count is not None:
                self.fail_count -= 1
                if self.fail_count <= 0:
                    self.fail_mode, self.fail_count = None, None
            return mode

    def _token_endpoint(self, request: Request) -> Response:
        arrived = time.time()
        mode = self._take_fail_mode()
        response: Response | None = None
        if mode == "stall":
            if self._server.stopping.wait(self.stall_seconds):
                response = Response("shutting down", status=503, mimetype="text/plain")
        elif mode == "500":
            response = Response("internal server error", status=500, mimetype="text/plain")
        elif mode == "invalid_client":
            response = _json_response(
                {"error": "invalid_client", "error_description": "Client authentication failed."},
                status=400,
            )
        elif mode == "garbage":
            response = Response(
                "<html><body>502 Bad Gateway</body></html>", status=200, mimetype="text/html"
            )
        elif mode == "no_token":
            response = _json_response(
                {"token_type": "Bearer", "expires_in": _expires_in(self.lifetime)}
            )
        elif mode == "huge":
            filler = "A" * HUGE_BODY_BYTES
            response = Response(
                f'{{"padding": "{filler}", "access_token": "x", "token_type": "Bearer"}}',
                status=200,
                mimetype="application/json",
            )
        if response is None:
            response = self._authz.create_token_response(request)
        self._record(request, mode, response.status_code, arrived)
        return response

    def _record(self, request: Request, mode: str | None, status: int, arrived: float) -> None:
        form = request.form
        client_id = form.get("client_id")
        auth_method: str | None = "client_secret_post" if form.get("client_secret") else None
        authorization = request.headers.get("Authorization", "")
        if authorization[:6].lower() == "basic ":
            auth_method = "client_secret_basic"
            try:
                decoded = base64.b64decode(authorization[6:].strip()).decode()
                client_id = decoded.split(":", 1)[0]
            except ValueError:
                client_id = None
        subject_issuer = subject_sub = None
        subject_token = form.get("subject_token")
        if subject_token:
            try:
                _, claims = decode_unverified(subject_token)
            except TokenRejected:
                pass
            else:
                subject_issuer = _str_or_none(claims.get("iss"))
                subject_sub = _str_or_none(claims.get("sub"))
        record = TokenRequest(
            grant_type=form.get("grant_type"),
            client_id=client_id,
            auth_method=auth_method,
            audience=tuple(form.getlist("audience")),
            scope=form.get("scope"),
            subject_token_type=form.get("subject_token_type"),
            subject_issuer=subject_issuer,
            subject_sub=subject_sub,
            requested_token_type=form.get("requested_token_type"),
            fail_mode=mode,
            status=status,
            at=arrived,
        )
        with self._lock:
            self.requests.append(record)

    def _mint_endpoint(self, request: Request) -> Response:
        args = request.args
        auds = [a for a in args.getlist("aud") if a]
        profile = args.get("profile", "")
        default_sub, extra = _profile_claims(profile, auds)
        lifetime_arg = args.get("lifetime")
        try:
            lifetime = None if lifetime_arg is None else float(lifetime_arg)
        except ValueError:
            return Response("bad lifetime", status=400, mimetype="text/plain")
        aud: str | list[str] | None
        if profile in ("gitpod-classic", "ona"):
            aud = auds or [self.audience]
        else:
            aud = auds[0] if len(auds) == 1 else auds or None
        token = self.mint(
            args.get("sub") or default_sub,
            aud,
            lifetime,
            extra,
            issuer=args.get("iss") or None,
        )
        with self._lock:
            self.mint_requests += 1
        return Response(token, status=200, mimetype="text/plain")


def _str_or_none(value: object) -> str | None:
    return value if isinstance(value, str) else None


def _json_response(body: Mapping[str, Any], status: int = 200) -> Response:
    return Response(
        json.dumps(body),
        status=status,
        headers=[("Cache-Control", "no-store"), ("Pragma", "no-cache")],
        mimetype="application/json",
    )
