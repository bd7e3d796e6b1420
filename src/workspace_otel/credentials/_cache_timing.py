"""When a cached token is usable, when it is refreshed, and how failures back off.

The timing rules of the token cache, as pure functions of an injectable
:class:`Clock` (so they are tested without sleeping; the cache in
:mod:`workspace_otel.credentials._cache` holds the state and the lock):

* A token is *usable* while ``min(wall expiry, monotonic expiry) - now`` is
  more than its margin, ``max(30 s, 5 % of lifetime)`` capped at a quarter of
  the lifetime (a 4-second token is usable for 3 seconds). The monotonic
  expiry is ``received_mono + remaining``: a wall clock that jumps cannot
  stretch a token, and a suspended VM (monotonic time stops) is caught by the
  wall clock.
* A refresh is due at 50-60 % of the remaining life.
* A failed refresh is retried with full-jitter exponential backoff from 1 s,
  capped at ``min(60 s, usable time left / 4)``; an error that needs the
  user is held for 30-60 s, without retries.
* Tokens without expiry (static, file) are re-fetched every
  ``revalidate_interval`` seconds (the source's attribute, default 60 s).
* When a freshly minted JWT's ``iat`` is more than 60 s away from local time,
  the local clock is wrong: the token's lifetime is trusted instead of its
  ``exp``.
* One floor, :data:`MIN_INTERVAL`, under every interval and wait: intervals a
  user configures are checked (:func:`check_interval`, refusing with
  :class:`~workspace_otel.errors.ConfigurationError`; a ``revalidate_interval``
  of 0 once made the refresher fetch tens of thousands of times a second) and
  waits the cache computes are clamped (:func:`floor_wait`). Both live with the
  option parsers: every token source checks its intervals when it is built, at
  start, and the cache's timing is needed only at the first token.
"""

from __future__ import annotations

import math
import random
import time
from collections.abc import Callable

from workspace_otel._settings._option_parsers import MIN_INTERVAL, check_interval
from workspace_otel.credentials._token import Token
from workspace_otel.errors import TokenError

__all__ = [
    "MIN_INTERVAL",
    "SYSTEM_CLOCK",
    "CacheEntry",
    "Clock",
    "check_interval",
    "clock_skew",
    "entry_for",
    "floor_wait",
    "margin_for",
    "retry_delay",
]

_CLOCK_FIELDS = ("wall", "monotonic", "uniform")


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

    __slots__ = _CLOCK_FIELDS

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


def floor_wait(seconds: float) -> float:
    """Clamp a computed wait to at least :data:`MIN_INTERVAL` (NaN counts as too short)."""
    if math.isnan(seconds) or seconds < MIN_INTERVAL:
        return MIN_INTERVAL
    return seconds


# Refresh at 50-60 % of the remaining life: never more than two fetches in any
# window of one lifetime (budget P7), and 40 % of the life left for retries.
REFRESH_FRACTION = (0.50, 0.60)
MIN_MARGIN = 30.0
MARGIN_FRACTION = 0.05
MAX_MARGIN_FRACTION = 0.25
SKEW_TOLERANCE = 60.0
BACKOFF_INITIAL = 1.0
BACKOFF_MAX = 60.0
BACKOFF_CAP_FLOOR = 0.25
BACKOFF_MIN_DELAY = 0.1
NEEDS_USER_HOLD = (30.0, 60.0)
DEFAULT_REVALIDATE = 60.0

Uniform = Callable[[float, float], float]


def margin_for(lifetime: float) -> float:
    """Return the unusable margin before expiry for a token of ``lifetime`` seconds."""
    return min(max(MIN_MARGIN, MARGIN_FRACTION * lifetime), MAX_MARGIN_FRACTION * lifetime)


