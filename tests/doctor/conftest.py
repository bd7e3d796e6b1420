"""Fixtures for the doctor tests: a clean environment, a real git repository, a runner."""

from __future__ import annotations

import io
import json
import os
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from workspace_otel.cli._doctor import run_doctor
from workspace_otel.credentials import _cache


@dataclass
class Outcome:
    """One doctor run."""

    status: int
    text: str
    report: dict[str, Any] | None

    def check(self, check_id: str) -> dict[str, Any]:
        assert self.report is not None
        for check in self.report["checks"]:
            if check["id"] == check_id:
                return dict(check)
        raise AssertionError(f"no check {check_id}")

    def verdicts(self) -> dict[str, str]:
        assert self.report is not None
        return {c["id"]: c["verdict"] for c in self.report["checks"]}


def _git(repo: Path, *args: str) -> None:
    subprocess.run(
        ["git", "-C", str(repo), *args],
        check=True,
        capture_output=True,
        env={
            **os.environ,
            "GIT_AUTHOR_NAME": "Doctor Test",
            "GIT_AUTHOR_EMAIL": "doctor@example.com",
            "GIT_COMMITTER_NAME": "Doctor Test",
            "GIT_COMMITTER_EMAIL": "doctor@example.com",
        },
    )


@pytest.fixture(scope="session")
def git_repo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A real repository with one commit on ``main`` and an https remote."""
    repo = tmp_path_factory.mktemp("repo") / "shop-api"
    repo.mkdir()
    _git(repo, "init", "-q", "-b", "main")
    (repo / "README.md").write_text("demo\n")
    _git(repo, "add", "README.md")
    _git(repo, "commit", "-q", "-m", "first")
    _git(repo, "remote", "add", "origin", "https://github.com/example/shop-api.git")
    return repo


@pytest.fixture
def platform_root(tmp_path: Path) -> Path:
    """An empty filesystem root: no container markers, no platform files."""
    root = tmp_path / "root"
    root.mkdir()
    return root


@pytest.fixture
def doctor_env(
    monkeypatch: pytest.MonkeyPatch, git_repo: Path, platform_root: Path
) -> Iterator[pytest.MonkeyPatch]:
    """Run inside ``git_repo`` with no platform files (tests/conftest.py strips the variables)."""
    monkeypatch.setenv("WORKSPACE_OTEL_PLATFORM_ROOT", str(platform_root))
    monkeypatch.chdir(git_repo)
    yield monkeypatch
    _cache.reset_shared_caches()


def run(*, as_json: bool = True, endpoint: str | None = None, timeout: float = 3.0) -> Outcome:
    """Run the doctor in process against ``os.environ``."""
    out = io.StringIO()
    status = run_doctor(as_json=as_json, endpoint=endpoint, timeout=timeout, out=out)
    text = out.getvalue()
    return Outcome(status, text, json.loads(text) if as_json else None)


def run_both(*, endpoint: str | None = None, timeout: float = 3.0) -> tuple[Outcome, Outcome]:
    """Run the doctor twice: JSON, then human text."""
    return run(endpoint=endpoint, timeout=timeout), run(
        as_json=False, endpoint=endpoint, timeout=timeout
    )
