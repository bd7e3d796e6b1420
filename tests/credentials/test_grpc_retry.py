"""The UNAUTHENTICATED refresh-and-resend of configure()'s gRPC exporters, without a network.

tests/gateway/test_grpc_recovery.py proves the same against the real Collector.
"""

from __future__ import annotations

import logging
from typing import Any

import grpc
import pytest

from tests.credentials.helpers import FakeClock, ScriptedSource, token
from workspace_otel.credentials import RefreshingTokenCache, TokenMetadataPlugin
from workspace_otel.credentials._grpc_retry import retry_unauthenticated


class FakeRpcError(grpc.RpcError):
    def __init__(self, code: grpc.StatusCode, details: str = "") -> None:
        self._code, self._details = code, details

    def code(self) -> grpc.StatusCode:
        return self._code

    def details(self) -> str:
        return self._details


class FakeStub:
    """Runs the plugin like a channel does, then answers from a script."""

    def __init__(self, plugin: TokenMetadataPlugin, answers: list[grpc.StatusCode]) -> None:
        self.plugin = plugin
        self.answers = answers
        self.sent: list[str] = []
        self.timeouts: list[float | None] = []

    def Export(self, request: Any, metadata: Any = None, timeout: float | None = None) -> str:
        attached: list[Any] = []
        self.plugin(None, lambda md, err: attached.append(md))  # type: ignore[arg-type]
        self.sent.append(attached[0][0][1])
        self.timeouts.append(timeout)
        code = self.answers.pop(0)
        if code != grpc.StatusCode.OK:
            raise FakeRpcError(code, "failed to verify token: oidc: expected audience")
        return "ok"


class FakeExporter:
    def __init__(self, stub: FakeStub) -> None:
        self._stub = lambda channel: stub
        self._client = stub


def make(clock: FakeClock, answers: list[grpc.StatusCode], tokens: int = 3) -> FakeStub:
    source = ScriptedSource(
        [token(f"tok-{n}", lifetime=600, now=clock.wall_now) for n in range(1, tokens + 1)]
    )
    cache = RefreshingTokenCache(source, clock=clock.clock, background=False)
    return FakeStub(TokenMetadataPlugin(cache), answers)


OK, UNAUTH = grpc.StatusCode.OK, grpc.StatusCode.UNAUTHENTICATED


def test_rejected_current_token_is_refreshed_and_resent_once(clock: FakeClock) -> None:
    stub = make(clock, [UNAUTH, OK])
    exporter = retry_unauthenticated(FakeExporter(stub), stub.plugin)
    assert exporter._client.Export("req", timeout=10.0) == "ok"
    assert stub.sent == ["Bearer tok-1", "Bearer tok-2"]
    assert stub.timeouts[1] is not None
    assert stub.timeouts[1] <= 10.0


def test_second_rejection_is_final_and_logged_once(
    clock: FakeClock, caplog: pytest.LogCaptureFixture
) -> None:
    stub = make(clock, [UNAUTH, UNAUTH, UNAUTH, UNAUTH])
    exporter = retry_unauthenticated(FakeExporter(stub), stub.plugin)
    caplog.set_level(logging.WARNING, logger="workspace_otel")
    with pytest.raises(FakeRpcError):
        exporter._client.Export("req", timeout=10.0)
    assert stub.sent == ["Bearer tok-1", "Bearer tok-2"]
    # The next batch: the cache allows one forced refresh per 10 s, so no new token.
    with pytest.raises(FakeRpcError):
        exporter._client.Export("req", timeout=10.0)
    assert stub.sent[2:] == ["Bearer tok-2"]
    refused = [r for r in caplog.records if "refused the token" in r.getMessage()]
    assert len(refused) == 1
    assert "expected audience" in refused[0].getMessage()


def test_other_codes_are_not_retried(clock: FakeClock) -> None:
    stub = make(clock, [grpc.StatusCode.UNAVAILABLE, OK])
    exporter = retry_unauthenticated(FakeExporter(stub), stub.plugin)
    with pytest.raises(FakeRpcError):
        exporter._client.Export("req", timeout=10.0)
    assert stub.sent == ["Bearer tok-1"]


def test_a_reconnected_stub_is_wrapped_too(clock: FakeClock) -> None:
    stub = make(clock, [UNAUTH, OK])
    exporter = retry_unauthenticated(FakeExporter(stub), stub.plugin)
    fresh = exporter._stub("channel")  # what the SDK calls after UNAVAILABLE
    assert fresh.Export("req", timeout=10.0) == "ok"
    assert stub.sent == ["Bearer tok-1", "Bearer tok-2"]


def test_exporter_without_a_stub_is_left_alone(clock: FakeClock) -> None:
    stub = make(clock, [OK])

    class Other:
        pass

    other = Other()
    assert retry_unauthenticated(other, stub.plugin) is other
    assert vars(other) == {}


class InterleavedStub(FakeStub):
    """Between attaching the token and the answer, another export runs on the same plugin."""

    def __init__(self, plugin: TokenMetadataPlugin, answers: list[grpc.StatusCode], other: Any):
        super().__init__(plugin, answers)
        self.other = other

    def Export(self, request: Any, metadata: Any = None, timeout: float | None = None) -> str:
        attached: list[Any] = []
        self.plugin(None, lambda md, err: attached.append(md))  # type: ignore[arg-type]
        self.sent.append(attached[0][0][1])
        if self.other is not None:
            other, self.other = self.other, None
            other()
        code = self.answers.pop(0)
        if code != grpc.StatusCode.OK:
            raise FakeRpcError(code, "failed to verify token: oidc: token is expired")
        return "ok"


