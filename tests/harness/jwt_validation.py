"""Bearer-token validation the way the Collector's ``oidc`` authenticator does it.

:class:`JwtValidator` follows credentials.md section 5 (contrib
``extension/oidcauthextension`` + go-oidc v3 ``IDTokenVerifier.Verify``):

1. the first value of the configured header must split on a single space into
   exactly two parts (the scheme word is not checked);
2. with several accepted issuers, an unverified ``iss`` that is none of them
   is refused first (the Collector picks its provider by that ``iss``);
3. the RS256 signature is checked with keys from the JWKS URL **before any
   claim** (go-oidc's order). Keys are cached; when no cached key with the
   token's ``kid`` verifies, the JWKS is fetched again once (single flight) and
   the check repeated, like go-oidc's ``RemoteKeySet``;
4. then ``iss`` must equal the configured issuer exactly; ``aud`` (string or
   list) must contain the audience; ``exp`` is checked with **zero** leeway
   (missing ``exp`` counts as expired); ``nbf`` with a 5-minute leeway.

``tests/gateway/test_validator_parity.py`` holds these rules against the real
Collector (``nox -s gateway``). Where the real one behaves differently:

* it fetches every provider's discovery document at start and exits if one
  fails, and requires the document's ``issuer`` to equal ``issuer_url``
  exactly; this validator reads the JWKS URL lazily and has no discovery;
* with **one** provider it sends every token to that provider whatever its
  ``iss`` (the refusal then names the signature or the issuer); with several
  it refuses an unknown ``iss`` before anything else;
* its JWKS cache keeps a key the issuer has dropped until a token with an
  unknown ``kid`` forces a refetch; this validator forgets its keys at once on
  :meth:`TokenServer.rotate_key` (harness-specific, below);
* it accepts every algorithm the discovery document lists (RS256 if none),
  and public_keys_file providers; this validator only RS256 from a JWKS URL;
* a claim of the wrong JSON type (``exp: null``) fails its claim parsing
  ("failed to unmarshal claims"); this validator calls a missing or null
  ``exp`` expired.

Any failure raises :class:`TokenRejected` with a short, non-secret reason.

:class:`StaticTokenValidator` accepts one fixed token (for
``lightstep-access-token``-style headers or ``bearertokenauth``-style servers).

Both implement the :class:`HeaderValidator` protocol that the receivers use.

Harness-specific: a validator built from a ``TokenServer`` (instead of a JWKS
URL) registers with it, and :meth:`TokenServer.rotate_key` then drops the
validator's cached keys. That models a Collector whose key cache has been
refreshed (restart, or a later refetch), so tokens signed with the old key are
rejected, which is what key-rotation fault tests need.
"""

from __future__ import annotations

import base64
import binascii
import json
import ssl
import threading
import time
import urllib.request
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from joserfc import jws
from joserfc.errors import JoseError
from joserfc.jwk import RSAKey

if TYPE_CHECKING:
    from .token_server import TokenServer

__all__ = [
    "NBF_LEEWAY_SECONDS",
    "HeaderValidator",
    "JwtValidator",
    "StaticTokenValidator",
    "TokenRejected",
    "check_claims",
    "decode_unverified",
    "split_header",
]

#: go-oidc's allowance for ``nbf`` in the future (``exp`` has none).
NBF_LEEWAY_SECONDS = 300.0


class TokenRejected(Exception):
    """A presented credential is not acceptable.

    Attributes:
        reason: Short non-secret explanation, e.g. ``"token expired"``.
    """

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class HeaderValidator(Protocol):
    """What receivers need: validate the raw value of the auth header."""

    def validate_header(self, value: str | None) -> dict[str, Any]:
        """Return the accepted claims or raise :class:`TokenRejected`."""
        ...


def split_header(value: str | None) -> str:
    """Return the credential part of ``"<scheme> <credential>"`` like the Collector.

    Raises:
        TokenRejected: No header, or it does not split into exactly two parts
            on single spaces.
    """
    if value is None:
        raise TokenRejected("missing auth header")
    parts = value.split(" ")
    if len(parts) != 2:
        raise TokenRejected("invalid auth header: expected '<scheme> <token>'")
    return parts[1]


def _b64decode(segment: str) -> bytes:
    return base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4))


