"""The real OpenTelemetry Collector as a child process on loopback.

:class:`CollectorProcess` runs the binary that ``nox -s collector`` builds from
``tests/collector`` (``.cache/otelcol/otelcol-workspace``; the
``OTELCOL_BINARY`` variable points elsewhere) with a config file
and an environment, and waits until its ``health_check`` extension answers.

The config must contain a ``health_check`` extension listed in
``service.extensions`` whose ``endpoint`` reads a variable (the
``health_variable`` argument, e.g. ``${env:OTEL_GATEWAY_HEALTH_ENDPOINT}``);
the process gets that variable set to a free loopback port. Every other port
the config names comes from variables too: :func:`free_port` gives one.

The Collector's own telemetry is switched off with an extra ``--config``
(``service::telemetry::metrics::level: none``), so no instance opens the
default ``:8888`` metrics port and parallel test runs do not collide.
Its log (stderr, JSON lines off: the console encoder) is kept in a file and
read with :meth:`CollectorProcess.log_text`.

Usage::

    with CollectorProcess(config, env={...}) as collector:
        ...  # collector.health_url answers 200
    collector.returncode  # after exit

``pause()`` / ``resume()`` freeze and thaw it (SIGSTOP / SIGCONT): a gateway
that accepts connections but does not answer.

``CollectorProcess.run_to_exit`` runs a config that is expected to stop by
itself (a failed start) and returns the exit code and the log.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Mapping, Sequence
from pathlib import Path

from .process import ROOT

__all__ = [
    "BINARY_VARIABLE",
    "DEFAULT_BINARY",
    "CollectorNotBuilt",
    "CollectorProcess",
    "CollectorStartFailed",
    "collector_binary",
    "free_port",
]

#: Where ``nox -s collector`` puts the binary.
DEFAULT_BINARY = ROOT / ".cache" / "otelcol" / "otelcol-workspace"
#: Test-only variable naming another Collector binary.
BINARY_VARIABLE = "OTELCOL_BINARY"

_QUIET_TELEMETRY = "yaml:service::telemetry::metrics::level: none"
_KEEP_ENV = ("PATH", "HOME", "LANG", "LC_ALL", "TMPDIR")


class CollectorNotBuilt(RuntimeError):
    """The Collector binary is missing: run ``nox -s collector``."""


class CollectorStartFailed(RuntimeError):
    """The Collector exited or never became healthy; the message has its log tail."""


def collector_binary() -> Path:
    """Return the Collector binary, or raise :class:`CollectorNotBuilt`.

    ``OTELCOL_BINARY`` overrides the default
    ``.cache/otelcol/otelcol-workspace``.
    """
    override = os.environ.get(BINARY_VARIABLE)
    binary = Path(override) if override else DEFAULT_BINARY
    if not binary.is_file() or not os.access(binary, os.X_OK):
        raise CollectorNotBuilt(
            f"no Collector binary at {binary}: build it with `nox -s collector` "
            f"(needs Go) or set {BINARY_VARIABLE} to an otelcol binary"
        )
    return binary


def free_port() -> int:
    """Return a TCP port on 127.0.0.1 that was free a moment ago."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


