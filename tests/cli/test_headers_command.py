"""``workspace-otel headers``: a headers helper whose output a JWT-validating receiver accepts."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.cli.conftest import cli_env, run_cli
from tests.harness.jwt_validation import JwtValidator
from tests.harness.receivers import HttpOtlpReceiver
from tests.harness.token_server import TokenServer

SECRET = "test-secret"


def oauth2_env(server: TokenServer, **extra: str) -> dict[str, str]:
    """A child environment whose token source is the harness's OAuth2 server."""
    return cli_env(
        WORKSPACE_OTEL_TOKEN_SOURCE="oauth2",
        WORKSPACE_OTEL_OAUTH2_TOKEN_URL=server.token_url,
        WORKSPACE_OTEL_OAUTH2_CLIENT_ID="test-client",
        WORKSPACE_OTEL_OAUTH2_CLIENT_SECRET=SECRET,
        **extra,
    )


def test_prints_one_json_object_that_a_jwt_receiver_accepts(
    token_server: TokenServer, jwt_validator: JwtValidator
) -> None:
    done = run_cli("headers", env=oauth2_env(token_server))
    assert done.returncode == 0, done.stderr
    assert done.stderr == ""
    headers = json.loads(done.stdout)
    assert list(headers) == ["Authorization"]
    claims = jwt_validator.validate_header(headers["Authorization"])
    assert claims["sub"] == "test-client"
    assert done.stdout.count("\n") == 1


def test_a_node_program_running_it_as_claude_code_does_gets_its_spans_accepted(
    node_peer: Path, token_server: TokenServer, http_receiver: HttpOtlpReceiver
) -> None:
    env = oauth2_env(
        token_server,
        HEADERS_HELPER=f"{sys.executable} -m workspace_otel headers",
        OTEL_EXPORTER_OTLP_TRACES_ENDPOINT=http_receiver.traces_url,
        OTEL_METRICS_EXPORTER="none",
        OTEL_LOGS_EXPORTER="none",
    )
    done = subprocess.run(
        ["node", str(node_peer / "export_span.js")],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    spans = http_receiver.wait_for_spans(1)
    assert spans[0].name == "node-span"
    accepted = [r for r in http_receiver.requests if r.status == 200]
    assert accepted
    assert accepted[0].claims["sub"] == "test-client"
    assert http_receiver.rejected == 0


def test_the_lightstep_backend_sends_the_raw_token_in_its_own_header() -> None:
    key = "ls-key-0123456789abcdef"
    env = cli_env(WORKSPACE_OTEL_BACKEND="lightstep", LS_ACCESS_TOKEN=key)
    done = run_cli("headers", env=env)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == {"lightstep-access-token": key}


def test_the_token_header_variable_names_the_header() -> None:
    token = "static-token-0123456789"
    env = cli_env(WORKSPACE_OTEL_TOKEN=token, WORKSPACE_OTEL_TOKEN_HEADER="X-Api-Key")
    done = run_cli("headers", env=env)
    assert json.loads(done.stdout) == {"x-api-key": token}


def test_no_token_source_is_one_line_naming_the_variable() -> None:
    done = run_cli("headers", env=cli_env())
    assert done.returncode == 2
    assert done.stdout == ""
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1
    assert "WORKSPACE_OTEL_TOKEN_SOURCE" in lines[0]


def test_a_failing_token_service_exits_non_zero_with_one_scrubbed_line(
    token_server: TokenServer,
) -> None:
    token_server.fail_mode = "500"
    done = run_cli("headers", "--timeout", "5", env=oauth2_env(token_server))
    assert done.returncode == 1
    assert done.stdout == ""
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1
    assert lines[0].startswith("workspace-otel headers: ")
    assert SECRET not in done.stderr


def test_rejected_client_credentials_need_the_user(token_server: TokenServer) -> None:
    token_server.fail_mode = "invalid_client"
    done = run_cli("headers", "--timeout", "5", env=oauth2_env(token_server))
    assert done.returncode == 2
    assert done.stdout == ""
    assert SECRET not in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1


@pytest.mark.parametrize(("interval_ms", "warned"), [("1740000", True), ("30000", False)])
def test_warns_when_the_token_expires_before_the_helper_runs_again(
    token_server: TokenServer, interval_ms: str, warned: bool
) -> None:
    token_server.lifetime = 120
    env = oauth2_env(token_server, CLAUDE_CODE_OTEL_HEADERS_HELPER_DEBOUNCE_MS=interval_ms)
    done = run_cli("headers", env=env)
    assert done.returncode == 0
    assert json.loads(done.stdout)["Authorization"].startswith("Bearer ")
    assert ("CLAUDE_CODE_OTEL_HEADERS_HELPER_DEBOUNCE_MS" in done.stderr) is warned
    token = json.loads(done.stdout)["Authorization"].split()[1]
    assert token not in done.stderr


def test_a_stalled_token_service_costs_at_most_the_timeout(token_server: TokenServer) -> None:
    token_server.fail_mode = "stall"
    token_server.stall_seconds = 30
    done = run_cli("headers", "--timeout", "1", env=oauth2_env(token_server), timeout=20)
    assert done.returncode == 1
    assert done.stdout == ""
    assert "timed out" in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1


@pytest.mark.parametrize("header", ["x-key\r\nInjected: 1", "bad header", "x:y"])
def test_a_header_name_that_would_inject_is_refused(header: str) -> None:
    token = "static-token-0123456789"
    env = cli_env(WORKSPACE_OTEL_TOKEN=token, WORKSPACE_OTEL_TOKEN_HEADER=header)
    done = run_cli("headers", env=env)
    assert done.returncode == 2
    assert done.stdout == ""
    assert "WORKSPACE_OTEL_TOKEN_HEADER" in done.stderr
    assert token not in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1
