"""OTLP receivers: real SDK exporters in, decoded telemetry and auth outcomes out."""

from __future__ import annotations

import gzip
import time
from collections.abc import Iterator, Sequence

import grpc
import pytest
import requests
from opentelemetry.exporter.otlp.proto.grpc.trace_exporter import (
    OTLPSpanExporter as GrpcSpanExporter,
)
from opentelemetry.exporter.otlp.proto.http.trace_exporter import (
    OTLPSpanExporter as HttpSpanExporter,
)
from opentelemetry.proto.collector.logs.v1 import logs_service_pb2
from opentelemetry.proto.collector.metrics.v1 import metrics_service_pb2
from opentelemetry.proto.collector.trace.v1 import trace_service_pb2, trace_service_pb2_grpc
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor, SpanExporter, SpanExportResult
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from tests.harness.jwt_validation import JwtValidator
from tests.harness.receivers import GrpcOtlpReceiver, HttpOtlpReceiver, ScriptedAnswer
from tests.harness.tls import TlsMaterial
from tests.harness.token_server import TokenServer

PROTOBUF = {"Content-Type": "application/x-protobuf"}


@pytest.fixture
def spans() -> Iterator[Sequence[ReadableSpan]]:
    """Two finished spans with a recognisable resource."""
    memory = InMemorySpanExporter()
    provider = TracerProvider(
        resource=Resource.create({"service.name": "harness-test", "vcs.ref.head.name": "main"})
    )
    provider.add_span_processor(SimpleSpanProcessor(memory))
    tracer = provider.get_tracer("harness")
    with (
        tracer.start_as_current_span("parent", attributes={"answer": 42}),
        tracer.start_as_current_span("child"),
    ):
        pass
    yield memory.get_finished_spans()
    provider.shutdown()


def _http_export(
    receiver: HttpOtlpReceiver, token: str, spans: Sequence[ReadableSpan]
) -> SpanExportResult:
    exporter: SpanExporter = HttpSpanExporter(
        endpoint=receiver.traces_url, headers={"authorization": f"Bearer {token}"}, timeout=5
    )
    try:
        return exporter.export(spans)
    finally:
        exporter.shutdown()


def _grpc_export(
    receiver: GrpcOtlpReceiver, token: str, spans: Sequence[ReadableSpan], tls: TlsMaterial
) -> SpanExportResult:
    exporter: SpanExporter = GrpcSpanExporter(
        endpoint=receiver.endpoint,
        headers={"authorization": f"Bearer {token}"},
        credentials=tls.grpc_channel_credentials(),
        timeout=5,
    )
    try:
        return exporter.export(spans)
    finally:
        exporter.shutdown()


def test_http_receiver_accepts_a_valid_jwt(
    http_receiver: HttpOtlpReceiver, token_server: TokenServer, spans: Sequence[ReadableSpan]
) -> None:
    token = token_server.mint(sub="alice")

    assert _http_export(http_receiver, token, spans) is SpanExportResult.SUCCESS

    received = http_receiver.wait_for_spans(2, timeout=5)
    assert {s.name for s in received} == {"parent", "child"}
    parent = next(s for s in received if s.name == "parent")
    assert parent.attributes == {"answer": 42}
    assert parent.resource["service.name"] == "harness-test"
    assert parent.resource["vcs.ref.head.name"] == "main"
    assert parent.token == token
    assert (http_receiver.accepted, http_receiver.rejected) == (1, 0)
    assert http_receiver.tokens_seen == [token]
    assert http_receiver.requests[0].claims["sub"] == "alice"


def test_grpc_receiver_accepts_a_valid_jwt(
    grpc_receiver: GrpcOtlpReceiver,
    token_server: TokenServer,
    tls_material: TlsMaterial,
    spans: Sequence[ReadableSpan],
) -> None:
    token = token_server.mint()

    result = _grpc_export(grpc_receiver, token, spans, tls_material)

    assert result is SpanExportResult.SUCCESS
    received = grpc_receiver.wait_for_spans(2, timeout=5)
    assert received[0].resource["service.name"] == "harness-test"
    assert (grpc_receiver.accepted, grpc_receiver.rejected) == (1, 0)
    assert grpc_receiver.tokens_seen == [token]


def test_expired_token_is_rejected_by_both_receivers(
    http_receiver: HttpOtlpReceiver,
    grpc_receiver: GrpcOtlpReceiver,
    token_server: TokenServer,
    tls_material: TlsMaterial,
    spans: Sequence[ReadableSpan],
) -> None:
    expired = token_server.mint(lifetime=-1)

    http_result = _http_export(http_receiver, expired, spans)
    grpc_result = _grpc_export(grpc_receiver, expired, spans, tls_material)

    assert http_result is SpanExportResult.FAILURE
    assert grpc_result is SpanExportResult.FAILURE
    for receiver in (http_receiver, grpc_receiver):
        assert receiver.rejected == 1, "401/UNAUTHENTICATED must not be retried"
        assert receiver.accepted == 0
        assert receiver.rejections[0].status == 401
        assert receiver.rejections[0].reason == "token expired"
        assert receiver.spans == []


