"""Injectable clocks, so cache rules are tested without sleeping."""

from __future__ import annotations

import random
import time
from collections.abc import Callable

__all__ = ["SYSTEM_CLOCK", "Clock"]

_FIELDS = ("wall", "monotonic", "uniform")


class Clock:
    """The time sources and randomness the cache uses; immutable, compared by value.

    Not a dataclass: generating one at import costs more than a cached
    ``workspace-otel headers`` run does (budget P12).

    Attributes:
        wall: seconds since the epoch (jumps with NTP, stops nowhere).
        monotonic: seconds from an arbitrary origin (never jumps, may stop
            while a VM is suspended).
        uniform: ``uniform(a, b)`` random draw for jitter.
    """

    __slots__ = _FIELDS

    wall: Callable[[], float]
    monotonic: Callable[[], float]
    uniform: Callable[[float, float], float]

    def __init__(
        self,
        wall: Callable[[], float] = time.time,
        monotonic: Callable[[], float] = time.monotonic,
        uniform: Callable[[float, float], float] = random.uniform,
    ) -> None:
        object.__setattr__(self, "wall", wall)
        object.__setattr__(self, "monotonic", monotonic)
        object.__setattr__(self, "uniform", uniform)

    def _values(self) -> tuple[object, ...]:
        return (self.wall, self.monotonic, self.uniform)

    def __setattr__(self, name: str, value: object) -> None:
        raise AttributeError(f"Clock is immutable: cannot assign {name!r}")

    def __delattr__(self, name: str) -> None:
        raise AttributeError(f"Clock is immutable: cannot delete {name!r}")

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Clock) or other.__class__ is not self.__class__:
            return NotImplemented
        return self._values() == other._values()

    def __hash__(self) -> int:
        return hash(self._values())

    def __repr__(self) -> str:
        return f"Clock(wall={self.wall!r}, monotonic={self.monotonic!r}, uniform={self.uniform!r})"


SYSTEM_CLOCK = Clock()
