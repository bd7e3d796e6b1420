"""The egress rule on real loopback peers: redirects between origins, proxies.

Two recording servers on different ports are two origins; a recording proxy
keeps every byte it receives. No mocks: requests, urllib3 and the sockets are real.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from urllib.parse import quote

import pytest
import requests

from tests.harness.egress_peers import RecordingProxy, RecordingServer
from tests.harness.tls import TlsMaterial
from workspace_otel._guards import egress
from workspace_otel.credentials import (
    EnvTokenSource,
    GitHubActionsTokenSource,
    OAuth2ClientCredentialsSource,
    RefreshingTokenCache,
)
from workspace_otel.credentials._http import BearerAuth, OtlpSession
from workspace_otel.errors import ConfigurationError, TokenError

SECRET = "egress-canary-Tk7Qx9Lm2Vb8Rw4Zp6"


@pytest.fixture
def origin() -> Iterator[RecordingServer]:
    server = RecordingServer()
    yield server
    server.stop()


@pytest.fixture
def other() -> Iterator[RecordingServer]:
    server = RecordingServer()
    yield server
    server.stop()


@pytest.fixture
def proxy() -> Iterator[RecordingProxy]:
    recording = RecordingProxy()
    yield recording
    recording.stop()


def _session(monkeypatch: pytest.MonkeyPatch, header: str | None = None) -> OtlpSession:
    monkeypatch.setenv("EGRESS_TEST_TOKEN", SECRET)
    cache = RefreshingTokenCache(EnvTokenSource("EGRESS_TEST_TOKEN"), background=False)
    session = OtlpSession()
    session.auth = BearerAuth(cache, header=header)
    return session


def _redirect(server: RecordingServer, code: int, to: str) -> str:
    return f"{server.base_url}/redirect/{code}?to={quote(to, safe='')}"


HEADERS = ["lightstep-access-token", "x-api-key", "authorization"]
CODES = [301, 302, 303, 307, 308]


@pytest.mark.parametrize("header", HEADERS)
@pytest.mark.parametrize("code", CODES)
def test_token_does_not_follow_a_redirect_to_another_port(
    monkeypatch: pytest.MonkeyPatch,
    origin: RecordingServer,
    other: RecordingServer,
    header: str,
    code: int,
) -> None:
    """A 30x to a different origin (same host, other port) arrives without the token."""
    session = _session(monkeypatch, header)
    response = session.post(_redirect(origin, code, f"{other.base_url}/v1/traces"), data=b"x")
    assert response.status_code == 200
    assert origin.requests[0][2][header].endswith(SECRET)
    assert other.requests, "the redirect was followed"
    assert header not in other.requests[0][2]
    assert SECRET not in other.all_header_text()


@pytest.mark.parametrize("header", HEADERS)
def test_token_does_not_follow_a_redirect_to_another_host(
    monkeypatch: pytest.MonkeyPatch,
    origin: RecordingServer,
    other: RecordingServer,
    header: str,
) -> None:
    """``localhost`` and ``127.0.0.1`` are different hosts: a 307 between them drops it."""
    session = _session(monkeypatch, header)
    target = f"http://localhost:{other.port}/v1/traces"
    session.post(_redirect(origin, 307, target), data=b"x")
    assert SECRET not in other.all_header_text()


def test_same_origin_redirect_keeps_the_token(
    monkeypatch: pytest.MonkeyPatch, origin: RecordingServer
) -> None:
    """A redirect within the origin is not another origin: the token stays."""
    session = _session(monkeypatch, "lightstep-access-token")
    session.post(_redirect(origin, 307, f"{origin.base_url}/v1/traces"), data=b"x")
    assert [r[1] for r in origin.requests] == ["/redirect/307", "/v1/traces"]
    assert origin.requests[1][2]["lightstep-access-token"] == SECRET


def test_two_hop_redirect_drops_the_token_at_the_origin_change(
    monkeypatch: pytest.MonkeyPatch, origin: RecordingServer, other: RecordingServer
) -> None:
    """Same origin first, then away: the token is dropped on the second hop."""
    session = _session(monkeypatch, "x-api-key")
    away = _redirect(origin, 302, f"{other.base_url}/landing")
    session.get(_redirect(origin, 301, away))
    assert origin.requests[1][2]["x-api-key"] == SECRET
    assert SECRET not in other.all_header_text()


def test_https_to_http_downgrade_on_the_same_host_drops_the_token(
    monkeypatch: pytest.MonkeyPatch, tls_material: TlsMaterial, other: RecordingServer
) -> None:
    """https -> http on 127.0.0.1 (scheme and port change): no token in plain text."""
    secure = RecordingServer(ssl_context=tls_material.server_context())
    try:
        session = _session(monkeypatch, "lightstep-access-token")
        session.verify = str(tls_material.ca_cert)
        session.post(_redirect(secure, 308, f"{other.base_url}/v1/traces"), data=b"x")
        assert secure.requests[0][2]["lightstep-access-token"] == SECRET
        assert other.requests
        assert SECRET not in other.all_header_text()
    finally:
        secure.stop()


def test_redirect_answer_with_401_is_not_resent_with_a_fresh_token(
    monkeypatch: pytest.MonkeyPatch, origin: RecordingServer, other: RecordingServer
) -> None:
    """A 401 from the redirect target does not trigger the re-send to that target."""
    session = _session(monkeypatch, "authorization")
    session.post(_redirect(origin, 307, f"{other.base_url}/redirect/401"), data=b"x")
    assert SECRET not in other.all_header_text()


def test_plain_http_loopback_token_never_goes_to_a_proxy(
    monkeypatch: pytest.MonkeyPatch, proxy: RecordingProxy, caplog: pytest.LogCaptureFixture
) -> None:
    """HTTP_PROXY set, no NO_PROXY: the loopback request goes via the proxy, without token."""
    caplog.set_level(logging.WARNING)
    monkeypatch.setenv("HTTP_PROXY", proxy.url)
    session = _session(monkeypatch, "lightstep-access-token")
    response = session.post("http://127.0.0.1:4318/v1/traces", data=b"payload")
    assert response.status_code == 200
    assert "POST http://127.0.0.1:4318/v1/traces" in proxy.text
    assert SECRET not in proxy.text
    reasons = [r.getMessage() for r in caplog.records if "not sending the token" in r.getMessage()]
    assert len(reasons) == 1
    assert "NO_PROXY" in reasons[0]


@pytest.mark.parametrize("variable", ["http_proxy", "ALL_PROXY", "all_proxy"])
def test_other_proxy_variables_count_too(
    monkeypatch: pytest.MonkeyPatch, proxy: RecordingProxy, variable: str
) -> None:
    monkeypatch.setenv(variable, proxy.url)
    session = _session(monkeypatch, "authorization")
    session.post("http://localhost:4318/v1/traces", data=b"payload")
    assert "/v1/traces" in proxy.text
    assert SECRET not in proxy.text


def test_session_proxies_count_too(monkeypatch: pytest.MonkeyPatch, proxy: RecordingProxy) -> None:
    """Proxies set on the session itself (not the environment) are caught at send time."""
    session = _session(monkeypatch, "x-api-key")
    session.proxies = {"http": proxy.url}
    session.post("http://127.0.0.1:4318/v1/traces", data=b"payload")
    assert "/v1/traces" in proxy.text
    assert SECRET not in proxy.text


@pytest.mark.parametrize(
    ("no_proxy", "host"),
    [
        ("127.0.0.1", "127.0.0.1"),
        ("127.0.0.0/8", "127.0.0.1"),
        ("*", "127.0.0.1"),
        ("localhost:{port}", "localhost"),
        (".localhost,foo", "localhost"),
    ],
)
def test_no_proxy_bypass_sends_the_token_directly(
    monkeypatch: pytest.MonkeyPatch,
    proxy: RecordingProxy,
    origin: RecordingServer,
    no_proxy: str,
    host: str,
) -> None:
    """NO_PROXY as requests reads it (host, CIDR, ``*``, host:port): direct, token kept."""
    monkeypatch.setenv("HTTP_PROXY", proxy.url)
    monkeypatch.setenv("NO_PROXY", no_proxy.format(port=origin.port))
    session = _session(monkeypatch, "authorization")
    session.post(f"http://{host}:{origin.port}/v1/traces", data=b"x")
    assert proxy.text == ""
    assert origin.requests[0][2]["authorization"] == f"Bearer {SECRET}"


def test_no_proxy_entry_requests_ignores_still_means_proxied(
    monkeypatch: pytest.MonkeyPatch, proxy: RecordingProxy, origin: RecordingServer
) -> None:
    """``IP:port`` in NO_PROXY is not honoured by requests for IP hosts: proxied, no token."""
    monkeypatch.setenv("HTTP_PROXY", proxy.url)
    monkeypatch.setenv("NO_PROXY", f"127.0.0.1:{origin.port}")
    session = _session(monkeypatch, "authorization")
    session.post(f"{origin.base_url}/v1/traces", data=b"x")
    assert "/v1/traces" in proxy.text
    assert SECRET not in proxy.text
    assert not origin.requests


def test_tls_through_a_proxy_carries_the_token_encrypted(
    monkeypatch: pytest.MonkeyPatch, proxy: RecordingProxy, tls_material: TlsMaterial
) -> None:
    """https via CONNECT: the proxy sees only ciphertext, the server gets the token."""
    secure = RecordingServer(ssl_context=tls_material.server_context())
    try:
        monkeypatch.setenv("HTTPS_PROXY", proxy.url)
        session = _session(monkeypatch, "authorization")
        session.verify = str(tls_material.ca_cert)
        url = f"https://localhost:{secure.port}/v1/traces"
        assert session.post(url, data=b"x").status_code == 200
        assert proxy.text.startswith(f"CONNECT localhost:{secure.port}")
        assert SECRET not in proxy.text
        assert secure.requests[0][2]["authorization"] == f"Bearer {SECRET}"
    finally:
        secure.stop()


def test_plain_requests_session_also_drops_the_token_on_redirect(
    monkeypatch: pytest.MonkeyPatch, origin: RecordingServer, other: RecordingServer
) -> None:
    """BearerAuth on a plain requests.Session (public use) strips on redirect too."""
    monkeypatch.setenv("EGRESS_TEST_TOKEN", SECRET)
    session = requests.Session()
    session.auth = BearerAuth(EnvTokenSource("EGRESS_TEST_TOKEN"), header="lightstep-access-token")
    session.post(_redirect(origin, 307, f"{other.base_url}/v1/traces"), data=b"x")
    assert SECRET not in other.all_header_text()


@pytest.mark.parametrize(
    ("host", "loopback"),
    [
        ("127.0.0.1", True),
        ("127.8.9.10", True),
        ("::1", True),
        ("[::1]", True),
        ("localhost", True),
        ("api.localhost", True),
        ("0.0.0.0", False),
        ("127.example.com", False),
        ("localhost.example.com", False),
        ("", False),
    ],
)
def test_loopback_rule(host: str, loopback: bool) -> None:
    assert egress.is_loopback_host(host) is loopback


def test_proxy_for_follows_requests(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HTTP_PROXY", "http://proxy.invalid:3128")
    assert egress.proxy_for("http://127.0.0.1:4318/v1/traces")
    assert not egress.proxy_for("http://127.0.0.1:4318/v1/traces", trust_env=False)
    monkeypatch.setenv("no_proxy", "localhost,127.0.0.1")
    assert not egress.proxy_for("http://127.0.0.1:4318/v1/traces")
    assert egress.proxy_for("http://[::1]:4318/v1/traces")
    verdict = egress.check_route("http://[::1]:4318/v1/traces")
    assert not verdict
    assert "NO_PROXY" in verdict.reason


def test_oauth2_client_secret_never_goes_to_a_proxy_in_plain_text(
    monkeypatch: pytest.MonkeyPatch, proxy: RecordingProxy, origin: RecordingServer
) -> None:
    """A loopback http token URL with HTTP_PROXY set: refused before sending, needs the user."""
    monkeypatch.setenv("HTTP_PROXY", proxy.url)
    source = OAuth2ClientCredentialsSource(f"{origin.base_url}/token", "client", SECRET)
    with pytest.raises(TokenError) as caught:
        source.fetch()
    assert caught.value.needs_user
    assert "NO_PROXY" in str(caught.value)
    assert proxy.text == ""
    assert not origin.requests


def test_oauth2_token_endpoint_redirect_is_not_followed(
    origin: RecordingServer, other: RecordingServer
) -> None:
    """A 307 from the token endpoint: no second request carries the client secret."""
    token_url = _redirect(origin, 307, f"{other.base_url}/token")
    source = OAuth2ClientCredentialsSource(token_url, "client", SECRET)
    with pytest.raises(TokenError):
        source.fetch()
    assert len(origin.requests) == 1
    assert not other.requests


def test_github_actions_request_token_never_goes_to_a_proxy_in_plain_text(
    monkeypatch: pytest.MonkeyPatch, proxy: RecordingProxy, origin: RecordingServer
) -> None:
    monkeypatch.setenv("HTTP_PROXY", proxy.url)
    environ = {
        "ACTIONS_ID_TOKEN_REQUEST_URL": f"{origin.base_url}/oidc?x=1",
        "ACTIONS_ID_TOKEN_REQUEST_TOKEN": SECRET,
    }
    with pytest.raises(TokenError) as caught:
        GitHubActionsTokenSource(audience="aud", environ=environ).fetch()
    assert "NO_PROXY" in str(caught.value)
    assert SECRET not in proxy.text
    assert proxy.text == ""


def test_oauth2_plain_http_remote_token_url_is_a_configuration_error() -> None:
    with pytest.raises(ConfigurationError) as caught:
        OAuth2ClientCredentialsSource("http://idp.example/token?key=abcdefgh", "c", SECRET)
    assert "WORKSPACE_OTEL_OAUTH2_TOKEN_URL" in str(caught.value)
    assert "plain http to a non-loopback host" in str(caught.value)
    assert "abcdefgh" not in str(caught.value)


def test_unreadable_proxy_settings_count_as_a_proxy(monkeypatch: pytest.MonkeyPatch) -> None:
    """Proxy settings that cannot be read: assume a proxy, keep the plain-text token home."""
    monkeypatch.setenv("NO_PROXY", "127.0.0.1")
    assert not egress.proxy_for("http://127.0.0.1:4318/v1/traces")
    assert egress.proxy_for("http://127.0.0.1:4318/v1/traces", proxies={"http": 3})  # type: ignore[dict-item]


def test_redirect_to_a_garbage_location_drops_the_token(
    monkeypatch: pytest.MonkeyPatch, origin: RecordingServer
) -> None:
    """A Location that is not a usable URL: the token does not follow."""
    session = _session(monkeypatch, "x-api-key")
    with pytest.raises((ValueError, requests.exceptions.RequestException)):
        session.get(_redirect(origin, 302, "http://[::1"))
    assert [r[1] for r in origin.requests] == ["/redirect/302"]


@pytest.mark.parametrize(
    "token_url",
    [
        # urlsplit reads the host after the last "@"; requests (urllib3) ends the
        # authority at the backslash and connects to idp.example.
        "http://idp.example\\@127.0.0.1:{port}/token",
        # requests strips leading whitespace; the rule must judge the same URL.
        " http://localhost:{port}/token",
        "\thttp://localhost:{port}/token",
    ],
)
def test_oauth2_client_secret_never_reaches_a_proxy_through_a_url_parsed_two_ways(
    monkeypatch: pytest.MonkeyPatch, proxy: RecordingProxy, token_url: str
) -> None:
    """A token URL that requests reads differently from the rule: no plain-text secret."""
    monkeypatch.setenv("HTTP_PROXY", proxy.url)
    monkeypatch.setenv("NO_PROXY", "127.0.0.1")
    url = token_url.format(port=9)
    try:
        source = OAuth2ClientCredentialsSource(url, "client", SECRET)
    except ConfigurationError:
        pass
    else:
        with pytest.raises(TokenError):
            source.fetch()
    assert "Authorization" not in proxy.text
    assert "grant_type" not in proxy.text


@pytest.mark.parametrize(
    "url",
    [
        "http://evil.example\\@127.0.0.1:4318/v1/traces",
        "http://evil.example\\x@localhost/v1/traces",
        "https://evil.example\\@127.0.0.1/v1/traces",
    ],
)
def test_a_backslash_in_the_authority_is_not_a_usable_url(url: str) -> None:
    """requests and urlsplit disagree on the host; the rule does not guess."""
    assert egress.origin_of(url) is None
    assert not egress.check(url)


def test_leading_whitespace_does_not_skip_the_proxy_check(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HTTP_PROXY", "http://proxy.invalid:3128")
    verdict = egress.check_route(" http://127.0.0.1:4318/v1/traces")
    assert not verdict
    assert "NO_PROXY" in verdict.reason
