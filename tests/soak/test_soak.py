"""Soak: a real Flask app under ``opentelemetry-instrument`` serving thousands of requests.

The app (``apps/soak_app.py``) runs in a child process, once with Werkzeug's
server and once as gunicorn sync workers, with the workspace_otel distro doing
the whole setup: OAuth2 client-credentials tokens of a few seconds from the
Authlib token server, OTLP/HTTP to a receiver that validates every bearer JWT
like the Collector's ``oidc`` authenticator. A bounded load generator drives it
for several token lifetimes while ``/proc`` is sampled; then SIGTERM.

The promises: resident memory, threads and open files stay flat after the
warm-up; every request's span arrives exactly once; no token is rejected; the
app prints no warning or error. Budgets and durations are parameters
(``tests/soak/settings.py``); figures go to ``$SOAK_FIGURES``.
"""

from __future__ import annotations

import http.client
import json
import re
import signal
import socket
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import pytest

from tests.harness.jwt_validation import JwtValidator
from tests.harness.process import PYTHON, subprocess_env
from tests.harness.receivers import HttpOtlpReceiver, Signal
from tests.harness.token_server import TokenServer

from .load import LOOPBACK, LoadResult, Sample, children, run_load
from .settings import SETTINGS, SoakSettings

APPS = Path(__file__).parent / "apps"
BIN = Path(sys.executable).parent
CLIENT_ID = "soak-client"
CLIENT_SECRET = "soak-client-secret-0123456789"
_PRINTED_PROBLEM = re.compile(r"warn|error|traceback|exception|critical", re.IGNORECASE)

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not Path("/proc/self/status").exists(), reason="reads /proc"),
    pytest.mark.timeout(SETTINGS.seconds * 2 + 240),
]


class CountingReceiver(HttpOtlpReceiver):
    """The harness's JWT-validating OTLP/HTTP receiver, counting spans instead of keeping them.

    A 10-minute run sends a quarter of a million spans; only their names,
    ids and ``soak.seq`` values are kept.
    """

    def __init__(self, validator: JwtValidator) -> None:
        self.names: Counter[str] = Counter()
        self.seqs: Counter[int] = Counter()
        self.span_ids: set[bytes] = set()
        self.duplicate_ids = 0
        super().__init__(validator)

    def _store(self, signal: Signal, message: Any, token: str | None) -> None:
        if signal != "traces":
            return
        for resource_spans in message.resource_spans:
            for scope_spans in resource_spans.scope_spans:
                for span in scope_spans.spans:
                    self.names[span.name] += 1
                    if span.span_id in self.span_ids:
                        self.duplicate_ids += 1
                    self.span_ids.add(span.span_id)
                    if span.name == "soak.work":
                        for kv in span.attributes:
                            if kv.key == "soak.seq":
                                self.seqs[kv.value.int_value] += 1

    def __enter__(self) -> CountingReceiver:
        return self

    def snapshot(self) -> tuple[Counter[int], Counter[str], int, int, int]:
        """``(seqs, names, duplicate span ids, rejected exports, distinct tokens)``."""
        with self._cond:
            return (
                Counter(self.seqs),
                Counter(self.names),
                self.duplicate_ids,
                self.rejected,
                len(set(self.tokens_seen)),
            )

    def wait_for_work_spans(self, n: int, timeout: float) -> int:
        deadline = time.monotonic() + timeout
        with self._cond:
            while sum(self.seqs.values()) < n and time.monotonic() < deadline:
                self._cond.wait(0.2)
            return sum(self.seqs.values())


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind((LOOPBACK, 0))
        port: int = sock.getsockname()[1]
        return port


def _command(kind: str, port: int, workers: int) -> list[str]:
    instrument = str(BIN / "opentelemetry-instrument")
    if kind == "werkzeug":
        return [instrument, PYTHON, str(APPS / "soak_app.py")]
    return [
        instrument, str(BIN / "gunicorn"), "-w", str(workers), "-b", f"{LOOPBACK}:{port}",
        "--chdir", str(APPS), "--graceful-timeout", "20", "soak_app:app",
    ]  # fmt: skip


