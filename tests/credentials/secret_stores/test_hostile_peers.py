"""Secret-store sources facing a hostile or broken peer: redirects, stalls, garbage, bad values."""

from __future__ import annotations

import json
import time
from collections.abc import Iterable, Iterator
from typing import TYPE_CHECKING, Any

import pytest
from werkzeug.wrappers import Request, Response

from tests.credentials.secret_stores.conftest import AwsSetup, VaultSetup
from tests.harness._serving import LoopbackServer
from workspace_otel.credentials import AwsSecretsManagerSource, VaultSecretSource
from workspace_otel.credentials._from_env import token_source_from_env
from workspace_otel.errors import TokenError

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIEnvironment

VAULT_TOKEN = "hostile-peer-vault-token-0123456789"


class _Recorder:
    """A loopback server that answers every request with ``answer`` and records headers."""

    def __init__(self, answer: Any) -> None:
        self.answer = answer
        self.headers: list[dict[str, str]] = []
        self.server = LoopbackServer(self._wsgi, name="hostile")

    def _wsgi(self, environ: WSGIEnvironment, start: StartResponse) -> Iterable[bytes]:
        request = Request(environ)
        self.headers.append({k.lower(): v for k, v in request.headers.items()})
        response: Response = self.answer(request)
        return response(environ, start)


@pytest.fixture
def other_origin() -> Iterator[_Recorder]:
    recorder = _Recorder(lambda _r: Response(json.dumps({"data": {}}), 200))
    yield recorder
    recorder.server.stop()


def test_a_redirect_to_another_origin_never_carries_the_vault_token(
    other_origin: _Recorder,
) -> None:
    """Vault answering 307 elsewhere: the token stays home and the fetch fails cleanly."""
    target = other_origin.server.base_url

    redirector = _Recorder(lambda r: Response("", 307, headers={"Location": target + r.path}))
    try:
        source = VaultSecretSource(
            "secret/otel/lightstep#access_token",
            address=redirector.server.base_url,
            environ={"VAULT_TOKEN": VAULT_TOKEN},
        )
        with pytest.raises(TokenError) as info:
            source.fetch()
    finally:
        redirector.server.stop()
    assert redirector.headers  # the request did reach Vault's address
    assert other_origin.headers == []  # and nothing followed the redirect
    assert VAULT_TOKEN not in str(info.value)


def test_a_stalling_vault_is_bounded_by_the_timeout() -> None:
    """A Vault that never answers costs one timeout, then a retryable TokenError."""

    def slow(_request: Request) -> Response:
        time.sleep(3)
        return Response("{}", 200)

    stall = _Recorder(slow)
    try:
        source = VaultSecretSource(
            "secret/otel/lightstep#access_token",
            address=stall.server.base_url,
            environ={"VAULT_TOKEN": VAULT_TOKEN},
            timeout=0.5,
        )
        started = time.monotonic()
        with pytest.raises(TokenError) as info:
            source.fetch()
        elapsed = time.monotonic() - started
    finally:
        stall.server.stop()
    assert not info.value.needs_user
    assert "did not answer within 0.5 s" in str(info.value)
    assert elapsed < 2.5


def test_a_vault_answering_garbage_is_a_retryable_error() -> None:
    """HTML instead of JSON: TokenError (no other exception), retried by the cache."""
    garbage = _Recorder(lambda _r: Response("<html>proxy error</html>", 200))
    try:
        source = VaultSecretSource(
            "secret/otel/lightstep#access_token",
            address=garbage.server.base_url,
            environ={"VAULT_TOKEN": VAULT_TOKEN},
        )
        with pytest.raises(TokenError) as info:
            source.fetch()
    finally:
        garbage.server.stop()
    assert not info.value.needs_user


@pytest.mark.parametrize("value", ["line-one\nline-two-secret", "has a space-secret", "\x1b[2J-x"])
def test_a_secret_value_that_cannot_be_a_header_needs_the_user(
    vault_setup: VaultSetup, value: str
) -> None:
    """Newlines, spaces or control characters in the stored value: refused, never echoed."""
    vault_setup.bao.put_secret(value)
    source = token_source_from_env()
    assert isinstance(source, VaultSecretSource)
    with pytest.raises(TokenError) as info:
        source.fetch()
    assert info.value.needs_user
    assert value not in str(info.value)
    assert "secret/otel/lightstep#access_token" in str(info.value)


def test_a_non_json_aws_secret_with_a_field_needs_the_user(
    aws_setup: AwsSetup, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A plain-string secret read with a field: the fix says to unset the field."""
    aws_setup.moto.put_value(aws_setup.secret_id, "PlainValueNotJson0123456789")
    source = token_source_from_env()
    assert isinstance(source, AwsSecretsManagerSource)
    with pytest.raises(TokenError, match="unset WORKSPACE_OTEL_AWS_SECRET_FIELD") as info:
        source.fetch()
    assert info.value.needs_user
    assert "PlainValueNotJson0123456789" not in str(info.value)


@pytest.mark.parametrize("status", [200, 500])
def test_an_aws_endpoint_answering_garbage_is_a_retryable_token_error(
    aws_setup: AwsSetup, monkeypatch: pytest.MonkeyPatch, status: int
) -> None:
    """HTML where STS / Secrets Manager XML or JSON belongs: TokenError, nothing else."""
    garbage = _Recorder(lambda _r: Response("<html>captive portal</html>", status))
    try:
        monkeypatch.setenv("AWS_ENDPOINT_URL", garbage.server.base_url)
        source = token_source_from_env()
        assert isinstance(source, AwsSecretsManagerSource)
        source.timeout = 2.0
        with pytest.raises(TokenError) as info:
            source.fetch()
    finally:
        garbage.server.stop()
    assert not info.value.needs_user
    assert garbage.headers
