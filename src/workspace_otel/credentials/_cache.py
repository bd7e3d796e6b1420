"""The refreshing token cache that every exporter and thread shares.

Rules (docs/architecture.md names this module as their home), with the constants below:

* A token is *usable* while ``min(wall expiry, monotonic expiry) - now`` is
  more than its margin, ``max(30 s, 5 % of lifetime)`` capped at a quarter of
  the lifetime (a 4-second token is usable for 3 seconds). The monotonic
  expiry is ``received_mono + remaining``: a wall clock that jumps cannot
  stretch a token, and a suspended VM (monotonic time stops) is caught by the
  wall clock.
* A background daemon thread, started lazily at the first :meth:`token` call,
  refreshes at 50-60 % of the remaining life. The export path never fetches
  while a usable token exists; it only nudges the thread.
* One fetch at a time. Without a usable token, callers wait for that fetch up
  to a bound (5 s by default) and then get :class:`TokenError`.
* A failed refresh keeps the current token while usable and retries with
  full-jitter exponential backoff from 1 s, capped at ``min(60 s, usable
  time left / 4)``. Errors that need the user are logged once (logger
  ``workspace_otel.credentials``) and held for 30-60 s, without retries.
* Tokens without expiry (static, file) are re-fetched every
  ``revalidate_interval`` seconds (the source's attribute, default 60 s).
* When a freshly minted JWT's ``iat`` is more than 60 s away from local time,
  the local clock is wrong: the skew is logged once and the token's lifetime
  is trusted instead of its ``exp``.
* After ``fork()`` the child gets a fresh lock and no thread; it keeps a
  still-usable token and restarts its own refresher lazily.
"""

from __future__ import annotations

import logging
import math
import sys
import threading
import weakref
from dataclasses import dataclass, field
from typing import Any

from workspace_otel._guards.fork import on_fork_in_child
from workspace_otel.credentials._clock import SYSTEM_CLOCK, Clock
from workspace_otel.credentials._intervals import MIN_INTERVAL, floor_wait
from workspace_otel.credentials._redact import redact
from workspace_otel.credentials._source import TokenSource
from workspace_otel.credentials._token import Token
from workspace_otel.errors import TokenError

__all__ = ["RefreshingTokenCache", "margin_for"]

_logger = logging.getLogger("workspace_otel.credentials")

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
FORCED_REFRESH_INTERVAL = 10.0
DEFAULT_WAIT = 5.0
DEFAULT_REVALIDATE = 60.0
MAX_IDLE = 30.0
MIN_IDLE = 0.01

_Log = tuple[int, str, tuple[Any, ...]]


def margin_for(lifetime: float) -> float:
    """Return the unusable margin before expiry for a token of ``lifetime`` seconds."""
    return min(max(MIN_MARGIN, MARGIN_FRACTION * lifetime), MAX_MARGIN_FRACTION * lifetime)


@dataclass(frozen=True, eq=False, repr=False)  # never compared or printed
class _Entry:
    token: Token
    received_wall: float
    received_mono: float
    valid_for: float | None  # seconds of validity at receipt; None: no expiry
    margin: float
    refresh_after: float  # seconds after receipt

    # Precomputed for the request path: usable while both clocks are before
    # their ``usable_until``; refresh due once either passes ``refresh_at``.
    usable_until_wall: float = field(init=False)
    usable_until_mono: float = field(init=False)
    refresh_at_wall: float = field(init=False)
    refresh_at_mono: float = field(init=False)

    def __post_init__(self) -> None:
        usable = math.inf if self.valid_for is None else self.valid_for - self.margin
        object.__setattr__(self, "usable_until_wall", self.received_wall + usable)
        object.__setattr__(self, "usable_until_mono", self.received_mono + usable)
        object.__setattr__(self, "refresh_at_wall", self.received_wall + self.refresh_after)
        object.__setattr__(self, "refresh_at_mono", self.received_mono + self.refresh_after)

    def usable_left(self, wall: float, mono: float) -> float:
        if self.valid_for is None:
            return math.inf
        by_wall = self.received_wall + self.valid_for - wall
        by_mono = self.received_mono + self.valid_for - mono
        return min(by_wall, by_mono) - self.margin

    def elapsed(self, wall: float, mono: float) -> float:
        return max(wall - self.received_wall, mono - self.received_mono)


_ALL_CACHES: weakref.WeakSet[RefreshingTokenCache] = weakref.WeakSet()


