"""TokenMetadataPlugin and grpc_credentials, without a network."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

import grpc
import pytest

from tests.credentials.helpers import CANARY, FakeClock, ScriptedSource, token
from workspace_otel.credentials import RefreshingTokenCache, TokenMetadataPlugin, grpc_credentials
from workspace_otel.errors import ConfigurationError, TokenError


class Callback:
    def __init__(self) -> None:
        self.calls: list[tuple[Any, BaseException | None]] = []

    def __call__(self, metadata: Any, error: BaseException | None) -> None:
        self.calls.append((metadata, error))


def test_plugin_adds_metadata_once(clock: FakeClock) -> None:
    """The callback runs exactly once with the authorization metadata."""
    source = ScriptedSource([token("grpc-tok", lifetime=600, now=clock.wall_now)])
    plugin = TokenMetadataPlugin(RefreshingTokenCache(source, clock=clock.clock, background=False))
    callback = Callback()
    plugin(None, callback)  # type: ignore[arg-type]
    assert callback.calls == [((("authorization", "Bearer grpc-tok"),), None)]


def test_plugin_custom_header(clock: FakeClock) -> None:
    """Another header name carries the raw token, lower-cased for gRPC."""
    source = ScriptedSource([token("raw", lifetime=600, now=clock.wall_now)])
    cache = RefreshingTokenCache(source, clock=clock.clock, background=False)
    callback = Callback()
    TokenMetadataPlugin(cache, header="Lightstep-Access-Token")(None, callback)  # type: ignore[arg-type]
    assert callback.calls == [((("lightstep-access-token", "raw"),), None)]


def test_plugin_fails_callback_without_token(clock: FakeClock) -> None:
    """No token: callback once with a redacted TokenError (client sees UNAVAILABLE)."""
    source = ScriptedSource([TokenError("idp unreachable")])
    plugin = TokenMetadataPlugin(RefreshingTokenCache(source, clock=clock.clock, background=False))
    callback = Callback()
    plugin(None, callback)  # type: ignore[arg-type]
    assert len(callback.calls) == 1
    metadata, error = callback.calls[0]
    assert metadata == ()
    assert isinstance(error, TokenError)
    assert "idp unreachable" in str(error)


def test_plugin_survives_unexpected_errors(clock: FakeClock) -> None:
    """Even a broken cache calls back exactly once."""

    class Broken(RefreshingTokenCache):
        def token(self, timeout: float | None = None) -> Any:
            raise RuntimeError(CANARY)

    plugin = TokenMetadataPlugin(Broken(ScriptedSource([token()]), clock=clock.clock))
    callback = Callback()
    plugin(None, callback)  # type: ignore[arg-type]
    assert len(callback.calls) == 1
    assert CANARY not in str(callback.calls[0][1])


def test_plugin_never_blocks_while_refresh_in_flight(clock: FakeClock) -> None:
    """With a refresh stuck in the background, calls still answer with the usable token."""
    source = ScriptedSource(lambda: token(f"g{source.fetches}", lifetime=600, now=clock.wall_now))
    cache = RefreshingTokenCache(source, clock=clock.clock)
    plugin = TokenMetadataPlugin(cache)
    plugin(None, Callback())  # type: ignore[arg-type]
    source.gate = threading.Event()
    source.entered.clear()
    clock.advance(400)
    callback = Callback()
    plugin(None, callback)  # type: ignore[arg-type]
    assert source.entered.wait(5)
    plugin(None, callback)  # type: ignore[arg-type]
    assert [c[0] for c in callback.calls] == [(("authorization", "Bearer g1"),)] * 2
    source.gate.set()
    cache.close()


def test_grpc_credentials_types(monkeypatch: pytest.MonkeyPatch) -> None:
    """Zero-arg returns ChannelCredentials with or without a configured source."""
    assert isinstance(grpc_credentials(), grpc.ChannelCredentials)
    monkeypatch.setenv("WORKSPACE_OTEL_TOKEN", "t")
    assert isinstance(grpc_credentials(), grpc.ChannelCredentials)


def test_grpc_credentials_reads_certificate_variables(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """An unreadable OTEL_EXPORTER_OTLP_CERTIFICATE is a ConfigurationError naming it."""
    monkeypatch.setenv("OTEL_EXPORTER_OTLP_TRACES_CERTIFICATE", str(tmp_path / "missing.pem"))
    with pytest.raises(ConfigurationError, match="OTEL_EXPORTER_OTLP_TRACES_CERTIFICATE"):
        grpc_credentials()
    monkeypatch.setenv("OTEL_EXPORTER_OTLP_CERTIFICATE", str(tmp_path / "missing2.pem"))
    with pytest.raises(ConfigurationError, match="OTEL_EXPORTER_OTLP_CERTIFICATE"):
        grpc_credentials()
