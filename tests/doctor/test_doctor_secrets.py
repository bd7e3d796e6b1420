"""A canary secret planted in every source never appears in the doctor's output."""

from __future__ import annotations

import sys
import threading
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from tests.doctor.conftest import run_both
from tests.harness.platform_envs import canary
from tests.harness.receivers import HttpOtlpReceiver
from tests.harness.token_server import TokenServer

pytestmark = pytest.mark.usefixtures("doctor_env")

Setup = Callable[[pytest.MonkeyPatch, Path, str, TokenServer], None]


def _env_token(mp: pytest.MonkeyPatch, tmp: Path, secret: str, ts: TokenServer) -> None:
    mp.setenv("WORKSPACE_OTEL_TOKEN", secret)


def _file_token(mp: pytest.MonkeyPatch, tmp: Path, secret: str, ts: TokenServer) -> None:
    path = tmp / "token.txt"
    path.write_text(secret + "\n")
    mp.setenv("WORKSPACE_OTEL_TOKEN_SOURCE", f"file:{path}")


def _command_token(mp: pytest.MonkeyPatch, tmp: Path, secret: str, ts: TokenServer) -> None:
    script = tmp / "token.py"
    script.write_text(f"print({secret!r})\n")
    mp.setenv("WORKSPACE_OTEL_TOKEN_SOURCE", f"command:{sys.executable} {script}")


def _client_secret(mp: pytest.MonkeyPatch, tmp: Path, secret: str, ts: TokenServer) -> None:
    mp.setenv("WORKSPACE_OTEL_TOKEN_SOURCE", "oauth2")
    mp.setenv("WORKSPACE_OTEL_OAUTH2_TOKEN_URL", ts.token_url)
    mp.setenv("WORKSPACE_OTEL_OAUTH2_CLIENT_ID", "test-client")
    mp.setenv("WORKSPACE_OTEL_OAUTH2_CLIENT_SECRET", secret)


def _client_secret_file(mp: pytest.MonkeyPatch, tmp: Path, secret: str, ts: TokenServer) -> None:
    path = tmp / "client-secret"
    path.write_text(secret)
    mp.setenv("WORKSPACE_OTEL_TOKEN_SOURCE", "oauth2")
    mp.setenv("WORKSPACE_OTEL_OAUTH2_TOKEN_URL", ts.token_url)
    mp.setenv("WORKSPACE_OTEL_OAUTH2_CLIENT_ID", "test-client")
    mp.setenv("WORKSPACE_OTEL_OAUTH2_CLIENT_SECRET_FILE", str(path))


def _github_token(mp: pytest.MonkeyPatch, tmp: Path, secret: str, ts: TokenServer) -> None:
    mp.setenv("GITHUB_TOKEN", secret)
    mp.setenv("WORKSPACE_OTEL_TOKEN_SOURCE", "env:GITHUB_TOKEN")


def _github_token_copied(mp: pytest.MonkeyPatch, tmp: Path, secret: str, ts: TokenServer) -> None:
    mp.setenv("GH_TOKEN", secret)
    mp.setenv("WORKSPACE_OTEL_TOKEN", secret)


def _static_header(mp: pytest.MonkeyPatch, tmp: Path, secret: str, ts: TokenServer) -> None:
    mp.setenv("OTEL_EXPORTER_OTLP_HEADERS", f"authorization=Bearer%20{secret},x-team=checkout")


def _subject_token(mp: pytest.MonkeyPatch, tmp: Path, secret: str, ts: TokenServer) -> None:
    mp.setenv("SUBJECT_JWT", secret)
    mp.setenv("WORKSPACE_OTEL_TOKEN_SOURCE", "oauth2")
    mp.setenv("WORKSPACE_OTEL_OAUTH2_TOKEN_URL", ts.token_url)
    mp.setenv("WORKSPACE_OTEL_OAUTH2_CLIENT_ID", "test-client")
    mp.setenv("WORKSPACE_OTEL_OAUTH2_CLIENT_SECRET", "test-secret")
    mp.setenv("WORKSPACE_OTEL_OAUTH2_SUBJECT_TOKEN_SOURCE", "env:SUBJECT_JWT")


SOURCES: dict[str, Setup] = {
    "env token": _env_token,
    "file": _file_token,
    "command output": _command_token,
    "client secret": _client_secret,
    "client secret file": _client_secret_file,
    "GITHUB_TOKEN": _github_token,
    "GH_TOKEN copied into WORKSPACE_OTEL_TOKEN": _github_token_copied,
    "static header": _static_header,
    "token-exchange subject": _subject_token,
}


@pytest.mark.parametrize("name", list(SOURCES))
def test_canary_never_printed(
    name: str,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    token_server: TokenServer,
    http_receiver: HttpOtlpReceiver,
) -> None:
    secret = "ghu_" + canary("Doctor" + name.replace(" ", "").replace("-", ""))
    SOURCES[name](monkeypatch, tmp_path, secret, token_server)
    monkeypatch.setenv("OTEL_EXPORTER_OTLP_ENDPOINT", http_receiver.endpoint)

    as_json, human = run_both()

    assert as_json.report is not None
    assert secret not in as_json.text
    assert secret not in human.text
    assert "CANARY" not in as_json.text + human.text
    assert as_json.status == human.status


def test_credentials_in_the_endpoint_url(
    monkeypatch: pytest.MonkeyPatch, token_server: TokenServer, http_receiver: HttpOtlpReceiver
) -> None:
    secret = canary("DoctorEndpointUserinfo")
    monkeypatch.setenv("WORKSPACE_OTEL_TOKEN", token_server.mint())
    monkeypatch.setenv(
        "OTEL_EXPORTER_OTLP_ENDPOINT",
        http_receiver.endpoint.replace("http://", f"http://ingest:{secret}@"),
    )

    as_json, human = run_both()

    assert secret not in as_json.text
    assert secret not in human.text
    config = as_json.check("configuration")
    assert config["verdict"] == "fail"
    assert "user-info" in config["summary"] or "user info" in config["summary"]
    # configure() refuses such an endpoint, so the doctor sends nothing to it either.
    endpoint = as_json.check("endpoint")
    assert endpoint["verdict"] == "skipped"
    assert "settings are invalid" in endpoint["summary"]
    assert http_receiver.requests == []


class _EchoingHandler(BaseHTTPRequestHandler):
    """Answers 401 and, like some real servers, echoes the credential it got."""

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        header = self.headers.get("authorization") or ""
        body = f"invalid credential: {header} (token={header.split(' ')[-1]})"
        data = body.encode()
        self.send_response(401)
        self.send_header("Content-Type", "text/plain")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, format: str, *args: object) -> None:
        return


@pytest.fixture
def echoing_server() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _EchoingHandler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)


def test_server_text_is_redacted(
    monkeypatch: pytest.MonkeyPatch, token_server: TokenServer, echoing_server: str
) -> None:
    token = token_server.mint()
    monkeypatch.setenv("WORKSPACE_OTEL_TOKEN", token)
    monkeypatch.setenv("OTEL_EXPORTER_OTLP_ENDPOINT", echoing_server)

    as_json, human = run_both()

    endpoint = as_json.check("endpoint")
    assert endpoint["verdict"] == "fail"
    assert endpoint["evidence"]["server said"].startswith("invalid credential: Bearer <redacted")
    for part in token.split("."):
        assert part not in as_json.text
        assert part not in human.text
