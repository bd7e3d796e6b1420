"""A real Collector forwards with the token file that ``workspace-otel token --watch`` keeps fresh.

The Collector's ``bearertokenauth`` extension reads ``filename`` and reloads it
when the file is replaced (it re-adds its watch on remove/attribute events,
the same path Kubernetes secret updates take), and an ``otlphttp`` exporter
sends with it to an upstream receiver that validates every JWT the way the
``oidc`` authenticator does (signature, issuer, audience, zero-leeway
expiry). With 4-second tokens, a few seconds of traffic cross several
expiries: every request must be accepted and several distinct tokens seen.

The Collector reads the file once and only then watches it, so a replacement
that falls between the two is not seen until the next one, by which time the
token it holds may have expired. A real gateway starts rarely next to the
replacements; here one starts within the first of several 4-second lives, so
the test starts it just after a replacement and sends only once the Collector's log
says it has read the file. A rejection fails with the upstream's reasons, the
token's remaining life and the Collector's log, so a failure says which side
was late.

The Collector binary comes from ``tests.harness.collector.collector_binary``;
when it is missing the test fails and says how to build it.
"""

from __future__ import annotations

import base64
import json
import math
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import requests
from opentelemetry.proto.collector.trace.v1 import trace_service_pb2
from opentelemetry.proto.common.v1 import common_pb2
from opentelemetry.proto.resource.v1 import resource_pb2
from opentelemetry.proto.trace.v1 import trace_pb2

from tests.harness.collector import CollectorNotBuilt, collector_binary
from tests.harness.jwt_validation import JwtValidator
from tests.harness.process import subprocess_env
from tests.harness.receivers import HttpOtlpReceiver
from tests.harness.token_server import TokenServer

pytestmark = pytest.mark.slow

CONFIG = """\
extensions:
  bearertokenauth:
    filename: {token_file}
receivers:
  otlp:
    protocols:
      http:
        endpoint: 127.0.0.1:{port}
exporters:
  otlphttp:
    endpoint: {upstream}
    auth:
      authenticator: bearertokenauth
    retry_on_failure:
      enabled: false
    sending_queue:
      enabled: false
service:
  extensions: [bearertokenauth]
  telemetry:
    metrics:
      level: none
  pipelines:
    traces:
      receivers: [otlp]
      exporters: [otlphttp]
"""


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _one_span(index: int) -> bytes:
    span = trace_pb2.Span(
        trace_id=os.urandom(16),
        span_id=os.urandom(8),
        name=f"through-the-gateway-{index}",
        start_time_unix_nano=time.time_ns(),
        end_time_unix_nano=time.time_ns(),
    )
    resource = resource_pb2.Resource(
        attributes=[
            common_pb2.KeyValue(
                key="service.name", value=common_pb2.AnyValue(string_value="gateway-test")
            )
        ]
    )
    request = trace_service_pb2.ExportTraceServiceRequest(
        resource_spans=[
            trace_pb2.ResourceSpans(
                resource=resource, scope_spans=[trace_pb2.ScopeSpans(spans=[span])]
            )
        ]
    )
    return bytes(request.SerializeToString())


def _stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)


def _wait_until(
    done: Callable[[], bool], seconds: float, what: str, alive: subprocess.Popen[bytes]
) -> None:
    """Wait for ``done``; fail with ``what`` after ``seconds``, or at once if ``alive`` exits."""
    deadline = time.monotonic() + seconds
    while not done():
        assert alive.poll() is None, f"{what}: it exited with status {alive.returncode}"
        assert time.monotonic() < deadline, what
        time.sleep(0.02)


def _inode(path: Path) -> int | None:
    try:
        return path.stat().st_ino
    except FileNotFoundError:
        return None


def _expiry(token: str) -> float:
    """The ``exp`` claim read without verification (for a failure message only), or NaN."""
    try:
        payload = token.split(".")[1]
        claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
        return float(claims["exp"])
    except (IndexError, ValueError, KeyError, TypeError):
        return math.nan


