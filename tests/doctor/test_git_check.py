"""Check 2 reads the repository with the git detector's functions, on real repositories."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from tests.doctor.conftest import run

pytestmark = pytest.mark.usefixtures("doctor_env")


def _git(repo: Path, *args: str) -> None:
    subprocess.run(["git", "-C", str(repo), *args], check=True, capture_output=True)


def test_branch_and_commit_are_the_detector_s(git_repo: Path) -> None:
    check = run().check("git")

    assert check["verdict"] == "ok", check
    assert check["evidence"]["branch"] == "main"
    head = subprocess.run(
        ["git", "-C", str(git_repo), "rev-parse", "HEAD"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout.strip()
    assert check["evidence"]["commit"] == head
    assert check["summary"] == f"main at {head[:12]}"
    assert check["evidence"]["remotes"] == {"origin": "https://github.com/example/shop-api.git"}


def test_a_repository_without_commits(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    repo = tmp_path / "fresh"
    repo.mkdir()
    _git(repo, "init", "-q", "-b", "main")
    monkeypatch.chdir(repo)

    check = run().check("git")

    assert check["verdict"] == "warn"
    assert "no commits yet" in check["summary"]
    assert check["fix"].startswith("Make a first commit")


def test_a_credential_in_a_remote_url_is_named_not_shown(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    repo = tmp_path / "leaky"
    repo.mkdir()
    _git(repo, "init", "-q", "-b", "main")
    _git(repo, "remote", "add", "origin", "https://ada:RemoteSecretInConfig@git.example/x.git")
    monkeypatch.chdir(repo)

    outcome = run()
    check = outcome.check("git")

    assert "RemoteSecretInConfig" not in outcome.text
    assert check["evidence"]["remotes"] == {"origin": "https://git.example/x.git"}
    assert any("embeds a credential" in p for p in check["evidence"]["problems"])


def test_an_invalid_git_setting_is_a_failure_with_its_fix(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("WORKSPACE_OTEL_GIT", "sometimes")

    check = run().check("git")

    assert check["verdict"] == "fail"
    assert "WORKSPACE_OTEL_GIT" in check["summary"]
    assert check["fix"] != check["summary"]
    assert "the check itself failed" not in check["summary"]
