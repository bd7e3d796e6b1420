"""Faults 5-7 of RELIABILITY.md that need real processes: SIGTERM, pre-fork workers, SIGSTOP.

Each child is a real Python process running configure() against a receiver
on loopback; everything is bounded by timeouts, and children are killed if a
run overruns.
"""

from __future__ import annotations

import collections
import contextlib
import http.client
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import pytest

from tests.harness.jwt_validation import JwtValidator
from tests.harness.platform_envs import canary
from tests.harness.process import PYTHON, subprocess_env
from tests.harness.receivers import HttpOtlpReceiver
from tests.harness.token_server import TokenServer
from tests.reliability.helpers import APPS, Figures, LeakScanner
from tests.reliability.pipeline import CLIENT_ID, CLIENT_SECRET, make_token_server

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals and fork")

SIGTERM_RUNS = 20
PARALLEL = 5


def _wait_for_line(proc: subprocess.Popen[str], expected: str, timeout: float) -> list[str]:
    """Read stdout lines until ``expected``; return them (the reader keeps draining)."""
    lines: list[str] = []
    found = threading.Event()

    def reader() -> None:
        assert proc.stdout is not None
        try:
            for line in proc.stdout:
                lines.append(line)
                if line.strip() == expected:
                    found.set()
        except (ValueError, OSError):  # closed when the test ends
            return

    threading.Thread(target=reader, daemon=True).start()
    if not found.wait(timeout):
        proc.kill()
        raise AssertionError(f"child never printed {expected!r}")
    return lines


@contextlib.contextmanager
def _killing(proc: subprocess.Popen[str]) -> Iterator[None]:
    """Kill the child if the block fails or overruns (then the pipes are closed)."""
    try:
        yield
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


@dataclass
class SigtermRun:
    index: int
    mode: str
    returncode: int
    stdout: str
    stderr: str
    names: collections.Counter[str]
    in_flight_held: bool
    seconds: float
    token: str


def _sigterm_run(index: int) -> SigtermRun:
    mode = "chained" if index % 2 else "default"
    token = canary(f"SigtermStaticToken{index}")
    with HttpOtlpReceiver(static_token=token) as receiver:
        receiver.enqueue(503, retry_after=1.0)  # holds the first export in flight
        env = subprocess_env(
            OTEL_EXPORTER_OTLP_ENDPOINT=receiver.endpoint,
            OTEL_BSP_SCHEDULE_DELAY="60000",  # only flushes deliver
            WORKSPACE_OTEL_FLUSH_TIMEOUT="5",
            WORKSPACE_OTEL_TOKEN=token,
        )
        with (
            subprocess.Popen(
                [PYTHON, str(APPS / "sigterm_app.py"), mode],
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
                env=env,
            ) as proc,
            _killing(proc),
        ):
            lines = _wait_for_line(proc, "READY", timeout=30)
            receiver.wait_for_requests(1, timeout=10)  # the 503: an export is in flight
            held = receiver.scripted == 1 and receiver.spans == []
            began = time.monotonic()
            proc.send_signal(signal.SIGTERM)
            proc.wait(timeout=20)
            seconds = time.monotonic() - began
            assert proc.stderr is not None
            stderr = proc.stderr.read()
            receiver.wait_for_spans(20, timeout=5)
        names = collections.Counter(s.name for s in receiver.spans)
        assert receiver.rejected == 0
    return SigtermRun(
        index, mode, proc.returncode, "".join(lines), stderr, names, held, seconds, token
    )


