"""Collect the warnings a doctor check logs, passed through the one redaction boundary.

Secret values, fingerprints, URL display and the scrubbing itself live in
:mod:`workspace_otel._guards.redaction`; the doctor registers what it sees
there and renders its report through :func:`~workspace_otel._guards.redaction.scrub_known`.
"""

from __future__ import annotations

import logging

from workspace_otel._guards.redaction import scrub

__all__ = ["LogCapture"]


class LogCapture(logging.Handler):
    """Collect warnings logged during a check, scrubbed, instead of printing them."""

    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        """Keep the record's scrubbed, one-line message."""
        try:
            self.messages.append(scrub(record.getMessage(), limit=200))
        except Exception:  # noqa: BLE001 - a broken log record must not break the doctor
            self.messages.append(f"({record.levelname} record that could not be formatted)")
