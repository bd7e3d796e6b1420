"""Every command with its stdout or stderr closed entirely (``>&-``, ``2>&-``).

A service manager or a careless wrapper can start the command with no file
descriptor 1 or 2 at all; Python then has no ``sys.stdout`` / ``sys.stderr``.
The command must end quietly, without a traceback, never as a crash.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from tests.harness.process import subprocess_env

COMMANDS = [
    ["detect"],
    ["detect", "--json"],
    ["env"],
    ["env", "--format", "json"],
    ["headers"],
    ["token"],
]


def _run_closed(args: list[str], redirect: str, tmp_path: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["sh", "-c", f'exec "$@" {redirect}', "sh", sys.executable, "-m", "workspace_otel", *args],
        env=subprocess_env(HOME=str(tmp_path), WORKSPACE_OTEL_TOKEN="closed-stream-token"),
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


@pytest.mark.parametrize("args", COMMANDS, ids=" ".join)
def test_a_closed_stdout_ends_quietly_with_the_closed_pipe_status(
    args: list[str], tmp_path: Path
) -> None:
    """``workspace-otel CMD >&-``: no traceback on stderr, the status of a reader gone away."""
    done = _run_closed(args, ">&-", tmp_path)
    assert "Traceback" not in done.stderr, done.stderr
    assert done.returncode == 141, (done.returncode, done.stderr)
    assert "closed-stream-token" not in done.stderr


def test_the_doctor_with_a_closed_stdout_still_exits_with_its_verdict(tmp_path: Path) -> None:
    """The doctor's status is its verdict (0 here: nothing fails), even with nowhere to print it."""
    done = _run_closed(["doctor", "--timeout", "1"], ">&-", tmp_path)
    assert "Traceback" not in done.stderr, done.stderr
    assert done.returncode == 0, done.stderr


@pytest.mark.parametrize("args", [["headers"], ["token"]], ids=" ".join)
def test_a_closed_stderr_keeps_the_failure_status(args: list[str], tmp_path: Path) -> None:
    """With no stderr, a failing command still fails with its own status (2), no crash."""
    done = subprocess.run(
        ["sh", "-c", 'exec "$@" 2>&-', "sh", sys.executable, "-m", "workspace_otel", *args],
        env=subprocess_env(HOME=str(tmp_path)),
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 2, (done.returncode, done.stdout)
    assert done.stdout == ""