class CacheEntry:
    """A token as received, with the moments it stops being usable and is due for refresh.

    Never compared or printed; not a dataclass because generating one costs
    more than the whole cached ``headers`` command (budget P12).
    """

    __slots__ = (
        "margin",
        "quiet_until_mono",
        "quiet_until_wall",
        "received_mono",
        "received_wall",
        "refresh_after",
        "refresh_at_mono",
        "refresh_at_wall",
        "token",
        "usable_until_mono",
        "usable_until_wall",
        "valid_for",
    )

    def __init__(
        self,
        token: Token,
        received_wall: float,
        received_mono: float,
        valid_for: float | None,  # seconds of validity at receipt; None: no expiry
        margin: float,
        refresh_after: float,  # seconds after receipt
    ) -> None:
        self.token = token
        self.received_wall = received_wall
        self.received_mono = received_mono
        self.valid_for = valid_for
        self.margin = margin
        self.refresh_after = refresh_after
        # Precomputed for the request path: usable while both clocks are before
        # their ``usable_until``; refresh due once either passes ``refresh_at``.
        usable = math.inf if valid_for is None else valid_for - margin
        self.usable_until_wall = received_wall + usable
        self.usable_until_mono = received_mono + usable
        self.refresh_at_wall = received_wall + refresh_after
        self.refresh_at_mono = received_mono + refresh_after
        # Usable with no refresh due: the request path's one check while both
        # clocks are before these.
        self.quiet_until_wall = min(self.usable_until_wall, self.refresh_at_wall)
        self.quiet_until_mono = min(self.usable_until_mono, self.refresh_at_mono)

    def usable_left(self, wall: float, mono: float) -> float:
        """Seconds the token stays usable (``inf`` without expiry; negative once unusable)."""
        if self.valid_for is None:
            return math.inf
        by_wall = self.received_wall + self.valid_for - wall
        by_mono = self.received_mono + self.valid_for - mono
        return min(by_wall, by_mono) - self.margin

    def elapsed(self, wall: float, mono: float) -> float:
        """Seconds since receipt, by whichever clock has moved further."""
        return max(wall - self.received_wall, mono - self.received_mono)


def clock_skew(token: Token, wall: float) -> float | None:
    """Seconds between the token's ``iat`` and local time, when it has both iat and lifetime."""
    if token.expires_at is None or token.lifetime is None or token.issued_at is None:
        return None
    return token.issued_at.timestamp() - wall


def entry_for(
    token: Token,
    previous: CacheEntry | None,
    wall: float,
    mono: float,
    *,
    revalidate: float,
    uniform: Uniform,
    trust_lifetime: bool,
    source: str,
) -> CacheEntry:
    """Return the cache entry for ``token``, fetched at ``wall`` / ``mono``.

    Args:
        token: what the source returned.
        previous: the entry held until now, if any.
        wall: wall-clock time of receipt.
        mono: monotonic time of receipt.
        revalidate: the source's ``revalidate_interval`` (already floored).
        uniform: jitter (``random.uniform`` or a test's).
        trust_lifetime: the local clock is skewed: trust the token's lifetime
            rather than its expiry time.
        source: the source's description, for messages.

    Raises:
        TokenError: the same token came back expired, or a new one expires
            too soon to use.
    """
    revalidate = floor_wait(revalidate)
    if previous is not None and previous.token.value == token.value:
        left = previous.usable_left(wall, mono)
        if left <= 0:
            raise TokenError(f"{source} returned the same token again and it has expired")
        wait = revalidate if math.isinf(left) else min(revalidate, max(BACKOFF_CAP_FLOOR, left / 4))
        return CacheEntry(
            token=previous.token,
            received_wall=previous.received_wall,
            received_mono=previous.received_mono,
            valid_for=previous.valid_for,
            margin=previous.margin,
            refresh_after=previous.elapsed(wall, mono) + wait,
        )
    if token.expires_at is None:
        return CacheEntry(token, wall, mono, None, 0.0, revalidate)
    valid_for = token.expires_at.timestamp() - wall
    if token.lifetime is not None:
        valid_for = token.lifetime if trust_lifetime else min(valid_for, token.lifetime)
    lifetime = token.lifetime if token.lifetime is not None else max(valid_for, 0.0)
    margin = margin_for(lifetime)
    if valid_for - margin < MIN_INTERVAL:
        raise TokenError(
            f"{source} returned a token that expires in {valid_for:.0f} s, too soon to use "
            "(is the clock right?)"
        )
    refresh_after = floor_wait(min(valid_for * uniform(*REFRESH_FRACTION), valid_for - margin))
    return CacheEntry(token, wall, mono, valid_for, margin, refresh_after)


def retry_delay(failures: int, usable_left: float, uniform: Uniform) -> float:
    """Seconds before retry number ``failures`` (full-jitter exponential backoff)."""
    cap = BACKOFF_MAX
    if 0 < usable_left < math.inf:
        cap = min(BACKOFF_MAX, max(BACKOFF_CAP_FLOOR, usable_left / 4))
    base = min(cap, BACKOFF_INITIAL * 2 ** min(failures - 1, 30))
    return float(max(min(BACKOFF_MIN_DELAY, base), uniform(0.0, base)))