def decode_unverified(token: str) -> tuple[dict[str, Any], dict[str, Any]]:
    """Return ``(header, claims)`` of a compact JWS without checking anything.

    Raises:
        TokenRejected: The value is not a three-part compact JWS with JSON
            object header and payload.
    """
    parts = token.split(".")
    if len(parts) != 3:
        raise TokenRejected("malformed jwt: expected 3 parts")
    try:
        header = json.loads(_b64decode(parts[0]))
        claims = json.loads(_b64decode(parts[1]))
    except (binascii.Error, ValueError) as exc:
        raise TokenRejected("malformed jwt: undecodable segment") from exc
    if not isinstance(header, dict) or not isinstance(claims, dict):
        raise TokenRejected("malformed jwt: segments are not JSON objects")
    return header, claims


def _number(claims: Mapping[str, Any], name: str) -> float | None:
    value = claims.get(name)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise TokenRejected(f"malformed jwt: {name} is not a number")
    return float(value)


def check_claims(
    claims: Mapping[str, Any],
    *,
    issuer: str | Sequence[str],
    audience: str | None,
    now: float,
    nbf_leeway: float = NBF_LEEWAY_SECONDS,
) -> None:
    """Check ``iss``, ``aud``, ``exp`` and ``nbf`` in go-oidc's order.

    Args:
        claims: The JWT payload.
        issuer: Exact issuer, or several acceptable issuers.
        audience: Required audience, or ``None`` to skip the check
            (``ignore_audience``).
        now: Current time (seconds since the epoch).
        nbf_leeway: Allowed clock skew for ``nbf``.

    Raises:
        TokenRejected: A check failed.
    """
    issuers = [issuer] if isinstance(issuer, str) else list(issuer)
    if claims.get("iss") not in issuers:
        raise TokenRejected("issuer mismatch")
    if audience is not None:
        aud = claims.get("aud")
        auds = [aud] if isinstance(aud, str) else aud if isinstance(aud, list) else []
        if audience not in auds:
            raise TokenRejected("audience mismatch")
    exp = _number(claims, "exp")
    if exp is None or exp < now:
        raise TokenRejected("token expired")
    nbf = _number(claims, "nbf")
    if nbf is not None and now + nbf_leeway < nbf:
        raise TokenRejected("token not valid yet")


def verify_signature(token: str, header: Mapping[str, Any], keys: Sequence[RSAKey]) -> bool:
    """Return whether one of ``keys`` (matching ``kid`` when given) signed ``token``."""
    kid = header.get("kid")
    for key in keys:
        if kid is not None and key.kid != kid:
            continue
        try:
            jws.deserialize_compact(token, key, algorithms=["RS256"])
        except JoseError:
            continue
        return True
    return False


def _fetch_jwks(url: str, ssl_context: ssl.SSLContext | None, timeout: float) -> list[RSAKey]:
    request = urllib.request.Request(url, headers={"Accept": "application/json"})
    with urllib.request.urlopen(request, timeout=timeout, context=ssl_context) as response:
        document = json.loads(response.read())
    keys: list[RSAKey] = []
    for entry in document.get("keys", []):
        if entry.get("kty") == "RSA":
            keys.append(RSAKey.import_key(entry))
    return keys


