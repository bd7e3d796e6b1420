"""The faults that are gRPC's own: UNAVAILABLE / RESOURCE_EXHAUSTED bursts, UNAUTHENTICATED after
a key rotation. (Faults 1-3, the token service down or answering badly, run over both
transports in ``test_fault_token_service.py``.)

Real parts: the suite's one :class:`~tests.reliability.pipeline.Pipeline` with
``transport="grpc"`` (the Authlib token server, the OAuth2 source, the cache,
the TLS channel credentials and metadata plugin, the SDK's OTLP/gRPC exporter
with the library's one re-send after ``UNAUTHENTICATED``, as ``configure()``
builds it), and a gRPC receiver validating the bearer JWT the way the Collector's
``oidc`` authenticator does. Time is a fake clock injected into the cache (and
followed by the token server and the receiver's validator): a 60-second token
and a three-minute outage cost no real waiting. The background refresher is
driven step by step.
"""

from __future__ import annotations

import time
from collections.abc import Iterator

import grpc
import pytest
from opentelemetry.sdk.trace.export import SpanExportResult

from tests.harness.jwt_validation import JwtValidator
from tests.harness.receivers import GrpcOtlpReceiver
from tests.harness.tls import TlsMaterial
from tests.harness.token_server import TokenServer
from tests.reliability.helpers import FakeClock, Figures, LeakScanner
from tests.reliability.pipeline import (
    CLIENT_SECRET,
    Pipeline,
    follow_fake_time,
    make_token_server,
    start_clock,
)

LIFETIME = 60.0


def grpc_pipeline(
    server: TokenServer, receiver: GrpcOtlpReceiver, clock: FakeClock, timeout: float = 2.0
) -> Pipeline:
    """The suite's one :class:`Pipeline` over gRPC (2 s token fetch timeout)."""
    return Pipeline(server, receiver, clock, timeout=timeout, fetch_timeout=2.0, transport="grpc")


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


def test_grpc_unavailable_and_resource_exhausted_bursts_deliver_every_span_once(
    server: TokenServer,
    receiver: GrpcOtlpReceiver,
    clock: FakeClock,
    leak_scanner: LeakScanner,
    figures: Figures,
) -> None:
    """The collector answers UNAVAILABLE / RESOURCE_EXHAUSTED (with RetryInfo) in bursts:
    the exporter's retries deliver every span exactly once, with one token."""
    pipeline = grpc_pipeline(server, receiver, clock, timeout=10.0)
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


def test_grpc_unauthenticated_after_key_rotation_resends_once_in_the_same_export(
    server: TokenServer,
    receiver: GrpcOtlpReceiver,
    clock: FakeClock,
    leak_scanner: LeakScanner,
    figures: Figures,
) -> None:
    """The token server rotates its key (the old one dropped): the export carrying the
    rotated-out token meets UNAUTHENTICATED once, fetches one token and re-sends inside the
    same export call; later exports use the new token without a rejection."""
    pipeline = grpc_pipeline(server, receiver, clock, timeout=5.0)
    pipeline.cache.poll()
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
    assert [r.status for r in during] == [401, 200]  # UNAUTHENTICATED, then accepted
    assert during[0].token != during[1].token
    assert server.token_requests - before_tokens == 1
    assert receiver.rejected == 1
    assert len(receiver.spans) == 9 == len({s.span_id for s in receiver.spans})
    leak_scanner.secret(CLIENT_SECRET, *receiver.tokens_seen)
    leak_scanner.add_reprs("grpc-rotation", [pipeline.cache, pipeline.source, pipeline.credential])
    leak_scanner.scan("gRPC: UNAUTHENTICATED after rotation")
    figures.record(
        "grpc_unauthenticated_rotation",
        calls_in_export=len(during),
        statuses=[r.status for r in during],
        token_requests_for_recovery=server.token_requests - before_tokens,
        export_seconds=round(elapsed, 3),
        spans_received=len(receiver.spans),
        duplicates=len(receiver.spans) - len({s.span_id for s in receiver.spans}),
    )