def test_grpc_status_is_unauthenticated(
    grpc_receiver: GrpcOtlpReceiver, token_server: TokenServer, tls_material: TlsMaterial
) -> None:
    channel = grpc.secure_channel(grpc_receiver.address, tls_material.grpc_channel_credentials())
    stub = trace_service_pb2_grpc.TraceServiceStub(channel)  # type: ignore[no-untyped-call]
    try:
        with pytest.raises(grpc.RpcError) as info:
            stub.Export(
                trace_service_pb2.ExportTraceServiceRequest(),
                metadata=(("authorization", "Bearer not-a-jwt"),),
                timeout=5,
            )
        ok = stub.Export(
            trace_service_pb2.ExportTraceServiceRequest(),
            metadata=(("authorization", f"Bearer {token_server.mint()}"),),
            timeout=5,
        )
    finally:
        channel.close()

    assert info.value.code() is grpc.StatusCode.UNAUTHENTICATED
    assert ok == trace_service_pb2.ExportTraceServiceResponse()


def test_rotated_key_is_rejected(
    http_receiver: HttpOtlpReceiver, token_server: TokenServer, spans: Sequence[ReadableSpan]
) -> None:
    old = token_server.mint()
    assert _http_export(http_receiver, old, spans) is SpanExportResult.SUCCESS

    token_server.rotate_key()

    assert _http_export(http_receiver, old, spans) is SpanExportResult.FAILURE
    assert _http_export(http_receiver, token_server.mint(), spans) is SpanExportResult.SUCCESS
    assert [r.status for r in http_receiver.requests] == [200, 401, 200]


def test_missing_header_is_rejected(http_receiver: HttpOtlpReceiver) -> None:
    body = trace_service_pb2.ExportTraceServiceRequest().SerializeToString()

    response = requests.post(http_receiver.traces_url, data=body, headers=PROTOBUF, timeout=5)

    assert response.status_code == 401
    assert http_receiver.rejections[0].reason == "missing auth header"
    assert http_receiver.tokens_seen == []


def test_scripted_503_then_success_over_http(
    http_receiver: HttpOtlpReceiver, token_server: TokenServer, spans: Sequence[ReadableSpan]
) -> None:
    http_receiver.enqueue(503, 503, retry_after=0)

    assert _http_export(http_receiver, token_server.mint(), spans) is SpanExportResult.SUCCESS

    assert [r.status for r in http_receiver.requests] == [503, 503, 200]
    assert (http_receiver.scripted, http_receiver.accepted, http_receiver.rejected) == (2, 1, 0)


def test_scripted_429_carries_retry_after(http_receiver: HttpOtlpReceiver) -> None:
    http_receiver.script.append(ScriptedAnswer(429, retry_after=7))
    http_receiver.script.append(401)
    body = trace_service_pb2.ExportTraceServiceRequest().SerializeToString()

    first = requests.post(http_receiver.traces_url, data=body, headers=PROTOBUF, timeout=5)
    second = requests.post(http_receiver.traces_url, data=body, headers=PROTOBUF, timeout=5)

    assert (first.status_code, first.headers["Retry-After"]) == (429, "7")
    assert second.status_code == 401
    assert not http_receiver.script


def test_scripted_unavailable_then_success_over_grpc(
    grpc_receiver: GrpcOtlpReceiver,
    token_server: TokenServer,
    tls_material: TlsMaterial,
    spans: Sequence[ReadableSpan],
) -> None:
    grpc_receiver.enqueue(503, retry_after=0)
    started = time.monotonic()

    result = _grpc_export(grpc_receiver, token_server.mint(), spans, tls_material)

    assert result is SpanExportResult.SUCCESS
    assert time.monotonic() - started < 4, "RetryInfo(0) must override the backoff"
    assert [r.status for r in grpc_receiver.requests] == [503, 200]


def test_scripted_grpc_codes(
    grpc_receiver: GrpcOtlpReceiver, token_server: TokenServer, tls_material: TlsMaterial
) -> None:
    grpc_receiver.enqueue(429, 401)
    channel = grpc.secure_channel(grpc_receiver.address, tls_material.grpc_channel_credentials())
    stub = trace_service_pb2_grpc.TraceServiceStub(channel)  # type: ignore[no-untyped-call]
    codes = []
    try:
        for _ in range(2):
            with pytest.raises(grpc.RpcError) as info:
                stub.Export(trace_service_pb2.ExportTraceServiceRequest(), timeout=5)
            codes.append(info.value.code())
    finally:
        channel.close()

    assert codes == [grpc.StatusCode.RESOURCE_EXHAUSTED, grpc.StatusCode.UNAUTHENTICATED]


