"""Faults on the path workspace -> real Collector gateway -> upstream, over HTTP and gRPC.

The application is the library's real ``configure()`` (see
:mod:`tests.gateway.fault_app` for the exporter's retry bounds); its tokens are
Ona identity tokens of 4 s from the token server the gateway trusts. Each test
ends spans before the fault, during it and after it, then polls the upstream
the gateway forwards to until every span id is there, and counts span ids
there: none may be missing, none may arrive twice, nothing may be raised into
the application, and the library itself may warn at most once, with no token
in any message.

Each test prints one ``gateway-fault-figures {json}`` line (run with ``-s`` to
see them): spans per phase, delivered, duplicates, seconds from the path's
return to the last span delivered, warnings.
"""

from __future__ import annotations

import json
import shutil
import socket
import ssl
import time
from pathlib import Path
from typing import Any

import pytest

from tests.harness.receivers import GrpcOtlpReceiver
from tests.harness.tls import TlsMaterial, make_tls_material

from .conftest import AUDIENCE, GATEWAY_YAML, CollectorFactory, Gateway, Issuers, gateway_env
from .fault_app import (
    EXPORT_TIMEOUT,
    LIFETIME,
    FaultApp,
    delivered,
    duplicates,
    wait_until,
)

pytestmark = pytest.mark.slow

PROTOCOLS = ["http/protobuf", "grpc"]
ONA_SUB_PREFIX = "org:"


def finish(
    fault: str,
    protocol: str,
    app: FaultApp,
    upstream: GrpcOtlpReceiver,
    back_at: float,
    **extra: Any,
) -> dict[str, Any]:
    """Wait for every span, close the app, check the common promises, print the figures."""
    ids = app.all_ended
    wait_until(lambda: delivered(upstream, ids), EXPORT_TIMEOUT + 10, f"{len(ids)} spans upstream")
    recovered = time.monotonic() - back_at
    app.close()
    assert duplicates(upstream) == 0
    received = {s.span_id: s for s in upstream.spans}
    for span_id in ids:
        subject = str(received[span_id].resource["workspace.verified.subject"])
        assert subject.startswith(ONA_SUB_PREFIX)
    ours = app.warnings("workspace_otel")
    everything = app.warnings()
    assert len(ours) <= 1, ours
    if ours:  # the one warning of an outage says the exports are held, then that none was lost
        assert "is dropped" not in ours[0]
        assert "OTEL_EXPORTER_OTLP_TIMEOUT" in ours[0]
        back = [m for m in app.library_infos() if "answers again" in m]
        assert len(back) == 1, app.library_infos()
        assert "lost" not in back[0]
    assert not any("eyJ" in message for message in everything), everything
    # No token (a JWT always starts with eyJ) in any record at any level, DEBUG included.
    texts = app.every_text()
    assert texts, "the DEBUG capture saw nothing"
    assert not [t for t in texts if "eyJ" in t]
    figures = {
        "fault": fault,
        "protocol": protocol,
        "spans": {phase: len(v) for phase, v in app.ended.items()},
        "delivered": len(ids),
        "duplicates": 0,
        "recovered_s": round(recovered, 2),
        "library_warnings": ours,
        "sdk_warnings": len(everything) - len(ours),
        **extra,
    }
    print("gateway-fault-figures", json.dumps(figures))
    return figures


def prove_path(app: FaultApp, upstream: GrpcOtlpReceiver) -> None:
    """End the ``before`` spans and wait until they are upstream (the path works)."""
    before = app.spans("before")
    wait_until(lambda: delivered(upstream, before), 15, "the path works before the fault")


def restart(factory: CollectorFactory, gateway: Gateway) -> float:
    """Stop the gateway (SIGTERM: it drains its batch) and start it again on the same ports.

    Returns:
        ``time.monotonic()`` when the new process answered its health check.
    """
    gateway.process.stop()
    gateway.process = factory(GATEWAY_YAML, gateway.env)
    return time.monotonic()


