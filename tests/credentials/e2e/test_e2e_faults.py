"""Token-server faults during export: outages, garbage, slowness, a rotated signing key."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import pytest
from opentelemetry.sdk.trace.export import SpanExportResult

from tests.credentials.e2e.conftest import make_span
from tests.credentials.e2e.test_e2e_export import http_exporter, oauth2_env
from workspace_otel.credentials import _cache_timing as cache_timing
from workspace_otel.credentials import shared_cache, token_source_from_env

if TYPE_CHECKING:
    from tests.harness.receivers import HttpOtlpReceiver
    from tests.harness.token_server import TokenServer

pytestmark = pytest.mark.slow

LIFETIME = 3.0  # usable for 2.25 s, refreshed at 1.5-1.8 s


class Exporting:
    """Exports one span every 50 ms on a thread, timing each export."""

    def __init__(self, exporter: Any) -> None:
        self.exporter = exporter
        self.results: list[tuple[float, SpanExportResult, float]] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self.started = time.monotonic()
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.is_set():
            begin = time.monotonic()
            result = self.exporter.export([make_span()])
            self.results.append((begin - self.started, result, time.monotonic() - begin))
            self._stop.wait(0.05)

    def at(self, offset: float, action: Callable[[], None]) -> None:
        delay = self.started + offset - time.monotonic()
        if delay > 0:
            time.sleep(delay)
        action()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(30)
        self.exporter.shutdown()


@pytest.fixture(name="exporting")
def fixture_exporting(
    monkeypatch: pytest.MonkeyPatch, token_server: TokenServer, http_receiver: HttpOtlpReceiver
) -> Callable[[], Exporting]:
    token_server.lifetime = LIFETIME
    oauth2_env(monkeypatch, token_server)

    def start() -> Exporting:
        exporter = http_exporter(monkeypatch, http_receiver)
        assert exporter.export([make_span()]) == SpanExportResult.SUCCESS  # warm: token held
        return Exporting(exporter)

    return start


def test_outage_shorter_than_remaining_life(
    exporting: Callable[[], Exporting], token_server: TokenServer, http_receiver: HttpOtlpReceiver
) -> None:
    """The server is down across the scheduled refresh; exports never notice."""
    run = exporting()
    run.at(0.9, token_server.suspend)
    run.at(1.7, token_server.resume)
    run.at(4.0, lambda: None)
    run.stop()
    assert {r for _, r, _ in run.results} == {SpanExportResult.SUCCESS}
    assert http_receiver.rejected == 0


def test_outage_longer_than_life_never_sends_expired_tokens(
    monkeypatch: pytest.MonkeyPatch,
    exporting: Callable[[], Exporting],
    token_server: TokenServer,
    http_receiver: HttpOtlpReceiver,
) -> None:
    """Past expiry exports fail as transient errors (no 401s), retries are bounded, then recover."""
    monkeypatch.setattr(cache_timing, "BACKOFF_MAX", 1.0)  # keep the recovery wait short
    # A short export deadline, so the exporter's own retries cannot bridge the outage.
    monkeypatch.setenv("OTEL_EXPORTER_OTLP_TIMEOUT", "1")
    run = exporting()
    source = token_source_from_env()
    assert source is not None
    cache = shared_cache(source)
    fetches_before = cache.fetch_count
    run.at(0.2, token_server.suspend)
    run.at(4.0, token_server.resume)
    attempts_during_outage = cache.fetch_count - fetches_before
    run.at(7.0, lambda: None)
    run.stop()
    outcomes = [r for _, r, _ in run.results]
    assert SpanExportResult.FAILURE in outcomes  # the token really ran out
    assert http_receiver.rejected == 0  # but no expired token was ever sent
    assert attempts_during_outage <= 25  # a backoff, not one attempt per export
    assert outcomes[-5:] == [SpanExportResult.SUCCESS] * 5  # recovered after the outage


def test_garbage_answers_keep_the_current_token(
    exporting: Callable[[], Exporting], token_server: TokenServer, http_receiver: HttpOtlpReceiver
) -> None:
    """Non-JSON answers at refresh time are retried; the usable token keeps serving."""
    run = exporting()
    run.at(0.5, lambda: setattr(token_server, "fail_count", 3))
    run.at(0.5, lambda: setattr(token_server, "fail_mode", "garbage"))
    run.at(4.0, lambda: None)
    run.stop()
    assert {r for _, r, _ in run.results} == {SpanExportResult.SUCCESS}
    assert http_receiver.rejected == 0
    assert [r.fail_mode for r in token_server.requests].count("garbage") == 3


def test_slow_token_server_never_slows_exports(
    exporting: Callable[[], Exporting], token_server: TokenServer, http_receiver: HttpOtlpReceiver
) -> None:
    """Every refresh takes 0.8 s; exports never wait for it."""
    token_server.stall_seconds = 0.8
    token_server.fail_mode = "stall"
    run = exporting()
    run.at(4.5, lambda: None)
    run.stop()
    assert {r for _, r, _ in run.results} == {SpanExportResult.SUCCESS}
    assert http_receiver.rejected == 0
    assert max(d for _, _, d in run.results) < 0.5
    assert token_server.token_requests >= 2


def test_401_after_key_rotation_is_recovered_inside_the_export(
    monkeypatch: pytest.MonkeyPatch, token_server: TokenServer, http_receiver: HttpOtlpReceiver
) -> None:
    """The receiver rejects the old key's token: one refresh, one re-send, export succeeds."""
    token_server.lifetime = 60
    oauth2_env(monkeypatch, token_server)
    exporter = http_exporter(monkeypatch, http_receiver)
    assert exporter.export([make_span()]) == SpanExportResult.SUCCESS
    requests_before = token_server.token_requests
    token_server.rotate_key()
    assert exporter.export([make_span()]) == SpanExportResult.SUCCESS
    exporter.shutdown()
    assert http_receiver.rejected == 1
    assert http_receiver.accepted == 2
    assert token_server.token_requests == requests_before + 1
    assert len(http_receiver.spans) == 2
