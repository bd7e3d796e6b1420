"""The configure path: providers, exporters, lifecycle and console output."""

from __future__ import annotations

import sys


def propagator_may_be_ours() -> bool:
    """Whether a propagator wrapper of ours (the baggage rules') may be the global one.

    It can only have been installed through ``opentelemetry.propagate``; while
    nothing imported that module, there is nothing to replace or remove.
    """
    return "opentelemetry.propagate" in sys.modules