@pytest.mark.parametrize("protocol", PROTOCOLS)
def test_gateway_restarted_in_the_middle_of_exports(
    protocol: str,
    gateway: Gateway,
    issuers: Issuers,
    upstream: GrpcOtlpReceiver,
    collector_factory: CollectorFactory,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Spans in flight at the stop, and spans ended while it is down, arrive once after it."""
    app = FaultApp(gateway, issuers, tmp_path / "bin", protocol, monkeypatch)
    prove_path(app, upstream)
    app.spans("at-stop")
    gateway.process.stop()
    app.spans("while-down")
    back_at = restart(collector_factory, gateway)
    app.spans("after")
    finish("restart", protocol, app, upstream, back_at)


@pytest.mark.parametrize("protocol", PROTOCOLS)
def test_gateway_down_longer_than_a_token_life(
    protocol: str,
    gateway: Gateway,
    issuers: Issuers,
    upstream: GrpcOtlpReceiver,
    collector_factory: CollectorFactory,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Down past the expiry of the token the held spans were first sent with: the retry that
    gets through carries a fresh token (the new gateway refuses none) and delivers them once."""
    app = FaultApp(gateway, issuers, tmp_path / "bin", protocol, monkeypatch)
    prove_path(app, upstream)
    gateway.process.stop()
    stopped = time.monotonic()
    tokens_before = len(app.clis.invocations())
    app.spans("while-down")
    # The outage outlasts the token held at the stop: a whole lifetime passes and the
    # cache has fetched at least two tokens since.
    wait_until(
        lambda: (
            time.monotonic() - stopped > LIFETIME + 0.5
            and len(app.clis.invocations()) >= tokens_before + 2
        ),
        LIFETIME * 3,
        "a token lifetime to pass with the gateway down",
    )
    app.spans("late-in-outage")
    down_for = time.monotonic() - stopped
    back_at = restart(collector_factory, gateway)
    app.spans("after")
    finish("down-past-token-life", protocol, app, upstream, back_at, down_s=round(down_for, 2))
    assert "Authentication failed" not in gateway.process.log_text()


@pytest.mark.parametrize("protocol", PROTOCOLS)
def test_gateway_down_longer_than_the_export_timeout_is_counted(
    protocol: str,
    gateway: Gateway,
    issuers: Issuers,
    upstream: GrpcOtlpReceiver,
    collector_factory: CollectorFactory,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Past the bound: with a 3 s export timeout and the gateway down longer, the batch in
    flight is dropped. Nothing is raised, nothing arrives twice, spans after the return are
    delivered (3 s leaves their export two retries, should the first meet a channel still
    reconnecting), and the loss is said with its size."""
    timeout = 3.0
    app = FaultApp(
        gateway, issuers, tmp_path / "bin", protocol, monkeypatch, export_timeout=timeout
    )
    prove_path(app, upstream)
    gateway.process.stop()
    stopped = time.monotonic()
    lost = app.spans("lost")
    # The export holding them gives up once its timeout is spent (retries at ~1 s and ~3 s).
    wait_until(lambda: time.monotonic() - stopped > timeout + 1.0, timeout + 5, "timeout spent")
    restart(collector_factory, gateway)
    after = app.spans("after")
    wait_until(lambda: delivered(upstream, after), 15, "spans after the return")
    received = {s.span_id for s in upstream.spans}
    assert not received & set(lost)
    app.close()
    assert duplicates(upstream) == 0
    texts = app.every_text()
    assert not [t for t in texts if "eyJ" in t]
    # The library says it over both protocols: one outage WARNING, on the return one INFO
    # with the loss, at exit one WARNING with the same loss; none of the SDK's own lines.
    back = [m for m in app.library_infos() if "answers again" in m]
    assert len(back) == 1, app.library_infos()
    assert f"{len(lost)} span(s) were lost meanwhile" in back[0]
    ours = app.warnings("workspace_otel")
    assert len(ours) == 2, ours
    assert "cannot reach the collector" in ours[0]
    assert f"{len(lost)} span(s) were not delivered" in ours[1]
    assert app.warnings("opentelemetry.exporter") == []
    print(
        "gateway-fault-figures",
        json.dumps(
            {
                "fault": "down-past-export-timeout",
                "protocol": protocol,
                "spans": {phase: len(v) for phase, v in app.ended.items()},
                "lost": len(lost),
                "duplicates": 0,
                "warnings": app.warnings(),
                "library_infos": app.library_infos(),
            }
        ),
    )


@pytest.mark.parametrize("protocol", PROTOCOLS)
def test_gateway_frozen_mid_export(
    protocol: str,
    gateway: Gateway,
    issuers: Issuers,
    upstream: GrpcOtlpReceiver,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A gateway that accepts connections but answers nothing for 3 s (SIGSTOP), then resumes:
    the export waits inside its timeout instead of giving up and re-sending, so every span
    arrives once and nothing is raised."""
    app = FaultApp(gateway, issuers, tmp_path / "bin", protocol, monkeypatch)
    prove_path(app, upstream)
    gateway.process.pause()
    frozen = time.monotonic()
    try:
        app.spans("while-frozen")
        wait_until(lambda: time.monotonic() - frozen > 3.0, 5, "the freeze")
    finally:
        gateway.process.resume()
    back_at = time.monotonic()
    app.spans("after")
    finish("frozen", protocol, app, upstream, back_at)


def _served_certificate(address: str, ca_bundle: Path) -> bytes:
    host, port = address.rsplit(":", 1)
    context = ssl.create_default_context(cafile=str(ca_bundle))
    context.set_alpn_protocols(["h2", "http/1.1"])
    with (
        socket.create_connection((host, int(port)), timeout=5) as raw,
        context.wrap_socket(raw, server_hostname=host) as tls,
    ):
        der = tls.getpeercert(binary_form=True)
    assert der is not None
    return der


def _der(pem_file: Path) -> bytes:
    return ssl.PEM_cert_to_DER_cert(pem_file.read_text())


@pytest.mark.parametrize("protocol", PROTOCOLS)
def test_gateway_tls_certificate_rotated(
    protocol: str,
    issuers: Issuers,
    upstream: GrpcOtlpReceiver,
    tls_material: TlsMaterial,
    collector_factory: CollectorFactory,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The serving certificate is replaced by one from the next CA (the workspace trusts both):
    the gateway serves it without a restart (``reload_interval``), then a restart makes the
    workspace's connections handshake again; every span arrives once."""
    live = tmp_path / "live-tls"
    live.mkdir()
    cert, key = live / "tls.crt", live / "tls.key"
    shutil.copy(tls_material.server_cert, cert)
    shutil.copy(tls_material.server_key, key)
    following = make_tls_material(tmp_path / "next-ca")
    bundle = tmp_path / "trusted-cas.pem"
    bundle.write_text(tls_material.ca_cert.read_text() + following.ca_cert.read_text())
    env = gateway_env(
        issuers,
        upstream,
        tls_material,
        OTEL_GATEWAY_TLS_CERT=str(cert),
        OTEL_GATEWAY_TLS_KEY=str(key),
        OTEL_GATEWAY_TLS_RELOAD_INTERVAL="200ms",
    )
    gateway = Gateway(
        process=collector_factory(GATEWAY_YAML, env),
        http_endpoint=f"https://{env['OTEL_GATEWAY_HTTP_ENDPOINT']}",
        grpc_endpoint=f"https://{env['OTEL_GATEWAY_GRPC_ENDPOINT']}",
        ca_file=tls_material.ca_cert,
        env=env,
    )
    port_variable = "HTTP" if protocol == "http/protobuf" else "GRPC"
    address = env[f"OTEL_GATEWAY_{port_variable}_ENDPOINT"]
    app = FaultApp(gateway, issuers, tmp_path / "bin", protocol, monkeypatch, ca_file=bundle)
    prove_path(app, upstream)
    assert _served_certificate(address, bundle) == _der(tls_material.server_cert)
    # Key first, then certificate, each by rename (what a renewal job does).
    staged_key, staged_cert = live / ".tls.key", live / ".tls.crt"
    shutil.copy(following.server_key, staged_key)
    shutil.copy(following.server_cert, staged_cert)
    staged_key.replace(key)
    staged_cert.replace(cert)
    app.spans("at-rotation")
    reloaded = wait_until(
        lambda: _served_certificate(address, bundle) == _der(following.server_cert),
        10,
        "the gateway to serve the new certificate without a restart",
    )
    app.spans("after-reload")
    wait_until(lambda: delivered(upstream, app.all_ended), 15, "spans across the reload")
    back_at = restart(collector_factory, gateway)
    app.spans("after-restart")
    finish(
        "tls-rotation",
        protocol,
        app,
        upstream,
        back_at,
        reload_seen_s=round(reloaded, 2),
    )
    assert _served_certificate(address, bundle) == _der(following.server_cert)


def _send_empty_export(gateway: Gateway, token: str) -> int:
    """POST an empty OTLP/HTTP trace request with ``token``; return the status."""
    import requests

    answer = requests.post(
        f"{gateway.http_endpoint}/v1/traces",
        data=b"",
        headers={"Content-Type": "application/x-protobuf", "Authorization": f"Bearer {token}"},
        verify=str(gateway.ca_file),
        timeout=10,
    )
    return answer.status_code


@pytest.mark.parametrize("protocol", PROTOCOLS)
def test_issuer_jwks_rotated(
    protocol: str,
    gateway: Gateway,
    issuers: Issuers,
    upstream: GrpcOtlpReceiver,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The issuer signs with a new key and stops publishing the old one. Tokens of 60 s, so
    the workspace still holds one signed with the old key: the gateway accepts it while its
    cached keys have the old key; once a new-key token made it fetch the new keys, it refuses
    the old one once (401 / UNAUTHENTICATED), and the library fetches one token and re-sends
    inside the same export. Every span arrives once."""
    app = FaultApp(gateway, issuers, tmp_path / "bin", protocol, monkeypatch, lifetime=60)
    prove_path(app, upstream)
    jwks_before = issuers.ona.jwks_requests
    tokens_before = len(app.clis.invocations())
    issuers.ona.rotate_key()
    rotated_at = time.monotonic()
    at_rotation = app.spans("at-rotation")
    wait_until(lambda: delivered(upstream, at_rotation), 15, "old-key token still accepted")
    # Another workspace's token, signed with the new key: the gateway fetches the new keys.
    assert _send_empty_export(gateway, issuers.ona.mint(aud=AUDIENCE, lifetime=60)) == 200
    assert issuers.ona.jwks_requests > jwks_before
    after = app.spans("after-key-fetch")
    wait_until(lambda: delivered(upstream, after), 15, "spans sent after the key fetch")
    figures = finish(
        "jwks-rotation",
        protocol,
        app,
        upstream,
        rotated_at,
        jwks_fetches_after_rotation=issuers.ona.jwks_requests - jwks_before,
        gateway_refusals=gateway.process.log_text().count("Authentication failed"),
        tokens_fetched=len(app.clis.invocations()) - tokens_before,
    )
    assert figures["gateway_refusals"] == 1
    assert figures["tokens_fetched"] == 1
