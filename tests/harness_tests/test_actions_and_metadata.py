"""GitHub Actions OIDC and GCE metadata stand-ins."""

from __future__ import annotations

import pytest
import requests

from tests.harness.actions_oidc import ActionsOidcServer
from tests.harness.jwt_validation import JwtValidator, TokenRejected, decode_unverified
from tests.harness.metadata_server import GceMetadataServer
from tests.harness.token_server import JWT_TOKEN_TYPE, TOKEN_EXCHANGE, TokenServer


def _actions_get(server: ActionsOidcServer, audience: str | None, token: str) -> requests.Response:
    url = server.request_url + ("" if audience is None else f"&audience={audience}")
    return requests.get(url, headers={"Authorization": f"Bearer {token}"}, timeout=5)


def test_actions_protocol(actions_oidc: ActionsOidcServer, token_server: TokenServer) -> None:
    env = actions_oidc.environ
    assert "?" in env["ACTIONS_ID_TOKEN_REQUEST_URL"], "the URL already has a query string"

    response = _actions_get(actions_oidc, "sts.example", env["ACTIONS_ID_TOKEN_REQUEST_TOKEN"])

    assert response.status_code == 200
    body = response.json()
    assert body["count"] == len(body["value"])
    claims = JwtValidator(token_server, audience="sts.example").validate(body["value"])
    assert claims["sub"] == "repo:octo-org/octo-repo:ref:refs/heads/main"
    assert claims["repository"] == "octo-org/octo-repo"
    assert claims["exp"] - claims["iat"] in (300, 301)
    assert actions_oidc.requests[-1].audience == "sts.example"


def test_actions_default_audience_and_lifetime(actions_oidc: ActionsOidcServer) -> None:
    actions_oidc.lifetime = 2
    body = _actions_get(actions_oidc, None, actions_oidc.request_token).json()

    claims = decode_unverified(body["value"])[1]
    assert claims["aud"] == "https://github.com/octo-org"
    assert claims["exp"] - claims["iat"] in (2, 3)


def test_actions_rejects_a_wrong_request_token(actions_oidc: ActionsOidcServer) -> None:
    wrong = _actions_get(actions_oidc, "a", "not-the-token")
    missing = requests.get(actions_oidc.request_url, timeout=5)

    assert (wrong.status_code, missing.status_code) == (401, 401)
    assert [r.authorized for r in actions_oidc.requests] == [False, False]
    assert actions_oidc.request_token not in repr(actions_oidc)


@pytest.mark.parametrize(("mode", "status"), [("500", 500), ("garbage", 200), ("no_value", 200)])
def test_actions_faults(actions_oidc: ActionsOidcServer, mode: str, status: int) -> None:
    actions_oidc.fail_mode = mode  # type: ignore[assignment]

    response = _actions_get(actions_oidc, "a", actions_oidc.request_token)

    assert response.status_code == status
    assert "value" not in response.text


def test_actions_custom_issuer_is_trusted_for_exchange(token_server: TokenServer) -> None:
    issuer = "https://token.actions.githubusercontent.com"
    with ActionsOidcServer(token_server, issuer=issuer) as actions:
        jwt = _actions_get(actions, "sts", actions.request_token).json()["value"]

    claims = JwtValidator(token_server.jwks_url, issuer, "sts").validate(jwt)
    exchanged = requests.post(
        token_server.token_url,
        data={
            "grant_type": TOKEN_EXCHANGE,
            "subject_token": jwt,
            "subject_token_type": JWT_TOKEN_TYPE,
        },
        auth=("test-client", "test-secret"),
        timeout=5,
    )
    assert claims["iss"] == issuer
    assert exchanged.status_code == 200
    assert decode_unverified(exchanged.json()["access_token"])[1]["sub"] == claims["sub"]
    with pytest.raises(TokenRejected, match="issuer"):
        JwtValidator(token_server).validate(jwt)


def _metadata_get(server: GceMetadataServer, url: str, flavor: bool = True) -> requests.Response:
    headers = {"Metadata-Flavor": "Google"} if flavor else {}
    return requests.get(url, headers=headers, timeout=5)


def test_metadata_identity(metadata_server: GceMetadataServer, token_server: TokenServer) -> None:
    response = _metadata_get(metadata_server, metadata_server.identity_url("https://collector"))

    assert response.status_code == 200
    assert response.headers["Metadata-Flavor"] == "Google"
    claims = JwtValidator(token_server, audience="https://collector").validate(response.text)
    assert claims["email"] == metadata_server.email
    assert claims["google"]["compute_engine"]["project_id"] == "example-project"
    assert metadata_server.identity_requests == 1
    assert metadata_server.environ["GCE_METADATA_HOST"] == metadata_server.host


def test_metadata_errors(metadata_server: GceMetadataServer) -> None:
    no_flavor = _metadata_get(metadata_server, metadata_server.identity_url("a"), flavor=False)
    no_audience = _metadata_get(
        metadata_server,
        f"{metadata_server.base_url}/computeMetadata/v1/instance/service-accounts/default/identity",
    )
    unknown = _metadata_get(metadata_server, f"{metadata_server.base_url}/computeMetadata/v1/x")
    project = _metadata_get(
        metadata_server, f"{metadata_server.base_url}/computeMetadata/v1/project/project-id"
    )

    assert [no_flavor.status_code, no_audience.status_code, unknown.status_code] == [403, 400, 404]
    assert (project.status_code, project.text) == (200, "example-project")
    assert [r.flavor_ok for r in metadata_server.requests] == [False, True, True, True]


def test_metadata_plain_format_has_no_google_claim(metadata_server: GceMetadataServer) -> None:
    response = _metadata_get(metadata_server, metadata_server.identity_url("a", full=False))

    assert "google" not in decode_unverified(response.text)[1]


def test_metadata_stall_outlasts_client_timeout(token_server: TokenServer) -> None:
    with GceMetadataServer(token_server, stall_seconds=30) as server:
        server.fail_mode = "stall"
        with pytest.raises(requests.Timeout):
            requests.get(
                server.identity_url("a"), headers={"Metadata-Flavor": "Google"}, timeout=0.3
            )


@pytest.mark.parametrize(("mode", "status"), [("500", 500), ("garbage", 200)])
def test_metadata_faults(metadata_server: GceMetadataServer, mode: str, status: int) -> None:
    metadata_server.fail_mode = mode  # type: ignore[assignment]

    response = _metadata_get(metadata_server, metadata_server.identity_url("a"))

    assert response.status_code == status
    assert response.text.count(".") < 2