def test_content_type_and_body_checks(
    http_receiver: HttpOtlpReceiver, token_server: TokenServer
) -> None:
    auth = {"Authorization": f"Bearer {token_server.mint()}"}
    empty = trace_service_pb2.ExportTraceServiceRequest().SerializeToString()

    as_json = requests.post(
        http_receiver.traces_url,
        data="{}",
        headers={**auth, "Content-Type": "application/json"},
        timeout=5,
    )
    garbage = requests.post(
        http_receiver.traces_url, data=b"\xff\xff\xff", headers={**auth, **PROTOBUF}, timeout=5
    )
    ok = requests.post(
        http_receiver.traces_url, data=empty, headers={**auth, **PROTOBUF}, timeout=5
    )
    missing = requests.post(http_receiver.url("/v2/traces"), data=empty, timeout=5)

    assert as_json.status_code == 415
    assert garbage.status_code == 400
    assert ok.status_code == 200, "an empty export request is a success"
    assert ok.headers["Content-Type"] == "application/x-protobuf"
    assert trace_service_pb2.ExportTraceServiceResponse.FromString(ok.content) is not None
    assert missing.status_code == 404
    assert (http_receiver.accepted, http_receiver.rejected) == (1, 2)


def test_metrics_and_logs_are_decoded(
    http_receiver: HttpOtlpReceiver, token_server: TokenServer
) -> None:
    auth = {"Authorization": f"Bearer {token_server.mint()}", **PROTOBUF}
    metrics = metrics_service_pb2.ExportMetricsServiceRequest()
    resource_metrics = metrics.resource_metrics.add()
    attribute = resource_metrics.resource.attributes.add()
    attribute.key, attribute.value.string_value = "service.name", "svc"
    resource_metrics.scope_metrics.add().metrics.add(name="requests")
    logs = logs_service_pb2.ExportLogsServiceRequest()
    record = logs.resource_logs.add().scope_logs.add().log_records.add(severity_text="WARN")
    record.body.string_value = "disk almost full"
    record.attributes.add(key="tags").value.array_value.values.add(int_value=3)

    gzipped = gzip.compress(metrics.SerializeToString())
    m = requests.post(
        http_receiver.metrics_url,
        data=gzipped,
        headers={**auth, "Content-Encoding": "gzip"},
        timeout=5,
    )
    lg = requests.post(
        http_receiver.logs_url, data=logs.SerializeToString(), headers=auth, timeout=5
    )

    assert (m.status_code, lg.status_code) == (200, 200)
    assert http_receiver.wait_for_metrics(1, timeout=1)[0].name == "requests"
    assert http_receiver.metrics[0].resource == {"service.name": "svc"}
    log = http_receiver.wait_for_logs(1, timeout=1)[0]
    assert (log.body, log.severity_text, log.attributes) == (
        "disk almost full",
        "WARN",
        {"tags": (3,)},
    )


def test_static_token_on_a_lightstep_style_header_and_path(
    token_server: TokenServer,
) -> None:
    body = trace_service_pb2.ExportTraceServiceRequest().SerializeToString()
    with HttpOtlpReceiver(header="lightstep-access-token", static_token="ls-token") as receiver:
        url = receiver.url("/traces/otlp/v0.9")
        good = requests.post(
            url, data=body, headers={"lightstep-access-token": "ls-token", **PROTOBUF}, timeout=5
        )
        bad = requests.post(
            url,
            data=body,
            headers={"lightstep-access-token": "Bearer ls-token", **PROTOBUF},
            timeout=5,
        )

    assert (good.status_code, bad.status_code) == (200, 401)
    assert receiver.tokens_seen == ["ls-token", "ls-token"]


def test_no_validator_accepts_anything() -> None:
    body = trace_service_pb2.ExportTraceServiceRequest().SerializeToString()
    with HttpOtlpReceiver() as receiver:
        response = requests.post(receiver.traces_url, data=body, headers=PROTOBUF, timeout=5)

    assert response.status_code == 200
    assert receiver.accepted == 1


def test_https_receiver(
    tls_material: TlsMaterial,
    token_server: TokenServer,
    spans: Sequence[ReadableSpan],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # requests lets these variables override a session's ``verify`` (requests#3829).
    for name in ("REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE"):
        monkeypatch.delenv(name, raising=False)
    with HttpOtlpReceiver(JwtValidator(token_server), tls=tls_material) as receiver:
        exporter: SpanExporter = HttpSpanExporter(
            endpoint=receiver.traces_url,
            headers={"authorization": f"Bearer {token_server.mint()}"},
            certificate_file=str(tls_material.ca_cert),
            timeout=5,
        )
        result = exporter.export(spans)
        exporter.shutdown()

    assert receiver.endpoint.startswith("https://127.0.0.1:")
    assert result is SpanExportResult.SUCCESS
    assert len(receiver.spans) == 2


def test_wait_for_spans_times_out_with_a_summary(http_receiver: HttpOtlpReceiver) -> None:
    started = time.monotonic()

    with pytest.raises(TimeoutError, match="expected 1 spans"):
        http_receiver.wait_for_spans(1, timeout=0.1)

    assert time.monotonic() - started < 1


def test_reset_forgets_recordings(
    http_receiver: HttpOtlpReceiver, token_server: TokenServer, spans: Sequence[ReadableSpan]
) -> None:
    _http_export(http_receiver, token_server.mint(), spans)

    http_receiver.reset()

    assert (http_receiver.spans, http_receiver.requests, http_receiver.accepted) == ([], [], 0)
