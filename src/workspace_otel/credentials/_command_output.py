"""Turn what a token command printed into a :class:`Token`."""

from __future__ import annotations

import json
import math
from datetime import datetime, timezone
from typing import Any

from workspace_otel.credentials._token import Token
from workspace_otel.errors import TokenError

__all__ = ["parse_command_output"]

_TOKEN_KEYS = ("token", "access_token", "value")
_EXPIRY_KEYS = ("expires_at", "expiration", "expirationTimestamp")


def _parse_moment(raw: Any, kind: str) -> datetime:
    if isinstance(raw, (int, float)) and not isinstance(raw, bool):
        if not (math.isfinite(raw) and 0 < raw <= 253402300799):
            raise TokenError(f"the {kind} source printed an out-of-range expiry")
        return datetime.fromtimestamp(raw, tz=timezone.utc)
    if isinstance(raw, str):
        text = raw.strip()
        if text.endswith(("Z", "z")):
            text = text[:-1] + "+00:00"
        try:
            moment = datetime.fromisoformat(text)
        except ValueError:
            raise TokenError(f"the {kind} source printed an unreadable expiry") from None
        # A naive time is taken as UTC (what most helpers mean), never local time.
        return moment if moment.utcoffset() is not None else moment.replace(tzinfo=timezone.utc)
    raise TokenError(f"the {kind} source printed an expiry that is neither a number nor a date")


def _from_json(document: dict[str, Any], kind: str, now: float | None) -> Token:
    status = document.get("status")
    if document.get("kind") == "ExecCredential" and isinstance(status, dict):
        document = status
    value = next((document[k] for k in _TOKEN_KEYS if isinstance(document.get(k), str)), None)
    if value is None:
        raise TokenError(
            f"the {kind} source printed JSON without a string 'token', 'access_token' or 'value'"
        )
    expires_at = next(
        (_parse_moment(document[k], kind) for k in _EXPIRY_KEYS if document.get(k) is not None),
        None,
    )
    expires_in: float | None = None
    raw_in = document.get("expires_in")
    if expires_at is None and raw_in is not None:
        if isinstance(raw_in, str):
            try:
                raw_in = float(raw_in)
            except ValueError:
                raise TokenError(f"the {kind} source printed a non-numeric expires_in") from None
        if isinstance(raw_in, bool) or not isinstance(raw_in, (int, float)):
            raise TokenError(f"the {kind} source printed a non-numeric expires_in")
        expires_in = float(raw_in)
    return Token.from_value(value, kind=kind, expires_in=expires_in, expires_at=expires_at, now=now)


def parse_command_output(output: bytes, kind: str, now: float | None = None) -> Token:
    """Parse a command's stdout: a raw token, or a JSON object describing one.

    JSON objects carry the token under ``token``, ``access_token`` or
    ``value`` and the expiry under ``expires_at`` / ``expiration`` (RFC 3339
    text, or epoch seconds) or ``expires_in`` (seconds). A Kubernetes
    ``ExecCredential`` (``status.token``, ``status.expirationTimestamp``) also
    works. Otherwise the whole output, stripped, is the token; a JWT's ``exp``
    then gives the expiry.

    Raises:
        TokenError: undecodable, empty, multi-line, or malformed JSON.
    """
    try:
        text = output.decode("utf-8").strip()
    except UnicodeDecodeError:
        raise TokenError(f"the {kind} source printed something that is not UTF-8 text") from None
    if not text:
        raise TokenError(f"the {kind} source printed nothing")
    if text.startswith("{"):
        try:
            document = json.loads(text)
        except (ValueError, RecursionError):
            raise TokenError(f"the {kind} source printed malformed JSON") from None
        if not isinstance(document, dict):
            raise TokenError(f"the {kind} source printed JSON that is not an object")
        return _from_json(document, kind, now)
    return Token.from_value(text, kind=kind, now=now)
