"""Fault 4 of RELIABILITY.md: the collector answers 503 / 429 in bursts, and 401 once after a key
rotation. Real token server, real cache with its background refresher, the SDK's
OTLP/HTTP exporter, a JWT-validating receiver; only HTTP requests are counted.
"""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest
from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor, SpanExportResult
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from tests.harness.jwt_validation import JwtValidator
from tests.harness.receivers import HttpOtlpReceiver
from tests.harness.token_server import TokenServer
from tests.reliability.helpers import Figures, LeakScanner
from tests.reliability.pipeline import CLIENT_ID, CLIENT_SECRET, make_token_server
from workspace_otel.credentials import OAuth2ClientCredentialsSource, shared_cache
from workspace_otel.credentials._http import http_session


@pytest.fixture
def server() -> Iterator[TokenServer]:
    with make_token_server(60.0) as token_server:
        yield token_server


@pytest.fixture
def receiver(server: TokenServer) -> Iterator[HttpOtlpReceiver]:
    with HttpOtlpReceiver(JwtValidator(server)) as otlp:
        yield otlp


class _Spans:
    def __init__(self) -> None:
        self.memory = InMemorySpanExporter()
        self.provider = TracerProvider()
        self.provider.add_span_processor(SimpleSpanProcessor(self.memory))
        self.count = 0

    def batch(self, n: int) -> list[ReadableSpan]:
        tracer = self.provider.get_tracer("collector-faults")
        for _ in range(n):
            self.count += 1
            with tracer.start_as_current_span(f"span-{self.count}"):
                pass
        spans = list(self.memory.get_finished_spans())
        self.memory.clear()
        return spans


def test_503_and_429_bursts_deliver_every_span_once(
    server: TokenServer, receiver: HttpOtlpReceiver, leak_scanner: LeakScanner, figures: Figures
) -> None:
    """Bursts of up to 3 refusals (with Retry-After) before exports: all spans arrive once."""
    source = OAuth2ClientCredentialsSource(server.token_url, CLIENT_ID, CLIENT_SECRET)
    exporter = OTLPSpanExporter(endpoint=receiver.traces_url, session=http_session(source))
    spans = _Spans()
    bursts = [(503,), (429, 503), (503, 503, 429), (), (429,), (503, 429, 503), (), (503,)]
    results = []
    began = time.monotonic()
    for burst in bursts:
        receiver.enqueue(*burst, retry_after=0.05)
        results.append(exporter.export(spans.batch(5)))
    elapsed = time.monotonic() - began
    exporter.shutdown()  # type: ignore[no-untyped-call]
    refusals = sum(len(b) for b in bursts)
    assert results == [SpanExportResult.SUCCESS] * len(bursts)
    assert receiver.scripted == refusals
    assert receiver.accepted == len(bursts)
    assert receiver.rejected == 0
    assert len(receiver.spans) == spans.count
    assert len({s.span_id for s in receiver.spans}) == spans.count
    assert server.token_requests == 1
    leak_scanner.secret(CLIENT_SECRET, *receiver.tokens_seen)
    leak_scanner.add_reprs("fault4", [shared_cache(source), source])
    leak_scanner.scan("fault 4: 503/429 bursts")
    figures.record(
        "fault4_bursts",
        exports=len(bursts),
        refusals=refusals,
        http_requests=len(receiver.requests),
        spans_sent=spans.count,
        spans_received=len(receiver.spans),
        duplicates=spans.count - len({s.span_id for s in receiver.spans}),
        token_requests=server.token_requests,
        seconds=round(elapsed, 2),
    )


def test_401_after_key_rotation_recovers_inside_the_same_export(
    server: TokenServer, receiver: HttpOtlpReceiver, leak_scanner: LeakScanner, figures: Figures
) -> None:
    """The rotated-out token gets one 401; one refresh and one re-send in the same export call."""
    source = OAuth2ClientCredentialsSource(server.token_url, CLIENT_ID, CLIENT_SECRET)
    exporter = OTLPSpanExporter(endpoint=receiver.traces_url, session=http_session(source))
    spans = _Spans()
    assert exporter.export(spans.batch(3)) is SpanExportResult.SUCCESS
    before_requests = len(receiver.requests)
    before_tokens = server.token_requests
    server.rotate_key()  # old key dropped: the current token no longer validates
    began = time.monotonic()
    result = exporter.export(spans.batch(3))
    elapsed = time.monotonic() - began
    during = receiver.requests[before_requests:]
    # Later exports use the new token without another 401.
    assert exporter.export(spans.batch(3)) is SpanExportResult.SUCCESS
    exporter.shutdown()  # type: ignore[no-untyped-call]
    assert result is SpanExportResult.SUCCESS
    assert [r.status for r in during] == [401, 200]
    assert during[0].token != during[1].token
    assert server.token_requests - before_tokens == 1
    assert receiver.rejected == 1
    assert len(receiver.spans) == 9 == len({s.span_id for s in receiver.spans})
    leak_scanner.secret(CLIENT_SECRET, *receiver.tokens_seen)
    leak_scanner.add_reprs("fault4b", [shared_cache(source), source])
    leak_scanner.scan("fault 4: 401 after rotation")
    figures.record(
        "fault4_401_rotation",
        http_requests_in_export=len(during),
        statuses=[r.status for r in during],
        token_requests_for_recovery=server.token_requests - before_tokens,
        export_seconds=round(elapsed, 3),
        spans_received=len(receiver.spans),
    )
