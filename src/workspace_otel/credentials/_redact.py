"""Make untrusted text (a helper's stderr, an error body) safe to show.

Anything that could be a credential is replaced: runs of 12 or more
token-alphabet characters (JWTs, API keys, base64 blobs), values following
``token``/``secret``/``password``-like keys, and any explicitly given secret.
What survives is short human prose such as ``error: audience is required``.
"""

from __future__ import annotations

import re

__all__ = ["redact"]

_LONG_RUN = re.compile(r"[A-Za-z0-9._~+/=:-]{12,}")
_KEYED = re.compile(
    r"(?i)((?:token|secret|password|passwd|key|bearer|authorization)[\"']?\s*[:=]?\s*[\"']?)"
    r"[^\s\"',;]+"
)
_MASK = "[redacted]"


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
    text = _KEYED.sub(lambda m: m.group(1) + _MASK, text)
    text = _LONG_RUN.sub(_MASK, text)
    text = " ".join(text.split())
    if len(text) > limit:
        text = text[: limit - 3] + "..."
    return text
