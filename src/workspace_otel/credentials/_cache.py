"""The refreshing token cache that every exporter and thread shares.

One state machine around one lock: the request path, the refresher thread
and the fork reset read and change the same fields, so they stay together;
the timing rules they apply (usable margin, refresh point, backoff, clock
skew) live in :mod:`workspace_otel.credentials._cache_timing`.

* A background daemon thread, started lazily at the first :meth:`token` call,
  refreshes when the timing rules say so. The export path never fetches
  while a usable token exists; it only nudges the thread.
* One fetch at a time. Without a usable token, callers wait for that fetch up
  to a bound (5 s by default) and then get :class:`TokenError`.
* A failed refresh keeps the current token while usable and retries after
  the backoff delay. Errors that need the user are logged once (logger
  ``workspace_otel.credentials``) and held, without retries.
* A skewed local clock is logged once.
* After ``fork()`` the child gets a fresh lock and no thread; it keeps a
  still-usable token and restarts its own refresher lazily.
* One cache per source configuration in the process (:func:`shared_cache`):
  every exporter, factory and signal with an equal source shares its token
  and its single refresher.
"""

from __future__ import annotations

import math
import sys
import threading
import weakref
from collections.abc import Hashable

from workspace_otel._guards import lazy_logging as _lazy_logging
from workspace_otel._guards.fork import on_fork_in_child
from workspace_otel._guards.redaction import scrub_strict
from workspace_otel.credentials._cache_timing import (
    DEFAULT_REVALIDATE,
    NEEDS_USER_HOLD,
    REFRESH_FRACTION,
    SKEW_TOLERANCE,
    SYSTEM_CLOCK,
    CacheEntry,
    Clock,
    clock_skew,
    entry_for,
    margin_for,
    retry_delay,
)
from workspace_otel.credentials._token import Token
from workspace_otel.errors import TokenError

TYPE_CHECKING = False  # typing is not imported at run time: see workspace_otel/__init__
if TYPE_CHECKING:
    from workspace_otel.credentials._source import TokenSource

__all__ = [
    "REFRESH_FRACTION",
    "RefreshingTokenCache",
    "margin_for",
    "registry_key",
    "reset_shared_caches",
    "shared_cache",
]

_LOGGER = "workspace_otel.credentials"  # logged through _lazy_logging: no logging import here

FORCED_REFRESH_INTERVAL = 10.0
DEFAULT_WAIT = 5.0
MAX_IDLE = 30.0
MIN_IDLE = 0.01

_Log = tuple[int, str, tuple[object, ...]]


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
        self._entry: CacheEntry | None = None
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
            if wall < entry.quiet_until_wall and mono < entry.quiet_until_mono and not self._force:
                return entry.token
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
        _lazy_logging.log(
            _LOGGER,
            _lazy_logging.INFO,
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
                f"{type(exc).__name__}: {scrub_strict(str(exc), limit=120)}"
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
                _lazy_logging.log(_LOGGER, level, message, *args)

    def _store_locked(
        self, token: Token, wall: float, mono: float, logs: list[_Log]
    ) -> TokenError | None:
        previous = self._entry
        fresh = previous is None or previous.token.value != token.value
        skew = clock_skew(token, wall) if fresh else None
        skewed = (
            skew is not None
            and abs(skew) > SKEW_TOLERANCE
            and bool(getattr(self.source, "mints_fresh_tokens", False))
        )
        try:
            entry = entry_for(
                token,
                previous,
                wall,
                mono,
                revalidate=float(getattr(self.source, "revalidate_interval", DEFAULT_REVALIDATE)),
                uniform=self._clock.uniform,
                trust_lifetime=skewed,
                source=self.source.describe(),
            )
        except TokenError as exc:
            return exc
        if skewed and skew is not None and not self._skew_reported:
            self._skew_reported = True
            logs.append(
                (
                    _lazy_logging.WARNING,
                    "the local clock differs from the token issuer's by %.0f s "
                    "(%s); trusting the token's %.0f s lifetime instead of its "
                    "expiry time: fix the clock (NTP)",
                    (-skew, self.source.describe(), token.lifetime),
                )
            )
        self._entry = entry
        if self._failures:
            logs.append(
                (
                    _lazy_logging.INFO,
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
            logs.append(
                (_lazy_logging.DEBUG, "new token: %s", (_lazy_logging.Deferred(token.describe),))
            )
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
                        _lazy_logging.ERROR,
                        "cannot get a token from %s: %s",
                        (self.source.describe(), message),
                    )
                )
            return
        entry = self._entry
        left = entry.usable_left(wall, mono) if entry is not None else -1.0
        delay = retry_delay(self._failures, left, uniform)
        self._retry_at = mono + delay
        if self._failures == 1:
            usable = f"current token usable for {left:.0f} s" if left > 0 else "no usable token"
            logs.append(
                (
                    _lazy_logging.WARNING,
                    "token refresh from %s failed (%s); retrying in %.1f s, %s",
                    (self.source.describe(), message, delay, usable),
                )
            )
        else:
            logs.append(
                (
                    _lazy_logging.DEBUG,
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
            except Exception:  # noqa: BLE001 - keep refreshing whatever happens (logged below)
                _lazy_logging.log(
                    _LOGGER, _lazy_logging.DEBUG, "token refresher step failed", exc_info=True
                )
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


# The process-wide registry: one cache per source configuration.

_REGISTRY: dict[Hashable, RefreshingTokenCache] = {}
_REGISTRY_LOCK = threading.Lock()


def shared_cache(source: TokenSource) -> RefreshingTokenCache:
    """Return this process's cache for ``source``'s configuration, creating it once.

    Sources with equal :attr:`~TokenSource.cache_key` share one cache, so the
    HTTP and gRPC factories and the traces, metrics and logs exporters all use
    the same token and the same single refresher. Creating the cache does no
    I/O and starts no thread; the first :meth:`RefreshingTokenCache.token`
    call does. After ``fork()`` the child keeps the registry (and any
    still-usable tokens) with fresh locks and no threads.
    """
    key = registry_key(source)
    with _REGISTRY_LOCK:
        cache = _REGISTRY.get(key)
        if cache is None:
            cache = RefreshingTokenCache(source)
            _REGISTRY[key] = cache
        return cache


def registry_key(source: TokenSource) -> Hashable:
    """The one sharing rule for every source: its own key plus how the cache treats it.

    The source's :attr:`~TokenSource.cache_key` covers what changes the token;
    ``revalidate_interval`` (read by the cache, not the source) and the
    source's type are added here so no source can forget them.
    """
    revalidate = getattr(source, "revalidate_interval", None)
    return (type(source).__module__, type(source).__qualname__, source.cache_key, revalidate)


def reset_shared_caches() -> None:
    """Close and forget every shared cache (for tests)."""
    with _REGISTRY_LOCK:
        caches = list(_REGISTRY.values())
        _REGISTRY.clear()
    for cache in caches:
        cache.close()


def _after_fork_in_child() -> None:
    global _REGISTRY_LOCK  # the parent's lock may be held by a vanished thread
    _REGISTRY_LOCK = threading.Lock()


on_fork_in_child(f"{__name__}.registry", _after_fork_in_child)
