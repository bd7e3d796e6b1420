"""The doctor's git check against a hostile repository: it reports, it never hangs."""

from __future__ import annotations

import contextlib
import os
import shutil
import stat
import threading
from pathlib import Path
from typing import Any

import pytest

from tests.doctor.conftest import Outcome, run

pytestmark = pytest.mark.skipif(shutil.which("git") is None, reason="needs the git executable")


def _finishes(within: float = 60.0) -> Outcome:
    box: dict[str, Any] = {}
    worker = threading.Thread(target=lambda: box.setdefault("outcome", run()), daemon=True)
    worker.start()
    worker.join(within)
    assert not worker.is_alive(), "the doctor hung"
    outcome: Outcome = box["outcome"]
    return outcome


def test_a_fifo_as_the_repository_config(doctor_env: pytest.MonkeyPatch, git_repo: Path) -> None:
    config = git_repo / ".git" / "config"
    saved = config.read_bytes()  # the repository is shared by the module's tests
    config.unlink()
    os.mkfifo(config)
    try:
        outcome = _finishes()
    finally:
        with contextlib.suppress(OSError):
            os.close(os.open(config, os.O_WRONLY | os.O_NONBLOCK))
        config.unlink()
        config.write_bytes(saved)
    git = outcome.check("git")
    assert git["verdict"] == "warn"
    assert "FIFO" in str(git)


def test_a_hanging_git_executable(
    doctor_env: pytest.MonkeyPatch, git_repo: Path, tmp_path: Path
) -> None:
    bin_dir = tmp_path / "hanging-bin"
    bin_dir.mkdir()
    script = bin_dir / "git"
    script.write_text(f"#!/bin/sh\nexec {shutil.which('sleep')} 600\n")
    script.chmod(script.stat().st_mode | stat.S_IXUSR)
    doctor_env.setenv("PATH", f"{bin_dir}{os.pathsep}{os.environ.get('PATH', '')}")
    outcome = _finishes()
    git = outcome.check("git")
    assert git["evidence"].get("commit"), git  # read from the ref files, without the executable
    assert git["evidence"]["remotes"] == {"origin": "https://github.com/example/shop-api.git"}
