"""Fixtures that run the real Collector (``nox -s gateway``; not in the plain test run).

``collector_factory``  starts :class:`~tests.harness.collector.CollectorProcess`
                       instances and stops them after the test (any config).
``issuers``            two HTTPS token servers standing in for Ona and GitHub
                       Actions, trusted through the test CA.
``upstream``           a TLS gRPC receiver that accepts only the gateway's key in
                       ``lightstep-access-token`` (Lightstep's ingest stand-in).
``gateway``            ``examples/collector/gateway.yaml`` itself, run with
                       :func:`gateway_env` on free loopback ports.

The binary comes from ``.cache/otelcol/otelcol-workspace`` (``nox -s collector``);
without it these fixtures fail with the command that builds it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.harness.collector import CollectorProcess, free_port
from tests.harness.process import ROOT
from tests.harness.receivers import GrpcOtlpReceiver
from tests.harness.tls import TlsMaterial
from tests.harness.token_server import TokenServer

GATEWAY_YAML = ROOT / "examples" / "collector" / "gateway.yaml"
AUDIENCE = "otel-gateway"
#: The gateway's own key for the upstream (a test value, not a secret).
UPSTREAM_KEY = "gateway-upstream-key-for-tests"

CollectorFactory = Callable[..., CollectorProcess]


@dataclass
class Issuers:
    """The token servers the gateway trusts."""

    ona: TokenServer
    actions: TokenServer


@dataclass
class Gateway:
    """A running ``gateway.yaml`` and what a workspace needs to reach it.

    Attributes:
        process: The Collector.
        http_endpoint: ``https://127.0.0.1:<port>`` (OTLP/HTTP base URL).
        grpc_endpoint: ``https://127.0.0.1:<port>`` (OTLP/gRPC).
        ca_file: CA that signed the gateway's certificate.
        env: The gateway's environment.
    """

    process: CollectorProcess
    http_endpoint: str
    grpc_endpoint: str
    ca_file: Path
    env: dict[str, str]


def gateway_env(
    issuers: Issuers, upstream: GrpcOtlpReceiver, tls: TlsMaterial, **overrides: str
) -> dict[str, str]:
    """The environment ``gateway.yaml`` reads, on free loopback ports."""
    env = {
        "OTEL_GATEWAY_AUDIENCE": AUDIENCE,
        "OTEL_GATEWAY_ONA_ISSUER": issuers.ona.issuer,
        "OTEL_GATEWAY_ACTIONS_ISSUER": issuers.actions.issuer,
        "OTEL_GATEWAY_ISSUER_CA": str(tls.ca_cert),
        "OTEL_GATEWAY_TLS_CERT": str(tls.server_cert),
        "OTEL_GATEWAY_TLS_KEY": str(tls.server_key),
        "OTEL_GATEWAY_GRPC_ENDPOINT": f"127.0.0.1:{free_port()}",
        "OTEL_GATEWAY_HTTP_ENDPOINT": f"127.0.0.1:{free_port()}",
        "OTEL_GATEWAY_UPSTREAM": upstream.address,
        "OTEL_GATEWAY_UPSTREAM_CA": str(tls.ca_cert),
        "LS_ACCESS_TOKEN": UPSTREAM_KEY,
    }
    env.update(overrides)
    return env


@pytest.fixture
def collector_factory(tmp_path: Path) -> Iterator[CollectorFactory]:
    """Start Collectors with ``factory(config, env, **kwargs)``; all stop after the test."""
    started: list[CollectorProcess] = []

    def factory(
        config: Path | str, env: Mapping[str, str] | None = None, **kwargs: Any
    ) -> CollectorProcess:
        kwargs.setdefault("log_path", tmp_path / f"collector-{len(started)}.log")
        collector = CollectorProcess(config, env, **kwargs)
        started.append(collector)
        return collector

    yield factory
    for collector in started:
        collector.stop()


@pytest.fixture
def issuers(tls_material: TlsMaterial) -> Iterator[Issuers]:
    """Ona and GitHub Actions stand-ins on HTTPS (discovery + JWKS)."""
    with (
        TokenServer(audience=AUDIENCE, tls=tls_material) as ona,
        TokenServer(audience=AUDIENCE, tls=tls_material) as actions,
    ):
        yield Issuers(ona=ona, actions=actions)


@pytest.fixture
def upstream(tls_material: TlsMaterial) -> Iterator[GrpcOtlpReceiver]:
    """Lightstep's ingest stand-in: TLS gRPC, only the gateway's key accepted."""
    with GrpcOtlpReceiver(
        tls=tls_material, header="lightstep-access-token", static_token=UPSTREAM_KEY
    ) as receiver:
        yield receiver


@pytest.fixture
def gateway(
    collector_factory: CollectorFactory,
    issuers: Issuers,
    upstream: GrpcOtlpReceiver,
    tls_material: TlsMaterial,
) -> Gateway:
    """``examples/collector/gateway.yaml`` run by the real Collector."""
    env = gateway_env(issuers, upstream, tls_material)
    process = collector_factory(GATEWAY_YAML, env)
    return Gateway(
        process=process,
        http_endpoint=f"https://{env['OTEL_GATEWAY_HTTP_ENDPOINT']}",
        grpc_endpoint=f"https://{env['OTEL_GATEWAY_GRPC_ENDPOINT']}",
        ca_file=tls_material.ca_cert,
        env=env,
    )