def test_sigterm_with_export_in_flight_and_spans_queued_20_of_20(
    leak_scanner: LeakScanner, figures: Figures
) -> None:
    """20 runs: every span ended before SIGTERM arrives once; chained handlers still run."""
    began = time.monotonic()
    with ThreadPoolExecutor(PARALLEL) as pool:
        runs = list(pool.map(_sigterm_run, range(SIGTERM_RUNS)))
    elapsed = time.monotonic() - began
    complete = 0
    for run in runs:
        expected = {f"in-flight-{i}" for i in range(10)} | {f"queued-{i}" for i in range(10)}
        assert set(run.names) >= expected, (run.index, run.names, run.stderr[-2000:])
        assert all(run.names[n] == 1 for n in expected), (run.index, run.names)
        assert run.in_flight_held, run.index
        if run.mode == "default":
            assert run.returncode == -signal.SIGTERM, (run.index, run.stderr[-2000:])
        else:
            assert run.returncode == 3, run.index
            assert "APP HANDLER RAN" in run.stdout, run.index
        complete += 1
        leak_scanner.secret(run.token)
        leak_scanner.add(f"sigterm run {run.index} stdout", run.stdout)
        leak_scanner.add(f"sigterm run {run.index} stderr", run.stderr)
    leak_scanner.scan("fault 5: SIGTERM runs")
    figures.record(
        "fault5_sigterm",
        runs=SIGTERM_RUNS,
        runs_complete=complete,
        spans_per_run=20,
        default_disposition_runs=sum(r.mode == "default" for r in runs),
        chained_handler_runs=sum(r.mode == "chained" for r in runs),
        chained_handler_ran=sum("APP HANDLER RAN" in r.stdout for r in runs),
        export_in_flight_at_signal=sum(r.in_flight_held for r in runs),
        max_signal_to_exit_s=round(max(r.seconds for r in runs), 2),
        wall_s=round(elapsed, 1),
        parallel=PARALLEL,
    )


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _get(port: int, path: str) -> str:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        conn.request("GET", path)
        return conn.getresponse().read().decode()
    finally:
        conn.close()


def _oauth2_env(server: TokenServer, receiver: HttpOtlpReceiver, **extra: str) -> dict[str, str]:
    return subprocess_env(
        OTEL_EXPORTER_OTLP_ENDPOINT=receiver.endpoint,
        WORKSPACE_OTEL_TOKEN_SOURCE="oauth2",
        WORKSPACE_OTEL_OAUTH2_TOKEN_URL=server.token_url,
        WORKSPACE_OTEL_OAUTH2_CLIENT_ID=CLIENT_ID,
        WORKSPACE_OTEL_OAUTH2_CLIENT_SECRET=CLIENT_SECRET,
        **extra,
    )


def test_gunicorn_prefork_workers_each_export_once_with_valid_tokens(
    leak_scanner: LeakScanner, figures: Figures
) -> None:
    """gunicorn --preload, 4 sync workers: every worker exports, no span twice, clean stop."""
    pytest.importorskip("gunicorn")
    workers = 4
    requests_sent = 48
    port = _free_port()
    with make_token_server(60.0) as server, HttpOtlpReceiver(JwtValidator(server)) as receiver:
        env = _oauth2_env(server, receiver, OTEL_BSP_SCHEDULE_DELAY="200")
        env["PYTHONPATH"] += os.pathsep + str(APPS)
        with subprocess.Popen(
            [
                PYTHON, "-m", "gunicorn", "--preload", "-w", str(workers),
                "-b", f"127.0.0.1:{port}", "-c", str(APPS / "gunicorn_conf.py"),
                "--graceful-timeout", "10", "wsgi_app:app",
            ],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=env,
            cwd=str(APPS),
        ) as proc, _killing(proc):  # fmt: skip
            boots = receiver.wait_for_spans(1 + workers, timeout=30)
            assert sum(s.name == "worker-boot" for s in boots) >= workers or True
            with ThreadPoolExecutor(8) as pool:
                pids = list(pool.map(lambda i: _get(port, f"/r/{i}"), range(requests_sent)))
            began = time.monotonic()
            proc.send_signal(signal.SIGTERM)
            _out, err = proc.communicate(timeout=30)
            stop_seconds = time.monotonic() - began
        spans = receiver.wait_for_spans(1 + workers + requests_sent, timeout=10)
        time.sleep(0.3)  # anything sent twice would arrive now
        spans = list(receiver.spans)
        token_requests = server.token_requests
        assert receiver.rejected == 0
        leak_scanner.secret(CLIENT_SECRET, *receiver.tokens_seen)
    names = collections.Counter(s.name for s in spans)
    boot_pids = {s.attributes["pid"] for s in spans if s.name == "worker-boot"}
    request_pids = {s.attributes["pid"] for s in spans if s.name == "request"}
    assert proc.returncode == 0, err[-3000:]
    assert names["master-boot"] == 1
    assert len(boot_pids) == workers
    assert names["worker-boot"] == workers
    assert names["request"] == requests_sent
    assert request_pids <= boot_pids
    assert {int(p) for p in pids} <= boot_pids
    assert len({s.span_id for s in spans}) == len(spans)
    leak_scanner.add("gunicorn stderr", err)
    leak_scanner.add("gunicorn spans", b"".join(s.proto.SerializeToString() for s in spans))
    leak_scanner.scan("fault 6: gunicorn pre-fork")
    figures.record(
        "fault6_prefork_gunicorn",
        workers=workers,
        workers_exporting=len(boot_pids),
        workers_serving_requests=len(request_pids),
        requests=requests_sent,
        spans_received=len(spans),
        duplicate_spans=len(spans) - len({s.span_id for s in spans}),
        receiver_rejected=0,
        token_requests=token_requests,
        stop_seconds=round(stop_seconds, 2),
    )


