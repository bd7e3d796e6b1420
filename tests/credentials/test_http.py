"""BearerAuth and http_session with a stub transport adapter (no network)."""

from __future__ import annotations

import io
import logging

import pytest
import requests
from requests.adapters import BaseAdapter

from tests.credentials.helpers import CANARY, FakeClock, ScriptedSource, token
from workspace_otel.credentials import (
    BearerAuth,
    EnvTokenSource,
    RefreshingTokenCache,
    TokenUnavailableError,
    http_session,
)
from workspace_otel.errors import TokenError

URL = "https://collector.example/v1/traces"


class StubAdapter(BaseAdapter):
    """Answers scripted status codes and records the headers it was sent."""

    def __init__(self, statuses: list[int]) -> None:
        super().__init__()
        self.statuses = statuses
        self.sent: list[dict[str, str]] = []
        self.bodies: list[bytes | str | None] = []

    def send(self, request, **kwargs):  # type: ignore[no-untyped-def, override]
        self.sent.append(dict(request.headers))
        self.bodies.append(request.body)
        response = requests.Response()
        response.status_code = self.statuses.pop(0) if len(self.statuses) > 1 else self.statuses[0]
        response.raw = io.BytesIO(b"body")
        response.request = request
        response.url = request.url
        response.connection = self  # type: ignore[assignment]
        return response

    def close(self) -> None:
        pass


def session_with(
    cache: RefreshingTokenCache, statuses: list[int], header: str | None = None
) -> tuple[requests.Session, StubAdapter]:
    session = requests.Session()
    adapter = StubAdapter(statuses)
    session.mount("https://", adapter)
    session.mount("http://", adapter)
    session.auth = BearerAuth(cache, header=header)
    return session, adapter


def rotating_cache(clock: FakeClock) -> tuple[RefreshingTokenCache, ScriptedSource]:
    source = ScriptedSource(
        lambda: token(f"tok-{source.fetches}", lifetime=600, now=clock.wall_now)
    )
    return RefreshingTokenCache(source, clock=clock.clock, background=False), source


def test_bearer_header_set_through_auth(clock: FakeClock) -> None:
    """authorization: Bearer <token>, overriding a static per-request header."""
    cache, _ = rotating_cache(clock)
    session, adapter = session_with(cache, [200])
    session.post(URL, data=b"x", headers={"authorization": "Bearer static-from-env"})
    assert adapter.sent[0]["authorization"] == "Bearer tok-1"


def test_custom_header_gets_raw_token(clock: FakeClock) -> None:
    """Any other header carries the raw token (Lightstep style)."""
    cache, _ = rotating_cache(clock)
    session, adapter = session_with(cache, [200], header="Lightstep-Access-Token")
    session.post(URL, data=b"x")
    assert adapter.sent[0]["lightstep-access-token"] == "tok-1"
    assert "authorization" not in {k.lower() for k in adapter.sent[0]}


def test_401_refreshes_and_resends_once(clock: FakeClock) -> None:
    """A 401 for the current token: one refresh, one re-send, the caller sees 200."""
    cache, source = rotating_cache(clock)
    session, adapter = session_with(cache, [401, 200])
    response = session.post(URL, data=b"payload")
    assert response.status_code == 200
    assert [h["authorization"] for h in adapter.sent] == ["Bearer tok-1", "Bearer tok-2"]
    assert adapter.bodies == [b"payload", b"payload"]
    assert [r.status_code for r in response.history] == [401]
    assert source.fetches == 2


def test_second_401_is_returned(clock: FakeClock) -> None:
    """Still 401 after the re-send: returned as is, no loop."""
    cache, source = rotating_cache(clock)
    session, adapter = session_with(cache, [401])
    assert session.post(URL, data=b"x").status_code == 401
    assert len(adapter.sent) == 2
    assert source.fetches == 2


