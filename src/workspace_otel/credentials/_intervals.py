"""The one floor under every interval and wait of the token machinery.

A ``revalidate_interval`` of 0 made the refresher fetch in a tight loop (tens
of thousands of fetches a second). Intervals a user configures are checked
here (:func:`check_interval`, refusing with
:class:`~workspace_otel.errors.ConfigurationError`), and waits the cache
computes (a third-party source's interval, the refresh point of a very short
token) are clamped here (:func:`floor_wait`), to the same :data:`MIN_INTERVAL`.
"""

from __future__ import annotations

import math

from workspace_otel.errors import ConfigurationError

__all__ = ["MIN_INTERVAL", "check_interval", "floor_wait"]

MIN_INTERVAL = 0.1
"""Shortest interval between two token fetches the library accepts or computes (seconds)."""


def check_interval(value: object, where: str, *, minimum: float = MIN_INTERVAL) -> float:
    """Return ``value`` as seconds, refusing what would make a loop spin.

    Args:
        value: the configured interval (``inf`` means "never").
        where: the argument or variable, for the message (e.g.
            ``FileTokenSource(revalidate_interval=...)``).
        minimum: the smallest accepted value (:data:`MIN_INTERVAL`; 0 for
            intervals that do not schedule anything by themselves).

    Raises:
        ConfigurationError: not a number, NaN, or below ``minimum``.
    """
    seconds = math.nan
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        seconds = float(value)
    if math.isnan(seconds) or seconds < minimum:
        raise ConfigurationError(
            f"{where} is {value!r}: it must be a number of seconds of at least {minimum:g} "
            "(e.g. 5), or float('inf') for never"
        )
    return seconds


def floor_wait(seconds: float) -> float:
    """Clamp a computed wait to at least :data:`MIN_INTERVAL` (NaN counts as too short)."""
    if math.isnan(seconds) or seconds < MIN_INTERVAL:
        return MIN_INTERVAL
    return seconds
