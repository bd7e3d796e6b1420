"""The Authlib token server: grants, client auth, token shape, faults, rotation."""

from __future__ import annotations

import base64
import json
import time
from typing import Any

import pytest
import requests

from tests.harness._serving import port_is_refused
from tests.harness.jwt_validation import JwtValidator, TokenRejected, decode_unverified
from tests.harness.token_server import (
    ACCESS_TOKEN_TYPE,
    FAIL_MODES,
    HUGE_BODY_BYTES,
    JWT_TOKEN_TYPE,
    TOKEN_EXCHANGE,
    TokenServer,
)

TIMEOUT = 5.0


def _claims(token: str) -> dict[str, Any]:
    return decode_unverified(token)[1]


def _client_credentials(server: TokenServer, **data: str) -> requests.Response:
    return requests.post(
        server.token_url,
        data={"grant_type": "client_credentials", **data},
        auth=("test-client", "test-secret"),
        timeout=TIMEOUT,
    )


def _exchange(server: TokenServer, subject_token: str, **data: str) -> requests.Response:
    return requests.post(
        server.token_url,
        data={
            "grant_type": TOKEN_EXCHANGE,
            "subject_token": subject_token,
            "subject_token_type": JWT_TOKEN_TYPE,
            **data,
        },
        auth=("test-client", "test-secret"),
        timeout=TIMEOUT,
    )


def test_client_credentials_with_basic_auth(token_server: TokenServer) -> None:
    response = _client_credentials(token_server)

    assert response.status_code == 200
    body = response.json()
    assert body["token_type"] == "Bearer"
    assert body["expires_in"] == 60
    header, claims = decode_unverified(body["access_token"])
    assert header["alg"] == "RS256"
    assert header["kid"] == token_server.kid
    assert claims["iss"] == token_server.issuer
    assert claims["sub"] == "test-client"
    assert claims["aud"] == "workspace-otel-test"
    assert {"exp", "iat", "nbf", "jti"} <= claims.keys()
    assert JwtValidator(token_server).validate(body["access_token"])["sub"] == "test-client"
    assert token_server.requests[-1].auth_method == "client_secret_basic"


def test_client_credentials_with_post_auth(token_server: TokenServer) -> None:
    response = requests.post(
        token_server.token_url,
        data={
            "grant_type": "client_credentials",
            "client_id": "test-client",
            "client_secret": "test-secret",
            "audience": "collector",
            "scope": "telemetry.write",
        },
        timeout=TIMEOUT,
    )

    assert response.status_code == 200
    body = response.json()
    assert body["scope"] == "telemetry.write"
    claims = _claims(body["access_token"])
    assert claims["aud"] == "collector"
    assert claims["scope"] == "telemetry.write"
    record = token_server.requests[-1]
    assert (record.auth_method, record.client_id, record.audience) == (
        "client_secret_post",
        "test-client",
        ("collector",),
    )


def test_wrong_secret_in_form_is_invalid_client_400(token_server: TokenServer) -> None:
    response = requests.post(
        token_server.token_url,
        data={
            "grant_type": "client_credentials",
            "client_id": "test-client",
            "client_secret": "wrong-secret",
        },
        timeout=TIMEOUT,
    )

    assert response.status_code == 400
    assert response.json()["error"] == "invalid_client"


def test_wrong_secret_in_basic_header_is_invalid_client_401(token_server: TokenServer) -> None:
    response = requests.post(
        token_server.token_url,
        data={"grant_type": "client_credentials"},
        auth=("test-client", "wrong-secret"),
        timeout=TIMEOUT,
    )

    assert response.status_code == 401
    assert response.json()["error"] == "invalid_client"
    assert response.headers["WWW-Authenticate"].startswith("Basic ")


def test_unknown_client_and_unknown_grant(token_server: TokenServer) -> None:
    unknown = requests.post(
        token_server.token_url,
        data={"grant_type": "client_credentials", "client_id": "nobody", "client_secret": "x"},
        timeout=TIMEOUT,
    )
    grant = requests.post(
        token_server.token_url,
        data={"grant_type": "password"},
        auth=("test-client", "test-secret"),
        timeout=TIMEOUT,
    )

    assert unknown.json()["error"] == "invalid_client"
    assert (grant.status_code, grant.json()["error"]) == (400, "unsupported_grant_type")


def test_recorded_requests_hold_no_secrets(token_server: TokenServer) -> None:
    subject = token_server.mint(sub="alice")
    _client_credentials(token_server)
    _exchange(token_server, subject)

    text = repr(token_server.requests)
    assert "test-secret" not in text
    assert subject not in text
    assert token_server.token_requests == 2
    assert token_server.requests[1].subject_sub == "alice"
    assert token_server.requests[1].subject_issuer == token_server.issuer


