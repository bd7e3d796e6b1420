"""examples/collector/gateway-development.yaml over gateway.yaml: development to its own project."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.gateway.conftest import (
    GATEWAY_YAML,
    UPSTREAM_KEY,
    CollectorFactory,
    Gateway,
    Issuers,
    gateway_env,
)
from tests.gateway.test_gateway_export import ONA_SUB, run_workspace, workspace_env
from tests.harness.receivers import GrpcOtlpReceiver
from tests.harness.tls import TlsMaterial

pytestmark = pytest.mark.slow

OVERLAY = GATEWAY_YAML.with_name("gateway-development.yaml")
DEV_KEY = "development-project-key-for-tests"


@pytest.fixture
def dev_upstream(tls_material: TlsMaterial) -> Iterator[GrpcOtlpReceiver]:
    """The development project's ingest stand-in: only the development key."""
    with GrpcOtlpReceiver(
        tls=tls_material, header="lightstep-access-token", static_token=DEV_KEY
    ) as receiver:
        yield receiver


@pytest.fixture
def routing_gateway(
    collector_factory: CollectorFactory,
    issuers: Issuers,
    upstream: GrpcOtlpReceiver,
    dev_upstream: GrpcOtlpReceiver,
    tls_material: TlsMaterial,
) -> Gateway:
    """gateway.yaml plus the development overlay, run by the real Collector."""
    env = gateway_env(
        issuers,
        upstream,
        tls_material,
        OTEL_GATEWAY_DEV_UPSTREAM=dev_upstream.address,
        LS_DEV_ACCESS_TOKEN=DEV_KEY,
    )
    process = collector_factory(GATEWAY_YAML, env, extra_configs=[str(OVERLAY)])
    return Gateway(
        process=process,
        http_endpoint=f"https://{env['OTEL_GATEWAY_HTTP_ENDPOINT']}",
        grpc_endpoint=f"https://{env['OTEL_GATEWAY_GRPC_ENDPOINT']}",
        ca_file=tls_material.ca_cert,
        env=env,
    )


def test_development_and_production_go_to_their_own_projects(
    routing_gateway: Gateway,
    issuers: Issuers,
    upstream: GrpcOtlpReceiver,
    dev_upstream: GrpcOtlpReceiver,
    tmp_path: Path,
) -> None:
    """A workspace (development by detection) and a production-labelled process, one gateway."""
    env = workspace_env(routing_gateway, issuers, tmp_path / "dev", "http/protobuf")
    env["OTEL_RESOURCE_ATTRIBUTES"] = "deployment.environment.name=development"
    dev_spans, _ = run_workspace(env, seconds=1.5)
    env = workspace_env(routing_gateway, issuers, tmp_path / "prod", "grpc")
    env["OTEL_RESOURCE_ATTRIBUTES"] = "deployment.environment.name=production"
    prod_spans, _ = run_workspace(env, seconds=1.5)

    dev = dev_upstream.wait_for_spans(dev_spans, timeout=20)
    prod = upstream.wait_for_spans(prod_spans, timeout=20)
    assert dev_upstream.wait_for_logs(dev_spans, timeout=20)
    assert dev_upstream.wait_for_metrics(1, timeout=20)
    assert upstream.wait_for_logs(prod_spans, timeout=20)
    assert {s.resource["deployment.environment.name"] for s in dev} == {"development"}
    assert {s.resource["deployment.environment.name"] for s in prod} == {"production"}
    assert len(dev) == dev_spans
    assert len(prod) == prod_spans
    for span in [*dev, *prod]:
        assert span.resource["workspace.verified.subject"] == ONA_SUB
    assert all(
        m.resource["deployment.environment.name"] == "development" for m in dev_upstream.metrics
    )
    assert all(m.resource["deployment.environment.name"] == "production" for m in upstream.metrics)
    # No development log record in the production project, and the reverse.
    assert {r.resource["deployment.environment.name"] for r in dev_upstream.logs} == {"development"}
    assert {r.resource["deployment.environment.name"] for r in upstream.logs} == {"production"}
    # Each project saw only its own key.
    assert set(dev_upstream.tokens_seen) == {DEV_KEY}
    assert set(upstream.tokens_seen) == {UPSTREAM_KEY}


def test_telemetry_without_an_environment_goes_to_production(
    routing_gateway: Gateway,
    issuers: Issuers,
    upstream: GrpcOtlpReceiver,
    dev_upstream: GrpcOtlpReceiver,
) -> None:
    """No deployment.environment.name at all: the production project, never the development one."""
    from opentelemetry.proto.collector.trace.v1 import trace_service_pb2

    from tests.gateway.conftest import AUDIENCE
    from tests.gateway.test_forged_identity import post

    request = trace_service_pb2.ExportTraceServiceRequest()
    request.resource_spans.add().scope_spans.add().spans.add(
        trace_id=b"\x01" * 16, span_id=b"\x02" * 8, name="no-environment"
    )
    post(routing_gateway, "/v1/traces", request, issuers.ona.mint(aud=AUDIENCE))
    (span,) = upstream.wait_for_spans(1, timeout=20)
    assert span.name == "no-environment"
    assert dev_upstream.spans == []
