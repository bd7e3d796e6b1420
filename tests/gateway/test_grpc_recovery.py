"""configure()'s OTLP/gRPC exporters recover from a token the real ``oidc`` authenticator refuses.

The token source is a command that prints a token from an issuer the gateway
does not trust on its first run and a good Ona token afterwards, so the first
export meets ``UNAUTHENTICATED`` with a token the cache still holds as current.
"""

from __future__ import annotations

import logging
import sys
from pathlib import Path

import pytest

from tests.gateway.conftest import AUDIENCE, Gateway, Issuers
from tests.harness.process import reset_otel_globals
from tests.harness.receivers import GrpcOtlpReceiver
from tests.harness.tls import TlsMaterial
from tests.harness.token_server import TokenServer

pytestmark = pytest.mark.slow

SCRIPT = """\
import pathlib, sys
folder = pathlib.Path(sys.argv[1])
count = folder / "count"
n = int(count.read_text()) if count.exists() else 0
count.write_text(str(n + 1))
print((folder / ("bad" if n == 0 else "good")).read_text())
"""


def token_command(folder: Path, bad: str, good: str) -> str:
    """A ``command:`` source printing ``bad`` once, then ``good``."""
    folder.mkdir()
    (folder / "bad").write_text(bad)
    (folder / "good").write_text(good)
    script = folder / "token.py"
    script.write_text(SCRIPT)
    return f"command:{sys.executable} {script} {folder}"


def export_one_span(gateway: Gateway, source: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """configure() with gRPC to the gateway, one span, flushed and shut down."""
    from workspace_otel import configure
    from workspace_otel._setup import _configure

    for name, value in {
        "OTEL_SERVICE_NAME": "grpc-recovery",
        "OTEL_EXPORTER_OTLP_ENDPOINT": gateway.grpc_endpoint,
        "OTEL_EXPORTER_OTLP_PROTOCOL": "grpc",
        "OTEL_EXPORTER_OTLP_CERTIFICATE": str(gateway.ca_file),
        "OTEL_METRICS_EXPORTER": "none",
        "WORKSPACE_OTEL_TOKEN_SOURCE": source,
        "WORKSPACE_OTEL_GIT": "off",
    }.items():
        monkeypatch.setenv(name, value)
    _configure._reset_for_tests()
    reset_otel_globals()
    telemetry = configure(set_global=False)
    try:
        tracer = telemetry.tracer_provider.get_tracer("grpc-recovery")
        tracer.start_span("after-a-rejected-token").end()
        telemetry.force_flush()
    finally:
        telemetry.shutdown()
        _configure._reset_for_tests()


def test_rejected_current_token_is_refreshed_and_resent_once(
    gateway: Gateway,
    issuers: Issuers,
    upstream: GrpcOtlpReceiver,
    tls_material: TlsMaterial,
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """UNAUTHENTICATED from the real Collector -> one refresh, one re-send, span delivered."""
    with TokenServer(audience=AUDIENCE, tls=tls_material) as rogue:
        bad = rogue.mint(aud=AUDIENCE, lifetime=600)
    good = issuers.ona.mint(sub="org:o/env:e", aud=AUDIENCE, lifetime=600)
    folder = tmp_path / "tokens"
    caplog.set_level(logging.INFO, logger="workspace_otel")
    export_one_span(gateway, token_command(folder, bad, good), monkeypatch)
    spans = upstream.wait_for_spans(1, timeout=15)
    assert [s.name for s in spans] == ["after-a-rejected-token"]
    assert spans[0].resource["workspace.verified.subject"] == "org:o/env:e"
    assert (folder / "count").read_text() == "2"  # one refresh, not a loop
    gateway.process.wait_for_log("no OIDC provider configured for the issuer")
    assert "rejected token" in caplog.text
    assert bad not in caplog.text
    assert good not in caplog.text


def test_a_second_rejection_is_final(
    gateway: Gateway,
    upstream: GrpcOtlpReceiver,
    tls_material: TlsMaterial,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Two untrusted tokens: one re-send, then the exporter gives up (no loop, no hang)."""
    with TokenServer(audience=AUDIENCE, tls=tls_material) as rogue:
        bad1 = rogue.mint(aud=AUDIENCE, lifetime=600)
        bad2 = rogue.mint(aud=AUDIENCE, lifetime=600)
    folder = tmp_path / "tokens"
    export_one_span(gateway, token_command(folder, bad1, bad2), monkeypatch)
    assert (folder / "count").read_text() == "2"
    assert upstream.spans == []
    log = gateway.process.log_text()
    assert log.count("Authentication failed") == 2
