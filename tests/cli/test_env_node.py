"""A real OpenTelemetry JS program started after ``workspace-otel env`` reports our resource."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.cli.conftest import MakeRepo, cli_command, cli_env, detect_json, parse_like_python_sdk
from tests.harness.receivers import HttpOtlpReceiver
from workspace_otel._settings import _env_export as ex

pytestmark = pytest.mark.slow

CODESPACES = {"CODESPACES": "true", "CODESPACE_NAME": "fluffy-space-7q9", "GITHUB_USER": "ada"}
# What the JS SDK adds on its own, for its own process and host.
JS_OWN = ("process.", "host.", "os.", "telemetry.", "service.instance.id")
PYTHON_OWN = ("process.", "telemetry.", "service.instance.id")

HOSTILE_VALUES = [
    "comma, and = and %41 and %zz",
    "quote ' double \" dollar $HOME back `id`",
    "caf\u00e9 \u65e5\u672c \U0001f600",
    "tab\tnew\nline\x1b[31m",
    "  padded  ",
    "a" * 255,
]


def test_the_js_sdk_parser_decodes_every_exported_value(node_peer: Path) -> None:
    items = [ex.encode_item(f"k{i}", value) for i, value in enumerate(HOSTILE_VALUES)]
    done = subprocess.run(
        ["node", "parse_resource.js"],
        cwd=node_peer,
        env=cli_env(OTEL_RESOURCE_ATTRIBUTES=",".join(items)),
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    parsed = json.loads(done.stdout)
    python_parsed = parse_like_python_sdk(",".join(items))
    for i, value in enumerate(HOSTILE_VALUES):
        # Encoded spaces survive both SDKs' trimming; control characters never leave.
        assert parsed[f"k{i}"] == ex.clean_text(value)
        assert python_parsed[f"k{i}"] == ex.clean_text(value)


def test_a_node_program_started_after_env_exports_the_detected_resource(
    node_peer: Path, make_repo: MakeRepo
) -> None:
    repo = make_repo(branch="feature/caf\u00e9,=%41$(x)")
    base = cli_env(**CODESPACES, OTEL_RESOURCE_ATTRIBUTES="team=a%2Cb")
    expected = {
        key: "true" if value is True else str(value)
        for key, value in detect_json(base, repo).items()
        if not key.startswith(PYTHON_OWN)
    }
    with HttpOtlpReceiver() as receiver:
        env = {
            **base,
            "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT": receiver.traces_url,
            "OTEL_METRICS_EXPORTER": "none",
            "OTEL_LOGS_EXPORTER": "none",
        }
        script = f'eval "$({cli_command()} env)" && exec node {node_peer / "export_span.js"}'
        done = subprocess.run(
            ["sh", "-c", script], cwd=repo, env=env, capture_output=True, text=True, timeout=120
        )
        assert done.returncode == 0, done.stderr
        spans = receiver.wait_for_spans(1)
    resource = {k: str(v) for k, v in spans[0].resource.items()}
    own = {k: v for k, v in resource.items() if not k.startswith(JS_OWN)}
    assert own == expected
    assert resource["telemetry.sdk.language"] == "nodejs"
    assert resource["vcs.ref.head.name"] == "feature/caf\u00e9,=%41$(x)"
    assert resource["team"] == "a,b"


def test_the_dotenv_format_read_by_node_env_file_round_trips(
    node_peer: Path, make_repo: MakeRepo, tmp_path: Path
) -> None:
    branch = 'feature/caf\u00e9,=%41$(x)`y`"q"'
    repo = make_repo(branch=branch)
    user = "team=a%2Cb,note=it is $HOME"
    done = subprocess.run(
        [sys.executable, "-m", "workspace_otel", "env", "--format", "dotenv"],
        cwd=repo,
        env=cli_env(**CODESPACES, OTEL_RESOURCE_ATTRIBUTES=user),
        capture_output=True,
        text=True,
        check=True,
    )
    dotenv = tmp_path / ".env"
    dotenv.write_text(done.stdout)
    parsed = subprocess.run(
        ["node", f"--env-file={dotenv}", "parse_resource.js"],
        cwd=node_peer,
        env=cli_env(),
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    attributes = json.loads(parsed.stdout)
    assert attributes["vcs.ref.head.name"] == branch
    assert attributes["workspace.id"] == "fluffy-space-7q9"
    assert attributes["service.name"] == "widgets"
    assert attributes["team"] == "a,b"
    assert attributes["note"] == "it is $HOME"
