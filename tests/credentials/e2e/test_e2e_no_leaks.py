"""A canary planted in every source never shows in logs (DEBUG), reprs or exception text."""

from __future__ import annotations

import logging
import sys
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
import requests

from tests.credentials.e2e.conftest import make_span
from workspace_otel.credentials import (
    CommandTokenSource,
    EnvTokenSource,
    FileTokenSource,
    GceMetadataTokenSource,
    GitHubActionsTokenSource,
    GitpodTokenSource,
    OAuth2ClientCredentialsSource,
    TokenSource,
    http_session,
    shared_cache,
)
from workspace_otel.errors import TokenError

if TYPE_CHECKING:
    from tests.harness.fake_clis import FakeClis
    from tests.harness.tls import TlsMaterial

pytestmark = pytest.mark.slow

PROTOBUF = {"Content-Type": "application/x-protobuf"}

CANARIES = {
    name: f"canary{name}Q9x7Z2kLm4Np8Rt6Vw3Yb5"
    for name in ("Env", "File", "Cmd", "Stderr", "Secret", "Request", "Bad")
}


class Capture(logging.Handler):
    """Formats every record reaching the root logger, tracebacks included."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.setFormatter(logging.Formatter("%(name)s %(levelname)s %(message)s"))
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(self.format(record))


def test_canaries_never_leak(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
    fake_cli_bin: FakeClis,
) -> None:
    """Exercise every source, success and failure, with DEBUG logging everywhere."""
    from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

    from tests.harness.actions_oidc import ActionsOidcServer
    from tests.harness.metadata_server import GceMetadataServer
    from tests.harness.receivers import HttpOtlpReceiver
    from tests.harness.token_server import TokenServer

    caplog.set_level(logging.DEBUG)
    capture = Capture()
    root = logging.getLogger()
    root.addHandler(capture)
    texts: list[str] = []  # reprs and exception messages
    secrets = set(CANARIES.values())
    try:
        with (
            TokenServer(lifetime=30, clients={"test-client": CANARIES["Secret"]}) as server,
            ActionsOidcServer(server, request_token=CANARIES["Request"]) as actions,
            GceMetadataServer(server) as metadata,
            HttpOtlpReceiver(None) as receiver,
        ):
            monkeypatch.setenv("CANARY_ENV_TOKEN", CANARIES["Env"])
            token_file = tmp_path / "token"
            token_file.write_text(CANARIES["File"] + "\n")
            helper = tmp_path / "helper.py"
            helper.write_text(f"print({CANARIES['Cmd']!r})\n")
            failing = tmp_path / "failing.py"
            failing.write_text(
                "import sys\n"
                f"sys.stderr.write('token: {CANARIES['Stderr']} rejected\\n')\n"
                "sys.exit(2)\n"
            )
            monkeypatch.setenv("GITPOD_WORKSPACE_ID", "ws-canary")
            sources: list[TokenSource] = [
                EnvTokenSource("CANARY_ENV_TOKEN"),
                FileTokenSource(token_file),
                CommandTokenSource([sys.executable, str(helper)]),
                CommandTokenSource([sys.executable, str(failing)]),
                OAuth2ClientCredentialsSource(
                    server.token_url, "test-client", CANARIES["Secret"], timeout=2
                ),
                OAuth2ClientCredentialsSource(
                    server.token_url, "test-client", CANARIES["Bad"], timeout=2
                ),
                GitHubActionsTokenSource("aud", environ=actions.environ),
                GitHubActionsTokenSource(
                    "aud",
                    environ=dict(actions.environ, ACTIONS_ID_TOKEN_REQUEST_TOKEN=CANARIES["Bad"]),
                ),
                GitpodTokenSource("aud"),
                GceMetadataTokenSource("aud", environ=metadata.environ),
            ]
            url = f"{receiver.endpoint}/v1/traces"
            for source in sources:
                cache = shared_cache(source)
                session = http_session(source)
                texts += [repr(source), source.describe(), repr(cache), repr(session.auth)]
                try:
                    response = session.post(url, data=b"", timeout=5, headers=PROTOBUF)
                    texts.append(repr(cache.token()))
                    assert response.status_code == 200
                except (TokenError, requests.RequestException) as exc:
                    texts += [str(exc), repr(exc)]
                # A rejection path: the receiver answers 401 once; BearerAuth refreshes.
                receiver.enqueue(401)
                try:
                    session.post(url, data=b"", timeout=5, headers=PROTOBUF)
                except (TokenError, requests.RequestException) as exc:
                    texts += [str(exc), repr(exc)]
            # The exporter's own error logging, fed by a failing source.
            monkeypatch.setenv("OTEL_EXPORTER_OTLP_TIMEOUT", "1")
            monkeypatch.setenv("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", url)
            monkeypatch.setenv(
                "OTEL_PYTHON_EXPORTER_OTLP_HTTP_CREDENTIAL_PROVIDER", "workspace_otel_http"
            )
            monkeypatch.setenv("WORKSPACE_OTEL_TOKEN_SOURCE", "oauth2")
            monkeypatch.setenv("WORKSPACE_OTEL_OAUTH2_TOKEN_URL", server.token_url)
            monkeypatch.setenv("WORKSPACE_OTEL_OAUTH2_CLIENT_ID", "test-client")
            monkeypatch.setenv("WORKSPACE_OTEL_OAUTH2_CLIENT_SECRET", CANARIES["Bad"])
            exporter = OTLPSpanExporter()
            exporter.export([make_span()])
            exporter.shutdown()  # type: ignore[no-untyped-call]
            secrets.update(receiver.tokens_seen)
            for source in sources:
                current = shared_cache(source).current
                if current is not None:
                    secrets.add(current.value)
    finally:
        root.removeHandler(capture)
    assert len(secrets) > len(CANARIES) + 5  # real minted tokens are checked too
    haystacks = {
        "caplog": caplog.text,
        "root handler": "\n".join(capture.lines),
        "reprs and exceptions": "\n".join(texts),
    }
    assert capture.lines  # DEBUG logging really ran
    for where, text in haystacks.items():
        leaked = sorted(s for s in secrets if s in text)
        assert not leaked, f"{len(leaked)} secret(s) leaked into {where}"
    assert fake_cli_bin.count() >= 1


def test_grpc_plugin_errors_never_leak(
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
    tls_material: TlsMaterial,
) -> None:
    """A failing source behind the gRPC plugin: RpcError details and logs hold no secret."""
    import grpc
    from opentelemetry.proto.collector.trace.v1 import trace_service_pb2, trace_service_pb2_grpc

    from tests.harness.receivers import GrpcOtlpReceiver
    from tests.harness.token_server import TokenServer
    from workspace_otel.credentials import grpc_credentials

    caplog.set_level(logging.DEBUG)
    bad = CANARIES["Bad"]
    with (
        TokenServer(clients={"test-client": CANARIES["Secret"]}) as server,
        GrpcOtlpReceiver(None, tls_material) as receiver,
    ):
        monkeypatch.setenv("OTEL_EXPORTER_OTLP_CERTIFICATE", str(tls_material.ca_cert))
        source = OAuth2ClientCredentialsSource(server.token_url, "test-client", bad, timeout=2)
        credentials = grpc_credentials(source)
        target = receiver.endpoint.removeprefix("https://")
        with grpc.secure_channel(target, credentials) as channel:
            stub = trace_service_pb2_grpc.TraceServiceStub(channel)  # type: ignore[no-untyped-call]
            with pytest.raises(grpc.RpcError) as info:
                stub.Export(trace_service_pb2.ExportTraceServiceRequest(), timeout=5)
        error = info.value
        assert error.code() == grpc.StatusCode.UNAVAILABLE
        details = str(error.details())
        assert "invalid_client" in details
        for secret in (bad, CANARIES["Secret"]):
            assert secret not in details
            assert secret not in str(error)
            assert secret not in caplog.text
        assert receiver.tokens_seen == []
