"""What the real Collector does when one listed issuer's discovery fails, and the way around it.

The ``oidc`` extension fetches every provider's discovery document once, at
start; one failure fails the extension and the whole Collector exits (no
retry). A provider with ``public_keys_file`` does no discovery at all: its keys
come from a local JWKS file that the extension watches for changes.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.gateway.conftest import (
    AUDIENCE,
    GATEWAY_YAML,
    CollectorFactory,
    Issuers,
    gateway_env,
)
from tests.gateway.test_rejections import post_http
from tests.harness.collector import CollectorProcess, free_port
from tests.harness.receivers import GrpcOtlpReceiver
from tests.harness.tls import TlsMaterial
from tests.harness.token_server import TokenServer

pytestmark = pytest.mark.slow

#: The overlay the README shows: the same two providers plus one pinned by keys file.
PINNED_OVERLAY = """\
extensions:
  oidc:
    providers:
      - issuer_url: ${env:OTEL_GATEWAY_ONA_ISSUER}
        audience: ${env:OTEL_GATEWAY_AUDIENCE}
        issuer_ca_path: ${env:OTEL_GATEWAY_ISSUER_CA}
      - issuer_url: ${env:OTEL_GATEWAY_ACTIONS_ISSUER}
        audience: ${env:OTEL_GATEWAY_AUDIENCE}
        issuer_ca_path: ${env:OTEL_GATEWAY_ISSUER_CA}
      - issuer_url: ${env:OTEL_GATEWAY_CLASSIC_ISSUER}
        audience: ${env:OTEL_GATEWAY_AUDIENCE}
        public_keys_file: ${env:OTEL_GATEWAY_CLASSIC_KEYS}
"""


def test_one_unreachable_issuer_keeps_the_gateway_from_starting(
    issuers: Issuers, upstream: GrpcOtlpReceiver, tls_material: TlsMaterial
) -> None:
    """gateway.yaml with the Actions issuer down: the real Collector exits at start."""
    dead = f"https://127.0.0.1:{free_port()}"
    env = gateway_env(issuers, upstream, tls_material, OTEL_GATEWAY_ACTIONS_ISSUER=dead)
    code, log = CollectorProcess.run_to_exit(GATEWAY_YAML, env)
    assert code not in (None, 0)
    assert "failed to get configuration from at least one configured auth server" in log
    assert dead in log


def test_issuer_without_discovery_pinned_by_keys_file(
    collector_factory: CollectorFactory,
    issuers: Issuers,
    upstream: GrpcOtlpReceiver,
    tls_material: TlsMaterial,
    tmp_path: Path,
) -> None:
    """An issuer whose discovery is gone, trusted through its JWKS in a file: the gateway starts."""
    with TokenServer(audience=AUDIENCE, tls=tls_material) as classic:
        keys = tmp_path / "classic-jwks.json"
        keys.write_text(json.dumps(classic.jwks()))
        token = classic.mint(aud=AUDIENCE, sub="https://github.com/example-org/example-repo")
        issuer = classic.issuer
    # The issuer is now down: discovery would fail, the keys file is all there is.
    overlay = tmp_path / "pinned.yaml"
    overlay.write_text(PINNED_OVERLAY)
    env = gateway_env(
        issuers,
        upstream,
        tls_material,
        OTEL_GATEWAY_CLASSIC_ISSUER=issuer,
        OTEL_GATEWAY_CLASSIC_KEYS=str(keys),
    )
    gateway = collector_factory(GATEWAY_YAML, env, extra_configs=[str(overlay)])
    from tests.gateway.conftest import Gateway

    handle = Gateway(
        process=gateway,
        http_endpoint=f"https://{env['OTEL_GATEWAY_HTTP_ENDPOINT']}",
        grpc_endpoint=f"https://{env['OTEL_GATEWAY_GRPC_ENDPOINT']}",
        ca_file=tls_material.ca_cert,
        env=env,
    )
    assert post_http(handle, token) == 200
    assert post_http(handle, issuers.ona.mint(aud=AUDIENCE)) == 200
    # The pinned provider still checks the issuer, audience and expiry.
    with TokenServer(audience=AUDIENCE, tls=tls_material) as other:
        assert post_http(handle, other.mint(aud=AUDIENCE, issuer=issuer)) == 401


def test_issuer_url_must_match_discovery_exactly(
    issuers: Issuers, upstream: GrpcOtlpReceiver, tls_material: TlsMaterial
) -> None:
    """A trailing slash the issuer does not use: discovery is refused and the gateway exits."""
    env = gateway_env(
        issuers, upstream, tls_material, OTEL_GATEWAY_ONA_ISSUER=issuers.ona.issuer + "/"
    )
    code, log = CollectorProcess.run_to_exit(GATEWAY_YAML, env)
    assert code not in (None, 0)
    assert "did not match the issuer URL returned by provider" in log


ALIAS_OVERLAY = """\
exporters:
  otlp/lightstep:
    endpoint: ${env:OTEL_GATEWAY_UPSTREAM}
    tls:
      ca_file: ${env:OTEL_GATEWAY_UPSTREAM_CA}
    headers:
      lightstep-access-token: ${env:LS_ACCESS_TOKEN}
service:
  pipelines:
    traces:
      exporters: [otlp/lightstep]
"""


def test_otlp_is_a_deprecated_alias_of_otlp_grpc(
    collector_factory: CollectorFactory,
    issuers: Issuers,
    upstream: GrpcOtlpReceiver,
    tls_material: TlsMaterial,
    tmp_path: Path,
) -> None:
    """The exporter's old name still works, with a deprecation warning naming otlp_grpc."""
    overlay = tmp_path / "alias.yaml"
    overlay.write_text(ALIAS_OVERLAY)
    env = gateway_env(issuers, upstream, tls_material)
    collector = collector_factory(GATEWAY_YAML, env, extra_configs=[str(overlay)])
    collector.wait_for_log('"otlp" alias is deprecated; use "otlp_grpc" instead')
