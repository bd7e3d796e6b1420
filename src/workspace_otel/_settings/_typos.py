"""Warn once per process, at start, about ``WORKSPACE_OTEL_*`` variables nobody reads."""

from __future__ import annotations

import logging
from collections.abc import Mapping

from workspace_otel._settings import _env

__all__ = ["warn_unknown_variables"]

_logger = logging.getLogger("workspace_otel")
_warned: set[str] = set()


def warn_unknown_variables(environ: Mapping[str, str]) -> None:
    """One WARNING per unknown ``WORKSPACE_OTEL_*`` variable, with the closest known name.

    Called by ``configure()`` and under ``opentelemetry-instrument`` (which
    runs the same code); ``workspace-otel doctor`` reports the same findings.
    """
    for raw_name, closest in _env.likely_typos(environ):
        if raw_name in _warned:
            continue
        from workspace_otel._guards.display import visible

        _warned.add(raw_name)
        name = visible(raw_name)  # a name is text from outside: no terminal escapes
        if closest:
            _logger.warning(
                "workspace_otel: %s is not a known variable and is ignored: did you mean %s?",
                name,
                closest,
            )
        else:
            _logger.warning(
                "workspace_otel: %s is not a known variable and is ignored "
                "(`workspace-otel doctor` lists the known ones)",
                name,
            )