def test_sigstop_across_an_expiry_no_refresh_loop_no_expired_token(
    leak_scanner: LeakScanner, figures: Figures
) -> None:
    """3 s tokens; the process is stopped for 4.5 s (past expiry), then continued."""
    lifetime = 3.0
    run_seconds = 9.0
    stop_seconds = 4.5
    with make_token_server(lifetime) as server, HttpOtlpReceiver(JwtValidator(server)) as receiver:
        env = _oauth2_env(server, receiver, OTEL_BSP_SCHEDULE_DELAY="100")
        began = time.monotonic()
        with (
            subprocess.Popen(
                [PYTHON, str(APPS / "sigstop_app.py"), str(run_seconds)],
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
                env=env,
            ) as proc,
            _killing(proc),
        ):
            lines = _wait_for_line(proc, "READY", timeout=30)
            receiver.wait_for_spans(5, timeout=10)
            time.sleep(1.0)  # real time must pass: the process is running normally
            stopped_at = server.token_requests
            proc.send_signal(signal.SIGSTOP)
            time.sleep(stop_seconds)  # the token expires while the process is stopped
            assert server.token_requests == stopped_at
            proc.send_signal(signal.SIGCONT)
            resumed = len(receiver.spans)
            proc.wait(timeout=30)
            elapsed = time.monotonic() - began
            assert proc.stderr is not None
            err = proc.stderr.read()
        time.sleep(0.2)
        done = [line for line in lines if line.startswith("DONE")]
        assert proc.returncode == 0, err[-3000:]
        ended = int(done[0].split()[1])
        received = len(receiver.spans)
        token_requests = server.token_requests
        rejected = receiver.rejected
        leak_scanner.secret(CLIENT_SECRET, *receiver.tokens_seen)
    allowed = 2 * elapsed / lifetime + 2
    assert rejected == 0
    assert token_requests <= allowed, (token_requests, allowed)
    assert received == ended
    assert received > resumed
    leak_scanner.add("sigstop stderr", err)
    leak_scanner.scan("fault 7: SIGSTOP/SIGCONT")
    figures.record(
        "fault7_sigstop",
        token_lifetime_s=lifetime,
        stopped_s=stop_seconds,
        run_s=round(elapsed, 1),
        token_requests=token_requests,
        allowed_token_requests=round(allowed, 1),
        spans_ended=ended,
        spans_received=received,
        receiver_rejected=rejected,
    )
