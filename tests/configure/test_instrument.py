"""The real ``opentelemetry-instrument`` on the Flask example, in Codespace- and Gitpod-shaped
environments, exporting through the token server and a JWT-validating receiver."""

from __future__ import annotations

import collections
import signal
import sys
import time
from collections.abc import Mapping
from pathlib import Path

import pytest
import requests

from tests.harness.fake_clis import install_fake_clis
from tests.harness.jwt_validation import JwtValidator
from tests.harness.platform_envs import by_name
from tests.harness.process import instrumented_app, subprocess_env
from tests.harness.receivers import HttpOtlpReceiver
from tests.harness.token_server import TokenServer

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals"),
]

ROOT = Path(__file__).resolve().parents[2]
APP = ROOT / "examples" / "flask_app" / "app.py"
LIFETIME = 4.0
ACTIVE_SECONDS = 5.0
MAX_ACTIVE_SECONDS = 30.0


def _run_app(env: dict[str, str], cwd: Path, receiver: HttpOtlpReceiver) -> tuple[int, str, int]:
    """Start the app, drive traffic across a token expiry, SIGTERM it.

    Traffic runs for ``ACTIVE_SECONDS``, and on until the receiver has seen two
    distinct tokens (at most ``MAX_ACTIVE_SECONDS``): on a loaded machine the app
    can take longer to start than a token lives, so a fixed window may see only
    the token fetched after start-up.

    Returns ``(requests made, stderr, exit status)``.
    """
    with instrumented_app(APP, env, cwd=cwd) as app:
        base = app.base
        proc = app.proc
        count = 1
        began = time.monotonic()

        def crossed() -> bool:
            return len(set(receiver.tokens_seen)) >= 2

        while (elapsed := time.monotonic() - began) < ACTIVE_SECONDS or (
            elapsed < MAX_ACTIVE_SECONDS and not crossed()
        ):
            assert requests.get(f"{base}/chain", timeout=5).status_code == 200
            count += 1
            time.sleep(0.25)
        _out, err = app.stop(timeout=20)
    return count, err, proc.returncode


def _check(
    receiver: HttpOtlpReceiver, calls: int, expected: Mapping[str, object], err: str, rc: int
) -> None:
    assert rc == -signal.SIGTERM, err
    # 1 /hello + per /chain: server span, requests client span, inner /hello server span.
    total = 1 + 3 * (calls - 1)
    spans = receiver.wait_for_spans(total, timeout=10)
    names = collections.Counter(s.name for s in spans)
    assert names["GET /chain"] == calls - 1, names
    assert names["GET /hello"] == calls, names
    assert names["GET"] == calls - 1, names  # requests client spans
    for span in spans:
        for key, value in expected.items():
            assert span.resource.get(key) == value, (key, span.resource)
        assert span.resource["telemetry.auto.version"]
    assert receiver.rejected == 0
    assert len(set(receiver.tokens_seen)) >= 2, "no token expiry was crossed"
    assert "telemetry is NOT configured" not in err


def test_codespace_oauth2_across_token_expiry(tmp_path: Path) -> None:
    """Codespace: spans carry workspace/user/vcs attributes; oauth2 tokens refresh and validate."""
    platform = by_name("codespaces")
    with (
        TokenServer(lifetime=LIFETIME) as server,
        HttpOtlpReceiver(JwtValidator(server)) as receiver,
    ):
        env = subprocess_env(
            **platform.materialize(tmp_path),
            OTEL_EXPORTER_OTLP_ENDPOINT=receiver.endpoint,
            OTEL_BSP_SCHEDULE_DELAY="200",
            WORKSPACE_OTEL_TOKEN_SOURCE="oauth2",
            WORKSPACE_OTEL_OAUTH2_TOKEN_URL=server.token_url,
            WORKSPACE_OTEL_OAUTH2_CLIENT_ID="test-client",
            WORKSPACE_OTEL_OAUTH2_CLIENT_SECRET="test-secret",
        )
        calls, err, rc = _run_app(env, tmp_path, receiver)
        _check(receiver, calls, platform.expected_workspace(), err, rc)
        assert server.token_requests >= 2
    assert "test-secret" not in err


def test_gitpod_cli_identity_token_across_expiry(tmp_path: Path) -> None:
    """Gitpod: the `gp idp token` identity token is fetched again after it expires."""
    platform = by_name("gitpod")
    with TokenServer(lifetime=LIFETIME) as server:
        clis = install_fake_clis(tmp_path / "bin", server)
        with HttpOtlpReceiver(JwtValidator(server)) as receiver:
            environ = platform.materialize(tmp_path / "root")
            env = subprocess_env(
                **environ,
                OTEL_EXPORTER_OTLP_ENDPOINT=receiver.endpoint,
                OTEL_BSP_SCHEDULE_DELAY="200",
                WORKSPACE_OTEL_TOKEN_SOURCE="gitpod",
                WORKSPACE_OTEL_TOKEN_AUDIENCE="workspace-otel-test",
            )
            env["PATH"] = f"{tmp_path / 'bin'}:{env['PATH']}"
            calls, err, rc = _run_app(env, tmp_path, receiver)
            _check(receiver, calls, platform.expected_workspace(), err, rc)
        assert len(clis.invocations()) >= 2
