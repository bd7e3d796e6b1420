"""One WARNING, with the server's reason, when an endpoint refuses a token for good.

The SDK's exporters log every failed batch, and over OTLP/HTTP only the status
line ("401 Unauthorized"), so the reason a Collector's ``oidc`` authenticator
gives (wrong audience, unknown issuer, expired) never reaches the person who
can fix it. Both transports call :func:`note_rejection` for a refusal that
stands after the one refresh-and-retry; it logs once per token source and
reason (digits ignored, so an expiry time does not make a new reason). From
then on the SDK exporters' own per-batch lines for a refused token (``code:
401`` over HTTP, ``UNAUTHENTICATED`` over gRPC, which repeats the reason) are
dropped: the WARNING already said that exports fail and why.
"""

from __future__ import annotations

import logging
import re
import threading

from workspace_otel._guards.fork import on_fork_in_child
from workspace_otel._guards.redaction import LOGGER_NAMES, scrub

__all__ = ["http_reason", "note_rejection"]

_logger = logging.getLogger("workspace_otel.credentials")
_lock = threading.Lock()


def _new_lock_after_fork() -> None:
    # A thread of the parent may have been noting a rejection at fork.
    global _lock
    _lock = threading.Lock()


on_fork_in_child(__name__, _new_lock_after_fork)
_seen: set[tuple[str, str]] = set()
_MAX_REASON = 300
_MAX_KEYS = 64
_filter_installed = False


class _RefusedBatchLines(logging.Filter):
    """Drops the SDK's "Failed to export" lines for a refused token."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # noqa: BLE001 - a broken record is not ours to judge
            return True
        return not (
            message.startswith("Failed to export")
            and ("code: 401" in message or "UNAUTHENTICATED" in message)
        )


def _quiet_sdk_lines() -> None:
    """Install the filter on the SDK exporters' loggers (once per process)."""
    global _filter_installed
    with _lock:
        if _filter_installed:
            return
        _filter_installed = True
    refused_lines = _RefusedBatchLines()
    for name in LOGGER_NAMES:
        if name.startswith("opentelemetry.exporter.otlp"):
            logging.getLogger(name).addFilter(refused_lines)


def http_reason(body: bytes, content_type: str | None) -> str:
    """Return the reason in an OTLP/HTTP error body (a ``google.rpc.Status``) or its text."""
    if not body:
        return ""
    if (content_type or "").startswith("application/x-protobuf"):
        message = _status_message(body)
        if message is not None:
            return message
    if (content_type or "").startswith("application/json"):
        import json

        try:
            decoded = json.loads(body)
        except ValueError:
            decoded = None
        if isinstance(decoded, dict) and isinstance(decoded.get("message"), str):
            return str(decoded["message"])
    return body[:_MAX_REASON].decode("utf-8", errors="replace")


def _status_message(body: bytes) -> str | None:
    try:
        import importlib

        status = importlib.import_module("google.rpc.status_pb2").Status
        message: str = status.FromString(body).message
    except Exception:  # noqa: BLE001 - any undecodable body falls back to text
        return None
    return message


def note_rejection(source: str, answer: str, reason: str) -> None:
    """Log once that the endpoint refused the token from ``source``, and why.

    Args:
        source: the token source's description (no secrets).
        answer: what the server answered (``HTTP 401``, ``gRPC UNAUTHENTICATED``).
        reason: the server's message (scrubbed and cut here).
    """
    shown = scrub(reason.strip() or "no reason given", limit=_MAX_REASON)
    key = (source, re.sub(r"\d+", "#", shown))
    with _lock:
        if key in _seen:
            return
        if len(_seen) >= _MAX_KEYS:
            _seen.clear()
        _seen.add(key)
    _quiet_sdk_lines()
    _logger.warning(
        "the endpoint refused the token from %s (%s: %s). Check that "
        "WORKSPACE_OTEL_TOKEN_AUDIENCE is the audience the gateway expects, that the gateway "
        "trusts the token's issuer, and that this machine's clock is right; "
        "`workspace-otel doctor` tells which. Exports fail until then (logged once).",
        source,
        answer,
        shown,
    )
