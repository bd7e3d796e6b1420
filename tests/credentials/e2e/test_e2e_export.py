"""The SDK's own OTLP exporters, configured only through environment variables and entry points.

Tokens live 2-3 seconds and are validated by real receivers the way the
Collector's oidc authenticator does; the runs span several expiries.
"""

from __future__ import annotations

import math
import time
from typing import TYPE_CHECKING

import pytest
from opentelemetry.sdk.trace.export import SpanExportResult

from tests.credentials.e2e.conftest import export_for, make_span

if TYPE_CHECKING:
    from tests.harness.actions_oidc import ActionsOidcServer
    from tests.harness.fake_clis import FakeClis
    from tests.harness.receivers import GrpcOtlpReceiver, HttpOtlpReceiver
    from tests.harness.tls import TlsMaterial
    from tests.harness.token_server import TokenServer

pytestmark = pytest.mark.slow

LIFETIME = 2.0
RUN = 6.0


def oauth2_env(monkeypatch: pytest.MonkeyPatch, server: TokenServer) -> None:
    monkeypatch.setenv("WORKSPACE_OTEL_TOKEN_SOURCE", "oauth2")
    monkeypatch.setenv("WORKSPACE_OTEL_OAUTH2_TOKEN_URL", server.token_url)
    monkeypatch.setenv("WORKSPACE_OTEL_OAUTH2_CLIENT_ID", "test-client")
    monkeypatch.setenv("WORKSPACE_OTEL_OAUTH2_CLIENT_SECRET", "test-secret")
    monkeypatch.setenv("WORKSPACE_OTEL_OAUTH2_TIMEOUT", "2")


def http_exporter(monkeypatch: pytest.MonkeyPatch, receiver: HttpOtlpReceiver):  # type: ignore[no-untyped-def]
    from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

    monkeypatch.setenv("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", f"{receiver.endpoint}/v1/traces")
    monkeypatch.setenv("OTEL_PYTHON_EXPORTER_OTLP_HTTP_CREDENTIAL_PROVIDER", "workspace_otel_http")
    return OTLPSpanExporter()


def grpc_exporter(  # type: ignore[no-untyped-def]
    monkeypatch: pytest.MonkeyPatch, receiver: GrpcOtlpReceiver, tls: TlsMaterial
):
    from opentelemetry.exporter.otlp.proto.grpc.trace_exporter import OTLPSpanExporter

    monkeypatch.setenv("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", receiver.endpoint)
    monkeypatch.setenv("OTEL_EXPORTER_OTLP_CERTIFICATE", str(tls.ca_cert))
    monkeypatch.setenv("OTEL_PYTHON_EXPORTER_OTLP_GRPC_CREDENTIAL_PROVIDER", "workspace_otel_grpc")
    return OTLPSpanExporter()


def assert_requests_per_lifetime(count: int, seconds: float, lifetime: float) -> None:
    """About two fetches per lifetime (refresh at half life), never a flood."""
    assert count >= math.floor(seconds / lifetime), count
    assert count <= 2 * seconds / lifetime + 2, count


def test_http_oauth2_across_expiries(
    monkeypatch: pytest.MonkeyPatch, token_server: TokenServer, http_receiver: HttpOtlpReceiver
) -> None:
    """OTLP/HTTP + oauth2: every export accepted across ~3 expiries, ~2 fetches per lifetime."""
    token_server.lifetime = LIFETIME
    oauth2_env(monkeypatch, token_server)
    exporter = http_exporter(monkeypatch, http_receiver)
    started = time.monotonic()
    results = export_for(exporter, RUN)
    elapsed = time.monotonic() - started
    exporter.shutdown()
    assert set(results) == {SpanExportResult.SUCCESS}
    assert http_receiver.rejected == 0
    assert len(http_receiver.spans) == len(results)
    assert len(set(http_receiver.tokens_seen)) >= 3  # the token really rotated
    assert_requests_per_lifetime(token_server.token_requests, elapsed, LIFETIME)


def test_grpc_github_actions_across_expiries(
    monkeypatch: pytest.MonkeyPatch,
    actions_oidc: ActionsOidcServer,
    grpc_receiver: GrpcOtlpReceiver,
    tls_material: TlsMaterial,
    token_server: TokenServer,
) -> None:
    """OTLP/gRPC over TLS + github-actions: zero rejected exports across expiries."""
    actions_oidc.lifetime = LIFETIME
    for key, value in actions_oidc.environ.items():
        monkeypatch.setenv(key, value)
    monkeypatch.setenv("WORKSPACE_OTEL_TOKEN_AUDIENCE", token_server.audience)
    exporter = grpc_exporter(monkeypatch, grpc_receiver, tls_material)
    started = time.monotonic()
    results = export_for(exporter, RUN)
    elapsed = time.monotonic() - started
    exporter.shutdown()
    assert set(results) == {SpanExportResult.SUCCESS}
    assert grpc_receiver.rejected == 0
    assert len(set(grpc_receiver.tokens_seen)) >= 3
    assert_requests_per_lifetime(actions_oidc.request_count, elapsed, LIFETIME)


def test_http_gitpod_cli_lightstep_header(
    monkeypatch: pytest.MonkeyPatch,
    fake_cli_bin: FakeClis,
    token_server: TokenServer,
    jwt_validator: object,
) -> None:
    """gp idp token through a raw lightstep-access-token header, across expiries."""
    from tests.harness.receivers import HttpOtlpReceiver

    monkeypatch.setenv("FAKE_CLI_LIFETIME", str(int(LIFETIME + 1)))
    monkeypatch.setenv("GITPOD_WORKSPACE_ID", "ws-e2e")
    monkeypatch.setenv("WORKSPACE_OTEL_TOKEN_AUDIENCE", token_server.audience)
    monkeypatch.setenv("WORKSPACE_OTEL_TOKEN_HEADER", "lightstep-access-token")

    class RawJwt:
        def validate_header(self, value: str | None) -> dict[str, object]:
            return jwt_validator.validate_header(f"Bearer {value}")  # type: ignore[attr-defined, no-any-return]

    with HttpOtlpReceiver(RawJwt(), header="lightstep-access-token") as receiver:
        exporter = http_exporter(monkeypatch, receiver)
        results = export_for(exporter, 4.0, interval=0.2)
        exporter.shutdown()
        assert set(results) == {SpanExportResult.SUCCESS}
        assert receiver.rejected == 0
        assert len(set(receiver.tokens_seen)) >= 2
    assert 2 <= fake_cli_bin.count("gp") <= 5


def test_grpc_insecure_endpoint_sends_no_token(
    monkeypatch: pytest.MonkeyPatch, token_server: TokenServer
) -> None:
    """Documented quirk: an http:// gRPC endpoint skips credential providers entirely."""
    from opentelemetry.exporter.otlp.proto.grpc.trace_exporter import OTLPSpanExporter

    from tests.harness.receivers import GrpcOtlpReceiver

    oauth2_env(monkeypatch, token_server)
    with GrpcOtlpReceiver(None) as receiver:
        monkeypatch.setenv("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", receiver.endpoint)
        monkeypatch.setenv(
            "OTEL_PYTHON_EXPORTER_OTLP_GRPC_CREDENTIAL_PROVIDER", "workspace_otel_grpc"
        )
        exporter = OTLPSpanExporter()
        assert exporter.export([make_span()]) == SpanExportResult.SUCCESS
        exporter.shutdown()
        assert receiver.tokens_seen == []
    assert token_server.token_requests == 0
