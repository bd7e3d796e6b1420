"""Faults 1-3 of RELIABILITY.md: the token service down (shorter / longer than a token's life), or
answering garbage, slowly, or with ``invalid_client``; each over OTLP/HTTP and OTLP/gRPC.

Real parts: the Authlib token server, the OAuth2 source, the cache, the
suite's one :class:`~tests.reliability.pipeline.Pipeline` per transport (``requests``
auth and the SDK's OTLP/HTTP exporter, or the TLS metadata plugin and the SDK's
OTLP/gRPC exporter) and a receiver validating the JWT like the Collector.
Time is a fake clock injected into the cache (and followed by the token server
and the receiver's validator), so a 60-second token and a 3-minute outage cost
no real waiting; the background refresher is driven step by step.
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Callable, Iterator

import pytest
from opentelemetry.sdk.trace.export import SpanExportResult

from tests.harness.receivers import GrpcOtlpReceiver, HttpOtlpReceiver
from tests.harness.token_server import TokenServer
from tests.reliability.helpers import FakeClock, Figures, LeakScanner
from tests.reliability.pipeline import (
    CLIENT_SECRET,
    Pipeline,
    Transport,
    make_token_server,
    section,
)
from workspace_otel.credentials._cache import REFRESH_FRACTION, margin_for
from workspace_otel.errors import TokenError

LIFETIME = 60.0
TICK = 0.5


@pytest.fixture
def server() -> Iterator[TokenServer]:
    with make_token_server(LIFETIME, stall_seconds=3.0) as token_server:
        yield token_server


def _count_fetches(
    pipeline: Pipeline, monkeypatch: pytest.MonkeyPatch, clock: FakeClock
) -> list[float]:
    """Record the fake time of every fetch attempt (success or failure)."""
    attempts: list[float] = []
    original: Callable[[], object] = pipeline.source.fetch

    def counting() -> object:
        attempts.append(clock.mono_now)
        return original()

    monkeypatch.setattr(pipeline.source, "fetch", counting)
    return attempts


def design_schedule(
    first: float, usable_until: float, end: float, tick: float = TICK
) -> list[float]:
    """Attempt times the refresh rules allow, jitter at its upper bound, polled every tick.

    Backoff from 1 s doubling, capped at min(60 s, usable time left / 4) (at
    least 0.25 s) while the current token is usable, else at 60 s.
    """
    times: list[float] = []
    at = first
    failures = 0
    while at < end:
        times.append(at)
        failures += 1
        left = usable_until - at
        cap = min(60.0, max(0.25, left / 4)) if left > 0 else 60.0
        delay = min(cap, 2.0 ** (failures - 1))
        at = math.ceil((at + delay) / tick - 1e-9) * tick
    return times


def _credential_lines(scanner: LeakScanner, level: int) -> list[str]:
    return [
        r.getMessage()
        for r in scanner.handler.records
        if r.name == "workspace_otel.credentials" and r.levelno == level
    ]


def test_outage_shorter_than_remaining_life_loses_nothing(
    server: TokenServer,
    receiver: HttpOtlpReceiver | GrpcOtlpReceiver,
    transport: Transport,
    clock: FakeClock,
    monkeypatch: pytest.MonkeyPatch,
    leak_scanner: LeakScanner,
    figures: Figures,
) -> None:
    """Fault 1: down from 28 s to 42 s of a 60 s token (usable to 45 s): every export accepted."""
    pipeline = Pipeline(server, receiver, clock, transport=transport)
    attempts = _count_fetches(pipeline, monkeypatch, clock)
    start = clock.mono_now
    usable_until = LIFETIME - margin_for(LIFETIME)
    outage = (28.0, 42.0)
    recovered_at: float | None = None
    during_outage = 0
    exports = 0
    while clock.mono_now - start < 70.0:
        t = clock.mono_now - start
        if t == outage[0]:
            server.suspend()
        if t == outage[1]:
            server.resume()
        before = len(attempts)
        pipeline.refresher_step()
        if outage[0] <= t < outage[1]:
            during_outage += len(attempts) - before
        elif (
            t >= outage[1]
            and recovered_at is None
            and len(attempts) > before
            and pipeline.cache._failures == 0
        ):
            recovered_at = t
        if float(t).is_integer():
            assert pipeline.export() is SpanExportResult.SUCCESS, f"export at {t} s failed"
            exports += 1
        clock.advance(TICK)
    pipeline.close()
    assert pipeline.results.count(SpanExportResult.SUCCESS) == exports
    assert receiver.rejected == 0
    assert len(receiver.spans) == 2 * exports
    assert len({s.span_id for s in receiver.spans}) == 2 * exports
    assert during_outage >= 1, "the refresher should have tried during the outage"
    assert recovered_at is not None
    assert recovered_at - outage[1] <= 60.0
    assert server.token_requests == 2  # the first token and the one after the outage
    leak_scanner.secret(CLIENT_SECRET, *receiver.tokens_seen)
    leak_scanner.add_reprs("fault1", [pipeline.cache, pipeline.source, pipeline.credential])
    leak_scanner.add("fault1 spans", b"".join(s.proto.SerializeToString() for s in receiver.spans))
    leak_scanner.scan(f"fault 1 ({transport}): short outage")
    figures.record(
        section("fault1_short_outage", transport),
        token_lifetime_s=LIFETIME,
        usable_until_s=usable_until,
        outage_s=list(outage),
        exports=exports,
        exports_accepted=pipeline.results.count(SpanExportResult.SUCCESS),
        spans_received=len(receiver.spans),
        receiver_rejected=receiver.rejected,
        fetch_attempts_during_outage=during_outage,
        token_server_requests=server.token_requests,
        recovered_after_resume_s=recovered_at - outage[1],
    )


def test_outage_longer_than_life_recovers_within_backoff_cap(
    server: TokenServer,
    receiver: HttpOtlpReceiver | GrpcOtlpReceiver,
    transport: Transport,
    clock: FakeClock,
    monkeypatch: pytest.MonkeyPatch,
    leak_scanner: LeakScanner,
    figures: Figures,
) -> None:
    """Fault 2: down from 10 s to 190 s (3 lifetimes): no exception, attempts on schedule."""
    pipeline = Pipeline(server, receiver, clock, timeout=0.5, transport=transport)
    attempts = _count_fetches(pipeline, monkeypatch, clock)
    start = clock.mono_now
    outage = (10.0, 190.0)
    usable_until = LIFETIME - margin_for(LIFETIME)
    outcome: dict[float, SpanExportResult] = {}
    recovered_at: float | None = None
    while recovered_at is None or clock.mono_now - start < recovered_at + 11:
        t = clock.mono_now - start
        assert t < outage[1] + 120, "never recovered"
        if t == outage[0]:
            server.suspend()
        if t == outage[1]:
            server.resume()
        failures_before = pipeline.cache._failures
        pipeline.refresher_step()
        if (
            t >= outage[1]
            and recovered_at is None
            and failures_before
            and not pipeline.cache._failures
        ):
            recovered_at = t
        if t % 5 == 0:
            outcome[t] = pipeline.export()  # an exception here would fail the test
        clock.advance(TICK)
    pipeline.close()

    in_outage = [a - start for a in attempts if outage[0] <= a - start < outage[1]]
    allowed = design_schedule(in_outage[0], usable_until, outage[1])
    exports_in_outage = [t for t in outcome if outage[0] <= t < outage[1]]
    assert in_outage[0] == pytest.approx(LIFETIME * REFRESH_FRACTION[1])  # scheduled refresh
    assert len(in_outage) <= len(allowed), (in_outage, allowed)
    # Exports never fetch: attempts are the refresher's, far fewer than exports.
    assert len(in_outage) < len(exports_in_outage)
    assert all(outcome[t] is SpanExportResult.SUCCESS for t in outcome if t < usable_until)
    failed = [t for t in exports_in_outage if outcome[t] is SpanExportResult.FAILURE]
    assert failed
    assert min(failed) >= usable_until
    assert recovered_at is not None
    assert recovered_at - outage[1] <= 60.0
    after = [t for t in outcome if t > recovered_at]
    assert after
    assert all(outcome[t] is SpanExportResult.SUCCESS for t in after)
    assert receiver.rejected == 0  # no expired or unusable token was ever sent
    warnings_logged = _credential_lines(leak_scanner, logging.WARNING)
    assert len([w for w in warnings_logged if "failed" in w]) == 1
    leak_scanner.secret(CLIENT_SECRET, *receiver.tokens_seen)
    leak_scanner.add_reprs("fault2", [pipeline.cache, pipeline.source, pipeline.credential])
    leak_scanner.scan(f"fault 2 ({transport}): long outage")
    figures.record(
        section("fault2_long_outage", transport),
        token_lifetime_s=LIFETIME,
        outage_s=list(outage),
        fetch_attempts_during_outage=len(in_outage),
        design_schedule_attempts=len(allowed),
        attempt_times_s=[round(a, 2) for a in in_outage],
        exports_during_outage=len(exports_in_outage),
        exports_failed_cleanly=len(failed),
        exceptions_reaching_app=0,
        recovered_after_resume_s=recovered_at - outage[1],
        backoff_cap_s=60.0,
        receiver_rejected=receiver.rejected,
    )


def test_invalid_client_is_reported_once_and_not_hammered(
    server: TokenServer,
    receiver: HttpOtlpReceiver | GrpcOtlpReceiver,
    transport: Transport,
    clock: FakeClock,
    leak_scanner: LeakScanner,
    figures: Figures,
) -> None:
    """Fault 3a: 400 invalid_client needs the user: one ERROR line with the fix, attempts held."""
    server.fail_mode = "invalid_client"
    pipeline = Pipeline(server, receiver, clock, timeout=0.5, transport=transport)
    start = clock.mono_now
    errors: list[str] = []
    span = 120.0
    while clock.mono_now - start < span:
        t = clock.mono_now - start
        pipeline.refresher_step()
        if t % 5 == 0:
            assert pipeline.export() is SpanExportResult.FAILURE
            with pytest.raises(TokenError) as caught:
                pipeline.cache.token(timeout=0.1)
            assert caught.value.needs_user
            errors.append(str(caught.value))
        clock.advance(TICK)
    pipeline.close()
    lines = _credential_lines(leak_scanner, logging.ERROR)
    assert len(lines) == 1, lines
    assert "invalid_client" in lines[0]
    assert "WORKSPACE_OTEL_OAUTH2_CLIENT_ID" in lines[0]
    # Held 30-60 s between attempts: at most 1 + 120 / 30.
    assert server.token_requests <= 1 + int(span // 30)
    assert errors
    assert all("invalid_client" in e for e in errors)
    assert receiver.requests == []  # nothing sent without a token
    leak_scanner.secret(CLIENT_SECRET)
    leak_scanner.add("fault3a errors", "\n".join(errors))
    leak_scanner.scan(f"fault 3a ({transport}): invalid_client")
    figures.record(
        section("fault3_invalid_client", transport),
        window_s=span,
        token_requests=server.token_requests,
        error_log_lines=len(lines),
        error_line=lines[0],
        exports_attempted=len(errors),
        otlp_requests_sent=len(receiver.requests),
    )


@pytest.mark.parametrize("mode", ["garbage", "500", "no_token", "huge"])
def test_transient_token_errors_back_off_and_recover(
    mode: str,
    server: TokenServer,
    receiver: HttpOtlpReceiver | GrpcOtlpReceiver,
    transport: Transport,
    clock: FakeClock,
    leak_scanner: LeakScanner,
    figures: Figures,
) -> None:
    """Fault 3b: unreadable answers are retried on the backoff schedule, one WARNING, recovery."""
    server.fail_mode = mode  # type: ignore[assignment]
    pipeline = Pipeline(server, receiver, clock, timeout=0.5, transport=transport)
    start = clock.mono_now
    window = 120.0
    while clock.mono_now - start < window:
        pipeline.refresher_step()
        clock.advance(TICK)
    failed_requests = server.token_requests
    allowed = design_schedule(0.0, -1.0, window)
    server.fail_mode = None
    recovered: float | None = None
    while recovered is None:
        assert clock.mono_now - start < window + 61, "never recovered"
        pipeline.refresher_step()
        if pipeline.cache.current is not None:
            recovered = clock.mono_now - start - window
        clock.advance(TICK)
    assert pipeline.export() is SpanExportResult.SUCCESS
    pipeline.close()
    assert failed_requests <= len(allowed), (failed_requests, allowed)
    warnings_logged = _credential_lines(leak_scanner, logging.WARNING)
    assert len(warnings_logged) == 1, warnings_logged
    assert _credential_lines(leak_scanner, logging.ERROR) == []
    assert recovered <= 60.0
    assert receiver.rejected == 0
    leak_scanner.secret(CLIENT_SECRET, *receiver.tokens_seen)
    leak_scanner.scan(f"fault 3b ({transport}): {mode}")
    figures.record(
        section(f"fault3_{mode}", transport),
        window_s=window,
        token_requests_in_window=failed_requests,
        design_schedule_attempts=len(allowed),
        warning_lines=len(warnings_logged),
        recovered_after_fix_s=recovered,
    )


def test_slow_token_service_is_bounded_by_the_timeout(
    server: TokenServer,
    receiver: HttpOtlpReceiver | GrpcOtlpReceiver,
    transport: Transport,
    clock: FakeClock,
    leak_scanner: LeakScanner,
    figures: Figures,
) -> None:
    """Fault 3c: a token service stalling past the timeout costs one timeout per attempt."""
    server.fail_mode = "stall"
    server.fail_count = 2
    pipeline = Pipeline(
        server, receiver, clock, timeout=2.0, fetch_timeout=0.4, transport=transport
    )
    durations: list[float] = []
    while pipeline.cache.current is None:
        assert len(durations) < 20
        began = time.monotonic()
        pipeline.refresher_step()
        durations.append(time.monotonic() - began)
        clock.advance(TICK)
    assert pipeline.export() is SpanExportResult.SUCCESS
    pipeline.close()
    slow = [d for d in durations if d > 0.3]
    assert len(slow) == 2
    assert max(durations) < 0.4 + 1.0
    assert len(_credential_lines(leak_scanner, logging.WARNING)) == 1
    leak_scanner.secret(CLIENT_SECRET, *receiver.tokens_seen)
    leak_scanner.scan(f"fault 3c ({transport}): stall")
    figures.record(
        section("fault3_stall", transport),
        fetch_timeout_s=0.4,
        stalled_attempts=len(slow),
        longest_attempt_s=round(max(durations), 3),
        refresher_steps=len(durations),
    )