class RefreshingTokenCache:
    """Holds the current token of one source and refreshes it ahead of expiry.

    Use :func:`shared_cache` to get the process-wide instance for a source;
    construct one directly only for tests or isolated use.

    Args:
        source: where tokens come from.
        clock: wall / monotonic clocks and jitter (tests inject fakes).
        background: refresh in a lazily started daemon thread. With ``False``
            nothing refreshes ahead of time unless :meth:`poll` is called, and
            a caller without a usable token fetches on its own thread.
        wait_timeout: default bound, in seconds, on how long :meth:`token`
            waits for an in-flight fetch when no usable token exists.
    """

    def __init__(
        self,
        source: TokenSource,
        *,
        clock: Clock | None = None,
        background: bool = True,
        wait_timeout: float = DEFAULT_WAIT,
    ) -> None:
        self.source = source
        self._clock = clock or SYSTEM_CLOCK
        self._wall = self._clock.wall
        self._monotonic = self._clock.monotonic
        self._background = background
        self._wait_timeout = wait_timeout
        self._entry: _Entry | None = None
        self._fetching = False
        self._force = False
        self._force_seq = 0
        self._failures = 0
        self._retry_at: float | None = None
        self._last_error: TokenError | None = None
        self._needs_user_until: float | None = None
        self._reported: set[str] = set()
        self._forced_at = -math.inf
        # The value a server rejected while a fetch was already in flight: that
        # fetch began before the rejection and may bring the same value back.
        self._rejected_in_flight: str | None = None
        self._skew_reported = False
        self._closed = False
        self._thread: threading.Thread | None = None
        self.fetch_count = 0
        self._new_sync_objects()
        _ALL_CACHES.add(self)

    def _new_sync_objects(self) -> None:
        self._lock = threading.Lock()
        self._cond = threading.Condition(self._lock)
        self._wake = threading.Event()

    # -- the request path ---------------------------------------------------

    def token(self, timeout: float | None = None) -> Token:
        """Return a usable token, never fetching while one exists.

        Args:
            timeout: longest wait, in seconds, for an in-flight fetch when no
                usable token exists (default: ``wait_timeout``).

        Raises:
            TokenError: no usable token within the bound; the message says why
                (the last failure, an error that needs the user, or a timeout).
        """
        entry = self._entry
        if entry is not None:
            wall = self._wall()
            mono = self._monotonic()
            if wall < entry.usable_until_wall and mono < entry.usable_until_mono:
                if (
                    (wall >= entry.refresh_at_wall or mono >= entry.refresh_at_mono or self._force)
                    and self._background
                    and not self._fetching
                    and (self._retry_at is None or mono >= self._retry_at)
                ):
                    self._nudge()
                return entry.token
        return self._token_slow(self._wait_timeout if timeout is None else timeout)

    def _token_slow(self, timeout: float) -> Token:
        deadline = self._clock.monotonic() + timeout
        while True:
            with self._cond:
                wall = self._clock.wall()
                mono = self._clock.monotonic()
                entry = self._entry
                if entry is not None and entry.usable_left(wall, mono) > 0:
                    return entry.token
                error = self._last_error
                if (
                    error is not None
                    and error.needs_user
                    and self._needs_user_until is not None
                    and mono < self._needs_user_until
                ):
                    raise TokenError(str(error), needs_user=True)
                inline = False
                if not self._fetching:
                    if self._retry_at is not None and mono < self._retry_at:
                        reason = str(error) if error is not None else "an earlier attempt failed"
                        raise TokenError(
                            f"no usable token from {self.source.describe()}: {reason}; "
                            f"next attempt in {self._retry_at - mono:.1f} s"
                        )
                    if not (self._background and self._nudge_locked(force=True)):
                        self._fetching = True
                        inline = True
                if not inline:
                    left = deadline - mono
                    if left <= 0:
                        raise TokenError(
                            f"timed out after {timeout:g} s waiting for a token from "
                            f"{self.source.describe()}"
                        )
                    self._cond.wait(left)
                    continue
            self._fetch_and_store()

    def invalidate(self, token: Token) -> bool:
        """Drop ``token`` after a server rejected it, and fetch a new one.

        Does nothing (returns ``False``) when ``token`` is no longer the
        current one (someone already refreshed) or when a forced refresh
        happened less than 10 s ago, so a burst of 401s costs one fetch.
        """
        with self._cond:
            entry = self._entry
            if entry is None or entry.token.value != token.value:
                return False
            mono = self._clock.monotonic()
            if mono - self._forced_at < FORCED_REFRESH_INTERVAL:
                return False
            self._forced_at = mono
            self._entry = None
            self._retry_at = None
            self._force_locked()
            self._rejected_in_flight = token.value if self._fetching else None
            if self._background:
                self._nudge_locked()
        _logger.info(
            "the server rejected token %s from %s; fetching a new one",
            token.fingerprint(),
            self.source.describe(),
        )
        return True

    @property
    def current(self) -> Token | None:
        """The token held now, usable or not, without fetching."""
        entry = self._entry
        return None if entry is None else entry.token

    # -- the refresher ----------------------------------------------------

    def poll(self) -> float:
        """Fetch now if a refresh is due; return the seconds until the next check.

        The background thread calls this in a loop; tests and callers that
        disabled the thread call it directly.
        """
        with self._cond:
            due, delay = self._due_locked(self._clock.wall(), self._clock.monotonic())
            if not due:
                return delay
            self._fetching = True
        self._fetch_and_store()
        with self._cond:
            return self._due_locked(self._clock.wall(), self._clock.monotonic())[1]

    def _due_locked(self, wall: float, mono: float) -> tuple[bool, float]:
        if self._fetching or self._closed:
            return False, MAX_IDLE
        if self._retry_at is not None and mono < self._retry_at:
            return False, min(max(self._retry_at - mono, MIN_IDLE), MAX_IDLE)
        entry = self._entry
        if self._force or entry is None:
            return True, 0.0
        elapsed = entry.elapsed(wall, mono)
        if elapsed >= entry.refresh_after or entry.usable_left(wall, mono) <= 0:
            return True, 0.0
        return False, min(max(entry.refresh_after - elapsed, MIN_IDLE), MAX_IDLE)

    def _fetch_and_store(self) -> None:
        with self._cond:
            # A refresh forced after this point (a 401 while the fetch runs)
            # must survive it: the token being fetched may be the rejected one.
            seq = self._force_seq
        token: Token | None = None
        error: TokenError | None = None
        try:
            token = self.source.fetch()
        except TokenError as exc:
            error = exc
        except Exception as exc:  # noqa: BLE001 - a source bug must not kill the refresher
            error = TokenError(
                f"{self.source.describe()} failed unexpectedly: "
                f"{type(exc).__name__}: {redact(str(exc), limit=120)}"
            )
        finally:
            logs: list[_Log] = []
            with self._cond:
                self._fetching = False
                if self._force_seq == seq:
                    self._force = False
                self.fetch_count += 1
                wall = self._clock.wall()
                mono = self._clock.monotonic()
                rejected, self._rejected_in_flight = self._rejected_in_flight, None
                if token is not None and token.value == rejected:
                    # Started before the server rejected this value: never serve
                    # it again; fetch once more (a rotated secret is there now).
                    token = None
                    error = None
                    self._force = True
                    if self._background:
                        self._nudge_locked()
                elif token is not None:
                    error = self._store_locked(token, wall, mono, logs)
                elif error is None:
                    error = TokenError("the token fetch was interrupted")
                if error is not None:
                    self._fail_locked(error, wall, mono, logs)
                self._cond.notify_all()
            for level, message, args in logs:
                _logger.log(level, message, *args)

    def _store_locked(
        self, token: Token, wall: float, mono: float, logs: list[_Log]
    ) -> TokenError | None:
        previous = self._entry
        uniform = self._clock.uniform
        revalidate = floor_wait(
            float(getattr(self.source, "revalidate_interval", DEFAULT_REVALIDATE))
        )
        if previous is not None and previous.token.value == token.value:
            left = previous.usable_left(wall, mono)
            if left <= 0:
                return TokenError(
                    f"{self.source.describe()} returned the same token again and it has expired"
                )
            wait = (
                revalidate
                if math.isinf(left)
                else min(revalidate, max(BACKOFF_CAP_FLOOR, left / 4))
            )
            entry = _Entry(
                token=previous.token,
                received_wall=previous.received_wall,
                received_mono=previous.received_mono,
                valid_for=previous.valid_for,
                margin=previous.margin,
                refresh_after=previous.elapsed(wall, mono) + wait,
            )
        elif token.expires_at is None:
            entry = _Entry(token, wall, mono, None, 0.0, revalidate)
        else:
            valid_for = token.expires_at.timestamp() - wall
            if token.lifetime is not None:
                valid_for = min(valid_for, token.lifetime)
                skew = None if token.issued_at is None else token.issued_at.timestamp() - wall
                if (
                    skew is not None
                    and abs(skew) > SKEW_TOLERANCE
                    and getattr(self.source, "mints_fresh_tokens", False)
                ):
                    valid_for = token.lifetime
                    if not self._skew_reported:
                        self._skew_reported = True
                        logs.append(
                            (
                                logging.WARNING,
                                "the local clock differs from the token issuer's by %.0f s "
                                "(%s); trusting the token's %.0f s lifetime instead of its "
                                "expiry time: fix the clock (NTP)",
                                (-skew, self.source.describe(), token.lifetime),
                            )
                        )
            lifetime = token.lifetime if token.lifetime is not None else max(valid_for, 0.0)
            margin = margin_for(lifetime)
            if valid_for - margin < MIN_INTERVAL:
                return TokenError(
                    f"{self.source.describe()} returned a token that expires in "
                    f"{valid_for:.0f} s, too soon to use (is the clock right?)"
                )
            refresh_after = floor_wait(
                min(valid_for * uniform(*REFRESH_FRACTION), valid_for - margin)
            )
            entry = _Entry(token, wall, mono, valid_for, margin, refresh_after)
        self._entry = entry
        if self._failures:
            logs.append(
                (
                    logging.INFO,
                    "%s works again after %d failed attempt(s)",
                    (self.source.describe(), self._failures),
                )
            )
        self._failures = 0
        self._retry_at = None
        self._last_error = None
        self._needs_user_until = None
        self._reported.clear()
        if previous is None or previous.token.value != token.value:
            logs.append((logging.DEBUG, "new token: %s", (token.describe(),)))
        return None

    def _fail_locked(self, error: TokenError, wall: float, mono: float, logs: list[_Log]) -> None:
        self._failures += 1
        self._last_error = error
        uniform = self._clock.uniform
        message = str(error)
        if error.needs_user:
            hold = uniform(*NEEDS_USER_HOLD)
            self._needs_user_until = mono + hold
            self._retry_at = mono + hold
            if message not in self._reported:
                self._reported.add(message)
                logs.append(
                    (
                        logging.ERROR,
                        "cannot get a token from %s: %s",
                        (self.source.describe(), message),
                    )
                )
            return
        entry = self._entry
        left = entry.usable_left(wall, mono) if entry is not None else -1.0
        cap = BACKOFF_MAX
        if 0 < left < math.inf:
            cap = min(BACKOFF_MAX, max(BACKOFF_CAP_FLOOR, left / 4))
        base = min(cap, BACKOFF_INITIAL * 2 ** min(self._failures - 1, 30))
        delay = max(min(BACKOFF_MIN_DELAY, base), uniform(0.0, base))
        self._retry_at = mono + delay
        if self._failures == 1:
            usable = f"current token usable for {left:.0f} s" if left > 0 else "no usable token"
            logs.append(
                (
                    logging.WARNING,
                    "token refresh from %s failed (%s); retrying in %.1f s, %s",
                    (self.source.describe(), message, delay, usable),
                )
            )
        else:
            logs.append(
                (
                    logging.DEBUG,
                    "token refresh attempt %d from %s failed (%s); retrying in %.1f s",
                    (self._failures, self.source.describe(), message, delay),
                )
            )

    # -- the background thread ----------------------------------------------

    def _nudge(self) -> None:
        if self._thread is None:
            with self._cond:
                self._nudge_locked()
        else:
            self._wake.set()

    def _nudge_locked(self, *, force: bool = False) -> bool:
        """Wake the refresher (starting it if needed); ``False`` when none can run.

        No thread is started once interpreter shutdown has begun (Python 3.12
        refuses, and the exit flush is when a short script first exports):
        the caller then fetches on its own thread.
        """
        if self._closed:
            return False
        thread = self._thread
        if thread is None or not thread.is_alive():
            if sys.is_finalizing():
                return False
            thread = threading.Thread(
                target=self._run, name="workspace-otel-token-refresh", daemon=True
            )
            try:
                thread.start()
            except RuntimeError:  # "can't create new thread at interpreter shutdown"
                self._thread = None
                return False
            self._thread = thread
        if force:
            self._force_locked()
        self._wake.set()
        return True

    def _force_locked(self) -> None:
        """Ask for a fetch that starts after this moment (a fetch in flight does not count)."""
        self._force = True
        self._force_seq += 1

    def _run(self) -> None:
        me = threading.current_thread()
        while True:
            with self._cond:
                if self._closed or self._thread is not me:
                    return
                wake = self._wake
            wake.clear()
            try:
                delay = self.poll()
            except Exception:  # keep refreshing whatever happens
                _logger.debug("token refresher step failed", exc_info=True)
                delay = 1.0
            wake.wait(max(delay, 0.0))

    def close(self) -> None:
        """Stop the background thread (tests; the thread is a daemon anyway)."""
        with self._cond:
            self._closed = True
            thread = self._thread
            self._thread = None
            self._wake.set()
            self._cond.notify_all()
        if thread is not None and thread is not threading.current_thread():
            thread.join(timeout=2.0)

    @property
    def refresher_thread(self) -> threading.Thread | None:
        """The background refresher thread, if started (for diagnostics and tests)."""
        return self._thread

    def _after_fork_in_child(self) -> None:
        self._new_sync_objects()
        self._thread = None
        self._fetching = False
        self._force = False

    def __repr__(self) -> str:
        entry = self._entry
        token = entry.token.describe() if entry is not None else "none"
        return f"RefreshingTokenCache(source={self.source.describe()!r}, token={token!r})"


def _reset_all_after_fork() -> None:
    for cache in list(_ALL_CACHES):
        cache._after_fork_in_child()


on_fork_in_child(__name__, _reset_all_after_fork)
