"""RefreshingTokenCache rules, driven by an injected clock (no sleeps)."""

from __future__ import annotations

import logging
import threading
import time

import pytest

from tests.credentials.helpers import CANARY, FakeClock, ScriptedSource, make_jwt, token
from workspace_otel.credentials import RefreshingTokenCache, Token, shared_cache
from workspace_otel.credentials._cache import margin_for
from workspace_otel.errors import TokenError

LOGGER = "workspace_otel.credentials"


def minted(clock: FakeClock, lifetime: float, *, server_offset: float = 0.0) -> Token:
    """A JWT as a token server whose clock is ``server_offset`` ahead of true time mints it."""
    issued = clock.mono_now - 1000.0 + 1_800_000_000.0 + server_offset  # true time from mono
    return Token.from_value(
        make_jwt(iat=issued, exp=issued + lifetime, jti=str(issued)),
        kind="scripted",
        now=clock.wall_now,
    )


def cache_for(source: ScriptedSource, clock: FakeClock, **kw: object) -> RefreshingTokenCache:
    kw.setdefault("background", False)
    return RefreshingTokenCache(source, clock=clock.clock, **kw)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("lifetime", "margin"),
    [(4, 1), (8, 2), (60, 15), (120, 30), (600, 30), (3600, 180), (7200, 360)],
)
def test_margin_math(lifetime: float, margin: float) -> None:
    """max(30 s, 5 %) capped at a quarter of the lifetime."""
    assert margin_for(lifetime) == pytest.approx(margin)


def test_four_second_token_is_usable_for_three_seconds(clock: FakeClock) -> None:
    """A 4 s token serves for 3 s, then the next call fetches."""
    source = ScriptedSource(lambda: token(f"t{source.fetches}", lifetime=4, now=clock.wall_now))
    cache = cache_for(source, clock)
    first = cache.token()
    clock.advance(2.99)
    assert cache.token() is first
    assert source.fetches == 1
    clock.advance(0.02)
    assert cache.token() is not first
    assert source.fetches == 2


def test_refresh_schedule_is_half_life_with_jitter(clock: FakeClock) -> None:
    """poll() refreshes at 50-60 % of the remaining life (jitter pinned to each end)."""
    for jitter, due in ((1.0, 360.0), (0.0, 300.0)):
        clock.jitter = jitter
        source = ScriptedSource(lambda: token("t", lifetime=600, now=clock.wall_now))
        cache = cache_for(source, clock)
        cache.token()
        start = clock.mono_now
        while True:
            delay = cache.poll()
            if source.fetches > 1:
                break
            assert 0 < delay <= 30
            clock.advance(delay)
        assert clock.mono_now - start == pytest.approx(due)
        assert (0.5, 0.6) in clock.draws


def test_export_path_never_fetches_while_usable(clock: FakeClock) -> None:
    """Past the refresh point but still usable: token() returns without fetching."""
    source = ScriptedSource(lambda: token(f"t{source.fetches}", lifetime=600, now=clock.wall_now))
    cache = cache_for(source, clock)
    first = cache.token()
    clock.advance(500)  # refresh long due, usable until 570
    for _ in range(100):
        assert cache.token() is first
    assert source.fetches == 1


def test_export_path_does_not_wait_for_background_refresh(clock: FakeClock) -> None:
    """With the refresher blocked mid-fetch, callers still get the usable token at once."""
    source = ScriptedSource(lambda: token(f"t{source.fetches}", lifetime=600, now=clock.wall_now))
    cache = cache_for(source, clock, background=True)
    first = cache.token()
    source.gate = threading.Event()
    source.entered.clear()
    clock.advance(400)
    assert cache.token() is first  # nudges the thread
    assert source.entered.wait(5)
    assert cache.token() is first  # refresh in flight, caller not blocked
    source.gate.set()
    for _ in range(500):
        if cache.current is not first:
            break
        threading.Event().wait(0.01)
    assert cache.current is not first
    assert source.fetches == 2
    cache.close()


@pytest.mark.parametrize("background", [True, False])
def test_single_flight_cold_start(clock: FakeClock, background: bool) -> None:
    """32 threads asking at once on a cold cache cause exactly one fetch."""
    source = ScriptedSource(lambda: token("only", lifetime=600, now=clock.wall_now))
    source.gate = threading.Event()
    cache = cache_for(source, clock, background=background, wait_timeout=10.0)
    results: list[Token] = []
    barrier = threading.Barrier(33)

    def ask() -> None:
        barrier.wait()
        results.append(cache.token())

    threads = [threading.Thread(target=ask) for _ in range(32)]
    for t in threads:
        t.start()
    barrier.wait()
    assert source.entered.wait(5)
    source.gate.set()
    for t in threads:
        t.join(10)
    assert len(results) == 32
    assert {r.value for r in results} == {"only"}
    assert source.fetches == 1
    cache.close()


