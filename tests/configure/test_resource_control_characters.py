"""configure() exports no control character in any attribute, whatever its source."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest
from opentelemetry import trace

import workspace_otel
from tests.harness.receivers import HttpOtlpReceiver

CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def _repo(tmp_path: Path, branch: str) -> Path:
    repo = tmp_path / "repo"
    repo.mkdir()
    git = ["git", "-c", "user.email=dev@example.com", "-c", "user.name=Dev"]
    subprocess.run([*git, "init", "-q"], cwd=repo, check=True)
    subprocess.run([*git, "commit", "-q", "--allow-empty", "-m", "x"], cwd=repo, check=True)
    subprocess.run([*git, "checkout", "-q", "-b", branch], cwd=repo, check=True)
    return repo


def test_exported_resource_has_no_control_characters(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """configure(): a hostile HEAD, a platform-ish variable and an argument, all cleaned."""
    repo = _repo(tmp_path, "plain")
    (repo / ".git" / "HEAD").write_text("ref: refs/heads/ev\x1b[31mil\n", encoding="utf-8")
    monkeypatch.chdir(repo)
    monkeypatch.setenv("WORKSPACE_OTEL_GIT", "on")
    monkeypatch.setenv("OTEL_RESOURCE_ATTRIBUTES", "team=a%1Bb")
    with HttpOtlpReceiver() as receiver:
        telemetry = workspace_otel.configure(
            endpoint=receiver.endpoint,
            metrics=False,
            resource_attributes={"note": "x\u202ey\x00z"},
        )
        with trace.get_tracer("t").start_as_current_span("s"):
            pass
        assert telemetry.force_flush()
        spans = receiver.wait_for_spans(1, timeout=10)
    resource = spans[0].resource
    for key in ("vcs.ref.head.name", "team", "note"):
        assert key in resource, resource
        assert not CONTROL.search(str(resource[key])), (key, resource[key])
        assert "\u202e" not in str(resource[key])
