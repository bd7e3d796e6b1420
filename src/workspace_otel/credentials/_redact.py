"""Make untrusted text (a helper's stderr, an error body) safe to show.

Anything that could be a credential is replaced: runs of 12 or more
token-alphabet characters that hold a digit or mixed case, or any such run of
24 or more (JWTs, API keys, base64 blobs); values following
``token``/``secret``/``password``-like keys; and any explicitly given secret.
What survives is human prose such as ``error: audience is required`` or an
OAuth2 error code such as ``invalid_client``.
"""

from __future__ import annotations

import re

__all__ = ["redact"]

# Pattern texts, compiled by ``re`` (and kept in its cache) on the first redaction
# rather than at import: most processes never redact anything.
_LONG_RUN = r"[A-Za-z0-9._~+/=:-]{12,}"
_KEYED = (
    r"(?i)((?:token|secret|password|passwd|key|authorization)[\"']?\s*[:=]\s*[\"']?"
    r")"
    r"[^\s\"',;]+"
)
_SCHEMED = r"(?i)\b(bearer|basic)\s+[^\s\"',;]+"
_MASK = "[redacted]"


def _looks_secret(run: str) -> bool:
    if len(run) >= 24 or any(c.isdigit() for c in run):
        return True
    return any(c.isupper() for c in run[1:]) and any(c.islower() for c in run)


def _mask_run(match: re.Match[str]) -> str:
    run = match.group(0)
    return _MASK if _looks_secret(run) else run


def redact(text: str, *secrets: str, limit: int = 200) -> str:
    """Return ``text`` with likely secrets masked, on one line, at most ``limit`` characters.

    Args:
        text: untrusted text.
        secrets: exact values to mask wherever they appear.
        limit: maximum length of the result.
    """
    for secret in secrets:
        if secret:
            text = text.replace(secret, _MASK)
    text = re.sub(_SCHEMED, lambda m: m.group(1) + " " + _MASK, text)
    text = re.sub(_KEYED, lambda m: m.group(1) + _MASK, text)
    text = re.sub(_LONG_RUN, _mask_run, text)
    text = " ".join(text.split())
    if len(text) > limit:
        text = text[: limit - 3] + "..."
    return text
