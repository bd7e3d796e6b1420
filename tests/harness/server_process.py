"""A third-party server binary run as a child process on loopback (OpenBao, moto).

:class:`ServerProcess` is the one place that starts such a server with its
output appended to a log file, waits until a probe says it serves (failing
with the log's tail if it exits or takes too long), and stops it (SIGTERM,
then SIGKILL after 10 s). A stopped server can be started again on the same
port, which is how the outage tests restart a store.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import time
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

__all__ = ["ServerProcess", "executable"]

START_TIMEOUT = 30.0
STOP_TIMEOUT = 10.0


def executable(name: str, install_hint: str) -> str:
    """Return the ``name`` executable next to this interpreter, or on ``PATH``.

    Raises:
        RuntimeError: not found; the message says how to install it.
    """
    beside = Path(sys.executable).with_name(name)
    if beside.exists():
        return str(beside)
    found = shutil.which(name)
    if found is None:
        raise RuntimeError(f"{name} not found: {install_hint}")
    return found


class ServerProcess:
    """One run (or several, in turn) of a server binary.

    Args:
        name: the server's name, for messages.
        log_path: the file its stdout and stderr are appended to.
        cwd: its working directory.
    """

    def __init__(self, name: str, log_path: Path, cwd: Path) -> None:
        self.name = name
        self.log_path = log_path
        self._cwd = cwd
        self._process: subprocess.Popen[bytes] | None = None

    def __repr__(self) -> str:
        return f"ServerProcess({self.name!r}, running={self.running})"

    @property
    def running(self) -> bool:
        """Whether the server was started and has not exited."""
        return self._process is not None and self._process.poll() is None

    def start(
        self,
        command: Sequence[str],
        env: Mapping[str, str],
        ready: Callable[[], object],
        *,
        interval: float = 0.05,
        timeout: float = START_TIMEOUT,
    ) -> None:
        """Start ``command`` and return once ``ready()`` returns a true value.

        ``ready`` raising counts as not ready yet.

        Raises:
            RuntimeError: the server exited, or was not ready within
                ``timeout`` seconds (it is stopped then); the message holds
                the end of its log.
        """
        with self.log_path.open("ab") as log:
            self._process = subprocess.Popen(
                list(command),
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                env=dict(env),
                cwd=self._cwd,
            )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self._process.poll() is not None:
                self._process = None
                raise RuntimeError(f"{self.name} exited: {self._log_tail()}")
            try:
                if ready():
                    return
            except Exception:  # not serving yet
                pass
            time.sleep(interval)
        self.stop()
        raise RuntimeError(f"{self.name} did not start: {self._log_tail()}")

    def stop(self) -> None:
        """Stop the server (connection refused until :meth:`start`); idempotent."""
        process, self._process = self._process, None
        if process is None:
            return
        process.terminate()
        try:
            process.wait(timeout=STOP_TIMEOUT)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=STOP_TIMEOUT)

    def _log_tail(self) -> str:
        return self.log_path.read_text(errors="replace")[-2000:]
