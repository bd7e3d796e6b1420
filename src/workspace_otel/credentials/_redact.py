"""Compatibility name for :func:`workspace_otel._guards.redaction.scrub_strict`.

The one redaction boundary lives in :mod:`workspace_otel._guards.redaction`.
"""

from __future__ import annotations

from workspace_otel._guards.redaction import scrub_strict as redact

__all__ = ["redact"]