class JwtValidator:
    """Validate bearer JWTs like the Collector ``oidc`` authenticator.

    Args:
        source: A JWKS URL, or a ``TokenServer`` (then ``issuer``,
            ``audience`` and the CA default to the server's, and key rotation
            on the server clears this validator's key cache).
        issuer: Exact expected ``iss`` (several allowed as a sequence).
            Required when ``source`` is a URL.
        audience: Audience that ``aud`` must contain; ``None`` skips the
            check only when ``source`` is a URL (a TokenServer supplies its
            default audience).
        ca_file: CA bundle for an ``https`` JWKS URL.
        clock: Returns the current time in seconds since the epoch.
        nbf_leeway: Allowed skew for ``nbf`` (go-oidc: 5 minutes).
        fetch_timeout: Timeout of one JWKS fetch.

    Attributes:
        jwks_url: Where keys come from.
        issuer: Accepted issuer(s).
        audience: Required audience or ``None``.
        jwks_fetches: Number of JWKS fetches so far.
    """

    def __init__(
        self,
        source: str | TokenServer,
        issuer: str | Sequence[str] | None = None,
        audience: str | None = None,
        *,
        ca_file: Path | str | None = None,
        clock: Callable[[], float] = time.time,
        nbf_leeway: float = NBF_LEEWAY_SECONDS,
        fetch_timeout: float = 5.0,
    ) -> None:
        if isinstance(source, str):
            if issuer is None:
                raise ValueError("issuer is required when source is a JWKS URL")
            self.jwks_url = source
        else:
            self.jwks_url = source.jwks_url
            issuer = source.issuer if issuer is None else issuer
            audience = source.audience if audience is None else audience
            if ca_file is None and source.tls is not None:
                ca_file = source.tls.ca_cert
            source.add_rotation_listener(self.invalidate_keys)
        self.issuer: str | Sequence[str] = issuer
        self.audience = audience
        self._clock = clock
        self._nbf_leeway = nbf_leeway
        self._timeout = fetch_timeout
        self._ssl_context = (
            ssl.create_default_context(cafile=str(ca_file)) if ca_file is not None else None
        )
        self._lock = threading.Lock()
        self._keys: list[RSAKey] | None = None
        self._generation = 0
        self.jwks_fetches = 0

    def __repr__(self) -> str:
        return (
            f"JwtValidator(jwks_url={self.jwks_url!r}, issuer={self.issuer!r},"
            f" audience={self.audience!r})"
        )

    def invalidate_keys(self) -> None:
        """Forget cached keys; the next validation fetches the JWKS again."""
        with self._lock:
            self._keys = None
            self._generation += 1

    def _cached(self) -> tuple[list[RSAKey] | None, int]:
        with self._lock:
            return self._keys, self._generation

    def _refresh(self, seen_generation: int) -> list[RSAKey]:
        """Fetch the JWKS unless another thread already did since ``seen_generation``."""
        with self._lock:
            if self._keys is not None and self._generation != seen_generation:
                return self._keys
            try:
                keys = _fetch_jwks(self.jwks_url, self._ssl_context, self._timeout)
            except (OSError, ValueError) as exc:
                raise TokenRejected(f"cannot fetch JWKS: {type(exc).__name__}") from exc
            self.jwks_fetches += 1
            self._keys = keys
            self._generation += 1
            return keys

    def validate(self, token: str) -> dict[str, Any]:
        """Validate a bare JWT and return its claims.

        Raises:
            TokenRejected: With the first failing check as reason.
        """
        header, claims = decode_unverified(token)
        # With several providers the Collector picks one by the unverified iss
        # first; then go-oidc verifies algorithm and signature before any claim.
        several = not isinstance(self.issuer, str) and len(self.issuer) > 1
        if several and claims.get("iss") not in self.issuer:
            raise TokenRejected("issuer mismatch")
        if header.get("alg") != "RS256":
            raise TokenRejected(f"unsupported signing algorithm {header.get('alg')!r}")
        keys, generation = self._cached()
        if keys is None or not verify_signature(token, header, keys):
            keys = self._refresh(generation)
            if not verify_signature(token, header, keys):
                raise TokenRejected("signature not verified by any JWKS key")
        check_claims(
            claims,
            issuer=self.issuer,
            audience=self.audience,
            now=self._clock(),
            nbf_leeway=self._nbf_leeway,
        )
        return claims

    def validate_header(self, value: str | None) -> dict[str, Any]:
        """Validate a raw header value (``"Bearer <jwt>"``) and return the claims."""
        return self.validate(split_header(value))


class StaticTokenValidator:
    """Accept exactly one token.

    Args:
        token: The expected token.
        scheme: When set (e.g. ``"Bearer"``), the header must be
            ``"<scheme> <token>"`` (scheme compared case-insensitively);
            when ``None`` the header value must be the raw token (as for
            ``lightstep-access-token``).
    """

    def __init__(self, token: str, scheme: str | None = None) -> None:
        self._token = token
        self._scheme = scheme

    def __repr__(self) -> str:
        return f"StaticTokenValidator(scheme={self._scheme!r})"

    def validate_header(self, value: str | None) -> dict[str, Any]:
        """Return ``{}`` when the header carries the expected token."""
        if value is None:
            raise TokenRejected("missing auth header")
        if self._scheme is None:
            presented = value
        else:
            scheme, _, presented = value.partition(" ")
            if scheme.lower() != self._scheme.lower():
                raise TokenRejected("unexpected auth scheme")
        if presented != self._token:
            raise TokenRejected("token does not match")
        return {}
