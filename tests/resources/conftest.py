"""Fixtures for the resource tests: a process environment without any platform marker."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.harness.platform_envs import ENVIRONMENTS

PLATFORM_VARIABLES = sorted({key for env in ENVIRONMENTS for key in env.environ} - {"HOME", "PATH"})


@pytest.fixture(name="bare_process_env")
def _bare_process_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """Remove platform, OTEL_* and WORKSPACE_OTEL_* variables; chdir to an empty folder."""
    for key in list(os.environ):
        if key in PLATFORM_VARIABLES or key.startswith(("OTEL_", "WORKSPACE_OTEL_", "GIT_")):
            monkeypatch.delenv(key)
    monkeypatch.setenv("WORKSPACE_OTEL_PLATFORM_ROOT", str(tmp_path))
    monkeypatch.chdir(tmp_path)
    return tmp_path