def test_token_exchange_derives_subject_and_actor(token_server: TokenServer) -> None:
    subject = token_server.mint(sub="workspace-user", aud="gitpod-audience")

    response = _exchange(token_server, subject, audience="collector")

    assert response.status_code == 200
    body = response.json()
    assert body["issued_token_type"] == ACCESS_TOKEN_TYPE
    assert body["token_type"] == "Bearer"
    assert body["expires_in"] == 60
    claims = JwtValidator(token_server, audience="collector").validate(body["access_token"])
    assert claims["sub"] == "workspace-user"
    assert claims["act"] == {"sub": "test-client"}
    assert token_server.requests[-1].grant_type == TOKEN_EXCHANGE


@pytest.mark.parametrize(
    ("with_subject", "mutate"),
    [
        (True, {"subject_token_type": "urn:example:unknown"}),
        (False, {}),
        (True, {"requested_token_type": "urn:example:saml"}),
    ],
)
def test_token_exchange_rejects_bad_parameters(
    token_server: TokenServer, with_subject: bool, mutate: dict[str, str]
) -> None:
    subject = token_server.mint() if with_subject else ""

    response = _exchange(token_server, subject, **mutate)

    assert (response.status_code, response.json()["error"]) == (400, "invalid_request")


def test_token_exchange_rejects_expired_and_foreign_subject_tokens(
    token_server: TokenServer,
) -> None:
    expired = token_server.mint(lifetime=-1)
    with TokenServer() as other:
        foreign = other.mint()
        forged = token_server.mint(issuer="https://untrusted.example")

        answers = [_exchange(token_server, t) for t in (expired, foreign, forged, "not-a-jwt")]

    assert [a.status_code for a in answers] == [400, 400, 400, 400]
    assert {a.json()["error"] for a in answers} == {"invalid_grant"}
    assert "expired" in answers[0].json()["error_description"]
    assert "untrusted" in answers[2].json()["error_description"]


def test_token_exchange_accepts_a_trusted_foreign_issuer(token_server: TokenServer) -> None:
    with TokenServer() as upstream:
        token_server.trust_issuer(upstream.issuer, upstream.jwks_url)
        response = _exchange(token_server, upstream.mint(sub="ci-job"))

    assert response.status_code == 200
    assert _claims(response.json()["access_token"])["sub"] == "ci-job"


def test_discovery_and_jwks(token_server: TokenServer) -> None:
    discovery = requests.get(token_server.discovery_url, timeout=TIMEOUT).json()
    jwks = requests.get(discovery["jwks_uri"], timeout=TIMEOUT).json()

    assert discovery["issuer"] == token_server.issuer
    assert discovery["token_endpoint"] == token_server.token_url
    assert TOKEN_EXCHANGE in discovery["grant_types_supported"]
    assert discovery["id_token_signing_alg_values_supported"] == ["RS256"]
    assert [k["kid"] for k in jwks["keys"]] == [token_server.kid]
    assert all("d" not in k for k in jwks["keys"]), "private parts must not be published"
    assert token_server.jwks_requests == 1


def test_lifetime_is_settable_and_exp_is_never_short(token_server: TokenServer) -> None:
    token_server.lifetime = 2.5
    before = time.time()
    body = _client_credentials(token_server).json()
    claims = _claims(body["access_token"])

    assert body["expires_in"] == 2.5
    assert claims["exp"] >= before + 2.5
    assert claims["exp"] - claims["iat"] < 4
    whole = _claims(token_server.mint(lifetime=7))
    assert isinstance(whole["exp"], int)
    assert 7 <= whole["exp"] - whole["iat"] <= 8


def test_mint_claims_and_past_expiry(token_server: TokenServer) -> None:
    token = token_server.mint(
        sub="bob", aud=["a", "b"], lifetime=-30, extra_claims={"email": "bob@example.com"}
    )
    claims = _claims(token)

    assert claims["aud"] == ["a", "b"]
    assert claims["email"] == "bob@example.com"
    assert claims["exp"] < time.time()
    with pytest.raises(TokenRejected, match="expired"):
        JwtValidator(token_server, audience="a").validate(token)


