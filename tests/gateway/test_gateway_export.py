"""examples/collector/gateway.yaml run by the real Collector, fed by real workspace processes.

The workspace holds only its short-lived Ona identity token (the ``gitpod`` CLI
stand-in mints tokens of 2 s); the gateway validates each one with the real
``oidc`` authenticator, stamps the verified identity and forwards with its own
key to an upstream that accepts nothing else.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.gateway.conftest import UPSTREAM_KEY, Gateway, Issuers
from tests.harness.fake_clis import install_fake_clis
from tests.harness.process import PYTHON, subprocess_env
from tests.harness.receivers import GrpcOtlpReceiver

pytestmark = pytest.mark.slow

APP = Path(__file__).with_name("workspace_app.py")
INSTRUMENT = Path(sys.executable).with_name("opentelemetry-instrument")
#: Token lifetime the CLI stand-in mints (seconds) and how long the workspace runs.
LIFETIME = 2
RUN_SECONDS = 7.0
ONA_SUB = "org:0198a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b/env:0199b2c3-d4e5-7f6a-9b0c-1d2e3f4a5b6c"
CREATOR_ID = "0195e5f6-a7b8-7c9d-2e3f-4a5b6c7d8e9f"
CREATOR_EMAIL = "developer@example.com"
#: What a hostile workspace claims about itself.
FORGED = (
    "workspace.verified.subject=forged-subject,"
    "workspace.verified.creator.email=ceo@example.com,"
    "workspace.verified.actor=forged-actor"
)


def workspace_env(
    gateway: Gateway, issuers: Issuers, bin_dir: Path, protocol: str
) -> dict[str, str]:
    """An Ona environment exporting to the gateway with its identity token only."""
    clis = install_fake_clis(bin_dir, issuers.ona)
    endpoint = gateway.http_endpoint if protocol == "http/protobuf" else gateway.grpc_endpoint
    env = subprocess_env(
        GITPOD_ENVIRONMENT_ID="0199b2c3-d4e5-7f6a-9b0c-1d2e3f4a5b6c",
        WORKSPACE_OTEL_TOKEN_SOURCE="gitpod",
        WORKSPACE_OTEL_TOKEN_AUDIENCE="otel-gateway",
        FAKE_CLI_LIFETIME=str(LIFETIME),
        OTEL_SERVICE_NAME="gateway-e2e",
        OTEL_EXPORTER_OTLP_ENDPOINT=endpoint,
        OTEL_EXPORTER_OTLP_PROTOCOL=protocol,
        OTEL_EXPORTER_OTLP_CERTIFICATE=str(gateway.ca_file),
        OTEL_METRIC_EXPORT_INTERVAL="500",
        OTEL_RESOURCE_ATTRIBUTES=FORGED,
    )
    env["PATH"] = clis.path_env()
    return env


def run_workspace(
    env: dict[str, str], *, instrument: bool = False, seconds: float = RUN_SECONDS
) -> tuple[int, str]:
    """Run the workspace app; return ``(spans it made, stderr)``."""
    args = [PYTHON, str(APP), str(seconds)]
    if instrument:
        args = [str(INSTRUMENT), *args, "api"]
        env = {
            **env,
            "OTEL_LOGS_EXPORTER": "otlp",
            "OTEL_PYTHON_LOGGING_AUTO_INSTRUMENTATION_ENABLED": "true",
        }
    done = subprocess.run(args, env=env, capture_output=True, text=True, timeout=90, check=False)
    assert done.returncode == 0, done.stderr
    return int(json.loads(done.stdout.strip().splitlines()[-1])["spans"]), done.stderr


def assert_verified(attributes: dict[str, object]) -> None:
    """The identity the gateway proved, and none of the forged values."""
    assert attributes["workspace.verified.subject"] == ONA_SUB
    assert attributes["workspace.verified.creator.id"] == CREATOR_ID
    assert attributes["workspace.verified.creator.email"] == CREATOR_EMAIL
    assert str(attributes["workspace.verified.issuer"]).startswith("https://127.0.0.1:")
    # Ona tokens have no `actor`: the forged value must be gone, not kept.
    assert "workspace.verified.actor" not in attributes


@pytest.mark.parametrize("protocol", ["http/protobuf", "grpc"])
def test_configure_exports_through_gateway_across_expiries(
    protocol: str,
    gateway: Gateway,
    issuers: Issuers,
    upstream: GrpcOtlpReceiver,
    tmp_path: Path,
) -> None:
    """Every span, metric and log crosses several token expiries with the verified identity."""
    env = workspace_env(gateway, issuers, tmp_path / "bin", protocol)
    spans, stderr = run_workspace(env)
    assert spans >= 20
    received = upstream.wait_for_spans(spans, timeout=20)
    assert len(received) == spans
    logs = upstream.wait_for_logs(spans, timeout=20)
    metrics = upstream.wait_for_metrics(1, timeout=20)
    for span in received:
        assert_verified(span.resource)
        assert_verified(span.attributes)
    for record in logs:
        assert_verified(record.resource)
    assert all(m.resource["workspace.verified.subject"] == ONA_SUB for m in metrics)
    # The upstream saw only the gateway's key, never a workspace token.
    assert upstream.rejected == 0
    assert set(upstream.tokens_seen) == {UPSTREAM_KEY}
    # The gateway refused nothing: the workspace refreshed in time, every time.
    assert "Authentication failed" not in gateway.process.log_text()
    assert "token" not in stderr.lower() or "rejected" not in stderr.lower(), stderr


def test_opentelemetry_instrument_exports_through_gateway(
    gateway: Gateway, issuers: Issuers, upstream: GrpcOtlpReceiver, tmp_path: Path
) -> None:
    """No code change: opentelemetry-instrument with the same environment, across expiries."""
    env = workspace_env(gateway, issuers, tmp_path / "bin", "http/protobuf")
    spans, _stderr = run_workspace(env, instrument=True)
    received = upstream.wait_for_spans(spans, timeout=20)
    assert len(received) == spans
    for span in received:
        assert_verified(span.resource)
    assert upstream.wait_for_logs(1, timeout=20)
    assert "Authentication failed" not in gateway.process.log_text()


@pytest.mark.parametrize(
    ("protocol", "reason"),
    [("http/protobuf", "expected audience"), ("grpc", "expected audience")],
)
def test_refused_workspace_says_why_once(
    protocol: str,
    reason: str,
    gateway: Gateway,
    issuers: Issuers,
    upstream: GrpcOtlpReceiver,
    tmp_path: Path,
) -> None:
    """A workspace asking for the wrong audience: one WARNING with the gateway's reason."""
    env = workspace_env(gateway, issuers, tmp_path / "bin", protocol)
    env["WORKSPACE_OTEL_TOKEN_AUDIENCE"] = "another-service"
    _spans, stderr = run_workspace(env)
    lines = [line for line in stderr.splitlines() if "refused the token" in line]
    assert len(lines) == 1, stderr[-3000:]
    assert reason in lines[0]
    assert "WORKSPACE_OTEL_TOKEN_AUDIENCE" in lines[0]
    # Said once: not again in the SDK's per-batch lines (gRPC repeats the reason there).
    assert sum(reason in line for line in stderr.splitlines()) == 1, stderr[-3000:]
    assert "code: 401" not in stderr
    assert "eyJ" not in stderr  # no JWT, whole or in part
    assert upstream.spans == []
