"""Unverified JWT decoding, only to learn a token's expiry and who it names.

Nothing here checks a signature: the receiving side does that. The claims read
here only steer refresh timing and human-readable descriptions, so a forged
claim can at worst make this process refresh early or late.
"""

from __future__ import annotations

import binascii
import json
import math
from collections.abc import Mapping

from workspace_otel.credentials._token import MAX_NUMERIC_DATE, MAX_TOKEN_LENGTH, has_jwt_shape
from workspace_otel.errors import TokenError

TYPE_CHECKING = False  # typing is not imported at run time: see workspace_otel/__init__
if TYPE_CHECKING:
    from typing import Any

__all__ = ["MAX_NUMERIC_DATE", "MAX_TOKEN_LENGTH", "decode", "decode_claims", "numeric_date"]


_URLSAFE = bytes.maketrans(b"-_", b"+/")


def _b64url(segment: str) -> bytes:
    """Decode base64url as ``base64.urlsafe_b64decode`` does, without importing ``base64``.

    Raises:
        binascii.Error: not base64 (``UnicodeEncodeError`` for non-ASCII text), as before.
    """
    padded = segment + "=" * (-len(segment) % 4)
    return binascii.a2b_base64(padded.encode("ascii").translate(_URLSAFE))


def decode_claims(value: str) -> dict[str, Any] | None:
    """Return the payload of a JWS-compact JWT, or ``None`` if ``value`` is not one.

    See :func:`decode` for what counts as a JWT.
    """
    decoded = decode(value)
    return None if decoded is None else decoded[1]


def decode(value: str) -> tuple[dict[str, Any], dict[str, Any]] | None:
    """Return the unverified ``(header, payload)`` of a JWS-compact JWT, or ``None``.

    ``value`` counts as a JWT when it has three dot-separated base64url
    segments whose first two decode to JSON objects and the header names an
    ``alg``. Anything else is an opaque token and gives ``None``; this never
    raises.
    """
    if not has_jwt_shape(value):
        return None
    header_part, payload_part, _ = value.split(".")
    try:
        header = json.loads(_b64url(header_part))
        payload = json.loads(_b64url(payload_part))
    except (ValueError, binascii.Error, UnicodeError, RecursionError):
        return None
    if not isinstance(header, dict) or "alg" not in header or not isinstance(payload, dict):
        return None
    return header, payload


def numeric_date(claims: Mapping[str, Any], name: str, *, strict: bool) -> float | None:
    """Return claim ``name`` as seconds since the epoch.

    Args:
        claims: the decoded payload.
        name: ``exp``, ``iat`` or ``nbf``.
        strict: raise on a present but invalid value instead of ignoring it.

    Raises:
        TokenError: ``strict`` and the claim is not a number in
            ``(0, 9999-12-31]`` (booleans, strings, NaN, infinities and
            absurd values all count as invalid).
    """
    if name not in claims:
        return None
    raw = claims[name]
    valid = (
        isinstance(raw, (int, float))
        and not isinstance(raw, bool)
        and math.isfinite(raw)
        and 0 < raw <= MAX_NUMERIC_DATE
    )
    if valid:
        return float(raw)
    if strict:
        raise TokenError(f"the token's JWT {name!r} claim is not a valid date")
    return None


def audiences(claims: Mapping[str, Any]) -> tuple[str, ...]:
    """Return the ``aud`` claim as a tuple of strings (empty when absent or malformed)."""
    raw = claims.get("aud")
    if isinstance(raw, str):
        return (raw,)
    if isinstance(raw, list) and all(isinstance(a, str) for a in raw):
        return tuple(raw)
    return ()


def string_claim(claims: Mapping[str, Any], name: str) -> str | None:
    """Return a string claim, ``None`` when absent or not a short string."""
    raw = claims.get(name)
    return raw if isinstance(raw, str) and len(raw) <= 1024 else None