def test_mint_endpoint_profiles(token_server: TokenServer) -> None:
    token_server.lifetime = 30
    response = requests.get(
        token_server.mint_url,
        params=[("aud", "sts.example"), ("profile", "gitpod-classic")],
        timeout=TIMEOUT,
    )
    claims = _claims(response.text)

    assert response.headers["Content-Type"].startswith("text/plain")
    assert claims["aud"] == ["sts.example"]
    assert claims["azp"] == "sts.example"
    assert claims["sub"] == claims["context"]
    assert 30 <= claims["exp"] - claims["iat"] <= 31
    assert token_server.mint_requests == 1


@pytest.mark.parametrize("mode", [m for m in FAIL_MODES if m != "stall"])
def test_fail_modes(token_server: TokenServer, mode: Any) -> None:
    token_server.fail_mode = mode

    response = _client_credentials(token_server)

    if mode == "500":
        assert response.status_code == 500
    elif mode == "invalid_client":
        assert (response.status_code, response.json()["error"]) == (400, "invalid_client")
    elif mode == "garbage":
        assert response.status_code == 200
        with pytest.raises(ValueError):  # noqa: PT011 - json's error type varies
            json.loads(response.text)
    elif mode == "no_token":
        assert response.status_code == 200
        assert "access_token" not in response.json()
    else:
        assert response.status_code == 200
        assert len(response.content) > HUGE_BODY_BYTES
    assert token_server.requests[-1].fail_mode == mode


def test_stall_outlasts_the_client_timeout_and_stop_is_quick() -> None:
    server = TokenServer(stall_seconds=30.0)
    server.fail_mode = "stall"
    with pytest.raises(requests.Timeout):
        _client_credentials_timeout(server, 0.3)
    started = time.monotonic()
    server.stop()

    assert time.monotonic() - started < 3.0


def _client_credentials_timeout(server: TokenServer, timeout: float) -> None:
    requests.post(
        server.token_url,
        data={"grant_type": "client_credentials"},
        auth=("test-client", "test-secret"),
        timeout=timeout,
    )


def test_short_stall_then_normal_answer() -> None:
    with TokenServer(stall_seconds=0.2) as server:
        server.fail_mode = "stall"
        started = time.monotonic()
        response = _client_credentials(server)

    assert response.status_code == 200
    assert time.monotonic() - started >= 0.2


def test_fail_count_resets_the_mode(token_server: TokenServer) -> None:
    token_server.fail_mode, token_server.fail_count = "500", 2

    codes = [_client_credentials(token_server).status_code for _ in range(3)]

    assert codes == [500, 500, 200]
    assert token_server.fail_mode is None


def test_rotate_key_drops_the_old_key(token_server: TokenServer) -> None:
    validator = JwtValidator(token_server)
    old = token_server.mint()
    assert validator.validate(old)["sub"] == "test-subject"

    old_kid = token_server.kid
    new_kid = token_server.rotate_key()

    assert new_kid != old_kid
    with pytest.raises(TokenRejected, match="signature"):
        validator.validate(old)
    assert validator.validate(token_server.mint())["sub"] == "test-subject"
    jwks = requests.get(token_server.jwks_url, timeout=TIMEOUT).json()
    assert [k["kid"] for k in jwks["keys"]] == [new_kid]


def test_rotate_key_keep_old(token_server: TokenServer) -> None:
    validator = JwtValidator(token_server)
    old = token_server.mint()

    token_server.rotate_key(keep_old=True)

    assert validator.validate(old)["sub"] == "test-subject"
    assert len(token_server.jwks()["keys"]) == 2


def test_suspend_refuses_connections_until_resume(token_server: TokenServer) -> None:
    token_server.suspend()
    assert port_is_refused(token_server.port)
    with pytest.raises(requests.ConnectionError):
        _client_credentials(token_server)

    token_server.resume()

    assert _client_credentials(token_server).status_code == 200


def test_https_token_server(tls_material: Any) -> None:
    with TokenServer(tls=tls_material) as server:
        response = requests.post(
            server.token_url,
            data={"grant_type": "client_credentials"},
            auth=("test-client", "test-secret"),
            verify=str(tls_material.ca_cert),
            timeout=TIMEOUT,
        )
        token = response.json()["access_token"]

        assert server.issuer.startswith("https://127.0.0.1:")
        assert JwtValidator(server).validate(token)["iss"] == server.issuer


def test_basic_credentials_are_decoded_for_the_record(token_server: TokenServer) -> None:
    header = base64.b64encode(b"test-client:test-secret").decode()
    requests.post(
        token_server.token_url,
        data={"grant_type": "client_credentials"},
        headers={"Authorization": f"Basic {header}"},
        timeout=TIMEOUT,
    )

    assert token_server.requests[-1].client_id == "test-client"
