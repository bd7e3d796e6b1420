"""``workspace-otel token [--file PATH [--watch]]``: the current token, for other programs.

* No option: the token on stdout (``$(workspace-otel token)``).
* ``--file PATH``: the token written to ``PATH``, mode 0600, through a
  temporary file in the same directory and an atomic rename, so a reader
  never sees a partial or empty file. No trailing newline (AWS SDKs read
  ``AWS_WEB_IDENTITY_TOKEN_FILE`` verbatim).
* ``--watch``: keep running and rewrite ``PATH`` whenever the shared cache
  holds a new token, which it fetches ahead of expiry (around half the
  lifetime). While the token service is down the cache keeps the last usable
  token and retries with backoff; the file keeps the last token written. One
  line on stderr reports a failure and one the recovery. ``SIGTERM`` or
  ``SIGINT`` ends it with status 0. For the Collector's ``bearertokenauth``
  ``filename`` option and for ``AWS_WEB_IDENTITY_TOKEN_FILE``.
"""

from __future__ import annotations

import os
import signal
import sys
import threading
import time
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

from workspace_otel.cli import _credentials
from workspace_otel.cli._private_file import write_private_file

if TYPE_CHECKING:
    from workspace_otel.credentials import Token

MIN_CHECK = 0.1
MAX_CHECK = 5.0
STOP_LATENCY = 1.0
"""Longest single wait of the watcher, in seconds: how soon SIGTERM / SIGINT take effect."""


def write_secret_file(path: Path, value: str) -> None:
    """Replace ``path`` atomically with the token, readable by the owner only (0600).

    Raises:
        OSError: the directory is missing or not writable.
    """
    write_private_file(path, value.encode("utf-8"))


def next_check(token: Token, now: float) -> float:
    """Seconds until the watcher looks at the cache again: often enough for short tokens."""
    if token.expires_at is None:
        return MAX_CHECK
    left = token.expires_at.timestamp() - now
    return min(MAX_CHECK, max(MIN_CHECK, left / 8))


class _Stop:
    """Set by SIGTERM / SIGINT; the watch loop waits on it."""

    def __init__(self) -> None:
        self.event = threading.Event()

    def install(self) -> None:
        for signum in (signal.SIGTERM, signal.SIGINT):
            signal.signal(signum, self._handle)

    def _handle(self, signum: int, frame: object) -> None:
        self.event.set()


def _watch(
    config: _credentials.Configured, path: Path, timeout: float, stop: threading.Event
) -> int:
    """Keep ``path`` current until ``stop`` is set.

    Each wait for a token is at most :data:`STOP_LATENCY` seconds, so a stop
    signal is honoured promptly even while the token service stalls; a
    failure is reported once it has lasted ``timeout`` seconds (or at once
    when it needs the user), and the recovery once.
    """
    from workspace_otel.errors import TokenError

    written: str | None = None
    reported = False
    failing_since: float | None = None
    while not stop.is_set():
        try:
            token = _credentials.current_token(config, min(timeout, STOP_LATENCY))
        except TokenError as exc:
            now = time.monotonic()
            failing_since = now if failing_since is None else failing_since
            if not reported and (exc.needs_user or now - failing_since >= timeout):
                reason = _credentials.one_line_reason("token", exc)
                print(f"{reason} (keeping {path.name}; retrying)", file=sys.stderr, flush=True)
                reported = True
            stop.wait(STOP_LATENCY)
            continue
        if reported:
            print("workspace-otel token: the token source works again", file=sys.stderr)
        reported = False
        failing_since = None
        if token.value != written:
            try:
                write_secret_file(path, token.value)
            except OSError as exc:
                print(_credentials.one_line_reason("token", exc), file=sys.stderr)
                return 1
            written = token.value
        stop.wait(next_check(token, time.time()))
    return 0


def run_token(
    *,
    out: TextIO,
    file: str | None,
    watch: bool,
    timeout: float,
    environ: Mapping[str, str] | None = None,
) -> int:
    """Print or write the token; return the exit status.

    Returns:
        0 (also when ``--watch`` is stopped by SIGTERM / SIGINT); 1 when no
        token can be had now or the file cannot be written; 2 when the
        configuration is missing or invalid, or ``--watch`` comes without
        ``--file``.
    """
    from workspace_otel.errors import ConfigurationError, TokenError

    if watch and file is None:
        print("workspace-otel token: --watch needs --file PATH", file=sys.stderr)
        return 2
    env = os.environ if environ is None else environ
    _credentials.quiet_library_logs()
    stop = _Stop()
    if watch:
        stop.install()
    try:
        config = _credentials.configured(env)
        path = None if file is None else Path(file).expanduser().absolute()
        if path is not None and not path.parent.is_dir():
            raise ConfigurationError(
                f"token --file: the directory {path.parent} does not exist: create it first"
            )
        if path is not None and path.is_dir():
            raise ConfigurationError(
                f"token --file: {path} is a directory: give the path of a file, "
                f"e.g. {path / 'token'}"
            )
        if watch and path is not None:
            return _watch(config, path, timeout, stop.event)
        token = _credentials.current_token(config, timeout)
    except ConfigurationError as exc:
        print(_credentials.one_line_reason("token", exc), file=sys.stderr)
        return 2
    except TokenError as exc:
        print(_credentials.one_line_reason("token", exc), file=sys.stderr)
        return 2 if exc.needs_user else 1
    if path is None:
        out.write(token.value + "\n")
        out.flush()
        return 0
    try:
        write_secret_file(path, token.value)
    except OSError as exc:
        print(_credentials.one_line_reason("token", exc), file=sys.stderr)
        return 1
    return 0