def test_cold_start_wait_is_bounded(clock: FakeClock) -> None:
    """A stuck fetch makes callers give up after the bound with TokenError."""
    source = ScriptedSource(lambda: token("late", lifetime=600))
    source.gate = threading.Event()
    cache = RefreshingTokenCache(source)  # the real clock: the bound is a real wait
    with pytest.raises(TokenError, match="timed out"):
        cache.token(timeout=0.2)
    source.gate.set()
    cache.close()


def test_backoff_schedule_counted(clock: FakeClock) -> None:
    """Failures retry with full-jitter backoff 1, 2, 4 ... capped at 60 s, one attempt per step."""
    results: list[Token | TokenError] = [token("good", lifetime=7200, now=clock.wall_now)]
    results += [TokenError("idp down")] * 1000
    source = ScriptedSource(results)
    cache = cache_for(source, clock)
    good = cache.token()
    clock.advance(4320)  # the scheduled refresh point (0.6 * 7200)
    elapsed = 0.0
    while elapsed < 600:
        delay = cache.poll()
        assert cache.token() is good  # kept while usable
        clock.advance(delay)
        elapsed += delay
    bases = [b for a, b in clock.draws if a == 0.0]
    assert bases[:8] == [1, 2, 4, 8, 16, 32, 60, 60]
    # 1+2+4+8+16+32 = 63 s for the first six, then one attempt per 60 s.
    assert source.fetches - 1 == len(bases)  # one attempt per backoff step, never per call
    assert 13 <= len(bases) <= 17


def test_backoff_cap_follows_remaining_life(clock: FakeClock) -> None:
    """The backoff cap is a quarter of the usable time left (floored at 0.25 s)."""
    source = ScriptedSource([token("good", lifetime=600, now=clock.wall_now), TokenError("down")])
    cache = cache_for(source, clock)
    cache.token()
    clock.advance(470)  # usable left: 600 - 470 - 30 = 100 s → cap 25 s
    for _ in range(8):
        clock.advance(cache.poll())
    bases = [b for a, b in clock.draws if a == 0.0]
    assert max(bases) <= 25
    assert bases[:3] == [1, 2, 4]


def test_failure_without_token_raises_without_hammering(clock: FakeClock) -> None:
    """With no usable token, calls during backoff raise at once and do not fetch."""
    source = ScriptedSource([TokenError(f"down {CANARY[:0]}")])
    cache = cache_for(source, clock)
    with pytest.raises(TokenError):
        cache.token()
    for _ in range(50):
        with pytest.raises(TokenError, match="next attempt in"):
            cache.token()
    assert source.fetches == 1


def test_needs_user_reported_once(clock: FakeClock, caplog: pytest.LogCaptureFixture) -> None:
    """An error needing the user is logged once at ERROR, held 30-60 s, not retried meanwhile."""
    caplog.set_level(logging.DEBUG, logger=LOGGER)
    source = ScriptedSource([TokenError("audience missing: set X", needs_user=True)])
    cache = cache_for(source, clock)
    for _ in range(20):
        with pytest.raises(TokenError) as info:
            cache.token()
        assert info.value.needs_user
    assert source.fetches == 1
    clock.advance(61)
    with pytest.raises(TokenError):
        cache.token()
    assert source.fetches == 2
    errors = [r for r in caplog.records if r.levelno == logging.ERROR]
    assert len(errors) == 1
    assert "set X" in errors[0].getMessage()


def test_local_clock_ahead_of_issuer_trusts_lifetime(
    clock: FakeClock, caplog: pytest.LogCaptureFixture
) -> None:
    """iat 5 min behind local time: logged once, lifetime trusted, no refresh loop."""
    caplog.set_level(logging.WARNING, logger=LOGGER)
    clock.wall_now += 300  # local wall clock 5 min fast
    source = ScriptedSource(lambda: minted(clock, 300))
    cache = cache_for(source, clock)
    for _ in range(600):
        cache.token()
        cache.poll()
        clock.advance(1)
    # A 300 s token refreshed at 180 s: about four fetches in ten minutes, not a loop.
    assert 3 <= source.fetches <= 5
    skew = [r for r in caplog.records if "clock" in r.getMessage()]
    assert len(skew) == 1


@pytest.mark.parametrize("jump", [300.0, -300.0])
def test_wall_clock_jump(clock: FakeClock, jump: float) -> None:
    """A ±5 min wall-clock jump causes at most one extra fetch and never an expired token."""
    source = ScriptedSource(lambda: minted(clock, 300))
    cache = cache_for(source, clock)
    cache.token()
    clock.advance(10)
    clock.wall_now += jump
    seen = set()
    for _ in range(300):
        tok = cache.token()
        seen.add(tok.value)
        true_now = clock.mono_now - 1000.0 + 1_800_000_000.0
        assert tok.expires_at is not None
        assert tok.expires_at.timestamp() - true_now > 0  # never hand out an expired token
        clock.advance(1)
    assert source.fetches <= 3


