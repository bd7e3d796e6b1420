"""`workspace-otel detect`: attributes, producers, precedence, and no secrets."""

from __future__ import annotations

import io
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.harness.platform_envs import (
    CODESPACES,
    CODESPACES_FROM_FILE,
    GITPOD,
    ONA,
    PlatformEnv,
    find_canaries,
)
from workspace_otel.cli import main
from workspace_otel.cli._detect import run_detect


def _command() -> list[str]:
    script = Path(sys.executable).parent / "workspace-otel"
    if script.exists():
        return [str(script)]
    return [sys.executable, "-m", "workspace_otel"]


SHAPES = [CODESPACES, CODESPACES_FROM_FILE, GITPOD, ONA]


@pytest.mark.parametrize("env", SHAPES, ids=[e.name for e in SHAPES])
def test_detect_json_in_a_subprocess(env: PlatformEnv, tmp_path: Path) -> None:
    """The console script prints the platform's attributes and producers, and no secret."""
    root = tmp_path / "root"
    work = tmp_path / "work"
    root.mkdir()
    work.mkdir()
    environ = env.materialize(root)
    environ["PATH"] = os.environ.get("PATH", "")
    environ["HOME"] = str(tmp_path)
    out = subprocess.run(
        [*_command(), "detect", "--json"],
        env=environ,
        cwd=work,
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    document = json.loads(out.stdout)
    assert set(document) == {"attributes", "sources"}
    attrs, sources = document["attributes"], document["sources"]
    for key, value in env.expected_workspace().items():
        assert attrs[key] == value
        assert sources[key] in (env.source, "workspace")
    assert attrs["deployment.environment.name"] == "development"
    assert attrs["telemetry.sdk.language"] == "python"
    assert set(sources) == set(attrs)
    assert find_canaries(out.stdout + out.stderr) == []


def _run(as_json: bool) -> tuple[int, str]:
    buffer = io.StringIO()
    status = run_detect(as_json=as_json, out=buffer)
    return status, buffer.getvalue()


def test_precedence_and_sources(bare_process_env: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Detectors < OTEL_RESOURCE_ATTRIBUTES < OTEL_SERVICE_NAME, each with its producer."""
    for key, value in GITPOD.environ.items():
        monkeypatch.setenv(key, value)
    monkeypatch.setenv(
        "OTEL_RESOURCE_ATTRIBUTES",
        "deployment.environment.name=review,service.name=from-attrs,team=pay%20ments",
    )
    status, text = _run(as_json=True)
    document = json.loads(text)
    attrs, sources = document["attributes"], document["sources"]
    assert status == 0
    assert attrs["deployment.environment.name"] == "review"
    assert sources["deployment.environment.name"] == "env:OTEL_RESOURCE_ATTRIBUTES"
    assert attrs["team"] == "pay ments"
    assert (attrs["service.name"], sources["service.name"]) == (
        "from-attrs",
        "env:OTEL_RESOURCE_ATTRIBUTES",
    )
    monkeypatch.setenv("OTEL_SERVICE_NAME", "checkout")
    attrs = json.loads(_run(as_json=True)[1])["attributes"]
    assert attrs["service.name"] == "checkout"


def test_service_name_defaults(bare_process_env: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The repository name is the service name; without one, configure()'s program name."""
    document = json.loads(_run(as_json=True)[1])
    # What configure() exports for an unnamed program (python -c) outside a repository;
    # tests/cli/test_detect_agrees_with_configure.py compares the two processes.
    assert document["attributes"]["service.name"] == "python"
    assert document["sources"]["service.name"] == "program name (no repository name)"
    for key, value in GITPOD.environ.items():
        monkeypatch.setenv(key, value)
    document = json.loads(_run(as_json=True)[1])
    assert document["attributes"]["service.name"] == "tools-of-the-trade"
    assert document["sources"]["service.name"] == "workspace"


def test_human_table_is_aligned(bare_process_env: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The table has one aligned row per attribute with its producer."""
    for key, value in GITPOD.environ.items():
        monkeypatch.setenv(key, value)
    status, text = _run(as_json=False)
    lines = text.splitlines()
    assert status == 0
    assert lines[0].split() == ["ATTRIBUTE", "VALUE", "SOURCE"]
    value_column = lines[0].index("VALUE")
    row = next(line for line in lines if line.startswith("workspace.id "))
    assert row[value_column:].split() == ["miroadamypr-toolsofthet-yj0hmgx11u1", "gitpod"]
    assert find_canaries(text) == []


def test_table_says_when_nothing_is_detected(bare_process_env: Path) -> None:
    """Outside any platform the table ends with a hint."""
    assert "No workspace or CI platform detected" in _run(as_json=False)[1]


def test_invalid_setting_exits_2(
    bare_process_env: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """An invalid WORKSPACE_OTEL_IDENTITY is reported with the variable name, exit status 2."""
    monkeypatch.setenv("WORKSPACE_OTEL_IDENTITY", "everything")
    assert main(["detect"]) == 2
    assert "WORKSPACE_OTEL_IDENTITY" in capsys.readouterr().err


@pytest.mark.skipif(shutil.which("git") is None, reason="needs git")
def test_python_dash_m_works(tmp_path: Path) -> None:
    """`python -m workspace_otel detect --json` works too."""
    env = {"PATH": os.environ.get("PATH", ""), "HOME": str(tmp_path)}
    out = subprocess.run(
        [sys.executable, "-m", "workspace_otel", "detect", "--json"],
        env=env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    assert "telemetry.sdk.name" in json.loads(out.stdout)["attributes"]