class CollectorProcess:
    """The Collector running ``config`` with ``env`` (starts at construction).

    Args:
        config: Path of the Collector configuration file.
        env: Variables for the process (added to a minimal environment:
            ``PATH``, ``HOME``, locale); the config reads them with
            ``${env:NAME}``.
        health_variable: Variable the config's ``health_check`` endpoint reads;
            set here to ``127.0.0.1:<free port>``.
        extra_configs: More ``--config`` values (files or ``yaml:`` snippets),
            merged after ``config``.
        log_path: File for the Collector's log (default: in a new temporary
            folder, never beside ``config``).
        startup_timeout: Seconds to wait for the health endpoint.

    Attributes:
        health_url: The health endpoint's URL.
        log_path: Where the log is written.
        env: The full environment the process got.

    Raises:
        CollectorNotBuilt: The binary is missing.
        CollectorStartFailed: It exited or did not become healthy in time.
    """

    def __init__(
        self,
        config: Path | str,
        env: Mapping[str, str] | None = None,
        *,
        health_variable: str = "OTEL_GATEWAY_HEALTH_ENDPOINT",
        extra_configs: Sequence[str] = (),
        log_path: Path | None = None,
        startup_timeout: float = 60.0,
    ) -> None:
        config = Path(config)
        self.health_port = free_port()
        self.health_url = f"http://127.0.0.1:{self.health_port}/"
        self.env = {k: v for k, v in os.environ.items() if k in _KEEP_ENV}
        self.env.update(env or {})
        self.env[health_variable] = f"127.0.0.1:{self.health_port}"
        if log_path is None:
            log_path = Path(tempfile.mkdtemp(prefix="otelcol-")) / "collector.log"
        self.log_path = log_path
        self._log = self.log_path.open("wb")
        args = [str(collector_binary()), f"--config={config}", f"--config={_QUIET_TELEMETRY}"]
        args += [f"--config={extra}" for extra in extra_configs]
        self._process = subprocess.Popen(
            args,
            env=self.env,
            stdin=subprocess.DEVNULL,
            stdout=self._log,
            stderr=subprocess.STDOUT,
        )
        try:
            self._wait_healthy(startup_timeout)
        except BaseException:
            self.stop()
            raise

    def __enter__(self) -> CollectorProcess:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    def __repr__(self) -> str:
        return f"CollectorProcess(health_url={self.health_url!r}, pid={self._process.pid})"

    @property
    def returncode(self) -> int | None:
        """The exit code, or ``None`` while it runs."""
        return self._process.poll()

    def log_text(self) -> str:
        """Return everything the Collector has logged so far."""
        return self.log_path.read_text(encoding="utf-8", errors="replace")

    def wait_for_log(self, text: str, timeout: float = 10.0) -> str:
        """Wait until the log contains ``text``; return the log.

        Raises:
            AssertionError: ``text`` did not appear within ``timeout`` seconds.
        """
        deadline = time.monotonic() + timeout
        while True:
            log = self.log_text()
            if text in log:
                return log
            if time.monotonic() > deadline:
                raise AssertionError(f"{text!r} not in the Collector log:\n{log[-4000:]}")
            time.sleep(0.1)

    def pause(self) -> None:
        """Freeze the Collector (SIGSTOP): its ports still accept connections, nothing answers."""
        if self._process.poll() is None:
            self._process.send_signal(signal.SIGSTOP)

    def resume(self) -> None:
        """Let a paused Collector run again (SIGCONT)."""
        if self._process.poll() is None:
            self._process.send_signal(signal.SIGCONT)

    def stop(self, timeout: float = 15.0) -> None:
        """Stop the Collector (SIGTERM, then SIGKILL) and close its log (idempotent)."""
        if self._process.poll() is None:
            self.resume()  # a paused process would not act on SIGTERM
            self._process.terminate()
            try:
                self._process.wait(timeout)
            except subprocess.TimeoutExpired:
                self._process.kill()
                self._process.wait()
        self._log.close()

    def _wait_healthy(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while True:
            if self._process.poll() is not None:
                raise CollectorStartFailed(
                    f"the Collector exited with {self._process.returncode}:\n"
                    + self.log_text()[-4000:]
                )
            try:
                with urllib.request.urlopen(self.health_url, timeout=1.0) as answer:
                    if answer.status == 200:
                        return
            except (urllib.error.URLError, OSError):
                pass
            if time.monotonic() > deadline:
                raise CollectorStartFailed(
                    f"the Collector was not healthy after {timeout:.0f} s:\n"
                    + self.log_text()[-4000:]
                )
            time.sleep(0.1)

    @classmethod
    def run_to_exit(
        cls,
        config: Path | str,
        env: Mapping[str, str] | None = None,
        *,
        health_variable: str = "OTEL_GATEWAY_HEALTH_ENDPOINT",
        timeout: float = 60.0,
    ) -> tuple[int | None, str]:
        """Run a config that should fail to start; return ``(exit code, log)``.

        The exit code is ``None`` when the Collector became healthy instead
        (it is then stopped).
        """
        try:
            collector = cls(config, env, health_variable=health_variable, startup_timeout=timeout)
        except CollectorStartFailed as failed:
            return _exit_code(failed), str(failed)
        log = collector.log_text()
        collector.stop()
        return None, log


def _exit_code(failed: CollectorStartFailed) -> int | None:
    first = str(failed).split("\n", 1)[0]
    prefix = "the Collector exited with "
    if first.startswith(prefix):
        return int(first[len(prefix) : -1])
    return None
