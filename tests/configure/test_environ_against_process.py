"""configure(environ=X) while the process environment says otherwise: X wins, over HTTP and gRPC.

The process environment names another endpoint, other headers and a proxy
that does not answer; the mapping names a real receiver (and, in one case, a
real proxy). Every export must go where the mapping says, carrying the
mapping's headers and none of the process's.
"""

from __future__ import annotations

import socket
from collections.abc import Iterator
from pathlib import Path

import pytest
from opentelemetry import trace

import workspace_otel
from tests.harness.egress_peers import RecordingProxy
from tests.harness.receivers import GrpcOtlpReceiver, HttpOtlpReceiver
from tests.harness.tls import TlsMaterial
from tests.harness.token_server import TokenServer
from workspace_otel.credentials import OAuth2ClientCredentialsSource

HEADER = "x-api-key"

Receiver = HttpOtlpReceiver | GrpcOtlpReceiver


def _dead_port() -> int:
    """A loopback port nobody listens on (bound, then closed)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port


def _make(protocol: str) -> Receiver:
    if protocol == "grpc":
        return GrpcOtlpReceiver(header=HEADER)
    return HttpOtlpReceiver(header=HEADER)


@pytest.fixture(params=["http/protobuf", "grpc"])
def protocol(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def receivers(protocol: str) -> Iterator[tuple[Receiver, Receiver]]:
    """(the mapping's receiver, the process environment's receiver)."""
    mapped, process = _make(protocol), _make(protocol)
    try:
        yield mapped, process
    finally:
        mapped.stop()
        process.stop()


@pytest.fixture
def hostile_process_environment(
    receivers: tuple[Receiver, Receiver], monkeypatch: pytest.MonkeyPatch
) -> None:
    """os.environ: the other receiver, a header of its own, a proxy that does not answer."""
    _, process = receivers
    dead = f"http://127.0.0.1:{_dead_port()}"
    monkeypatch.setenv("OTEL_EXPORTER_OTLP_ENDPOINT", process.endpoint)
    monkeypatch.setenv("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", process.endpoint)
    monkeypatch.setenv("OTEL_EXPORTER_OTLP_HEADERS", f"{HEADER}=from-process")
    monkeypatch.setenv("OTEL_EXPORTER_OTLP_TRACES_HEADERS", f"{HEADER}=from-process-traces")
    monkeypatch.setenv("OTEL_EXPORTER_OTLP_PROTOCOL", "http/protobuf")
    monkeypatch.setenv("OTEL_EXPORTER_OTLP_TIMEOUT", "1")
    for name in ("http_proxy", "https_proxy", "HTTP_PROXY", "HTTPS_PROXY", "grpc_proxy"):
        monkeypatch.setenv(name, dead)
    for name in ("no_proxy", "NO_PROXY", "no_grpc_proxy"):
        monkeypatch.delenv(name, raising=False)


def _export_one(environ: dict[str, str]) -> bool:
    telemetry = workspace_otel.configure(environ=environ, metrics=False, logs=False)
    try:
        with trace.get_tracer("t").start_as_current_span("mapped"):
            pass
        return telemetry.force_flush()
    finally:
        telemetry.shutdown()


@pytest.mark.usefixtures("hostile_process_environment")
@pytest.mark.parametrize("mapped_key", [None, "from-mapping"])
def test_the_export_goes_where_the_mapping_says_with_its_headers_only(
    receivers: tuple[Receiver, Receiver], protocol: str, mapped_key: str | None
) -> None:
    """The mapping's receiver gets the span with its header (or none); the other gets nothing."""
    mapped, process = receivers
    environ = {
        "OTEL_EXPORTER_OTLP_ENDPOINT": mapped.endpoint,
        "OTEL_EXPORTER_OTLP_PROTOCOL": protocol,
        "WORKSPACE_OTEL_GIT": "off",
    }
    if mapped_key is not None:
        environ["OTEL_EXPORTER_OTLP_HEADERS"] = f"{HEADER}={mapped_key}"
    assert _export_one(environ)
    requests = mapped.wait_for_requests(1)
    assert [r.token for r in requests] == [mapped_key]
    assert process.requests == []


