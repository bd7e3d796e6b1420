"""An unreachable collector: one clear warning, no raw SDK lines, no long wait at exit.

The collector is a loopback port nobody listens on; the exit deadline
(WORKSPACE_OTEL_FLUSH_TIMEOUT=60) is far longer than the exporter's own
(OTEL_EXPORTER_OTLP_TIMEOUT=20), and the child must exit well before either.
"""

from __future__ import annotations

import logging
import socket
import subprocess
import time
from collections.abc import Callable
from typing import Any

import pytest
import requests
from opentelemetry import trace

import workspace_otel
from tests.configure.conftest import APPS
from tests.harness.process import PYTHON, subprocess_env
from tests.harness.receivers import GrpcOtlpReceiver, HttpOtlpReceiver
from workspace_otel._setup._outage import CollectorWatch


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port


@pytest.mark.slow
@pytest.mark.parametrize("protocol", ["http/protobuf", "grpc"])
@pytest.mark.parametrize("mode", ["early", "exit-only"])
def test_unreachable_collector_one_warning_and_no_long_exit(mode: str, protocol: str) -> None:
    """One outage warning naming the endpoint and fixes, no SDK lines, losses counted."""
    port = _closed_port()
    spans = 7
    started = time.monotonic()
    result = subprocess.run(
        [PYTHON, str(APPS / "unreachable_collector.py"), mode, str(spans)],
        capture_output=True,
        text=True,
        env=subprocess_env(
            OTEL_EXPORTER_OTLP_ENDPOINT=f"http://127.0.0.1:{port}",
            OTEL_EXPORTER_OTLP_PROTOCOL=protocol,
            OTEL_BSP_SCHEDULE_DELAY="100",
            OTEL_BSP_MAX_EXPORT_BATCH_SIZE="3",
            OTEL_EXPORTER_OTLP_TIMEOUT="20",
            WORKSPACE_OTEL_FLUSH_TIMEOUT="60",
        ),
        timeout=120,
        check=False,
    )
    elapsed = time.monotonic() - started
    err = result.stderr
    assert result.returncode == 0, err
    assert "DONE" in result.stdout
    outage = [line for line in err.splitlines() if "cannot reach the collector" in line]
    assert len(outage) == 1, err
    assert f"127.0.0.1:{port}" in outage[0]
    assert "workspace-otel doctor" in outage[0]
    assert "WORKSPACE_OTEL_FLUSH_TIMEOUT" in outage[0]
    for raw in (
        "Transient error",
        "Failed to export",
        "Exporter already shutdown",
        "retry",
        "StatusCode.",
        "Traceback",
    ):
        assert raw not in err, err
    lost = [line for line in err.splitlines() if "were not delivered" in line]
    assert len(lost) == 1, err
    assert f"{spans} span(s)" in lost[0]
    assert "1 metric point(s)" in lost[0]
    # Far below the exporter's 20 s deadline: nobody waited for a collector known down.
    assert elapsed < 15, (elapsed, err)


def _wait_for(condition: Callable[[], bool], what: str, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.02)


