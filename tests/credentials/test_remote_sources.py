"""OAuth2 / token exchange, Gitpod / Ona CLIs, Actions OIDC and GCE metadata, on loopback."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

import pytest

from workspace_otel.credentials import (
    GceMetadataTokenSource,
    GitHubActionsTokenSource,
    GitpodTokenSource,
    OAuth2ClientCredentialsSource,
)
from workspace_otel.errors import ConfigurationError, TokenError

if TYPE_CHECKING:
    from pathlib import Path

    from tests.harness.actions_oidc import ActionsOidcServer
    from tests.harness.fake_clis import FakeClis
    from tests.harness.metadata_server import GceMetadataServer
    from tests.harness.token_server import TokenServer

SECRET = "test-secret"


def oauth2(server: TokenServer, **kw: object) -> OAuth2ClientCredentialsSource:
    kw.setdefault("client_secret", SECRET)
    return OAuth2ClientCredentialsSource(server.token_url, "test-client", timeout=2.0, **kw)  # type: ignore[arg-type]


# -- oauth2 -------------------------------------------------------------------


def test_client_credentials(token_server: TokenServer) -> None:
    """A client-credentials token with expires_in and the server's claims."""
    tok = oauth2(token_server, scopes="a b", audience="backend").fetch()
    assert tok.issuer == token_server.issuer
    assert tok.lifetime == pytest.approx(token_server.lifetime)
    assert "backend" in tok.audience
    request = token_server.requests[-1]
    assert request.grant_type == "client_credentials"
    assert request.auth_method == "client_secret_basic"
    assert request.scope == "a b"


def test_secret_file_is_reread(token_server: TokenServer, tmp_path: Path) -> None:
    """A rotated secret file is used at the next fetch."""
    secret_file = tmp_path / "secret"
    secret_file.write_text("wrong\n")
    source = OAuth2ClientCredentialsSource(
        token_server.token_url, "test-client", client_secret_file=secret_file, timeout=2.0
    )
    with pytest.raises(TokenError) as info:
        source.fetch()
    assert info.value.needs_user
    secret_file.write_text(SECRET + "\n")
    assert source.fetch().issuer == token_server.issuer


@pytest.mark.parametrize("secret", ["wrong-secret"])
def test_invalid_client_needs_user(token_server: TokenServer, secret: str) -> None:
    """401 invalid_client: needs the user, names the fix, never the secret."""
    with pytest.raises(TokenError, match="invalid_client") as info:
        oauth2(token_server, client_secret=secret).fetch()
    assert info.value.needs_user
    assert secret not in str(info.value)
    assert "CLIENT_ID" in str(info.value)


@pytest.mark.parametrize(
    ("mode", "needs_user", "match"),
    [
        ("500", False, "answered 500"),
        ("invalid_client", True, "invalid_client"),
        ("garbage", False, "non-JSON"),
        ("no_token", False, "without access_token"),
        ("huge", False, "more than"),
    ],
)
def test_server_faults(token_server: TokenServer, mode: str, needs_user: bool, match: str) -> None:
    """Each fault gives a TokenError classified as transient or needing the user."""
    token_server.fail_mode = mode  # type: ignore[assignment]
    with pytest.raises(TokenError, match=match) as info:
        oauth2(token_server).fetch()
    assert info.value.needs_user is needs_user


def test_stalled_server_times_out(token_server: TokenServer) -> None:
    """A stalled endpoint hits the source timeout."""
    token_server.fail_mode = "stall"
    started = time.monotonic()
    source = OAuth2ClientCredentialsSource(
        token_server.token_url, "test-client", SECRET, timeout=0.5
    )
    with pytest.raises(TokenError, match=r"did not answer within 0\.5 s"):
        source.fetch()
    assert time.monotonic() - started < 5


def test_server_down(token_server: TokenServer) -> None:
    """Connection refused is a transient TokenError naming the host only."""
    token_server.suspend()
    try:
        with pytest.raises(TokenError, match="cannot reach") as info:
            oauth2(token_server).fetch()
        assert not info.value.needs_user
    finally:
        token_server.resume()


def test_token_exchange_with_nested_source(token_server: TokenServer) -> None:
    """RFC 8693: the nested source's JWT is the subject token; sub carries over."""

    class Subject:
        kind = "env"
        cache_key = ("subject",)

        def fetch(self):  # type: ignore[no-untyped-def]
            from workspace_otel.credentials import Token

            return Token.from_value(token_server.mint(sub="workspace-42"), kind="env")

        def describe(self) -> str:
            return "subject"

    tok = oauth2(token_server, subject_source=Subject(), audience="backend").fetch()
    assert tok.subject == "workspace-42"
    request = token_server.requests[-1]
    assert request.grant_type == "urn:ietf:params:oauth:grant-type:token-exchange"
    assert request.subject_token_type == "urn:ietf:params:oauth:token-type:jwt"
    assert request.subject_sub == "workspace-42"


def test_oauth2_rejects_plain_http_remote() -> None:
    """A non-loopback http token URL is refused at construction."""
    with pytest.raises(ConfigurationError, match="https"):
        OAuth2ClientCredentialsSource("http://idp.example.com/token", "c", "s")


def test_oauth2_repr_hides_secret(token_server: TokenServer) -> None:
    """Neither repr, describe nor cache_key shows the secret."""
    source = oauth2(token_server)
    assert SECRET not in repr(source) + source.describe() + repr(source.cache_key)