@pytest.mark.usefixtures("hostile_process_environment")
def test_the_mapping_proxy_carries_the_export_and_the_process_proxy_does_not(
    receivers: tuple[Receiver, Receiver], protocol: str
) -> None:
    """A proxy named in the mapping is used; the process's (dead) one is not."""
    mapped, _ = receivers
    proxy = RecordingProxy()
    try:
        environ = {
            "OTEL_EXPORTER_OTLP_ENDPOINT": mapped.endpoint,
            "OTEL_EXPORTER_OTLP_PROTOCOL": protocol,
            "WORKSPACE_OTEL_GIT": "off",
            "http_proxy": proxy.url,
            "grpc_proxy": proxy.url,
        }
        _export_one(environ)
        seen = proxy.text
    finally:
        proxy.stop()
    address = mapped.endpoint.split("://", 1)[1]
    # Plain http goes to the proxy as an absolute-form request; gRPC tunnels with CONNECT.
    assert address in seen, seen[:300]


def test_the_process_headers_are_not_added_when_the_mapping_names_none(
    receivers: tuple[Receiver, Receiver], protocol: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Headers alone: the SDK merges (HTTP) or falls back to (gRPC) the process's; not here."""
    mapped, _ = receivers
    monkeypatch.setenv("OTEL_EXPORTER_OTLP_HEADERS", f"{HEADER}=from-process")
    monkeypatch.setenv("OTEL_EXPORTER_OTLP_TRACES_HEADERS", f"{HEADER}=from-process-traces")
    environ = {
        "OTEL_EXPORTER_OTLP_ENDPOINT": mapped.endpoint,
        "OTEL_EXPORTER_OTLP_PROTOCOL": protocol,
        "OTEL_EXPORTER_OTLP_COMPRESSION": "gzip",
        "WORKSPACE_OTEL_GIT": "off",
    }
    assert _export_one(environ)
    assert [r.token for r in mapped.wait_for_requests(1)] == [None]


def test_grpc_tls_with_a_token_trusts_the_mapping_ca_not_the_process_one(
    monkeypatch: pytest.MonkeyPatch,
    grpc_receiver: GrpcOtlpReceiver,
    token_server: TokenServer,
    tls_material: TlsMaterial,
    tmp_path: Path,
) -> None:
    """The token's channel credentials take the certificate variables from the mapping."""
    other_ca = tmp_path / "other-ca.pem"
    other_ca.write_text("not a certificate\n")
    monkeypatch.setenv("OTEL_EXPORTER_OTLP_CERTIFICATE", str(other_ca))
    source = OAuth2ClientCredentialsSource(
        token_server.token_url, "test-client", "test-secret", audience="workspace-otel-test"
    )
    telemetry = workspace_otel.configure(
        environ={
            "OTEL_EXPORTER_OTLP_ENDPOINT": grpc_receiver.endpoint,
            "OTEL_EXPORTER_OTLP_PROTOCOL": "grpc",
            "OTEL_EXPORTER_OTLP_CERTIFICATE": str(tls_material.ca_cert),
            "WORKSPACE_OTEL_GIT": "off",
        },
        credentials=source,
        metrics=False,
    )
    try:
        with trace.get_tracer("grpc").start_as_current_span("sent"):
            pass
        assert telemetry.force_flush(timeout=10)
    finally:
        telemetry.shutdown(timeout=2)
    assert grpc_receiver.wait_for_spans(1, timeout=10)
    assert grpc_receiver.rejected == 0
    assert grpc_receiver.tokens_seen


def test_the_batch_processor_settings_come_from_the_mapping(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The process's batch size of 1 does not apply: three spans leave in one request."""
    monkeypatch.setenv("OTEL_BSP_MAX_EXPORT_BATCH_SIZE", "1")
    with HttpOtlpReceiver() as receiver:
        telemetry = workspace_otel.configure(
            environ={"OTEL_EXPORTER_OTLP_ENDPOINT": receiver.endpoint, "WORKSPACE_OTEL_GIT": "off"},
            metrics=False,
            logs=False,
        )
        try:
            tracer = trace.get_tracer("t")
            for name in ("one", "two", "three"):
                with tracer.start_as_current_span(name):
                    pass
            assert telemetry.force_flush()
        finally:
            telemetry.shutdown()
        assert len(receiver.wait_for_spans(3)) == 3
        assert [r.items for r in receiver.requests] == [3]