def test_401_for_an_old_token_resends_with_the_current_one(clock: FakeClock) -> None:
    """Someone already refreshed: re-send with the current token, no forced fetch."""
    cache, source = rotating_cache(clock)
    _, adapter = session_with(cache, [401, 200])
    old = cache.token()

    # Make the cache move on to tok-2 between attach and response.
    cache.invalidate(old)
    clock.advance(1)
    current = cache.token()
    assert current.value == "tok-2"
    auth = BearerAuth(cache)
    prepared = requests.Request("POST", URL, data=b"x").prepare()
    prepared.headers["authorization"] = "Bearer tok-1"
    first = adapter.send(prepared)  # type: ignore[no-untyped-call]
    first.status_code = 401
    result = auth._on_response(old, None, first)
    assert result.status_code == 200
    assert adapter.sent[-1]["authorization"] == "Bearer tok-2"
    assert source.fetches == 2  # no extra fetch for the stale 401


def test_forced_refresh_rate_limited(clock: FakeClock) -> None:
    """Two 401 storms within 10 s cause one forced refresh."""
    cache, source = rotating_cache(clock)
    session, _ = session_with(cache, [401])
    session.post(URL, data=b"x")
    session.post(URL, data=b"x")
    assert source.fetches == 2


def test_no_token_raises_retryable_error_without_sending(clock: FakeClock) -> None:
    """No usable token: TokenUnavailableError (a ConnectionError); nothing sent."""
    source = ScriptedSource([TokenError(f"idp down {CANARY[:0]}")])
    cache = RefreshingTokenCache(source, clock=clock.clock, background=False)
    session, adapter = session_with(cache, [200])
    with pytest.raises(requests.exceptions.ConnectionError) as info:
        session.post(URL, data=b"x")
    assert isinstance(info.value, TokenUnavailableError)
    assert isinstance(info.value, TokenError)
    assert adapter.sent == []


def test_plain_http_to_remote_host_gets_no_token(
    clock: FakeClock, caplog: pytest.LogCaptureFixture
) -> None:
    """http:// to a non-loopback host: no token, one warning; loopback http is fine."""
    caplog.set_level(logging.WARNING)
    cache, _ = rotating_cache(clock)
    session, adapter = session_with(cache, [200])
    session.post("http://collector.example:4318/v1/traces", data=b"x")
    session.post("http://collector.example:4318/v1/traces", data=b"x")
    session.post("http://127.0.0.1:4318/v1/traces", data=b"x")
    session.post("http://localhost:4318/v1/traces", data=b"x")
    assert "authorization" not in adapter.sent[0]
    assert "authorization" not in adapter.sent[1]
    assert adapter.sent[2]["authorization"] == "Bearer tok-1"
    assert adapter.sent[3]["authorization"] == "Bearer tok-1"
    refusals = [r.getMessage() for r in caplog.records if "not sending the token" in r.getMessage()]
    assert len(refusals) == 1
    assert "plain http to a non-loopback host" in refusals[0]


def test_http_session_without_configuration_is_plain() -> None:
    """Zero-arg with nothing configured: a plain Session, no auth."""
    session = http_session()
    assert isinstance(session, requests.Session)
    assert session.auth is None


def test_a_cache_handed_in_is_the_one_used_and_a_source_gets_its_shared_cache(
    clock: FakeClock,
) -> None:
    """BearerAuth(cache) uses that cache; BearerAuth(source) finds the source's shared one."""
    from workspace_otel.credentials._cache import shared_cache

    cache, source = rotating_cache(clock)
    assert BearerAuth(cache).cache is cache
    by_source = BearerAuth(source)
    assert by_source.cache is shared_cache(source)
    assert by_source.cache is by_source.cache