def _why_rejected(answer: requests.Response, upstream: HttpOtlpReceiver, log: Path) -> str:
    """What a failure needs: who refused, why, how long the token had left, the Collector's log."""
    lines = [f"collector answered {answer.status_code}: {answer.text[:300]}"]
    for request in upstream.requests[-3:]:
        left = _expiry(request.token) - request.at if request.token else None
        lines.append(f"upstream {request.status} {request.reason}; token life left: {left}")
    lines.append("collector log tail:")
    lines.extend(log.read_text(errors="replace").splitlines()[-20:])
    return "\n".join(lines)


def _otelcol() -> Path:
    """The built Collector, or a test failure that says how to build it."""
    try:
        return collector_binary()
    except CollectorNotBuilt as missing:
        pytest.fail(str(missing))


@pytest.fixture
def short_tokens() -> Iterator[tuple[TokenServer, JwtValidator]]:
    with TokenServer(lifetime=4) as server:
        yield server, JwtValidator(server)


def test_the_collector_forwards_with_each_new_token_across_expiries(
    short_tokens: tuple[TokenServer, JwtValidator], tmp_path: Path
) -> None:
    otelcol = _otelcol()
    server, validator = short_tokens
    token_file = tmp_path / "token"
    watcher = subprocess.Popen(
        [sys.executable, "-m", "workspace_otel", "token", "--file", str(token_file), "--watch"],
        env=subprocess_env(
            WORKSPACE_OTEL_TOKEN_SOURCE="oauth2",
            WORKSPACE_OTEL_OAUTH2_TOKEN_URL=server.token_url,
            WORKSPACE_OTEL_OAUTH2_CLIENT_ID="test-client",
            WORKSPACE_OTEL_OAUTH2_CLIENT_SECRET="test-secret",
        ),
    )
    collector: subprocess.Popen[bytes] | None = None
    try:
        _wait_until(token_file.exists, 20, "token --watch wrote no file within 20 s", watcher)
        first = _inode(token_file)
        _wait_until(
            lambda: _inode(token_file) != first,
            20,
            "token --watch did not replace its file within a token's life",
            watcher,
        )
        log_path = tmp_path / "collector.log"
        with HttpOtlpReceiver(validator) as upstream:
            port = _free_port()
            config = tmp_path / "collector.yaml"
            config.write_text(
                CONFIG.format(token_file=token_file, port=port, upstream=upstream.endpoint)
            )
            with log_path.open("wb") as log:
                collector = process = subprocess.Popen(
                    [str(otelcol), "--config", str(config)], stdout=log, stderr=log
                )
            _wait_until(
                lambda: "refresh token" in log_path.read_text(),
                20,
                "the Collector did not read the token file",
                process,
            )
            url = f"http://127.0.0.1:{port}/v1/traces"
            sent = 0
            started = time.monotonic()
            while time.monotonic() - started < 14:  # more than three 4-second lifetimes
                assert process.poll() is None, log_path.read_text()
                try:
                    answer = requests.post(
                        url,
                        data=_one_span(sent),
                        headers={"Content-Type": "application/x-protobuf"},
                        timeout=5,
                    )
                except requests.ConnectionError:
                    time.sleep(0.1)  # still starting
                    continue
                assert answer.status_code == 200, _why_rejected(answer, upstream, log_path)
                sent += 1
                time.sleep(0.25)
            upstream.wait_for_spans(sent, timeout=10)
            accepted = [r for r in upstream.requests if r.status == 200]
            assert upstream.rejected == 0, upstream.rejections
            assert len(accepted) >= sent
            assert len({r.token for r in accepted}) >= 3
            assert all(r.claims.get("sub") == "test-client" for r in accepted)
    finally:
        if collector is not None:
            _stop(collector)
        watcher.send_signal(signal.SIGTERM)
        assert watcher.wait(timeout=10) == 0
