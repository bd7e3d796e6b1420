"""SIGTERM and fork behaviour, in real child processes, counted at a real OTLP receiver."""

from __future__ import annotations

import collections
import os
import signal
import subprocess
import sys
import threading

import pytest

from tests.configure.conftest import APPS
from tests.harness.process import PYTHON, subprocess_env
from tests.harness.receivers import HttpOtlpReceiver

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals and fork"),
]


def _wait_for_line(proc: subprocess.Popen[str], expected: str, timeout: float) -> None:
    found = threading.Event()

    def reader() -> None:
        assert proc.stdout is not None
        for line in proc.stdout:
            if line.strip() == expected:
                found.set()
                return

    thread = threading.Thread(target=reader, daemon=True)
    thread.start()
    if not found.wait(timeout):
        proc.kill()
        _out, err = proc.communicate()
        raise AssertionError(f"child never printed {expected!r}: {err}")


def _start(receiver: HttpOtlpReceiver, *args: str) -> subprocess.Popen[str]:
    env = subprocess_env(
        OTEL_EXPORTER_OTLP_ENDPOINT=receiver.endpoint,
        # Nothing leaves on a timer: only the SIGTERM flush can deliver the spans.
        OTEL_BSP_SCHEDULE_DELAY="60000",
        WORKSPACE_OTEL_FLUSH_TIMEOUT="5",
    )
    return subprocess.Popen(
        [PYTHON, str(APPS / "sigterm_app.py"), *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )


def test_sigterm_with_default_disposition_flushes_and_dies_of_sigterm() -> None:
    """Every span ended before SIGTERM arrives, the open one is ended, exit status is -SIGTERM."""
    with HttpOtlpReceiver() as receiver:
        proc = _start(receiver, "default", "25")
        _wait_for_line(proc, "READY", timeout=30)
        assert receiver.spans == []
        proc.send_signal(signal.SIGTERM)
        _out, err = proc.communicate(timeout=20)
        spans = receiver.wait_for_spans(26, timeout=5)
    assert proc.returncode == -signal.SIGTERM, err
    names = collections.Counter(s.name for s in spans)
    assert all(names[f"done-{i}"] == 1 for i in range(25))
    assert names["in-flight"] == 1
    in_flight = next(s for s in spans if s.name == "in-flight")
    assert [e.name for e in in_flight.proto.events] == ["workspace_otel.process_exit"]


def test_sigterm_chains_the_application_handler() -> None:
    """An existing SIGTERM handler still runs, after our flush delivered the spans."""
    with HttpOtlpReceiver() as receiver:
        proc = _start(receiver, "chained", "10")
        _wait_for_line(proc, "READY", timeout=30)
        proc.send_signal(signal.SIGTERM)
        out, err = proc.communicate(timeout=20)
        spans = receiver.wait_for_spans(10, timeout=5)
    assert "APP HANDLER RAN" in out, err
    assert proc.returncode == 3
    assert sorted(s.name for s in spans if s.name.startswith("done-")) == sorted(
        f"done-{i}" for i in range(10)
    )


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs fork")
def test_forked_workers_each_export_and_nothing_twice() -> None:
    """Pre-fork model: each worker exports its spans, the parent's queue is not re-exported."""
    workers = 3
    with HttpOtlpReceiver() as receiver:
        result = subprocess.run(
            [PYTHON, str(APPS / "fork_app.py"), str(workers)],
            capture_output=True,
            text=True,
            env=subprocess_env(
                OTEL_EXPORTER_OTLP_ENDPOINT=receiver.endpoint, OTEL_BSP_SCHEDULE_DELAY="60000"
            ),
            timeout=60,
        )
        assert result.returncode == 0, result.stderr
        expected = 2 + workers * 2
        spans = receiver.wait_for_spans(expected, timeout=10)
    names = collections.Counter(s.name for s in spans)
    assert names["parent-before-fork"] == 1
    assert names["parent-after-fork"] == 1
    for worker in range(workers):
        for j in range(2):
            assert names[f"worker-{worker}-{j}"] == 1
    assert len(spans) == expected
    assert len({s.span_id for s in spans}) == expected


def test_run_bounded_runs_inline_when_no_thread_can_start(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """At interpreter shutdown (Python 3.12 refuses new threads) the flush still runs."""
    import threading

    from workspace_otel._setup._lifecycle import run_bounded

    def refuse(self: threading.Thread) -> None:
        raise RuntimeError("can't create new thread at interpreter shutdown")

    monkeypatch.setattr(threading.Thread, "start", refuse)
    calls: list[str] = []
    assert run_bounded(lambda: calls.append("flushed"), 1.0, "shutdown") is True
    assert calls == ["flushed"]
