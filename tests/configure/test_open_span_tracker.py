"""The open-span tracker behind the SIGTERM hook forgets every span that ends.

A real Flask app under the real ``opentelemetry-instrument`` serves a few
thousand requests; the tracker must hold only the request in flight, and the
SIGTERM must end nothing twice and deliver every span exactly once.
"""

from __future__ import annotations

import collections
import signal
import sys
from pathlib import Path

import pytest
import requests

from tests.configure.conftest import APPS
from tests.harness.process import instrumented_app, subprocess_env
from tests.harness.receivers import HttpOtlpReceiver
from workspace_otel._setup._lifecycle import _MAX_TRACKED, OpenSpans

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals")

REQUESTS = 2000


def test_tracker_forgets_ended_spans_in_process() -> None:
    """Started then ended spans leave nothing behind, even past the tracker's cap; only the
    span still open is ended at exit."""
    from opentelemetry.sdk.trace import TracerProvider

    tracker = OpenSpans()
    provider = TracerProvider(shutdown_on_exit=False)
    provider.add_span_processor(tracker)
    tracer = provider.get_tracer("t")
    for i in range(_MAX_TRACKED + 10):
        with tracer.start_as_current_span(f"s{i}"):
            pass
    assert len(tracker._open) == 0
    still_open = tracer.start_span("open")
    assert len(tracker._open) == 1
    assert tracker.end_all("SIGTERM") == 1
    assert not still_open.is_recording()
    assert len(tracker._open) == 0
    provider.shutdown()


@pytest.mark.slow
def test_flask_under_instrument_thousands_of_requests_then_sigterm(tmp_path: Path) -> None:
    """Tracker back to the one request in flight, no warning at SIGTERM, every span once."""
    # A file, not a pipe: the dev server logs every request, and a full pipe
    # would block the app.
    log = tmp_path / "stderr.txt"
    with HttpOtlpReceiver() as receiver:
        env = subprocess_env(
            OTEL_EXPORTER_OTLP_ENDPOINT=receiver.endpoint,
            OTEL_METRICS_EXPORTER="none",
            OTEL_BSP_SCHEDULE_DELAY="200",
            OTEL_BSP_MAX_QUEUE_SIZE=str(4 * REQUESTS),
            WORKSPACE_OTEL_FLUSH_TIMEOUT="10",
        )
        with instrumented_app(APPS / "tracked_flask_app.py", env, stderr_file=log) as app:
            proc = app.proc
            base = app.base
            session = requests.Session()
            try:
                for _ in range(REQUESTS - 1):
                    assert session.get(f"{base}/hello", timeout=10).status_code == 200
                tracked = session.get(f"{base}/open-spans", timeout=10).text
            finally:
                session.close()
                _out, err = app.stop()
        spans = receiver.wait_for_spans(REQUESTS + 1, timeout=15)
    assert proc.returncode == -signal.SIGTERM, err
    assert tracked == "1", f"tracker held {tracked} spans after {REQUESTS} requests"
    assert "ended span" not in err, err[-2000:]
    assert "still open at SIGTERM" not in err, err[-2000:]
    names = collections.Counter(s.name for s in spans)
    assert names["GET /hello"] == REQUESTS, names
    assert names["GET /open-spans"] == 1, names
    assert len(spans) == REQUESTS + 1
    assert len({(s.trace_id, s.span_id) for s in spans}) == len(spans)
