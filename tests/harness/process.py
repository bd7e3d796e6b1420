"""Helpers for tests that start child processes or reset OpenTelemetry's globals.

``subprocess_env()`` gives a child a minimal environment (no inherited
``OTEL_*`` or platform variables) that imports this checkout's ``src``;
``reset_otel_globals()`` lets a test install providers again, which the API
otherwise allows only once per process; ``free_port()`` picks a loopback
port; ``instrumented_app()`` runs a web app under the real
``opentelemetry-instrument`` and returns once it serves.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SRC = ROOT / "src"
PYTHON = sys.executable
INSTRUMENT = Path(PYTHON).with_name("opentelemetry-instrument")
LOOPBACK = "127.0.0.1"

_KEEP = (
    "PATH",
    "HOME",
    "LANG",
    "LC_ALL",
    "TMPDIR",
    "XDG_CACHE_HOME",
    "SYSTEMROOT",
    # coverage measurement of subprocesses (`nox -s tests`); unset otherwise
    "COVERAGE_PROCESS_CONFIG",
    "COVERAGE_PROCESS_START",
    "COVERAGE_FILE",
)


def unmeasured(env: dict[str, str]) -> dict[str, str]:
    """``env`` without coverage measurement, for a child whose imported modules a test counts.

    Under ``nox -s tests`` every Python child is measured, and coverage itself
    imports modules (``typing``, ``dataclasses``) the child would not.
    """
    return {k: v for k, v in env.items() if not k.startswith("COVERAGE_PROCESS_")}


def reset_otel_globals() -> None:
    """Forget the global providers the API lets be set only once (test-only)."""
    from opentelemetry import trace
    from opentelemetry._logs import _internal as logs_internal
    from opentelemetry.metrics import _internal as metrics_internal
    from opentelemetry.util._once import Once

    trace._TRACER_PROVIDER_SET_ONCE = Once()
    trace._TRACER_PROVIDER = None
    metrics_internal._METER_PROVIDER_SET_ONCE = Once()
    metrics_internal._METER_PROVIDER = None
    logs_internal._LOGGER_PROVIDER_SET_ONCE = Once()
    logs_internal._LOGGER_PROVIDER = None


def subprocess_env(**extra: str) -> dict[str, str]:
    """A minimal environment for child processes: no inherited OTEL_* / platform settings."""
    env = {k: v for k, v in os.environ.items() if k in _KEEP}
    env["PYTHONPATH"] = os.pathsep.join([str(SRC), str(ROOT)])
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    env["WORKSPACE_OTEL_GIT"] = "off"
    env.update(extra)
    return env


def free_port() -> int:
    """A loopback TCP port free at the time of the call."""
    with socket.socket() as sock:
        sock.bind((LOOPBACK, 0))
        port: int = sock.getsockname()[1]
        return port


class InstrumentedApp:
    """A web app running under ``opentelemetry-instrument`` (see :func:`instrumented_app`).

    Attributes:
        proc: the ``opentelemetry-instrument`` process (the app, after its exec).
        base: ``http://127.0.0.1:<PORT>``.
    """

    def __init__(self, proc: subprocess.Popen[str], base: str, stderr_file: Path | None) -> None:
        self.proc = proc
        self.base = base
        self._stderr_file = stderr_file

    def __repr__(self) -> str:
        return f"InstrumentedApp(base={self.base!r}, pid={self.proc.pid})"

    def stderr_text(self) -> str:
        """What the app wrote to its stderr file so far (``""`` when it goes to a pipe)."""
        if self._stderr_file is None:
            return ""
        return self._stderr_file.read_text(errors="replace")

    def stop(self, timeout: float = 30.0) -> tuple[str, str]:
        """SIGTERM the app (the SDK flushes at exit), wait; return its stdout and stderr."""
        self.proc.send_signal(signal.SIGTERM)
        out, err = self.proc.communicate(timeout=timeout)
        if self._stderr_file is not None:
            err = self.stderr_text()
        return out or "", err or ""


@contextlib.contextmanager
def instrumented_app(
    script: Path,
    env: Mapping[str, str],
    *,
    cwd: Path | None = None,
    ready_path: str = "/hello",
    timeout: float = 30.0,
    stderr_file: Path | None = None,
) -> Iterator[InstrumentedApp]:
    """Run ``script`` under ``opentelemetry-instrument``; yield once it answers HTTP.

    The app listens on the port given in ``PORT`` (set here to a free one).
    Readiness is any HTTP answer to ``GET <base><ready_path>``. On leaving the
    block a still-running app is killed, so a failing test never hangs on it.

    Args:
        script: the app.
        env: its environment (``PORT`` is added).
        cwd: its working directory.
        ready_path: the path polled until the app answers.
        timeout: seconds allowed for the app to start.
        stderr_file: write stderr there (stdout is discarded) instead of to a
            pipe: for apps that log every request, whose pipe would fill.

    Raises:
        AssertionError: the app exited or did not answer within ``timeout``;
            the message holds its stderr.
    """
    import requests

    port = free_port()
    with contextlib.ExitStack() as stack:
        sink = stack.enter_context(stderr_file.open("w")) if stderr_file is not None else None
        proc = stack.enter_context(
            subprocess.Popen(
                [str(INSTRUMENT), PYTHON, str(script)],
                cwd=cwd,
                env={**env, "PORT": str(port)},
                stdout=subprocess.PIPE if sink is None else subprocess.DEVNULL,
                stderr=subprocess.PIPE if sink is None else sink,
                text=True,
            )
        )
        app = InstrumentedApp(proc, f"http://{LOOPBACK}:{port}", stderr_file)
        try:
            started = time.monotonic()
            while True:
                try:
                    requests.get(f"{app.base}{ready_path}", timeout=1)
                    break
                except requests.ConnectionError:
                    if proc.poll() is not None or time.monotonic() - started > timeout:
                        proc.kill()
                        _out, err = proc.communicate()
                        err = app.stderr_text() if stderr_file is not None else err
                        raise AssertionError(f"{script.name} did not start: {err}") from None
                    time.sleep(0.1)
            yield app
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.communicate()