@pytest.mark.slow
@pytest.mark.parametrize("protocol", ["http/protobuf", "grpc"])
def test_receiver_down_then_back_one_warning_loss_counted_and_reported_once(
    protocol: str, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A real receiver down past the export timeout, then back: one WARNING for the outage,
    one INFO on the return with the loss, one exit WARNING with the same loss, no SDK line,
    nothing raised, and the exit within its deadline."""
    caplog.set_level(logging.INFO, logger="workspace_otel")
    caplog.set_level(logging.DEBUG, logger="opentelemetry.exporter")
    receiver: HttpOtlpReceiver | GrpcOtlpReceiver = (
        GrpcOtlpReceiver() if protocol == "grpc" else HttpOtlpReceiver()
    )
    receiver.suspend()
    for name, value in {
        "OTEL_EXPORTER_OTLP_ENDPOINT": receiver.endpoint,
        "OTEL_EXPORTER_OTLP_PROTOCOL": protocol,
        "OTEL_METRICS_EXPORTER": "none",
        "OTEL_LOGS_EXPORTER": "none",
        "OTEL_BSP_SCHEDULE_DELAY": "50",
        # One retry after ~1 s fits, the next (~2 s later) does not: the batch is dropped.
        "OTEL_EXPORTER_OTLP_TIMEOUT": "1.5",
        "WORKSPACE_OTEL_FLUSH_TIMEOUT": "10",
    }.items():
        monkeypatch.setenv(name, value)
    try:
        handle = workspace_otel.configure(service_name="outage-app")
        watch = handle._watch
        assert watch is not None
        tracer = trace.get_tracer("outage")
        lost = 4
        for i in range(lost):
            with tracer.start_as_current_span(f"lost-{i}"):
                pass
        _wait_for(lambda: watch.lost["traces"] == lost, "the held batch to be dropped")
        receiver.resume()
        for i in range(3):
            with tracer.start_as_current_span(f"after-{i}"):
                pass
        received = receiver.wait_for_spans(3, timeout=20)
        _wait_for(lambda: not watch.down, "the exporter to read the receiver's answer")
        finished = handle.shutdown()
    finally:
        receiver.stop()
    assert finished
    assert sorted(span.name for span in received) == ["after-0", "after-1", "after-2"]
    ours = [r for r in caplog.records if r.name == "workspace_otel"]
    warnings = [r.getMessage() for r in ours if r.levelno == logging.WARNING]
    infos = [r.getMessage() for r in ours if "answers again" in r.getMessage()]
    assert len(warnings) == 2, warnings
    assert "cannot reach the collector" in warnings[0]
    assert f"127.0.0.1:{receiver.port}" in warnings[0]
    assert f"{lost} span(s) were not delivered" in warnings[1]
    assert infos == [
        f"workspace_otel: the collector at {receiver.endpoint} answers again; "
        f"{lost} span(s) were lost meanwhile"
    ]
    sdk = [
        r.getMessage()
        for r in caplog.records
        if r.name.startswith("opentelemetry.exporter") and r.levelno >= logging.WARNING
    ]
    assert sdk == []


class _FlakySession:
    """Stands in for the exporter's requests.Session: refuses, then answers."""

    def __init__(self) -> None:
        self.refuse = True

    def request(self, *args: object, **kwargs: object) -> str:
        if self.refuse:
            raise requests.ConnectionError("connection refused")
        return "200 OK"


def test_one_warning_per_outage_and_one_info_on_recovery(caplog: pytest.LogCaptureFixture) -> None:
    """Many failed batches: one WARNING; the first success: one INFO; a new outage warns again."""
    caplog.set_level(logging.INFO, logger="workspace_otel")
    watch = CollectorWatch(flush_timeout=5)
    session = _FlakySession()
    watch.watch_session(session, "http://127.0.0.1:4318/v1/traces")
    for _ in range(5):
        with pytest.raises(requests.ConnectionError):
            session.request("POST", "x")
    states = [watch.down]
    session.refuse = False
    for _ in range(3):
        assert session.request("POST", "x") == "200 OK"
    states.append(watch.down)
    assert states == [True, False]
    session.refuse = True
    with pytest.raises(requests.ConnectionError):
        session.request("POST", "x")
    records = [r for r in caplog.records if r.name == "workspace_otel"]
    levels = [r.levelname for r in records]
    watch.close()
    assert levels == ["WARNING", "INFO", "WARNING"], [r.getMessage() for r in records]
    assert "answers again" in records[1].getMessage()


def test_sdk_exporter_lines_are_dropped_only_during_an_outage(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """The raw exporter lines are hidden while down and shown again once it answers."""
    sdk = logging.getLogger("opentelemetry.exporter.otlp.proto.http.trace_exporter")
    caplog.set_level(logging.WARNING)
    watch = CollectorWatch(flush_timeout=5)
    session = _FlakySession()
    watch.watch_session(session, "http://127.0.0.1:4318/v1/traces")
    with pytest.raises(requests.ConnectionError):
        session.request("POST", "x")
    sdk.warning("Transient error during the outage")
    session.refuse = False
    session.request("POST", "x")
    sdk.warning("a line after recovery")
    watch.close()
    text = caplog.text
    assert "during the outage" not in text
    assert "after recovery" in text


@pytest.mark.parametrize("protocol", ["http/protobuf", "grpc"])
def test_exporter_stopped_early_at_exit_is_not_shut_down_twice(
    protocol: str, caplog: pytest.LogCaptureFixture
) -> None:
    """The watch stops the exporters of a collector known down at exit; when the collector
    answers meanwhile, the processor's own shutdown must not add the SDK's second-call line."""
    if protocol == "grpc":
        from opentelemetry.exporter.otlp.proto.grpc.trace_exporter import (
            OTLPSpanExporter as GrpcSpanExporter,
        )

        exporter: object = GrpcSpanExporter(endpoint=f"http://127.0.0.1:{_closed_port()}")
    else:
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import (
            OTLPSpanExporter as HttpSpanExporter,
        )

        exporter = HttpSpanExporter(endpoint=f"http://127.0.0.1:{_closed_port()}/v1/traces")
    caplog.set_level(logging.WARNING)
    watch = CollectorWatch(flush_timeout=5)
    watch.watch_exporter(exporter, "traces")
    watch.failed("http://127.0.0.1:4318", "ConnectionError: refused")
    watch.stop_waiting()  # known down: the watch shuts the exporter now
    watch.reached("http://127.0.0.1:4318")  # an export in flight got through after all
    exporter.shutdown()  # type: ignore[attr-defined]  # the processor's own call
    watch.close()
    assert "already shutdown" not in caplog.text, caplog.text
    assert exporter._shutdown  # type: ignore[attr-defined]


def test_grpc_channels_reconnect_within_a_second(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every channel the gRPC exporter opens (the first, and the one it re-creates after
    UNAVAILABLE) caps gRPC's reconnect backoff at 1 s, so a retry of the exporter does not
    meet a channel still waiting out a longer step of its own; the spans still arrive."""
    import grpc
    from opentelemetry.exporter.otlp.proto.grpc import exporter as sdk_grpc

    opened: list[dict[str, object]] = []

    def recording_channel(target: str, *args: object, **kwargs: object) -> grpc.Channel:
        options = kwargs.get("options") or (args[1] if len(args) > 1 else ())
        opened.append(dict(options))  # type: ignore[call-overload]
        return grpc.insecure_channel(target, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(sdk_grpc, "insecure_channel", recording_channel)
    with GrpcOtlpReceiver() as receiver:
        handle = workspace_otel.configure(
            service_name="reconnect",
            endpoint=receiver.endpoint,
            protocol="grpc",
            metrics=False,
            logs=False,
            set_global=False,
        )
        handle.tracer_provider.get_tracer("reconnect").start_span("one").end()
        handle.shutdown()
        assert [s.name for s in receiver.wait_for_spans(1)] == ["one"]
    assert opened
    for options in opened:
        assert options["grpc.max_reconnect_backoff_ms"] == 1000
        assert options["grpc.initial_reconnect_backoff_ms"] == 250


def _sdk_grpc_exporter(endpoint: str) -> Any:
    from opentelemetry.exporter.otlp.proto.grpc.trace_exporter import OTLPSpanExporter

    return OTLPSpanExporter(endpoint=endpoint, insecure=True, timeout=2)


def _one_span() -> list[Any]:
    from opentelemetry.sdk.trace import TracerProvider

    provider = TracerProvider()
    span = provider.get_tracer("t").start_span("s")
    span.end()
    return [span]


def test_grpc_error_status_ends_the_outage(caplog: pytest.LogCaptureFixture) -> None:
    """A gRPC receiver that is down, then back and refusing the call (UNAUTHENTICATED): the
    collector answered, so the outage is over (one INFO) though the export failed."""
    caplog.set_level(logging.INFO, logger="workspace_otel")
    watch = CollectorWatch(flush_timeout=5)
    with GrpcOtlpReceiver(static_token="a-token-nobody-sends") as receiver:
        receiver.suspend()
        exporter = _sdk_grpc_exporter(receiver.endpoint)
        watch.watch_grpc_stub(exporter, receiver.endpoint)
        watch.watch_exporter(exporter, "traces")
        assert exporter.export(_one_span()).name == "FAILURE"
        states = [watch.down]
        receiver.resume()
        assert exporter.export(_one_span()).name == "FAILURE"  # refused, not unreachable
        states.append(watch.down)
        exporter.shutdown()
    watch.close()
    assert states == [True, False]
    messages = [r.getMessage() for r in caplog.records if r.name == "workspace_otel"]
    assert len(messages) == 2, messages
    assert "UNAVAILABLE" in messages[0]
    assert "answers again; 1 span(s) were lost meanwhile" in messages[1]


def test_grpc_outage_warning_never_quotes_a_secret_from_the_status_details(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """A server (or proxy) whose UNAVAILABLE details echo a registered token and a URL with
    user-info: the one warning carries neither."""
    from concurrent import futures

    import grpc
    from opentelemetry.proto.collector.trace.v1 import trace_service_pb2

    from workspace_otel._guards.redaction import register_secret

    secret = "s3cr3t-token-value-0123456789"
    register_secret(secret)

    def export(request: Any, context: grpc.ServicerContext) -> Any:
        context.abort(
            grpc.StatusCode.UNAVAILABLE,
            f"upstream https://user:{secret}@gw.example/v1?token={secret}: {secret}",
        )

    handler = grpc.method_handlers_generic_handler(
        "opentelemetry.proto.collector.trace.v1.TraceService",
        {
            "Export": grpc.unary_unary_rpc_method_handler(
                export,
                request_deserializer=trace_service_pb2.ExportTraceServiceRequest.FromString,
                response_serializer=trace_service_pb2.ExportTraceServiceResponse.SerializeToString,
            )
        },
    )
    server = grpc.server(futures.ThreadPoolExecutor(max_workers=2), handlers=[handler])
    port = server.add_insecure_port("127.0.0.1:0")
    server.start()
    caplog.set_level(logging.DEBUG)
    watch = CollectorWatch(flush_timeout=5)
    try:
        exporter = _sdk_grpc_exporter(f"http://127.0.0.1:{port}")
        watch.watch_grpc_stub(exporter, f"http://user:{secret}@127.0.0.1:{port}/?k={secret}")
        watch.watch_exporter(exporter, "traces")
        watch.stop_waiting()  # at exit: the first failure ends the retries at once
        assert exporter.export(_one_span()).name == "FAILURE"
        watch.report_exit()
    finally:
        server.stop(grace=None).wait(5)
    ours = [r.getMessage() for r in caplog.records if r.name == "workspace_otel"]
    assert len(ours) == 2, ours
    assert "cannot reach the collector" in ours[0]
    assert "1 span(s) were not delivered" in ours[1]
    assert secret not in caplog.text
    assert "user:" not in caplog.text
