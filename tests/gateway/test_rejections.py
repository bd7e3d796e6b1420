"""What the real ``oidc`` authenticator in gateway.yaml refuses, on both protocols."""

from __future__ import annotations

import time
from collections.abc import Callable

import grpc
import pytest
import requests
from opentelemetry.proto.collector.trace.v1 import trace_service_pb2, trace_service_pb2_grpc

from tests.gateway.conftest import AUDIENCE, Gateway, Issuers
from tests.harness.receivers import GrpcOtlpReceiver
from tests.harness.tls import TlsMaterial
from tests.harness.token_server import TokenServer

pytestmark = pytest.mark.slow

EMPTY = trace_service_pb2.ExportTraceServiceRequest()


def post_http(gateway: Gateway, token: str | None) -> int:
    """POST an empty OTLP/HTTP trace export; return the status."""
    headers = {"Content-Type": "application/x-protobuf"}
    if token is not None:
        headers["Authorization"] = f"Bearer {token}"
    answer = requests.post(
        f"{gateway.http_endpoint}/v1/traces",
        data=EMPTY.SerializeToString(),
        headers=headers,
        verify=str(gateway.ca_file),
        timeout=10,
    )
    return answer.status_code


def call_grpc(gateway: Gateway, token: str | None) -> grpc.StatusCode:
    """Call TraceService/Export over TLS; return the status code."""
    credentials = grpc.ssl_channel_credentials(gateway.ca_file.read_bytes())
    target = gateway.grpc_endpoint.removeprefix("https://")
    metadata = () if token is None else (("authorization", f"Bearer {token}"),)
    with grpc.secure_channel(target, credentials) as channel:
        stub = trace_service_pb2_grpc.TraceServiceStub(channel)  # type: ignore[no-untyped-call]
        try:
            stub.Export(EMPTY, metadata=metadata, timeout=10)
        except grpc.RpcError as error:
            code: grpc.StatusCode = error.code()
            return code
    return grpc.StatusCode.OK


Mint = Callable[[Issuers, TlsMaterial], str]


def _unlisted_issuer(issuers: Issuers, tls: TlsMaterial) -> str:
    with TokenServer(audience=AUDIENCE, tls=tls) as rogue:
        return rogue.mint(aud=AUDIENCE)


CASES: dict[str, tuple[Mint, str]] = {
    "unlisted issuer": (_unlisted_issuer, "no OIDC provider configured for the issuer"),
    "wrong audience": (
        lambda issuers, _tls: issuers.ona.mint(aud="another-service"),
        'expected audience \\"otel-gateway\\"',
    ),
    "expired": (
        lambda issuers, _tls: issuers.ona.mint(aud=AUDIENCE, lifetime=-5),
        "token is expired",
    ),
    "signed by a key the issuer does not publish": (
        lambda issuers, _tls: _foreign_key(issuers),
        "failed to verify signature",
    ),
}


def _foreign_key(issuers: Issuers) -> str:
    """A token naming the Ona issuer, signed by the Actions stand-in's key."""
    return issuers.actions.mint(aud=AUDIENCE, issuer=issuers.ona.issuer)


@pytest.mark.parametrize("case", list(CASES))
def test_refused_over_http_and_grpc(
    case: str,
    gateway: Gateway,
    issuers: Issuers,
    upstream: GrpcOtlpReceiver,
    tls_material: TlsMaterial,
) -> None:
    """401 / UNAUTHENTICATED, the Collector logs why, nothing reaches the upstream."""
    mint, reason = CASES[case]
    token = mint(issuers, tls_material)
    assert post_http(gateway, token) == 401
    assert call_grpc(gateway, token) == grpc.StatusCode.UNAUTHENTICATED
    log = gateway.process.wait_for_log(reason)
    assert token not in log  # the gateway never logs the token itself
    assert upstream.requests == []


def test_valid_tokens_from_each_listed_issuer_pass(gateway: Gateway, issuers: Issuers) -> None:
    """The control: the same calls with good tokens from both providers succeed."""
    for server in (issuers.ona, issuers.actions):
        token = server.mint(aud=AUDIENCE)
        assert post_http(gateway, token) == 200
        assert call_grpc(gateway, token) == grpc.StatusCode.OK


def test_no_token_and_malformed_header_refused(gateway: Gateway) -> None:
    """No Authorization header, or one that is not ``Bearer <jwt>``."""
    assert post_http(gateway, None) == 401
    assert call_grpc(gateway, None) == grpc.StatusCode.UNAUTHENTICATED
    assert post_http(gateway, "not-a-jwt") == 401


def test_zero_leeway_on_expiry(gateway: Gateway, issuers: Issuers) -> None:
    """A token one second past ``exp`` is refused: the Collector allows no clock leeway."""
    token = issuers.ona.mint(aud=AUDIENCE, lifetime=1)
    assert post_http(gateway, token) == 200
    time.sleep(2.1)
    assert post_http(gateway, token) == 401


def test_rotated_out_key_stays_trusted_until_a_new_key_is_seen(
    gateway: Gateway, issuers: Issuers
) -> None:
    """The Collector keeps its cached JWKS until a token with an unknown key makes it refetch."""
    old = issuers.ona.mint(aud=AUDIENCE, lifetime=600)
    assert post_http(gateway, old) == 200
    issuers.ona.rotate_key(keep_old=False)
    # The issuer no longer publishes the old key, but the gateway has not asked again.
    assert post_http(gateway, old) == 200
    assert post_http(gateway, issuers.ona.mint(aud=AUDIENCE)) == 200  # refetch
    assert post_http(gateway, old) == 401