def _wait_ready(proc: subprocess.Popen[bytes], port: int, workers: int, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise AssertionError(f"the app exited early with {proc.returncode}")
        if workers and len(children(proc.pid)) < workers:
            time.sleep(0.2)
            continue
        conn = http.client.HTTPConnection(LOOPBACK, port, timeout=2)
        try:
            conn.request("GET", "/ready")
            if conn.getresponse().status == 200:
                return
        except (OSError, http.client.HTTPException):
            time.sleep(0.2)
        finally:
            conn.close()
    raise AssertionError("the app did not answer /ready in time")


def _growth(samples: Sequence[Sample], settings: SoakSettings, seconds: float) -> dict[str, Any]:
    """Per process: minimum of each metric over the baseline and the final window, and growth."""
    out: dict[str, Any] = {}
    for pid in sorted({s.pid for s in samples}):
        mine = [s for s in samples if s.pid == pid]
        base = [s for s in mine if settings.warmup - settings.window <= s.at <= settings.warmup]
        last = [s for s in mine if seconds - settings.window <= s.at]
        if not base or not last:
            out[str(pid)] = {"missing_samples": True}
            continue

        def low(window: list[Sample], metric: Callable[[Sample], int]) -> int:
            return min(metric(s) for s in window)

        out[str(pid)] = {
            "baseline": {
                "rss_kib": low(base, lambda s: s.rss_kib),
                "threads": low(base, lambda s: s.threads),
                "fds": low(base, lambda s: s.fds),
            },
            "rss_growth_kib": low(last, lambda s: s.rss_kib) - low(base, lambda s: s.rss_kib),
            "thread_growth": low(last, lambda s: s.threads) - low(base, lambda s: s.threads),
            "fd_growth": low(last, lambda s: s.fds) - low(base, lambda s: s.fds),
        }
    return out


def _record(kind: str, figures: dict[str, Any]) -> None:
    if not SETTINGS.figures:
        return
    path = Path(SETTINGS.figures)
    data = json.loads(path.read_text()) if path.exists() else {}
    data[kind] = figures
    path.write_text(json.dumps(data, indent=2, sort_keys=True) + "\n")


@pytest.mark.parametrize("kind", ["werkzeug", "gunicorn"])
def test_flask_app_stays_flat_and_delivers_every_span_once(kind: str, tmp_path: Path) -> None:
    settings = SETTINGS
    workers = settings.workers if kind == "gunicorn" else 0
    port = _free_port()
    out_path, err_path = tmp_path / "app.out", tmp_path / "app.err"
    with (
        TokenServer(lifetime=settings.token_lifetime, clients={CLIENT_ID: CLIENT_SECRET}) as server,
        CountingReceiver(JwtValidator(server)) as receiver,
    ):
        env = subprocess_env(
            PORT=str(port),
            OTEL_SERVICE_NAME=f"soak-{kind}",
            OTEL_EXPORTER_OTLP_ENDPOINT=receiver.endpoint,
            WORKSPACE_OTEL_TOKEN_SOURCE="oauth2",
            WORKSPACE_OTEL_OAUTH2_TOKEN_URL=server.token_url,
            WORKSPACE_OTEL_OAUTH2_CLIENT_ID=CLIENT_ID,
            WORKSPACE_OTEL_OAUTH2_CLIENT_SECRET=CLIENT_SECRET,
        )
        with (
            out_path.open("wb") as out,
            err_path.open("wb") as err,
            subprocess.Popen(
                _command(kind, port, workers), env=env, stdout=out, stderr=err, cwd=tmp_path
            ) as proc,
        ):
            try:
                _wait_ready(proc, port, workers, timeout=60)
                served_by = children(proc.pid) if workers else [proc.pid]

                def pids() -> list[int]:
                    return [proc.pid, *children(proc.pid)] if workers else [proc.pid]

                load: LoadResult = run_load(
                    port, rate=settings.rate, seconds=settings.seconds, pids=pids
                )
                workers_after = children(proc.pid) if workers else [proc.pid]
                stop_started = time.monotonic()
                proc.send_signal(signal.SIGTERM)
                returncode = proc.wait(timeout=60)
                stop_seconds = time.monotonic() - stop_started
            finally:
                if proc.poll() is None:
                    proc.kill()
        total = load.sent
        received = receiver.wait_for_work_spans(total, timeout=15)
        threading.Event().wait(0.5)  # anything sent twice would arrive now
        seqs, names, duplicate_ids, rejected, tokens = receiver.snapshot()
        token_requests = server.token_requests

    printed = out_path.read_text(errors="replace") + err_path.read_text(errors="replace")
    problems = [line for line in printed.splitlines() if _PRINTED_PROBLEM.search(line)]
    lost = sum(1 for seq in load.answered if seqs[seq] == 0)
    unexpected = sum(count for seq, count in seqs.items() if seq not in load.answered)
    duplicated = sum(count - 1 for count in seqs.values() if count > 1) + duplicate_ids
    growth = _growth(load.samples, settings, load.seconds)
    figures = {
        "app": kind,
        "workers": workers,
        "requests": total,
        "requests_planned": int(settings.rate * settings.seconds),
        "requests_failed": load.failed,
        "load_seconds": round(load.seconds, 1),
        "achieved_rate": round(load.sent / load.seconds, 1),
        "max_lag_seconds": round(load.max_lag, 2),
        "token_lifetime": settings.token_lifetime,
        "token_requests": token_requests,
        "distinct_tokens_seen": tokens,
        "work_spans_received": received,
        "server_spans_received": names.get("GET /work", 0),
        "spans_lost": lost,
        "spans_duplicated": duplicated,
        "spans_unexpected": unexpected,
        "tokens_rejected": rejected,
        "exit_status": returncode,
        "stop_seconds": round(stop_seconds, 2),
        "warning_lines": problems[:20],
        "growth": growth,
        "settings": {k: v for k, v in vars(settings).items() if k != "figures"},
    }
    _record(kind, figures)

    assert load.failed == 0, load.failures
    assert load.seconds >= settings.seconds - 1, "the load stopped early"
    # A machine too busy to send a quarter of the planned load proves nothing.
    assert total >= settings.rate * settings.seconds / 4, figures
    assert len(load.answered) == total, figures
    assert unexpected == 0, figures
    assert sorted(workers_after) == sorted(served_by), "a worker was restarted"
    assert returncode == (0 if workers else -signal.SIGTERM), printed[-3000:]
    assert lost <= settings.max_lost, figures
    assert duplicated <= settings.max_lost, figures
    assert names.get("GET /work", 0) == total, figures
    assert rejected == 0, figures
    assert tokens >= int(load.seconds / settings.token_lifetime) // 2, figures
    assert len(problems) <= settings.max_warnings, problems[:20]
    for pid, values in growth.items():
        assert "missing_samples" not in values, (pid, figures)
        assert values["rss_growth_kib"] <= settings.max_rss_mib * 1024, (pid, figures)
        assert values["thread_growth"] <= settings.max_threads, (pid, figures)
        assert values["fd_growth"] <= settings.max_fds, (pid, figures)
    assert CLIENT_SECRET not in printed
