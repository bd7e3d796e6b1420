"""Fault 4 of RELIABILITY.md, over OTLP/HTTP and OTLP/gRPC: the collector refuses in bursts
(503 / 429 over HTTP, UNAVAILABLE / RESOURCE_EXHAUSTED with ``RetryInfo`` over gRPC), and
rejects the current token once after a key rotation (401 / UNAUTHENTICATED).

Real parts: the Authlib token server, the OAuth2 source, the cache, the suite's one
:class:`~tests.reliability.pipeline.Pipeline` per transport (built as ``configure()``
builds its exporters), and a receiver validating the bearer JWT like the Collector's
``oidc`` authenticator; every request or call it gets is counted.
"""

from __future__ import annotations

import time
from collections.abc import Iterator

import grpc
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


@pytest.fixture
def server() -> Iterator[TokenServer]:
    with make_token_server(60.0) as token_server:
        yield token_server


def test_refusal_bursts_deliver_every_span_once(
    transport: Transport,
    server: TokenServer,
    receiver: HttpOtlpReceiver | GrpcOtlpReceiver,
    clock: FakeClock,
    leak_scanner: LeakScanner,
    figures: Figures,
) -> None:
    """Bursts of up to 3 refusals (retry hint 0.05 s) before exports: every span arrives once,
    with one token."""
    # Over gRPC a scripted 503 is answered UNAVAILABLE, a 429 RESOURCE_EXHAUSTED.
    assert GrpcOtlpReceiver.grpc_code_for(503) is grpc.StatusCode.UNAVAILABLE
    assert GrpcOtlpReceiver.grpc_code_for(429) is grpc.StatusCode.RESOURCE_EXHAUSTED
    pipeline = Pipeline(server, receiver, clock, timeout=10.0, transport=transport)
    bursts = [(503,), (429, 503), (503, 503, 429), (), (429,), (503, 429, 503), (), (503,)]
    results = []
    began = time.monotonic()
    for burst in bursts:
        receiver.enqueue(*burst, retry_after=0.05)
        results.append(pipeline.export(5))
    elapsed = time.monotonic() - began
    pipeline.close()
    refusals = sum(len(b) for b in bursts)
    assert results == [SpanExportResult.SUCCESS] * len(bursts)
    assert receiver.scripted == refusals
    assert receiver.accepted == len(bursts)
    assert receiver.rejected == 0
    assert len(receiver.spans) == pipeline.count
    assert len({s.span_id for s in receiver.spans}) == pipeline.count
    assert server.token_requests == 1
    leak_scanner.secret(CLIENT_SECRET, *receiver.tokens_seen)
    leak_scanner.add_reprs("fault4", [pipeline.cache, pipeline.source, pipeline.credential])
    leak_scanner.scan(f"fault 4 ({transport}): refusal bursts")
    figures.record(
        section("fault4_bursts", transport),
        exports=len(bursts),
        refusals=refusals,
        requests=len(receiver.requests),
        spans_sent=pipeline.count,
        spans_received=len(receiver.spans),
        duplicates=pipeline.count - len({s.span_id for s in receiver.spans}),
        token_requests=server.token_requests,
        seconds=round(elapsed, 2),
    )


def test_rejection_after_key_rotation_recovers_inside_the_same_export(
    transport: Transport,
    server: TokenServer,
    receiver: HttpOtlpReceiver | GrpcOtlpReceiver,
    clock: FakeClock,
    leak_scanner: LeakScanner,
    figures: Figures,
) -> None:
    """The token server rotates its key (the old one dropped): the export carrying the
    rotated-out token is refused once (401 / UNAUTHENTICATED), fetches one token and re-sends
    inside the same export call; later exports use the new token without a refusal."""
    pipeline = Pipeline(server, receiver, clock, timeout=5.0, transport=transport)
    assert pipeline.export(3) is SpanExportResult.SUCCESS
    before_requests = len(receiver.requests)
    before_tokens = server.token_requests
    server.rotate_key()  # the receiver's validator forgets the old key
    began = time.monotonic()
    result = pipeline.export(3)
    elapsed = time.monotonic() - began
    during = receiver.requests[before_requests:]
    assert pipeline.export(3) is SpanExportResult.SUCCESS
    pipeline.close()
    assert result is SpanExportResult.SUCCESS
    assert [r.status for r in during] == [401, 200]  # over gRPC: UNAUTHENTICATED, then OK
    assert during[0].token != during[1].token
    assert server.token_requests - before_tokens == 1
    assert receiver.rejected == 1
    assert len(receiver.spans) == 9 == len({s.span_id for s in receiver.spans})
    leak_scanner.secret(CLIENT_SECRET, *receiver.tokens_seen)
    leak_scanner.add_reprs("fault4b", [pipeline.cache, pipeline.source, pipeline.credential])
    leak_scanner.scan(f"fault 4b ({transport}): refusal after rotation")
    figures.record(
        section("fault4_401_rotation", transport),
        requests_in_export=len(during),
        statuses=[r.status for r in during],
        token_requests_for_recovery=server.token_requests - before_tokens,
        export_seconds=round(elapsed, 3),
        spans_received=len(receiver.spans),
        duplicates=len(receiver.spans) - len({s.span_id for s in receiver.spans}),
    )
