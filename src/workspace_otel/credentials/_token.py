"""The :class:`Token` value object: a secret plus the non-secret facts about it."""

from __future__ import annotations

import math
import time
from datetime import datetime, timezone

from workspace_otel._guards.redaction import fingerprint, register_secret
from workspace_otel.errors import TokenError

__all__ = ["MAX_NUMERIC_DATE", "MAX_TOKEN_LENGTH", "Token", "fingerprint", "has_jwt_shape"]

# Largest NumericDate accepted: 9999-12-31T23:59:59Z (datetime's limit).
MAX_NUMERIC_DATE = 253402300799.0
# Tokens longer than this are refused (and never decoded as JWTs).
MAX_TOKEN_LENGTH = 64 * 1024


def _has_control_characters(value: str) -> bool:
    return any(ord(c) < 0x20 or ord(c) == 0x7F for c in value)


def check_token_value(value: str, what: str) -> str:
    """Return ``value`` stripped of surrounding whitespace, or raise.

    Args:
        value: the raw text.
        what: where it came from, for the message (never the value itself).

    Raises:
        TokenError: empty, too long, or containing control characters
            (a newline inside a header value would inject a header) or
            whitespace (no bearer token has any; an error page does).
    """
    stripped = value.strip()
    if not stripped:
        raise TokenError(f"{what} is empty")
    if len(stripped) > MAX_TOKEN_LENGTH:
        raise TokenError(f"{what} is longer than {MAX_TOKEN_LENGTH} characters")
    if _has_control_characters(stripped) or not stripped.isprintable():
        raise TokenError(f"{what} contains control characters")
    if any(c.isspace() for c in stripped):
        raise TokenError(f"{what} contains whitespace (is it an error message?)")
    return stripped


_FIELDS = (
    "value",
    "expires_at",
    "issued_at",
    "lifetime",
    "issuer",
    "subject",
    "audience",
    "kind",
)


def has_jwt_shape(value: str) -> bool:
    """Whether ``value`` could be a JWS-compact JWT: three segments, not over the length bound.

    The one shape rule: :func:`workspace_otel.credentials._jwt.decode` decodes
    nothing else, and a token without it never loads the decoder.
    """
    return len(value) <= MAX_TOKEN_LENGTH and value.count(".") == 2


def _jwt_facts(
    value: str, needs_exp: bool
) -> tuple[float | None, float | None, str | None, str | None, tuple[str, ...]]:
    """Return ``(iat, exp, iss, sub, aud)`` from ``value`` when it is a JWT, else nothing.

    Raises:
        TokenError: ``needs_exp`` and the JWT's ``exp`` is present but invalid.
    """
    if not has_jwt_shape(value):  # an opaque token: the JWT decoder is not loaded
        return None, None, None, None, ()
    from workspace_otel.credentials import _jwt

    claims = _jwt.decode_claims(value) or {}
    return (
        _jwt.numeric_date(claims, "iat", strict=False),
        _jwt.numeric_date(claims, "exp", strict=needs_exp),
        _jwt.string_claim(claims, "iss"),
        _jwt.string_claim(claims, "sub"),
        _jwt.audiences(claims),
    )


def _utc(seconds: float) -> datetime:
    return datetime.fromtimestamp(seconds, tz=timezone.utc)


