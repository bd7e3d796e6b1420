"""Ctrl-C (SIGINT) or SIGTERM while ``headers`` / ``token`` wait for a token service that stalls.

The token command is a real program that never answers; the interrupted
command must end at once, quietly, with the status a shell gives an
interrupted command (130 / 143), and leave no token command running behind it.
"""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.harness.process import subprocess_env


def _running(marker: str) -> bool:
    found = subprocess.run(["pgrep", "-f", marker], capture_output=True, text=True, check=False)
    return bool(found.stdout.strip())


def _default_sigint() -> None:
    signal.signal(signal.SIGINT, signal.SIG_DFL)


@pytest.mark.parametrize(
    ("command", "signum", "status"),
    [
        ("headers", signal.SIGINT, 130),
        ("token", signal.SIGINT, 130),
        ("headers", signal.SIGTERM, 143),
        ("token", signal.SIGTERM, 143),
    ],
)
def test_a_signal_during_a_stalled_token_service_ends_quietly(
    command: str, signum: signal.Signals, status: int, tmp_path: Path
) -> None:
    """128 + the signal, no traceback, and the stalled token command is not left running."""
    marker = f"{tmp_path}/stall"
    script = tmp_path / "stall"
    script.write_text("#!/bin/sh\nsleep 600\n")
    script.chmod(0o755)
    proc = subprocess.Popen(
        [sys.executable, "-m", "workspace_otel", command],
        env=subprocess_env(HOME=str(tmp_path), WORKSPACE_OTEL_TOKEN_SOURCE=f"command:{marker}"),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        # As from an interactive shell: a background test runner may ignore SIGINT.
        preexec_fn=_default_sigint,
    )
    try:
        for _ in range(200):  # until the token command runs (no wall-clock assertion)
            if _running(marker):
                break
            time.sleep(0.05)
        proc.send_signal(signum)
        out, err = proc.communicate(timeout=30)
    finally:
        proc.kill()
    assert proc.returncode == status, err
    assert "Traceback" not in err
    assert "KeyboardInterrupt" not in err
    assert out == ""
    for _ in range(100):  # the kill is asynchronous: give the group a moment to go
        if not _running(marker):
            break
        time.sleep(0.05)
    assert not _running(marker), "the token command was left running"
