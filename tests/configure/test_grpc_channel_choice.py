"""gRPC channels: credentials=False means no token anywhere; per-signal INSECURE is honoured.

Real gRPC receivers on loopback (TLS with a test CA, and plaintext).
"""

from __future__ import annotations

from pathlib import Path

import pytest
from opentelemetry import trace

import workspace_otel
from tests.harness.receivers import GrpcOtlpReceiver
from tests.harness.tls import make_tls_material

TOKEN = "grpc-choice-token"


def test_credentials_false_sends_no_token_even_with_the_provider_variable(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The credential-provider variable (set by the distro for others) does not sneak one in."""
    tls = make_tls_material(tmp_path)
    monkeypatch.setenv("OTEL_EXPORTER_OTLP_CERTIFICATE", str(tls.ca_cert))
    monkeypatch.setenv("OTEL_PYTHON_EXPORTER_OTLP_GRPC_CREDENTIAL_PROVIDER", "workspace_otel_grpc")
    monkeypatch.setenv("WORKSPACE_OTEL_TOKEN", TOKEN)
    with GrpcOtlpReceiver(None, tls) as receiver:
        telemetry = workspace_otel.configure(
            endpoint=receiver.endpoint, protocol="grpc", credentials=False, metrics=False
        )
        with trace.get_tracer("t").start_as_current_span("no-credentials"):
            pass
        assert telemetry.force_flush()
        spans = receiver.wait_for_spans(1, timeout=10)
        assert [s.name for s in spans] == ["no-credentials"]
        assert receiver.tokens_seen == []


def test_per_signal_insecure_is_honoured_with_a_token_source(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """OTEL_EXPORTER_OTLP_TRACES_INSECURE=true: plaintext channel, spans arrive, no token sent."""
    monkeypatch.setenv("OTEL_EXPORTER_OTLP_TRACES_INSECURE", "true")
    monkeypatch.setenv("WORKSPACE_OTEL_TOKEN", TOKEN)
    with GrpcOtlpReceiver(None) as receiver:
        bare = receiver.endpoint.removeprefix("http://")  # no scheme: the variable decides
        telemetry = workspace_otel.configure(endpoint=bare, protocol="grpc", metrics=False)
        with trace.get_tracer("t").start_as_current_span("plaintext"):
            pass
        assert telemetry.force_flush()
        spans = receiver.wait_for_spans(1, timeout=10)
        assert [s.name for s in spans] == ["plaintext"]
        assert receiver.tokens_seen == []


@pytest.mark.parametrize("signal", ["TRACES", "METRICS", "LOGS"])
def test_per_signal_insecure_beats_the_generic_variable(
    signal: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The per-signal variable is read for every signal, before the generic one."""
    from workspace_otel._setup._exporters import _grpc_secure

    environ = {
        "OTEL_EXPORTER_OTLP_INSECURE": "false",
        f"OTEL_EXPORTER_OTLP_{signal}_INSECURE": "true",
    }
    assert _grpc_secure("collector:4317", signal.lower(), environ) is False  # type: ignore[arg-type]
    assert _grpc_secure("https://collector:4317", signal.lower(), environ) is True  # type: ignore[arg-type]


def test_an_upper_case_http_scheme_is_a_plaintext_channel(monkeypatch: pytest.MonkeyPatch) -> None:
    """``HTTP://`` is ``http://`` (schemes are case-insensitive, as the SDK reads them)."""
    monkeypatch.setenv("WORKSPACE_OTEL_TOKEN", TOKEN)
    with GrpcOtlpReceiver(None) as receiver:
        endpoint = "HTTP://" + receiver.endpoint.removeprefix("http://")
        telemetry = workspace_otel.configure(endpoint=endpoint, protocol="grpc", metrics=False)
        with trace.get_tracer("t").start_as_current_span("upper"):
            pass
        assert telemetry.force_flush(timeout=5)
        spans = receiver.wait_for_spans(1, timeout=10)
        assert [s.name for s in spans] == ["upper"]
        assert receiver.tokens_seen == []
        telemetry.shutdown(timeout=2)
