"""``doctor --json``, ``detect --json`` and ``configure()`` agree on every setting and attribute.

One table of environments (protocol per signal, each backend, loopback forms,
typos, no endpoint, each token source kind). For each, ``configure(environ=...)``
runs in this process and its settings, exporters and resource are compared
with what ``doctor`` and ``detect`` report for the same environment: in process
for the whole table, as real subprocesses for a subset.
"""

from __future__ import annotations

import io
import json
import os
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.cli.conftest import MakeRepo, cli_env, run_cli
from tests.harness.token_server import TokenServer
from workspace_otel import configure
from workspace_otel._guards.redaction import display_url
from workspace_otel._settings import _env
from workspace_otel.cli._detect import exported_attributes as detect_attributes
from workspace_otel.cli._doctor import run_doctor
from workspace_otel.credentials import _cache
from workspace_otel.errors import ConfigurationError

# Nothing listens on port 9 (discard): the doctor's probes fail fast, nothing leaves loopback.
CLOSED = "http://127.0.0.1:9"
Case = Callable[[Path, TokenServer], dict[str, str]]


def _static(**variables: str) -> Case:
    return lambda _tmp, _server: dict(variables)


def _token_file(tmp: Path, server: TokenServer) -> dict[str, str]:
    path = tmp / "token"
    path.write_text(server.mint() + "\n")
    return {"OTEL_EXPORTER_OTLP_ENDPOINT": CLOSED, "WORKSPACE_OTEL_TOKEN_SOURCE": f"file:{path}"}


def _token_command(tmp: Path, server: TokenServer) -> dict[str, str]:
    script = tmp / "print_token.py"
    script.write_text(f"print({server.mint()!r})\n")
    return {
        "OTEL_EXPORTER_OTLP_ENDPOINT": CLOSED,
        "WORKSPACE_OTEL_TOKEN_SOURCE": f"command:{sys.executable} {script}",
    }


def _token_env(_tmp: Path, server: TokenServer) -> dict[str, str]:
    return {
        "OTEL_EXPORTER_OTLP_ENDPOINT": CLOSED,
        "WORKSPACE_OTEL_TOKEN_SOURCE": "env:TELEMETRY_KEY",
        "TELEMETRY_KEY": server.mint(),
    }


def _token_auto(_tmp: Path, server: TokenServer) -> dict[str, str]:
    return {"OTEL_EXPORTER_OTLP_ENDPOINT": CLOSED, "WORKSPACE_OTEL_TOKEN": server.mint()}


def _token_oauth2(_tmp: Path, server: TokenServer) -> dict[str, str]:
    return {
        "OTEL_EXPORTER_OTLP_ENDPOINT": CLOSED,
        "WORKSPACE_OTEL_TOKEN_SOURCE": "oauth2",
        "WORKSPACE_OTEL_OAUTH2_TOKEN_URL": server.token_url,
        "WORKSPACE_OTEL_OAUTH2_CLIENT_ID": "test-client",
        "WORKSPACE_OTEL_OAUTH2_CLIENT_SECRET": "test-secret",  # the default client
    }


CASES: dict[str, Case] = {
    "http default": _static(OTEL_EXPORTER_OTLP_ENDPOINT=CLOSED),
    "grpc": _static(OTEL_EXPORTER_OTLP_PROTOCOL="grpc", OTEL_EXPORTER_OTLP_ENDPOINT=CLOSED),
    "mixed protocols": _static(
        OTEL_EXPORTER_OTLP_PROTOCOL="http/protobuf",
        OTEL_EXPORTER_OTLP_TRACES_PROTOCOL="grpc",
        OTEL_EXPORTER_OTLP_ENDPOINT=CLOSED,
    ),
    "otlp_proto_grpc exporter": _static(
        OTEL_TRACES_EXPORTER="otlp_proto_grpc", OTEL_EXPORTER_OTLP_ENDPOINT=CLOSED
    ),
    "otlp_proto_http exporter": _static(
        OTEL_TRACES_EXPORTER="otlp_proto_http",
        OTEL_EXPORTER_OTLP_PROTOCOL="grpc",
        OTEL_EXPORTER_OTLP_ENDPOINT=CLOSED,
    ),
    "traces endpoint": _static(OTEL_EXPORTER_OTLP_TRACES_ENDPOINT=f"{CLOSED}/custom/traces"),
    "lightstep backend": _static(
        WORKSPACE_OTEL_BACKEND="lightstep",
        LS_ACCESS_TOKEN="lightstep-key-for-agreement",
        OTEL_EXPORTER_OTLP_ENDPOINT=CLOSED,
    ),
    "console backend": _static(WORKSPACE_OTEL_BACKEND="console"),
    "localhost": _static(OTEL_EXPORTER_OTLP_ENDPOINT="http://localhost:9"),
    "ipv6 loopback": _static(OTEL_EXPORTER_OTLP_ENDPOINT="http://[::1]:9"),
    "0.0.0.0 with a token": _static(
        OTEL_EXPORTER_OTLP_ENDPOINT="http://0.0.0.0:9", WORKSPACE_OTEL_TOKEN="not-a-loopback-key"
    ),
    "127.example.com with a token": _static(
        OTEL_EXPORTER_OTLP_ENDPOINT="http://127.example.com:9",
        WORKSPACE_OTEL_TOKEN="not-a-loopback-key",
    ),
    "typos": _static(
        OTEL_EXPORTER_OTLP_ENDPOINT=CLOSED,
        WORKSPACE_OTEL_TOKEN_SORCE="auto",
        WORKSPACE_OTEL_BACKNED="otlp",
    ),
    "no endpoint": _static(),
    "no token source": _static(OTEL_EXPORTER_OTLP_ENDPOINT=CLOSED),
    "env: token": _token_env,
    "file: token": _token_file,
    "command: token": _token_command,
    "auto with WORKSPACE_OTEL_TOKEN": _token_auto,
    "oauth2": _token_oauth2,
    "invalid backend": _static(WORKSPACE_OTEL_BACKEND="jaeger"),
    "malformed resource attributes": _static(OTEL_RESOURCE_ATTRIBUTES="team=core,no-equals-sign"),
}
SUBPROCESS_CASES = ("grpc", "otlp_proto_grpc exporter", "no endpoint", "file: token")


