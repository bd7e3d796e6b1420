"""An exporter pipeline over the real harness: OAuth2 source -> cache -> transport -> OTLP.

One :class:`Pipeline` for both transports, built as ``configure()`` builds them:

``http``  the cache behind ``http_session()`` (requests auth) and the SDK's
          OTLP/HTTP exporter, to an :class:`HttpOtlpReceiver`;
``grpc``  the cache behind the TLS channel credentials and metadata plugin of
          ``grpc_credentials_and_plugin()``, the SDK's OTLP/gRPC exporter with
          the library's one re-send after ``UNAUTHENTICATED``
          (``retry_unauthenticated``), to a TLS :class:`GrpcOtlpReceiver`
          (its CA from ``OTEL_EXPORTER_OTLP_CERTIFICATE``).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any, Literal

import pytest
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor, SpanExporter, SpanExportResult
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from tests.harness.jwt_validation import JwtValidator
from tests.harness.platform_envs import canary
from tests.harness.receivers import GrpcOtlpReceiver, HttpOtlpReceiver
from tests.harness.tls import TlsMaterial
from tests.harness.token_server import TokenServer
from tests.reliability.helpers import FakeClock
from workspace_otel.credentials import OAuth2ClientCredentialsSource, RefreshingTokenCache
from workspace_otel.credentials._http import http_session

CLIENT_ID = "reliability-client"
CLIENT_SECRET = canary("ReliabilityClientSecret")

Transport = Literal["http", "grpc"]


def make_token_server(lifetime: float = 60.0, stall_seconds: float = 10.0) -> TokenServer:
    """A token server whose only client's secret is a canary."""
    return TokenServer(
        lifetime=lifetime, clients={CLIENT_ID: CLIENT_SECRET}, stall_seconds=stall_seconds
    )


@dataclass
class Pipeline:
    """One cache (injected clock, no background thread) and one real OTLP exporter.

    Args:
        server: The token server (OAuth2 client credentials).
        receiver: An :class:`HttpOtlpReceiver` for ``http``, a TLS
            :class:`GrpcOtlpReceiver` for ``grpc``.
        clock: The fake clock injected into the cache.
        timeout: The exporter's timeout in seconds.
        fetch_timeout: The token request's timeout in seconds.
        transport: ``http`` or ``grpc``.
    """

    server: TokenServer
    receiver: HttpOtlpReceiver | GrpcOtlpReceiver
    clock: FakeClock
    timeout: float = 2.0
    fetch_timeout: float = 5.0
    transport: Transport = "http"
    results: list[SpanExportResult] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.source = OAuth2ClientCredentialsSource(
            self.server.token_url, CLIENT_ID, CLIENT_SECRET, timeout=self.fetch_timeout
        )
        self.cache = RefreshingTokenCache(self.source, clock=self.clock.clock, background=False)
        self.exporter: SpanExporter = (
            self._grpc_exporter() if self.transport == "grpc" else self._http_exporter()
        )
        self._memory = InMemorySpanExporter()
        self._provider = TracerProvider()
        self._provider.add_span_processor(SimpleSpanProcessor(self._memory))
        self.count = 0

    def _http_exporter(self) -> SpanExporter:
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

        assert isinstance(self.receiver, HttpOtlpReceiver)
        self.session = http_session(self.cache)
        self.credential: object = self.session.auth
        return OTLPSpanExporter(
            endpoint=self.receiver.traces_url, session=self.session, timeout=self.timeout
        )

    def _grpc_exporter(self) -> SpanExporter:
        from opentelemetry.exporter.otlp.proto.grpc.trace_exporter import OTLPSpanExporter

        from workspace_otel.credentials._grpc import grpc_credentials_and_plugin
        from workspace_otel.credentials._grpc_retry import retry_unauthenticated

        assert isinstance(self.receiver, GrpcOtlpReceiver)
        credentials, plugin = grpc_credentials_and_plugin(self.cache)
        assert plugin is not None
        self.credential = plugin
        exporter = OTLPSpanExporter(
            endpoint=self.receiver.address,
            insecure=False,
            credentials=credentials,
            timeout=self.timeout,
        )
        wrapped: SpanExporter = retry_unauthenticated(exporter, plugin)
        return wrapped

    def batch(self, n: int = 2) -> list[ReadableSpan]:
        """End ``n`` new spans and return them (not yet exported)."""
        tracer = self._provider.get_tracer("reliability")
        for _ in range(n):
            self.count += 1
            with tracer.start_as_current_span(f"{self.transport}-span-{self.count}"):
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
        self.exporter.shutdown()
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


def transport_receiver(
    transport: Transport,
    server: TokenServer,
    clock: FakeClock,
    tls_material: TlsMaterial,
    monkeypatch: pytest.MonkeyPatch,
) -> Iterator[HttpOtlpReceiver | GrpcOtlpReceiver]:
    """Yield the receiver for ``transport``, validating ``server``'s tokens at ``clock``'s time.

    ``http``: a plain-HTTP receiver on loopback. ``grpc``: a TLS gRPC receiver;
    ``OTEL_EXPORTER_OTLP_CERTIFICATE`` is set to its CA, where the gRPC channel
    credentials read it.
    """
    if transport == "http":
        with fake_time_receiver(server, clock) as otlp:
            yield otlp
        return
    monkeypatch.setenv("OTEL_EXPORTER_OTLP_CERTIFICATE", str(tls_material.ca_cert))
    validator = JwtValidator(server, clock=lambda: clock.wall_now)
    with GrpcOtlpReceiver(validator, tls_material) as grpc_otlp:
        yield grpc_otlp


def section(name: str, transport: Transport) -> str:
    """A figures section: ``name`` over HTTP, ``grpc_<name>`` over gRPC."""
    return name if transport == "http" else f"grpc_{name}"