def test_a_cache_module_still_being_imported_is_not_asked_for_its_class(
    clock: FakeClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Another thread's first request lists the cache module before its class exists."""
    import sys
    import types

    _, source = rotating_cache(clock)
    half = types.ModuleType("workspace_otel.credentials._cache")  # no RefreshingTokenCache yet
    monkeypatch.setitem(sys.modules, "workspace_otel.credentials._cache", half)
    auth = BearerAuth(source)
    assert auth._cache is None  # taken for a source, as it is one


class _UnhashableKey(ScriptedSource):
    @property
    def cache_key(self) -> list[str]:  # type: ignore[override]
        return ["not", "hashable"]


def test_a_source_whose_key_cannot_be_filed_fails_when_the_auth_is_built(clock: FakeClock) -> None:
    """As the gRPC plugin does: the error comes at construction, not at every export."""
    source = _UnhashableKey(lambda: token("t", lifetime=600, now=clock.wall_now))
    with pytest.raises(TypeError, match="unhashable"):
        BearerAuth(source)  # type: ignore[arg-type]


def test_a_cache_that_cannot_be_made_stops_the_request_and_is_logged_once(
    clock: FakeClock, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """A failure at the first request is a retryable token error, logged once, nothing sent."""
    from workspace_otel.credentials import _cache

    def broken(source: object) -> RefreshingTokenCache:
        raise RuntimeError(f"registry broke {CANARY}")

    caplog.set_level(logging.DEBUG)
    _, source = rotating_cache(clock)
    session = requests.Session()
    adapter = StubAdapter([200])
    session.mount("https://", adapter)
    session.auth = BearerAuth(source)
    monkeypatch.setattr(_cache, "shared_cache", broken)
    for _ in range(3):
        with pytest.raises(TokenUnavailableError) as info:
            session.post(URL, data=b"x")
        assert info.value.needs_user
    assert adapter.sent == []
    errors = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert len(errors) == 1
    assert "no token cache for scripted" in errors[0].getMessage()  # the source described
    assert "RuntimeError" in errors[0].getMessage()
    assert CANARY not in caplog.text
    assert CANARY not in str(info.value)
    monkeypatch.undo()
    session.post(URL, data=b"x")  # the cache can be made now: the next request carries it
    assert adapter.sent[0]["authorization"] == "Bearer tok-1"


def test_the_cache_can_be_set_and_repr_does_not_make_one(clock: FakeClock) -> None:
    cache, source = rotating_cache(clock)
    auth = BearerAuth(source)
    shown = repr(auth)
    assert auth._cache is None
    assert source.describe() in shown
    auth.cache = cache
    assert auth.cache is cache
    assert "RefreshingTokenCache" in repr(auth)


def test_http_session_shares_one_cache(monkeypatch: pytest.MonkeyPatch) -> None:
    """Three zero-arg sessions (traces, metrics, logs) share one cache; no thread yet."""
    monkeypatch.setenv("WORKSPACE_OTEL_TOKEN", CANARY)
    sessions = [http_session() for _ in range(3)]
    auths = [s.auth for s in sessions]
    assert all(isinstance(a, BearerAuth) for a in auths)
    caches = {id(a.cache) for a in auths if isinstance(a, BearerAuth)}
    assert len(caches) == 1
    auth = auths[0]
    assert isinstance(auth, BearerAuth)
    assert auth.cache.refresher_thread is None
    assert CANARY not in repr(auth)


def test_static_header_shadow_warning(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """OTEL_EXPORTER_OTLP_HEADERS with authorization: one warning, value not logged."""
    caplog.set_level(logging.DEBUG)
    monkeypatch.setenv("WORKSPACE_OTEL_TOKEN", "t")
    monkeypatch.setenv("OTEL_EXPORTER_OTLP_HEADERS", f"x-a=b,Authorization=Bearer%20{CANARY}")
    http_session()
    http_session()
    shadow = [r for r in caplog.records if "OTEL_EXPORTER_OTLP_HEADERS" in r.getMessage()]
    assert len(shadow) == 1
    assert CANARY not in caplog.text


def test_explicit_source_argument() -> None:
    """http_session(source) uses that source."""
    session = http_session(EnvTokenSource("X", environ={"X": "abc"}), header="x-token")
    assert isinstance(session.auth, BearerAuth)
    assert session.auth.header == "x-token"
