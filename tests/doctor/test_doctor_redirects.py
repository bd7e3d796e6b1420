"""A redirecting endpoint: the doctor reports it and never carries the token to the target."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import ClassVar

import pytest

from tests.doctor.conftest import run
from tests.harness.token_server import TokenServer

pytestmark = pytest.mark.usefixtures("doctor_env")


class _Target(BaseHTTPRequestHandler):
    seen: ClassVar[list[str | None]] = []

    def do_POST(self) -> None:
        type(self).seen.append(self.headers.get("authorization"))
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        self.send_response(200)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, format: str, *args: object) -> None:
        return


def _serve(handler: type[BaseHTTPRequestHandler]) -> tuple[ThreadingHTTPServer, str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, f"http://127.0.0.1:{server.server_address[1]}"


@pytest.fixture
def redirect_pair() -> Iterator[tuple[str, type[_Target]]]:
    """A server that answers 307 towards another (loopback) server that records headers."""

    class Target(_Target):
        seen: ClassVar[list[str | None]] = []

    target, target_url = _serve(Target)

    class Redirect(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            self.rfile.read(int(self.headers.get("Content-Length") or 0))
            self.send_response(307)
            self.send_header("Location", f"{target_url}/v1/traces")
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, format: str, *args: object) -> None:
            return

    redirect, redirect_url = _serve(Redirect)
    try:
        yield redirect_url, Target
    finally:
        for server in (redirect, target):
            server.shutdown()
            server.server_close()


def test_a_redirect_is_reported_and_not_followed(
    monkeypatch: pytest.MonkeyPatch,
    token_server: TokenServer,
    redirect_pair: tuple[str, type[_Target]],
) -> None:
    endpoint, target = redirect_pair
    monkeypatch.setenv("WORKSPACE_OTEL_TOKEN", token_server.mint())
    monkeypatch.setenv("OTEL_EXPORTER_OTLP_ENDPOINT", endpoint)

    outcome = run()

    check = outcome.check("endpoint")
    assert check["verdict"] == "fail"
    assert "redirects" in check["summary"]
    assert "307" in check["evidence"]["answer"]
    assert outcome.check("end_to_end")["verdict"] == "skipped"
    assert target.seen == []  # the doctor's probe went to the redirecting server only
