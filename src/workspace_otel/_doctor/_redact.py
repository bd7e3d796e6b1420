"""Keep secrets out of the doctor's report.

Two layers:

* values the doctor knows are secret (tokens it fetched, client secrets,
  header values, URL user-info, secret environment variables) are
  registered with a :class:`Redactor`, which replaces every occurrence in
  any text with a fingerprint;
* text the doctor does not control (a server's answer, an exception
  message) also goes through :func:`scrub_untrusted`, which replaces
  anything shaped like a credential (JWTs, ``Bearer x``, GitHub / GitLab
  tokens, long opaque strings).

A fingerprint is ``sha256:`` plus the first 8 hex digits of the SHA-256 of
the value: enough to tell two tokens apart, useless to an attacker.
"""

from __future__ import annotations

import hashlib
import logging
import re
from collections.abc import Iterable
from urllib.parse import urlsplit, urlunsplit

__all__ = ["Redactor", "fingerprint", "scrub_untrusted", "strip_userinfo"]

# Shorter values are not registered: replacing "1" or "on" everywhere would
# wreck the report, and such values cannot be meaningful secrets.
_MIN_SECRET_LEN = 6

_UNTRUSTED_PATTERNS = (
    # JWT / JWS compact serialisation
    re.compile(r"eyJ[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]*"),
    # an authorization scheme followed by a credential
    re.compile(r"(?i)\b(bearer|basic|token)\s+[A-Za-z0-9._~+/=-]{6,}"),
    # GitHub, GitLab and Slack-style prefixed tokens
    re.compile(r"\b(gh[pousr]_[A-Za-z0-9]{10,}|github_pat_[A-Za-z0-9_]{10,})"),
    re.compile(r"\bglpat-[A-Za-z0-9_-]{10,}"),
    # key=value / key: value pairs whose key says secret
    re.compile(
        r"(?i)\b([a-z0-9_-]*(token|secret|password|passwd|api[_-]?key|access[_-]?key)"
        r"[a-z0-9_-]*)(\s*[=:]\s*)([^\s,;&\"']{4,})"
    ),
    # long opaque strings (base64 / hex keys)
    re.compile(r"[A-Za-z0-9+/_-]{32,}={0,2}"),
)


def fingerprint(secret: str) -> str:
    """Return the non-reversible fingerprint shown instead of a secret.

    Args:
        secret: The secret value.

    Returns:
        ``"sha256:"`` and the first 8 hex digits of its SHA-256.
    """
    return "sha256:" + hashlib.sha256(secret.encode("utf-8", "surrogatepass")).hexdigest()[:8]


def _replace_untrusted(match: re.Match[str]) -> str:
    groups = match.groups()
    if len(groups) == 4 and groups[3] is not None and groups[2] is not None:
        # key=value: keep the key, hide the value
        return f"{groups[0]}{groups[2]}<redacted {fingerprint(groups[3])}>"
    if len(groups) >= 1 and groups[0] and groups[0].lower() in ("bearer", "basic", "token"):
        credential = match.group(0)[len(groups[0]) :].strip()
        return f"{groups[0]} <redacted {fingerprint(credential)}>"
    return f"<redacted {fingerprint(match.group(0))}>"


def scrub_untrusted(text: str, *, limit: int = 300) -> str:
    """Hide anything credential-shaped in text from outside (server answers, errors).

    Args:
        text: The text to clean.
        limit: Maximum length kept (longer text is cut and marked).

    Returns:
        The cleaned, single-line, possibly shortened text.
    """
    cleaned = " ".join(text.split())
    for pattern in _UNTRUSTED_PATTERNS:
        cleaned = pattern.sub(_replace_untrusted, cleaned)
    if len(cleaned) > limit:
        cleaned = cleaned[:limit] + "..."
    return cleaned


def strip_userinfo(url: str) -> str:
    """Return ``url`` without ``user:password@`` (and without query secrets' values).

    Non-URL text is returned unchanged.
    """
    try:
        parts = urlsplit(url)
    except ValueError:
        return url
    if not parts.netloc or "@" not in parts.netloc:
        return url
    host = parts.netloc.rpartition("@")[2]
    return urlunsplit((parts.scheme, host, parts.path, parts.query, parts.fragment))


class Redactor:
    """Replace registered secret values with their fingerprints in any text."""

    def __init__(self, secrets: Iterable[str] = ()) -> None:
        self._secrets: set[str] = set()
        for secret in secrets:
            self.add(secret)

    def __repr__(self) -> str:
        return f"Redactor({len(self._secrets)} secrets)"

    def add(self, secret: str | None) -> None:
        """Register a secret (ignored when ``None`` or too short to matter).

        Its stripped form and, for ``Bearer x`` values, the bare credential are
        registered too.
        """
        if not secret:
            return
        candidates = {secret, secret.strip()}
        scheme, _, rest = secret.strip().partition(" ")
        if rest and scheme.lower() in ("bearer", "basic", "token"):
            candidates.add(rest.strip())
        for candidate in candidates:
            if len(candidate) >= _MIN_SECRET_LEN:
                self._secrets.add(candidate)

    def add_url(self, url: str | None) -> None:
        """Register the user-info part of a URL (user name and password) as secret."""
        if not url:
            return
        try:
            parts = urlsplit(url)
        except ValueError:
            return
        if "@" in parts.netloc:
            userinfo = parts.netloc.rpartition("@")[0]
            self.add(userinfo)
            for piece in userinfo.split(":"):
                self.add(piece)

    def redact(self, text: str) -> str:
        """Return ``text`` with every registered secret replaced by its fingerprint."""
        # Longest first so a secret containing another is replaced whole.
        for secret in sorted(self._secrets, key=len, reverse=True):
            if secret in text:
                text = text.replace(secret, f"<redacted {fingerprint(secret)}>")
        return text


class LogCapture(logging.Handler):
    """Collect warnings logged during a check, scrubbed, instead of printing them."""

    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        try:
            self.messages.append(scrub_untrusted(record.getMessage(), limit=200))
        except Exception:  # noqa: BLE001 - a broken log record must not break the doctor
            self.messages.append(f"({record.levelname} record that could not be formatted)")