# -- gitpod / ona ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("env", "cli"),
    [
        ({"GITPOD_WORKSPACE_ID": "ws-1"}, "gp"),
        ({"GITPOD_ENVIRONMENT_ID": "019a6760-cbe9-7def-a10a-434ff94ffcaf"}, "gitpod"),
    ],
)
def test_gitpod_cli_by_environment(
    fake_cli_bin: FakeClis, env: dict[str, str], cli: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Gitpod Classic runs gp, Ona runs gitpod; the JWT's exp drives expiry."""
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    tok = GitpodTokenSource("collector").fetch()
    assert tok.audience == ("collector",)
    assert tok.expires_at is not None
    runs = fake_cli_bin.invocations()
    assert [r.prog for r in runs] == [cli]
    assert runs[0].argv == ["idp", "token", "--audience", "collector"]


def test_ona_falls_back_to_ona_cli(fake_cli_bin: FakeClis, monkeypatch: pytest.MonkeyPatch) -> None:
    """With only the newer `ona` CLI installed, it is used."""
    fake_cli_bin.path("gitpod").unlink()
    monkeypatch.setenv("GITPOD_ENVIRONMENT_ID", "019a6760-cbe9-7def-a10a-434ff94ffcaf")
    GitpodTokenSource("collector").fetch()
    assert [r.prog for r in fake_cli_bin.invocations()] == ["ona"]


def test_gitpod_cli_missing_needs_user(tmp_path: Path) -> None:
    """No CLI on PATH: needs_user with the fix."""
    source = GitpodTokenSource("aud", environ={"PATH": str(tmp_path), "GITPOD_WORKSPACE_ID": "x"})
    with pytest.raises(TokenError, match="gp") as info:
        source.fetch()
    assert info.value.needs_user


def test_gitpod_audience_missing_needs_user() -> None:
    """No audience: needs_user naming WORKSPACE_OTEL_TOKEN_AUDIENCE."""
    with pytest.raises(TokenError, match="WORKSPACE_OTEL_TOKEN_AUDIENCE") as info:
        GitpodTokenSource(environ={}).fetch()
    assert info.value.needs_user


@pytest.mark.parametrize(
    ("mode", "match"), [("fail", "status 1"), ("garbage", "whitespace"), ("empty", "nothing")]
)
def test_gitpod_cli_failures(
    fake_cli_bin: FakeClis, mode: str, match: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """CLI errors become TokenErrors; its stderr is redacted."""
    monkeypatch.setenv("GITPOD_WORKSPACE_ID", "ws-1")
    fake_cli_bin.set_mode(mode)  # type: ignore[arg-type]
    with pytest.raises(TokenError, match=match):
        GitpodTokenSource("collector").fetch()


# -- github actions -----------------------------------------------------------


def test_github_actions_token(actions_oidc: ActionsOidcServer) -> None:
    """GET <url>&audience=A with the bearer request token returns the JWT in value."""
    source = GitHubActionsTokenSource("collector", environ=actions_oidc.environ)
    tok = source.fetch()
    assert tok.audience == ("collector",)
    assert tok.lifetime == pytest.approx(300, abs=1)
    assert actions_oidc.requests[-1].audience == "collector"
    assert actions_oidc.requests[-1].authorized
    assert actions_oidc.request_token not in repr(source) + source.describe()


def test_github_actions_missing_permission_needs_user() -> None:
    """Without the request variables: needs_user, says id-token: write."""
    with pytest.raises(TokenError, match="id-token: write") as info:
        GitHubActionsTokenSource("a", environ={}).fetch()
    assert info.value.needs_user


def test_github_actions_wrong_request_token(actions_oidc: ActionsOidcServer) -> None:
    """A rejected request token needs the user; it is never echoed."""
    env = dict(actions_oidc.environ, ACTIONS_ID_TOKEN_REQUEST_TOKEN="wrong-request-token")
    with pytest.raises(TokenError, match="401") as info:
        GitHubActionsTokenSource("a", environ=env).fetch()
    assert info.value.needs_user
    assert "wrong-request-token" not in str(info.value)


@pytest.mark.parametrize(
    ("mode", "match"), [("500", "500"), ("garbage", "non-JSON"), ("no_value", "value")]
)
def test_github_actions_faults(actions_oidc: ActionsOidcServer, mode: str, match: str) -> None:
    """Server faults are transient TokenErrors."""
    actions_oidc.fail_mode = mode  # type: ignore[assignment]
    with pytest.raises(TokenError, match=match):
        GitHubActionsTokenSource("a", environ=actions_oidc.environ).fetch()


# -- gce metadata -------------------------------------------------------------


def test_gce_metadata_identity(metadata_server: GceMetadataServer) -> None:
    """The identity endpoint with Metadata-Flavor: Google returns a JWT for the audience."""
    tok = GceMetadataTokenSource("collector", environ=metadata_server.environ).fetch()
    assert tok.audience == ("collector",)
    assert metadata_server.identity_requests == 1


def test_gce_metadata_unreachable_is_quick() -> None:
    """A closed port fails fast with a transient error."""
    started = time.monotonic()
    with pytest.raises(TokenError):
        GceMetadataTokenSource("a", environ={"GCE_METADATA_HOST": "127.0.0.1:9"}, timeout=1).fetch()
    assert time.monotonic() - started < 3


def test_gce_metadata_audience_required() -> None:
    """No audience: needs the user."""
    with pytest.raises(TokenError) as info:
        GceMetadataTokenSource(environ={}).fetch()
    assert info.value.needs_user
