"""Injectable clocks, so cache rules are tested without sleeping."""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from dataclasses import dataclass

__all__ = ["SYSTEM_CLOCK", "Clock"]


@dataclass(frozen=True)
class Clock:
    """The time sources and randomness the cache uses.

    Attributes:
        wall: seconds since the epoch (jumps with NTP, stops nowhere).
        monotonic: seconds from an arbitrary origin (never jumps, may stop
            while a VM is suspended).
        uniform: ``uniform(a, b)`` random draw for jitter.
    """

    wall: Callable[[], float] = time.time
    monotonic: Callable[[], float] = time.monotonic
    uniform: Callable[[float, float], float] = random.uniform


SYSTEM_CLOCK = Clock()