@pytest.fixture
def repo(make_repo: MakeRepo, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    path = make_repo(branch="feature/agree")
    monkeypatch.chdir(path)
    yield path
    _cache.reset_shared_caches()


def _environment(case: str, tmp: Path, server: TokenServer) -> dict[str, str]:
    env = {
        "PATH": os.environ.get("PATH", ""),
        "HOME": str(tmp),
        "OTEL_METRICS_EXPORTER": "none",
        "WORKSPACE_OTEL_PLATFORM_ROOT": str(tmp / "root"),
    }
    (tmp / "root").mkdir(exist_ok=True)
    env.update(CASES[case](tmp, server))
    return env


def _exporter(processor: Any) -> Any:
    inner = getattr(processor, "_batch_processor", processor)
    return getattr(inner, "_exporter", None) or getattr(inner, "span_exporter", None)


def _doctor(env: dict[str, str], cwd: Path) -> dict[str, Any]:
    out = io.StringIO()
    run_doctor(as_json=True, endpoint=None, timeout=0.5, out=out, environ=env, cwd=cwd)
    document: dict[str, Any] = json.loads(out.getvalue())
    return {check["id"]: check for check in document["checks"]}


def _assert_agree(
    telemetry: Any, doctor: dict[str, Any], detected: dict[str, object], env: dict[str, str]
) -> None:
    settings = telemetry.settings
    rows = doctor["configuration"]["evidence"]["settings"]
    for option, value, source in settings.describe():
        if option == "propagators":
            continue  # the doctor shows the effective value; see test_found_defects
        if option == "set_global":
            continue  # this test's own argument (configure() must not touch the globals here)
        assert rows[option] == f"{value or '-'} (from {source})", option
    traces = settings.traces
    exporters = [_exporter(p) for p in telemetry.span_processors]
    modules = {type(e).__module__ for e in exporters if e is not None}
    endpoint = doctor["endpoint"]
    if traces.endpoint.value and any(n.startswith("otlp") for n in traces.exporters.value):
        assert endpoint["evidence"]["protocol"] == traces.protocol.value
        assert endpoint["evidence"]["url"] == display_url(traces.endpoint.value)
        assert endpoint["evidence"]["from"] == traces.endpoint.source
        transport = "grpc" if traces.protocol.value == "grpc" else "http"
        assert any(f".proto.{transport}." in module for module in modules), modules
    else:
        assert endpoint["verdict"] in ("warn", "skipped")
        assert "otlp" not in " ".join(modules)
    source = settings.credentials.value
    token = doctor["token"]
    if source is None:
        assert rows["credentials"] == f"none (from {settings.credentials.source})"
        assert token["verdict"] == "skipped"
    else:
        assert rows["credentials"] == f"{source.kind} (from {settings.credentials.source})"
        assert token["evidence"]["source"].startswith(source.kind)
    problems = " ".join(doctor["configuration"]["evidence"].get("problems", []))
    for name, _closest in _env.likely_typos(env):
        assert f"unknown variable {name}" in problems
    exported = dict(telemetry.resource.attributes)
    exported.pop("service.instance.id")
    assert detected == exported


@pytest.mark.parametrize("case", list(CASES))
def test_doctor_detect_and_configure_agree(
    case: str, repo: Path, tmp_path: Path, token_server: TokenServer
) -> None:
    env = _environment(case, tmp_path, token_server)
    doctor = _doctor(env, repo)
    try:
        telemetry = configure(environ=env, set_global=False)
    except ConfigurationError as exc:
        # configure() refuses: the doctor names the same problem, detect too when it
        # concerns the resource.
        problem = str(exc).split(":", 1)[0]
        assert doctor["configuration"]["verdict"] == "fail"
        assert problem in doctor["configuration"]["summary"]
        assert doctor["end_to_end"]["verdict"] == "skipped"
        if "RESOURCE_ATTRIBUTES" in str(exc):
            with pytest.raises(ConfigurationError, match="OTEL_RESOURCE_ATTRIBUTES"):
                detect_attributes(env)
        return
    try:
        detected, _sources = detect_attributes(env)
        _assert_agree(telemetry, doctor, detected, env)
    finally:
        telemetry.shutdown()


@pytest.mark.parametrize("case", SUBPROCESS_CASES)
def test_the_commands_agree_with_configure_as_processes(
    case: str, repo: Path, tmp_path: Path, token_server: TokenServer
) -> None:
    """The console commands, as real processes, against configure() in this process."""
    env = _environment(case, tmp_path, token_server)
    child = cli_env(**env)
    doctor_run = run_cli("doctor", "--json", "--timeout", "0.5", env=child, cwd=repo)
    detect_run = run_cli("detect", "--json", env=child, cwd=repo)
    assert detect_run.returncode == 0, detect_run.stderr
    doctor = {c["id"]: c for c in json.loads(doctor_run.stdout)["checks"]}
    telemetry = configure(environ=env, set_global=False)
    try:
        detected = json.loads(detect_run.stdout)["attributes"]
        _assert_agree(telemetry, doctor, detected, env)
    finally:
        telemetry.shutdown()