def test_backward_jump_cannot_stretch_a_token(clock: FakeClock) -> None:
    """The monotonic expiry still ends the token when the wall clock goes back."""
    source = ScriptedSource(lambda: token(f"t{source.fetches}", lifetime=300, now=clock.wall_now))
    cache = cache_for(source, clock)
    first = cache.token()
    clock.advance(200)
    clock.wall_now -= 300
    clock.advance(69)
    assert cache.token() is first
    clock.advance(2)  # 271 s by the monotonic clock: inside the 30 s margin
    assert cache.token() is not first


def test_suspend_detected_by_wall_clock(clock: FakeClock) -> None:
    """Monotonic time stopped during a suspend; the wall clock shows the token expired."""
    source = ScriptedSource(lambda: token(f"t{source.fetches}", lifetime=600, now=clock.wall_now))
    cache = cache_for(source, clock)
    first = cache.token()
    clock.wall_now += 3600  # suspended for an hour, monotonic unchanged
    assert cache.token() is not first
    assert source.fetches == 2


def test_token_without_expiry_is_revalidated(clock: FakeClock) -> None:
    """Static tokens are re-fetched every revalidate_interval, and a change is picked up."""
    values = ["static-1"]
    source = ScriptedSource(lambda: Token(values[0]))
    source.revalidate_interval = 60.0
    cache = cache_for(source, clock)
    assert cache.token().value == "static-1"
    clock.advance(cache.poll())
    assert cache.poll() == pytest.approx(30)  # capped idle, not yet due
    clock.advance(30)
    cache.poll()
    assert source.fetches == 2
    values[0] = "static-2"
    clock.advance(60)
    cache.poll()
    assert cache.token().value == "static-2"


def test_same_token_again_keeps_original_timing(clock: FakeClock) -> None:
    """A source handing back the same token cannot extend its life."""
    fixed = token("same", lifetime=300, now=clock.wall_now)
    source = ScriptedSource([fixed])
    cache = cache_for(source, clock)
    cache.token()
    for _ in range(100):
        clock.advance(max(cache.poll(), 0.25))
        if clock.mono_now - 1000 > 280:
            break
    with pytest.raises(TokenError):
        cache.token()


def test_token_arriving_expired_is_a_failure(clock: FakeClock) -> None:
    """A token already inside its margin on arrival is not used."""
    source = ScriptedSource([token("stale", lifetime=10, now=clock.wall_now - 9)])
    cache = cache_for(source, clock)
    with pytest.raises(TokenError, match="too soon"):
        cache.token()


def test_invalidate_only_current_and_rate_limited(clock: FakeClock) -> None:
    """invalidate() acts for the current token only, at most once per 10 s."""
    source = ScriptedSource(lambda: token(f"t{source.fetches}", lifetime=600, now=clock.wall_now))
    cache = cache_for(source, clock)
    first = cache.token()
    assert cache.invalidate(first)
    second = cache.token()
    assert second is not first
    assert not cache.invalidate(first)  # stale: someone already refreshed
    assert not cache.invalidate(second)  # within 10 s of the last forced refresh
    clock.advance(10)
    assert cache.invalidate(second)
    assert cache.token() is not second
    assert source.fetches == 3


def test_repr_never_shows_the_token(clock: FakeClock) -> None:
    """The cache's repr names the source, expiry and fingerprint only."""
    source = ScriptedSource([token(CANARY, lifetime=600, now=clock.wall_now)])
    cache = cache_for(source, clock)
    cache.token()
    text = repr(cache)
    assert CANARY not in text
    assert "sha256:" in text


def test_unexpected_source_exception_becomes_token_error(clock: FakeClock) -> None:
    """A source raising something else is contained; the message is redacted."""

    def boom() -> Token:
        raise RuntimeError(f"leak {CANARY}")

    cache = cache_for(ScriptedSource(boom), clock)
    with pytest.raises(TokenError) as info:
        cache.token()
    assert CANARY not in str(info.value)
    assert "RuntimeError" in str(info.value)


def test_shared_cache_is_one_per_configuration() -> None:
    """Equal cache keys share one cache; different keys do not."""
    from workspace_otel.credentials import EnvTokenSource

    a = shared_cache(EnvTokenSource("A_TOKEN"))
    assert shared_cache(EnvTokenSource("A_TOKEN")) is a
    assert shared_cache(EnvTokenSource("B_TOKEN")) is not a
    assert a.refresher_thread is None  # creating does not start a thread


def test_background_thread_refreshes_with_real_clock() -> None:
    """With the real clock, the daemon refreshes a 2 s token without callers waiting."""
    source = ScriptedSource(lambda: token(f"r{source.fetches}", lifetime=2.0, now=time.time()))
    cache = RefreshingTokenCache(source)
    first = cache.token()
    thread = cache.refresher_thread
    assert thread is not None
    assert thread.daemon
    deadline = time.monotonic() + 5
    while cache.current is first and time.monotonic() < deadline:
        assert cache.token(timeout=0) is not None
        threading.Event().wait(0.05)
    assert cache.current is not first
    cache.close()
    assert not thread.is_alive()
