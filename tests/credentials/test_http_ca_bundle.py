"""The exporter's own CA file wins over a machine-wide REQUESTS_CA_BUNDLE."""

from __future__ import annotations

from pathlib import Path

import pytest
from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor

from tests.harness.receivers import HttpOtlpReceiver
from tests.harness.tls import TlsMaterial
from workspace_otel.credentials import EnvTokenSource, http_session

SYSTEM_BUNDLE = "/etc/ssl/certs/ca-certificates.crt"


@pytest.mark.parametrize("variable", ["REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE"])
def test_otlp_certificate_is_used_despite_ca_bundle_variable(
    variable: str, tls_material: TlsMaterial, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """With a CA-bundle variable set, the span still reaches a collector with a private CA."""
    bundle = Path(SYSTEM_BUNDLE) if Path(SYSTEM_BUNDLE).exists() else tmp_path / "empty.pem"
    bundle.touch()
    monkeypatch.setenv(variable, str(bundle))
    monkeypatch.setenv("CA_TEST_TOKEN", "static-test-token")
    with HttpOtlpReceiver(tls=tls_material, static_token="static-test-token") as receiver:
        exporter = OTLPSpanExporter(
            endpoint=receiver.traces_url,
            certificate_file=str(tls_material.ca_cert),
            session=http_session(EnvTokenSource("CA_TEST_TOKEN")),
        )
        provider = TracerProvider()
        provider.add_span_processor(SimpleSpanProcessor(exporter))
        provider.get_tracer("ca-bundle").start_span("through-private-ca").end()
        provider.shutdown()
        assert [s.name for s in receiver.spans] == ["through-private-ca"]
        assert receiver.rejected == 0
