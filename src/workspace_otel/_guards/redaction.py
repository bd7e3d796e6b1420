"""The one redaction boundary for every text meant for a person.

Exception messages, log records at every level, CLI and ``doctor`` output and
the SDK's warnings about our inputs pass :func:`scrub`, which knows every
secret value registered with :func:`register_secret`, in every encoding the
library itself produces, and masks anything credential-shaped in text from
outside. URLs are shown by :func:`display_url`: no user-info, no query string.
"""

from __future__ import annotations

import threading
from urllib.parse import urlsplit, urlunsplit

__all__ = ["display_url", "holds_registered_secret", "register_secret", "scrub"]

_MASK = "[redacted]"
_MIN_SECRET_LEN = 6
_secrets: set[str] = set()
_lock = threading.Lock()


def register_secret(value: str | None) -> None:
    """Remember ``value`` as a secret, so every later :func:`scrub` masks it.

    Values shorter than six characters are ignored (they cannot be meaningful
    secrets, and masking them would wreck messages).
    """
    if not value:
        return
    value = value.strip()
    if len(value) < _MIN_SECRET_LEN:
        return
    with _lock:
        _secrets.add(value)


def scrub(text: str, *secrets: str, limit: int | None = None) -> str:
    """Return ``text`` with every known secret and anything credential-shaped masked.

    Args:
        text: the text to show.
        secrets: extra values to mask in this text only.
        limit: when given, the result is made one line and cut to this length.
    """
    from workspace_otel.credentials._redact import redact

    with _lock:
        known = sorted(_secrets, key=len, reverse=True)
    for secret in (*secrets, *known):
        if secret:
            text = text.replace(secret, _MASK)
    return redact(text, limit=limit if limit is not None else max(len(text), 1))


def display_url(url: str) -> str:
    """Return ``url`` without user-info, query string or fragment, for messages."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return "<invalid URL>"
    if not parts.netloc:
        return scrub(url)
    host = parts.netloc.rpartition("@")[2]
    return urlunsplit((parts.scheme, host, parts.path, "", ""))


def holds_registered_secret(text: str) -> bool:
    """Return whether ``text`` contains a value registered with :func:`register_secret`.

    For data that must never carry a secret but cannot be masked (a baggage
    value sent to other services is dropped instead).
    """
    with _lock:
        known = tuple(_secrets)
    return any(secret in text for secret in known)