class Token:
    """A bearer token and what is known about it.

    ``value`` is the secret; it is left out of ``repr()`` and ``str()``, which
    show :meth:`fingerprint` instead. The claims kept here (``issuer``,
    ``subject``, ``audience``) come from an *unverified* decode of the token
    when it is a JWT: they describe the token to humans and steer refresh
    timing, they do not authenticate anything.

    Attributes:
        value: the secret token text (no surrounding whitespace, no control
            characters).
        expires_at: aware UTC expiry, ``None`` when unknown (static tokens).
        issued_at: aware UTC issue time, when known.
        lifetime: seconds between issue and expiry, when known (``expires_in``
            or the JWT ``exp - iat``); the cache trusts it over ``expires_at``
            when the local clock disagrees with the issuer's.
        issuer: the JWT ``iss`` claim.
        subject: the JWT ``sub`` claim.
        audience: the JWT ``aud`` claim.
        kind: the kind of source that produced it (``env``, ``oauth2``, ...).

    Immutable and compared by value (all attributes). Not a dataclass:
    generating one at import costs more than a cached ``workspace-otel
    headers`` run does (budget P12).
    """

    __slots__ = _FIELDS

    value: str
    expires_at: datetime | None
    issued_at: datetime | None
    lifetime: float | None
    issuer: str | None
    subject: str | None
    audience: tuple[str, ...]
    kind: str

    def __init__(
        self,
        value: str,
        expires_at: datetime | None = None,
        issued_at: datetime | None = None,
        lifetime: float | None = None,
        issuer: str | None = None,
        subject: str | None = None,
        audience: tuple[str, ...] = (),
        kind: str = "static",
    ) -> None:
        check_token_value(value, "the token")
        # Every token, from any source, is known to the redaction boundary from birth.
        register_secret(value)
        for name, moment in (("expires_at", expires_at), ("issued_at", issued_at)):
            if moment is not None and moment.utcoffset() is None:
                raise TokenError(f"Token.{name} must be a timezone-aware datetime")
        if lifetime is not None and not (math.isfinite(lifetime) and lifetime > 0):
            raise TokenError("Token.lifetime must be a positive number of seconds")
        values = (value, expires_at, issued_at, lifetime, issuer, subject, audience, kind)
        for name, attribute in zip(_FIELDS, values, strict=True):
            object.__setattr__(self, name, attribute)

    def _values(self) -> tuple[object, ...]:
        return tuple(getattr(self, name) for name in _FIELDS)

    def __setattr__(self, name: str, value: object) -> None:
        raise AttributeError(f"Token is immutable: cannot assign {name!r}")

    def __delattr__(self, name: str) -> None:
        raise AttributeError(f"Token is immutable: cannot delete {name!r}")

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Token) or other.__class__ is not self.__class__:
            return NotImplemented
        return self._values() == other._values()

    def __hash__(self) -> int:
        return hash(self._values())

    def __reduce__(self) -> tuple[type[Token], tuple[object, ...]]:
        # copy and pickle rebuild through __init__ (assignment is refused).
        return (self.__class__, self._values())

    @classmethod
    def from_value(
        cls,
        value: str,
        *,
        kind: str,
        expires_in: float | None = None,
        expires_at: datetime | None = None,
        now: float | None = None,
    ) -> Token:
        """Build a token, reading expiry and claims from the JWT when it is one.

        Expiry precedence: ``expires_in`` (relative, immune to clock skew),
        then ``expires_at``, then the JWT ``exp`` claim; otherwise unknown.

        Args:
            value: the token text; surrounding whitespace is stripped.
            kind: the source kind recorded on the token.
            expires_in: seconds of validity from now, as OAuth2 responses give.
            expires_at: absolute expiry (aware datetime).
            now: the current wall-clock time in epoch seconds (tests inject it).

        Raises:
            TokenError: the value is empty or holds control characters, the
                expiry is not a positive finite time, or a JWT that must supply
                the expiry carries an invalid ``exp``. Never any other error.
        """
        value = check_token_value(value, f"the token from the {kind} source")
        wall = time.time() if now is None else now
        needs_exp = expires_in is None and expires_at is None
        facts = _jwt_facts(value, needs_exp)
        iat, exp_claim = facts[0], facts[1]
        lifetime: float | None = None
        expiry: float | None = None
        issued: float | None = iat
        if expires_in is not None:
            if isinstance(expires_in, bool) or not math.isfinite(expires_in):
                raise TokenError(f"the {kind} source gave a non-numeric expires_in")
            if not 0 < expires_in <= MAX_NUMERIC_DATE - wall:
                raise TokenError(f"the {kind} source gave an out-of-range expires_in")
            lifetime = float(expires_in)
            expiry = wall + lifetime
            if issued is None:
                issued = wall
        elif expires_at is not None:
            if expires_at.utcoffset() is None:
                raise TokenError(f"the {kind} source gave an expiry without a time zone")
            expiry = expires_at.timestamp()
            if exp_claim is not None and iat is not None and iat < exp_claim:
                lifetime = exp_claim - iat
            elif iat is not None and iat < expiry:
                lifetime = expiry - iat
        elif exp_claim is not None:
            expiry = exp_claim
            if iat is not None and iat < exp_claim:
                lifetime = exp_claim - iat
        if expiry is not None and lifetime is None and expiry > wall:
            lifetime = expiry - wall
        if expiry is not None and not 0 < expiry <= MAX_NUMERIC_DATE:
            raise TokenError(f"the {kind} source gave an out-of-range expiry")
        return cls(
            value=value,
            expires_at=None if expiry is None else _utc(expiry),
            issued_at=None if issued is None else _utc(issued),
            lifetime=lifetime,
            issuer=facts[2],
            subject=facts[3],
            audience=facts[4],
            kind=kind,
        )

    def fingerprint(self) -> str:
        """Return the token's short, non-secret fingerprint (``sha256:xxxxxxxx``)."""
        return fingerprint(self.value)

    def describe(self) -> str:
        """Return a one-line, non-secret description: kind, issuer, subject, expiry."""
        parts = [f"kind={self.kind}"]
        if self.issuer:
            parts.append(f"issuer={self.issuer}")
        if self.subject:
            parts.append(f"subject={self.subject}")
        if self.audience:
            parts.append(f"audience={','.join(self.audience)}")
        expiry = self.expires_at.isoformat(timespec="seconds") if self.expires_at else "unknown"
        parts.append(f"expires_at={expiry}")
        parts.append(self.fingerprint())
        return " ".join(parts)

    def __repr__(self) -> str:
        expiry = self.expires_at.isoformat(timespec="seconds") if self.expires_at else None
        return (
            f"Token(kind={self.kind!r}, issuer={self.issuer!r}, subject={self.subject!r}, "
            f"audience={self.audience!r}, expires_at={expiry!r}, "
            f"fingerprint={self.fingerprint()!r})"
        )

    __str__ = __repr__
