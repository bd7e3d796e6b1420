"""A collector that accepts the connection and never answers, met first at exit.

The exit deadline passes with the batch still in flight; the one warning
must say what was not delivered and where, instead of only "shutdown did not
finish".
"""

from __future__ import annotations

import socket
import subprocess
import sys
from collections.abc import Iterator

import pytest

from tests.configure.conftest import APPS
from tests.harness.process import PYTHON, subprocess_env


@pytest.fixture
def silent_collector() -> Iterator[int]:
    """A loopback port that completes TCP handshakes (backlog) and never reads or answers."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen(64)
        port: int = sock.getsockname()[1]
        yield port


@pytest.mark.skipif(
    sys.version_info[:2] == (3, 12),
    reason="Python 3.12 refuses new threads in atexit: the exit shutdown runs inline, bounded "
    "by the exporter's own timeout, and does not report what a silent collector lost yet",
)
def test_a_silent_collector_at_exit_is_reported_with_what_was_lost(silent_collector: int) -> None:
    """One warning: the spans in flight, the endpoint, the deadline; no bare timeout line."""
    spans = 4
    result = subprocess.run(
        [PYTHON, str(APPS / "unreachable_collector.py"), "exit-only", str(spans)],
        capture_output=True,
        text=True,
        env=subprocess_env(
            OTEL_EXPORTER_OTLP_ENDPOINT=f"http://127.0.0.1:{silent_collector}",
            OTEL_METRICS_EXPORTER="none",
            OTEL_EXPORTER_OTLP_TIMEOUT="30",
            WORKSPACE_OTEL_FLUSH_TIMEOUT="1",
        ),
        timeout=120,
        check=False,
    )
    err = result.stderr
    assert result.returncode == 0, err
    assert "DONE" in result.stdout
    lines = [line for line in err.splitlines() if line.strip()]
    assert len(lines) == 1, err
    assert f"{spans} span(s) were not delivered" in lines[0]
    assert f"127.0.0.1:{silent_collector}" in lines[0]
    assert "1 s" in lines[0]
    assert "workspace-otel doctor" in lines[0]