def test_a_concurrent_export_after_a_refresh_does_not_condemn_the_fresh_token(
    clock: FakeClock,
) -> None:
    """Call A sends tok-1; meanwhile the cache refreshes and call B sends tok-2; A is refused.

    The refused token is tok-1, no longer current: tok-2 must not be invalidated
    (no forced fetch of tok-3); A is re-sent once with the current tok-2, as over HTTP.
    """
    source = ScriptedSource(
        [token(f"tok-{n}", lifetime=600, now=clock.wall_now) for n in range(1, 4)]
    )
    cache = RefreshingTokenCache(source, clock=clock.clock, background=False)
    plugin = TokenMetadataPlugin(cache)
    plugin(None, lambda md, err: None)  # type: ignore[arg-type]  # tok-1 is current

    def call_b() -> None:
        clock.advance(700)  # tok-1 has expired: B's call fetches tok-2
        plugin(None, lambda md, err: None)  # type: ignore[arg-type]

    stub = InterleavedStub(plugin, [UNAUTH, OK], call_b)
    exporter = retry_unauthenticated(FakeExporter(stub), plugin)
    assert exporter._client.Export("req", timeout=10.0) == "ok"
    assert stub.sent == ["Bearer tok-1", "Bearer tok-2"]
    assert cache.current is not None
    assert cache.current.value == "tok-2"


def test_real_sdk_exporters_of_every_signal_are_wrapped_and_stay_wrapped(
    clock: FakeClock,
) -> None:
    """The SDK's trace, metric and log gRPC exporters: wrapped, and again after a reconnect."""
    from opentelemetry.exporter.otlp.proto.grpc._log_exporter import OTLPLogExporter
    from opentelemetry.exporter.otlp.proto.grpc.metric_exporter import OTLPMetricExporter
    from opentelemetry.exporter.otlp.proto.grpc.trace_exporter import OTLPSpanExporter

    from workspace_otel.credentials._grpc_retry import _RetryingStub

    plugin = make(clock, [OK]).plugin
    credentials = grpc.ssl_channel_credentials()
    for kind in (OTLPSpanExporter, OTLPMetricExporter, OTLPLogExporter):
        exporter: Any = kind(endpoint="https://127.0.0.1:9", credentials=credentials)
        try:
            retry_unauthenticated(exporter, plugin)
            first = exporter._client
            exporter._initialize_channel_and_stub()  # what the SDK does after UNAVAILABLE
            assert isinstance(first, _RetryingStub), kind
            assert isinstance(exporter._client, _RetryingStub), kind
        finally:
            exporter.shutdown()


def test_exporter_refusing_new_attributes_still_works(clock: FakeClock) -> None:
    """An SDK whose exporter cannot be patched: returned as is, no exception into configure()."""
    stub = make(clock, [OK])

    class Locked:
        __slots__ = ("_client",)

        def __init__(self) -> None:
            self._client = stub

        @property
        def _stub(self) -> Any:
            return lambda channel: stub

    locked = Locked()
    assert retry_unauthenticated(locked, stub.plugin) is locked
    assert locked._client.Export("req", timeout=1.0) == "ok"


def test_concurrent_exports_refused_together_all_recover_with_one_fetch(clock: FakeClock) -> None:
    """Eight threads send tok-1 at once and are all refused: one fetch, every call re-sent once."""
    import threading

    source = ScriptedSource(
        [token(f"tok-{n}", lifetime=600, now=clock.wall_now) for n in range(1, 4)]
    )
    cache = RefreshingTokenCache(source, clock=clock.clock, background=False)
    plugin = TokenMetadataPlugin(cache)
    plugin(None, lambda md, err: None)  # type: ignore[arg-type]  # tok-1 is current
    threads = 8
    attached = threading.Barrier(threads)
    sent: list[str] = []

    class Gateway:
        def Export(self, request: Any, metadata: Any = None, timeout: float | None = None) -> str:
            got: list[Any] = []
            plugin(None, lambda md, err: got.append(md))  # type: ignore[arg-type]
            value = got[0][0][1]
            sent.append(value)
            if value == "Bearer tok-1":
                attached.wait(timeout=5)  # every first attempt has its token before any answer
                raise FakeRpcError(UNAUTH, "oidc: token revoked")
            return "ok"

    exporter = retry_unauthenticated(FakeExporter(Gateway()), plugin)  # type: ignore[arg-type]
    results: list[object] = []

    def export() -> None:
        try:
            results.append(exporter._client.Export("req", timeout=10.0))
        except FakeRpcError as error:
            results.append(error.code())

    workers = [threading.Thread(target=export) for _ in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=10)
    assert results == ["ok"] * threads
    assert sent.count("Bearer tok-1") == threads
    assert sent.count("Bearer tok-2") == threads  # one re-send each, no loop
    assert cache.current is not None
    assert cache.current.value == "tok-2"  # one forced fetch, tok-3 never asked for
