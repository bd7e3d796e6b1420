"""The fault suite over OTLP/gRPC, as over HTTP.

Real parts: the Authlib token server, the OAuth2 source, the cache, the gRPC
metadata plugin from ``grpc_credentials()``, the SDK's OTLP/gRPC exporter over
TLS, and a gRPC receiver validating the bearer JWT the way the Collector's
``oidc`` authenticator does. Time is a fake clock injected into the cache (and
followed by the token server and the receiver's validator): a 60-second token
and a three-minute outage cost no real waiting. The background refresher is
driven step by step.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import grpc
import pytest
from opentelemetry.exporter.otlp.proto.grpc.trace_exporter import OTLPSpanExporter
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor, SpanExportResult
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from tests.harness.jwt_validation import JwtValidator
from tests.harness.receivers import GrpcOtlpReceiver
from tests.harness.tls import TlsMaterial
from tests.harness.token_server import TokenServer
from tests.reliability.helpers import FakeClock, Figures, LeakScanner
from tests.reliability.pipeline import (
    CLIENT_ID,
    CLIENT_SECRET,
    follow_fake_time,
    make_token_server,
    start_clock,
)
from workspace_otel.credentials import (
    OAuth2ClientCredentialsSource,
    RefreshingTokenCache,
    grpc_credentials,
)
from workspace_otel.credentials._cache import margin_for

LIFETIME = 60.0
TICK = 0.5


@dataclass
class GrpcPipeline:
    """One cache (injected clock, no background thread) and one real OTLP/gRPC exporter."""

    server: TokenServer
    receiver: GrpcOtlpReceiver
    clock: FakeClock
    timeout: float = 2.0
    results: list[SpanExportResult] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.source = OAuth2ClientCredentialsSource(
            self.server.token_url, CLIENT_ID, CLIENT_SECRET, timeout=2.0
        )
        self.cache = RefreshingTokenCache(self.source, clock=self.clock.clock, background=False)
        self.exporter = OTLPSpanExporter(
            endpoint=self.receiver.address,
            insecure=False,
            credentials=grpc_credentials(self.cache),
            timeout=self.timeout,
        )
        self._memory = InMemorySpanExporter()
        self._provider = TracerProvider()
        self._provider.add_span_processor(SimpleSpanProcessor(self._memory))
        self.count = 0

    def batch(self, n: int = 2) -> list[ReadableSpan]:
        """End ``n`` new spans and return them (not yet exported)."""
        tracer = self._provider.get_tracer("reliability-grpc")
        for _ in range(n):
            self.count += 1
            with tracer.start_as_current_span(f"grpc-span-{self.count}"):
                pass
        spans = list(self._memory.get_finished_spans())
        self._memory.clear()
        return spans

    def export(self, n: int = 2) -> SpanExportResult:
        """One export call; an exception would fail the test (it must never raise)."""
        result = self.exporter.export(self.batch(n))
        self.results.append(result)
        return result

    def close(self) -> None:
        """Shut the exporter and the cache down."""
        self.exporter.shutdown()
        self.cache.close()
        self._provider.shutdown()


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch, tls_material: TlsMaterial) -> FakeClock:
    fake = start_clock()
    follow_fake_time(monkeypatch, fake)
    # grpc_credentials() takes the collector's CA from the standard variable.
    monkeypatch.setenv("OTEL_EXPORTER_OTLP_CERTIFICATE", str(tls_material.ca_cert))
    return fake


@pytest.fixture
def server() -> Iterator[TokenServer]:
    with make_token_server(LIFETIME, stall_seconds=3.0) as token_server:
        yield token_server


@pytest.fixture
def receiver(
    server: TokenServer, clock: FakeClock, tls_material: TlsMaterial
) -> Iterator[GrpcOtlpReceiver]:
    validator = JwtValidator(server, clock=lambda: clock.wall_now)
    with GrpcOtlpReceiver(validator, tls_material) as otlp:
        yield otlp


def _count_fetches(
    pipeline: GrpcPipeline, monkeypatch: pytest.MonkeyPatch, clock: FakeClock
) -> list[float]:
    attempts: list[float] = []
    original = pipeline.source.fetch

    def counting() -> Any:
        attempts.append(clock.mono_now)
        return original()

    monkeypatch.setattr(pipeline.source, "fetch", counting)
    return attempts


def test_grpc_outage_shorter_than_remaining_life_loses_nothing(
    server: TokenServer,
    receiver: GrpcOtlpReceiver,
    clock: FakeClock,
    monkeypatch: pytest.MonkeyPatch,
    leak_scanner: LeakScanner,
    figures: Figures,
) -> None:
    """Token service down from 28 s to 42 s of a 60 s token: every gRPC export accepted."""
    pipeline = GrpcPipeline(server, receiver, clock)
    attempts = _count_fetches(pipeline, monkeypatch, clock)
    start = clock.mono_now
    outage = (28.0, 42.0)
    exports = 0
    during_outage = 0
    while clock.mono_now - start < 70.0:
        t = clock.mono_now - start
        if t == outage[0]:
            server.suspend()
        if t == outage[1]:
            server.resume()
        before = len(attempts)
        pipeline.cache.poll()
        if outage[0] <= t < outage[1]:
            during_outage += len(attempts) - before
        if float(t).is_integer():
            assert pipeline.export() is SpanExportResult.SUCCESS, f"gRPC export at {t} s failed"
            exports += 1
        clock.advance(TICK)
    pipeline.close()
    assert receiver.rejected == 0
    assert len(receiver.spans) == 2 * exports
    assert len({s.span_id for s in receiver.spans}) == 2 * exports
    assert during_outage >= 1, "the refresher should have tried during the outage"
    assert server.token_requests == 2  # the first token and the one after the outage
    leak_scanner.secret(CLIENT_SECRET, *receiver.tokens_seen)
    leak_scanner.add_reprs("grpc-fault1", [pipeline.cache, pipeline.source])
    leak_scanner.scan("gRPC fault 1: short outage")
    figures.record(
        "grpc_fault1_short_outage",
        token_lifetime_s=LIFETIME,
        outage_s=list(outage),
        exports=exports,
        exports_accepted=pipeline.results.count(SpanExportResult.SUCCESS),
        spans_received=len(receiver.spans),
        fetch_attempts_during_outage=during_outage,
        token_server_requests=server.token_requests,
    )


def test_grpc_outage_longer_than_life_never_raises_and_recovers(
    server: TokenServer,
    receiver: GrpcOtlpReceiver,
    clock: FakeClock,
    monkeypatch: pytest.MonkeyPatch,
    leak_scanner: LeakScanner,
    figures: Figures,
) -> None:
    """Down from 10 s to 190 s (three lifetimes): exports fail cleanly, never with an
    expired token, and succeed again once the token service is back."""
    pipeline = GrpcPipeline(server, receiver, clock, timeout=0.5)
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
        pipeline.cache.poll()
        if (
            t >= outage[1]
            and recovered_at is None
            and failures_before
            and not pipeline.cache._failures
        ):
            recovered_at = t
        if t % 5 == 0:
            outcome[t] = pipeline.export()
        clock.advance(TICK)
    pipeline.close()
    in_outage = [a - start for a in attempts if outage[0] <= a - start < outage[1]]
    exports_in_outage = [t for t in outcome if outage[0] <= t < outage[1]]
    assert all(outcome[t] is SpanExportResult.SUCCESS for t in outcome if t < usable_until)
    failed = [t for t in exports_in_outage if outcome[t] is SpanExportResult.FAILURE]
    assert failed, "exports past the token's usable life must fail cleanly"
    assert min(failed) >= usable_until
    # The refresher's attempts are bounded by the backoff, far fewer than exports.
    assert len(in_outage) < len(exports_in_outage)
    assert recovered_at is not None
    assert recovered_at - outage[1] <= 60.0
    after = [t for t in outcome if t > recovered_at]
    assert after
    assert all(outcome[t] is SpanExportResult.SUCCESS for t in after)
    assert receiver.rejected == 0, "an expired token was sent"
    leak_scanner.secret(CLIENT_SECRET, *receiver.tokens_seen)
    leak_scanner.add_reprs("grpc-fault2", [pipeline.cache, pipeline.source])
    leak_scanner.scan("gRPC fault 2: long outage")
    figures.record(
        "grpc_fault2_long_outage",
        token_lifetime_s=LIFETIME,
        outage_s=list(outage),
        fetch_attempts_during_outage=len(in_outage),
        exports_during_outage=len(exports_in_outage),
        exports_failed_cleanly=len(failed),
        exceptions_reaching_app=0,
        recovered_after_resume_s=recovered_at - outage[1],
        receiver_rejected=receiver.rejected,
    )


@pytest.mark.parametrize("mode", ["garbage", "500"])
def test_grpc_bad_token_answers_never_raise_and_warn_once(
    mode: str,
    server: TokenServer,
    receiver: GrpcOtlpReceiver,
    clock: FakeClock,
    leak_scanner: LeakScanner,
    figures: Figures,
) -> None:
    """The token service answers garbage / 500 from the start: no exception, no token sent,
    one warning, and the first good answer is used."""
    server.fail_mode = mode  # type: ignore[assignment]
    pipeline = GrpcPipeline(server, receiver, clock, timeout=0.5)
    outcomes = []
    for _ in range(6):
        pipeline.cache.poll()
        outcomes.append(pipeline.export())
        clock.advance(5.0)
    assert set(outcomes) == {SpanExportResult.FAILURE}
    assert receiver.accepted == 0
    assert all(r.token is None for r in receiver.requests), "a request carried a bad token"
    server.fail_mode = None
    clock.advance(60.0)  # past the backoff cap
    pipeline.cache.poll()
    assert pipeline.export() is SpanExportResult.SUCCESS
    pipeline.close()
    warnings_logged = [
        r.getMessage()
        for r in leak_scanner.handler.records
        if r.name.startswith("workspace_otel") and r.levelno == logging.WARNING
    ]
    assert len(warnings_logged) == 1, warnings_logged
    leak_scanner.secret(CLIENT_SECRET, *receiver.tokens_seen)
    leak_scanner.scan(f"gRPC bad answers ({mode})")
    figures.record(
        f"grpc_bad_answers_{mode}",
        exports_refused_without_token=outcomes.count(SpanExportResult.FAILURE),
        warnings=len(warnings_logged),
        token_requests=server.token_requests,
    )


def test_grpc_unavailable_and_resource_exhausted_bursts_deliver_every_span_once(
    server: TokenServer,
    receiver: GrpcOtlpReceiver,
    clock: FakeClock,
    leak_scanner: LeakScanner,
    figures: Figures,
) -> None:
    """The collector answers UNAVAILABLE / RESOURCE_EXHAUSTED (with RetryInfo) in bursts:
    the exporter's retries deliver every span exactly once, with one token."""
    pipeline = GrpcPipeline(server, receiver, clock, timeout=10.0)
    # 503 is answered as UNAVAILABLE, 429 as RESOURCE_EXHAUSTED (both with RetryInfo).
    assert receiver.grpc_code_for(503) is grpc.StatusCode.UNAVAILABLE
    assert receiver.grpc_code_for(429) is grpc.StatusCode.RESOURCE_EXHAUSTED
    bursts: list[tuple[int, ...]] = [(503,), (), (429,), (503, 429), ()]
    began = time.monotonic()
    for burst in bursts:
        receiver.enqueue(*burst, retry_after=0.05)
        assert pipeline.export(3) is SpanExportResult.SUCCESS
    elapsed = time.monotonic() - began
    pipeline.close()
    refusals = sum(len(b) for b in bursts)
    assert receiver.scripted == refusals
    assert receiver.accepted == len(bursts)
    assert len(receiver.spans) == pipeline.count
    assert len({s.span_id for s in receiver.spans}) == pipeline.count
    assert server.token_requests == 1
    leak_scanner.secret(CLIENT_SECRET, *receiver.tokens_seen)
    leak_scanner.scan("gRPC bursts")
    figures.record(
        "grpc_unavailable_bursts",
        exports=len(bursts),
        refusals=refusals,
        spans_sent=pipeline.count,
        spans_received=len(receiver.spans),
        duplicates=pipeline.count - len({s.span_id for s in receiver.spans}),
        token_requests=server.token_requests,
        seconds=round(elapsed, 2),
    )
