"""configure(environ=...) decides the exporters' headers, compression and timeout.

The SDK's OTLP exporters read these variables from ``os.environ`` on their
own; with another mapping given, the mapping's values must be the ones sent
and the process environment's must not replace them.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from opentelemetry import trace

import workspace_otel


class _Recorder(BaseHTTPRequestHandler):
    seen: list[dict[str, str]]

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("content-length", 0)))
        self.seen.append({key.lower(): value for key, value in self.headers.items()})
        self.send_response(200)
        self.send_header("content-length", "0")
        self.end_headers()

    def log_message(self, *args: object) -> None:
        return


@pytest.fixture
def header_peer() -> Iterator[tuple[str, list[dict[str, str]]]]:
    """A loopback OTLP/HTTP peer answering 200 and keeping each request's headers."""
    seen: list[dict[str, str]] = []
    handler = type("Recorder", (_Recorder,), {"seen": seen})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}", seen
    finally:
        server.shutdown()
        server.server_close()


def test_the_mapping_headers_and_compression_are_sent_not_the_process_ones(
    header_peer: tuple[str, list[dict[str, str]]], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The mapping's header arrives; the process's gzip and timeout do not apply."""
    endpoint, seen = header_peer
    monkeypatch.setenv("OTEL_EXPORTER_OTLP_COMPRESSION", "gzip")
    monkeypatch.setenv("OTEL_EXPORTER_OTLP_TRACES_HEADERS", "x-from-process=1")
    telemetry = workspace_otel.configure(
        environ={
            "OTEL_EXPORTER_OTLP_ENDPOINT": endpoint,
            "OTEL_EXPORTER_OTLP_HEADERS": "x-from-mapping=yes",
            "WORKSPACE_OTEL_GIT": "off",
        },
        metrics=False,
    )
    try:
        with trace.get_tracer("t").start_as_current_span("mapped"):
            pass
        assert telemetry.force_flush()
    finally:
        telemetry.shutdown()
    assert seen, "nothing arrived"
    assert seen[0].get("x-from-mapping") == "yes"
    assert "content-encoding" not in seen[0]
