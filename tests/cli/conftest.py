"""Fixtures for the ``env`` / ``headers`` / ``token`` commands: real repositories, real peers."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Callable, Mapping
from pathlib import Path

import pytest

from tests.harness.process import ROOT, subprocess_env

NODE_DIR = ROOT / "tests" / "node"
GIT_IDENTITY = {
    "GIT_AUTHOR_NAME": "Ada",
    "GIT_AUTHOR_EMAIL": "ada@example.com",
    "GIT_COMMITTER_NAME": "Ada",
    "GIT_COMMITTER_EMAIL": "ada@example.com",
    "GIT_CONFIG_NOSYSTEM": "1",
}


def cli_env(**extra: str) -> dict[str, str]:
    """A minimal child environment that reads git (unlike the harness default)."""
    env = subprocess_env(**extra)
    if "WORKSPACE_OTEL_GIT" not in extra:
        env.pop("WORKSPACE_OTEL_GIT", None)
    return env


def run_cli(
    *args: str, env: Mapping[str, str], cwd: Path | None = None, timeout: float = 60
) -> subprocess.CompletedProcess[str]:
    """Run ``python -m workspace_otel ARGS`` and capture its output."""
    return subprocess.run(
        [sys.executable, "-m", "workspace_otel", *args],
        env=dict(env),
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def cli_command() -> str:
    """The CLI as a shell word list (what a user's shell would run)."""
    return f"{sys.executable} -m workspace_otel"


def git(repo: Path, *args: str) -> str:
    """Run git in ``repo`` and return its stdout."""
    done = subprocess.run(
        ["git", *args],
        cwd=repo,
        env={**os.environ, **GIT_IDENTITY},
        capture_output=True,
        text=True,
        check=True,
    )
    return done.stdout.strip()


MakeRepo = Callable[..., Path]


@pytest.fixture
def make_repo(tmp_path: Path) -> MakeRepo:
    """Create a real git repository on a branch, with one commit and a remote."""

    def make(
        branch: str = "main",
        remote: str = "https://github.com/acme/widgets.git",
        name: str = "repo",
    ) -> Path:
        repo = tmp_path / name
        repo.mkdir()
        git(repo, "init", "-q")
        git(repo, "checkout", "-q", "-b", branch)
        (repo / "README").write_text("hello\n")
        git(repo, "add", "README")
        git(repo, "commit", "-q", "-m", "first")
        git(repo, "remote", "add", "origin", remote)
        return repo

    return make


def node_executable() -> str | None:
    """The ``node`` binary, if installed."""
    return shutil.which("node")


@pytest.fixture(scope="session")
def node_peer() -> Path:
    """``tests/node`` with its locked OpenTelemetry JS packages installed (``npm ci``)."""
    node = node_executable()
    npm = shutil.which("npm")
    if node is None or npm is None:
        pytest.skip("node and npm are not installed: the Node.js peer tests need them")
    if not (NODE_DIR / "node_modules" / "@opentelemetry" / "sdk-node").is_dir():
        subprocess.run(
            [npm, "ci", "--no-audit", "--no-fund", "--loglevel=error"],
            cwd=NODE_DIR,
            check=True,
            timeout=600,
        )
    return NODE_DIR


def detect_json(env: Mapping[str, str], cwd: Path) -> dict[str, object]:
    """``workspace-otel detect --json`` attributes in ``cwd``."""
    done = run_cli("detect", "--json", env=env, cwd=cwd)
    assert done.returncode == 0, done.stderr
    attributes: dict[str, object] = json.loads(done.stdout)["attributes"]
    return attributes


def parse_like_python_sdk(raw: str) -> dict[str, str]:
    """Parse ``raw`` with the Python SDK's own ``OTEL_RESOURCE_ATTRIBUTES`` detector."""
    from opentelemetry.sdk.resources import OTELResourceDetector

    before = os.environ.get("OTEL_RESOURCE_ATTRIBUTES")
    os.environ["OTEL_RESOURCE_ATTRIBUTES"] = raw
    try:
        return {k: str(v) for k, v in OTELResourceDetector().detect().attributes.items()}
    finally:
        if before is None:
            del os.environ["OTEL_RESOURCE_ATTRIBUTES"]
        else:
            os.environ["OTEL_RESOURCE_ATTRIBUTES"] = before
