"""Run a token-printing helper safely: no shell, bounded in time and output."""

from __future__ import annotations

import contextlib
import os
import selectors
import signal
import subprocess
import time
from collections.abc import Mapping, Sequence

from workspace_otel._guards.redaction import scrub_strict
from workspace_otel.errors import TokenError

__all__ = ["DEFAULT_TIMEOUT", "MAX_STDOUT_BYTES", "run_command"]

DEFAULT_TIMEOUT = 10.0
MAX_STDOUT_BYTES = 64 * 1024
_MAX_STDERR_BYTES = 4 * 1024
# Exit statuses meaning the command itself is wrong: retrying cannot help.
_NEEDS_USER_STATUSES = frozenset({126, 127})


# Process groups of token commands still running, with the pid of the process
# that started each (a forked child must not kill its parent's helpers).
_LIVE: dict[int, int] = {}
_AT_EXIT_REGISTERED: list[bool] = []


def _started(pgid: int) -> None:
    """Remember a running command so that leaving the process cannot orphan it."""
    _LIVE[pgid] = os.getpid()
    if not _AT_EXIT_REGISTERED:
        import atexit

        _AT_EXIT_REGISTERED.append(True)
        atexit.register(_kill_leftovers)


def _kill_leftovers() -> None:
    """At exit (Ctrl-C on a waiting CLI, an application ending mid-fetch): end our commands."""
    me = os.getpid()
    for pgid, owner in list(_LIVE.items()):
        if owner == me:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(pgid, signal.SIGKILL)


def _kill_group(process: subprocess.Popen[bytes]) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(process.pid, signal.SIGKILL)
    with contextlib.suppress(ProcessLookupError):
        process.kill()
    process.wait()


def run_command(
    argv: Sequence[str],
    *,
    timeout: float = DEFAULT_TIMEOUT,
    max_stdout: int = MAX_STDOUT_BYTES,
    env: Mapping[str, str] | None = None,
    what: str | None = None,
) -> bytes:
    """Run ``argv`` and return its standard output.

    The command runs without a shell, with stdin closed, in its own process
    group (killed as a whole on timeout or runaway output). Its stderr is
    kept only to explain a failure, and only after :func:`redact`.

    Args:
        argv: program and arguments.
        timeout: seconds before the process group is killed.
        max_stdout: bytes of stdout accepted; more kills the command.
        env: environment for the child (inherit when ``None``).
        what: name used in messages (default: the program's base name).

    Raises:
        TokenError: not found / not executable (``needs_user``), timed out,
            too much output, or a non-zero exit status.
    """
    name = what or os.path.basename(argv[0])
    try:
        process = subprocess.Popen(
            list(argv),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            start_new_session=True,
            close_fds=True,
            env=None if env is None else dict(env),
        )
    except FileNotFoundError:
        raise TokenError(
            f"token command {name!r} was not found: install it or fix the command line",
            needs_user=True,
        ) from None
    except PermissionError:
        raise TokenError(
            f"token command {name!r} is not executable: fix its permissions",
            needs_user=True,
        ) from None
    except OSError as exc:
        raise TokenError(f"token command {name!r} could not start: {exc.strerror}") from None

    _started(process.pid)
    try:
        return _collect(process, name, timeout, max_stdout)
    finally:
        _LIVE.pop(process.pid, None)


def _collect(process: subprocess.Popen[bytes], name: str, timeout: float, max_stdout: int) -> bytes:
    stdout = bytearray()
    stderr = bytearray()
    deadline = time.monotonic() + timeout
    assert process.stdout is not None
    assert process.stderr is not None
    overflow = False
    with selectors.DefaultSelector() as selector:
        selector.register(process.stdout, selectors.EVENT_READ, stdout)
        selector.register(process.stderr, selectors.EVENT_READ, stderr)
        while selector.get_map():
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                break
            for key, _ in selector.select(remaining):
                chunk = os.read(key.fd, 65536)
                if not chunk:
                    selector.unregister(key.fileobj)
                    continue
                buffer: bytearray = key.data
                buffer += chunk
                if buffer is stdout and len(stdout) > max_stdout:
                    overflow = True
                    break
                if buffer is stderr and len(stderr) > _MAX_STDERR_BYTES:
                    del stderr[: len(stderr) - _MAX_STDERR_BYTES]
            if overflow:
                break
        timed_out = bool(selector.get_map()) and not overflow
    process.stdout.close()
    process.stderr.close()
    if overflow or timed_out:
        _kill_group(process)
        if overflow:
            raise TokenError(f"token command {name!r} printed more than {max_stdout} bytes")
        raise TokenError(f"token command {name!r} did not finish within {timeout:g} s")
    try:
        status = process.wait(timeout=max(deadline - time.monotonic(), 0.01))
    except subprocess.TimeoutExpired:
        _kill_group(process)
        raise TokenError(f"token command {name!r} did not finish within {timeout:g} s") from None
    if status != 0:
        # A failing helper may still have printed its token (with a newline) and
        # echo it on stderr: every stdout line is masked, however it ends.
        detail = scrub_strict(stderr.decode("utf-8", "replace"), stdout.decode("utf-8", "replace"))
        message = f"token command {name!r} exited with status {status}"
        if detail:
            message += f": {detail}"
        raise TokenError(message, needs_user=status in _NEEDS_USER_STATUSES)
    return bytes(stdout)
