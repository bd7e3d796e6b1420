"""An exporter pipeline over the real harness: OAuth2 source -> cache -> requests auth -> OTLP."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pytest
from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor, SpanExportResult
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from tests.harness.jwt_validation import JwtValidator
from tests.harness.platform_envs import canary
from tests.harness.receivers import HttpOtlpReceiver
from tests.harness.token_server import TokenServer
from tests.reliability.helpers import FakeClock
from workspace_otel.credentials import OAuth2ClientCredentialsSource, RefreshingTokenCache
from workspace_otel.credentials._http import http_session

CLIENT_ID = "reliability-client"
CLIENT_SECRET = canary("ReliabilityClientSecret")


def make_token_server(lifetime: float = 60.0, stall_seconds: float = 10.0) -> TokenServer:
    """A token server whose only client's secret is a canary."""
    return TokenServer(
        lifetime=lifetime, clients={CLIENT_ID: CLIENT_SECRET}, stall_seconds=stall_seconds
    )


@dataclass
class Pipeline:
    """One cache (injected clock, no background thread) and one real OTLP/HTTP exporter."""

    server: TokenServer
    receiver: HttpOtlpReceiver
    clock: FakeClock
    timeout: float = 2.0
    fetch_timeout: float = 5.0
    results: list[SpanExportResult] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.source = OAuth2ClientCredentialsSource(
            self.server.token_url, CLIENT_ID, CLIENT_SECRET, timeout=self.fetch_timeout
        )
        self.cache = RefreshingTokenCache(self.source, clock=self.clock.clock, background=False)
        self.session = http_session(self.cache)
        self.exporter = OTLPSpanExporter(
            endpoint=self.receiver.traces_url, session=self.session, timeout=self.timeout
        )
        self._memory = InMemorySpanExporter()
        self._provider = TracerProvider()
        self._provider.add_span_processor(SimpleSpanProcessor(self._memory))
        self._count = 0

    def batch(self, n: int = 2) -> list[ReadableSpan]:
        """End ``n`` new spans and return them (not yet exported)."""
        tracer = self._provider.get_tracer("reliability")
        for _ in range(n):
            self._count += 1
            with tracer.start_as_current_span(f"span-{self._count}"):
                pass
        spans = list(self._memory.get_finished_spans())
        self._memory.clear()
        return spans

    def export(self, n: int = 2) -> SpanExportResult:
        """Export one batch of ``n`` spans (one export call); never raises or the test fails."""
        result = self.exporter.export(self.batch(n))
        self.results.append(result)
        return result

    def refresher_step(self) -> None:
        """What the background refresher does once (the test drives time)."""
        self.cache.poll()

    def close(self) -> None:
        """Shut the exporter down."""
        self.exporter.shutdown()  # type: ignore[no-untyped-call]
        self.cache.close()
        self._provider.shutdown()


def start_clock() -> FakeClock:
    """A fake clock starting at the real time (tokens from the server look fresh)."""
    return FakeClock(wall=time.time())


class _TimeShim:
    """Stands in for the ``time`` module with ``time()`` following a fake clock."""

    def __init__(self, now: Callable[[], float]) -> None:
        self._now = now

    def time(self) -> float:
        """The fake wall clock."""
        return self._now()

    def __getattr__(self, name: str) -> Any:
        return getattr(time, name)


def follow_fake_time(monkeypatch: pytest.MonkeyPatch, clock: FakeClock) -> None:
    """Make the token server mint, and the library date tokens, by ``clock``'s wall time.

    The token server and ``Token.from_value`` read ``time.time()`` directly;
    this is the injection point for them (the cache itself takes a Clock).
    """
    from tests.harness import token_server as token_server_module
    from workspace_otel.credentials import _token as token_module

    shim = _TimeShim(lambda: clock.wall_now)
    monkeypatch.setattr(token_server_module, "time", shim)
    monkeypatch.setattr(token_module, "time", shim)


def fake_time_receiver(server: TokenServer, clock: FakeClock) -> HttpOtlpReceiver:
    """An OTLP/HTTP receiver validating tokens (zero leeway on exp) at the fake time."""
    return HttpOtlpReceiver(JwtValidator(server, clock=lambda: clock.wall_now))
