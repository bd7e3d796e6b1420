"""Run ``git`` under one deadline shared by every process of a detection."""

from __future__ import annotations

import os
import time
from collections.abc import Callable

from workspace_otel.resources._gitfiles import RepoLocation

__all__ = ["Deadline", "GitUnavailable", "run_git"]

_MIN_PROCESS_TIMEOUT = 0.05
_MAX_GIT_OUTPUT = 16 * 1024 * 1024


class Deadline:
    """What is left of the time git detection may take.

    Args:
        seconds: the whole budget.
        clock: monotonic clock (tests inject one).
    """

    def __init__(self, seconds: float, clock: Callable[[], float] = time.monotonic) -> None:
        self.seconds = seconds
        self._clock = clock
        self._end = clock() + seconds

    def remaining(self) -> float:
        """Return the seconds left (0 once past the deadline)."""
        return max(0.0, self._end - self._clock())

    def process_timeout(self) -> float:
        """Return the timeout for the next ``git`` process (never below 50 ms)."""
        return max(_MIN_PROCESS_TIMEOUT, self.remaining())


class GitUnavailable(OSError):
    """No usable ``git`` executable."""


def run_git(location: RepoLocation, args: tuple[str, ...], deadline: Deadline) -> str:
    """Run ``git -C <work tree> args`` with what is left of the deadline; return its output.

    The bounded runner the command token sources use (no shell, stdin closed,
    own process group killed as a whole at the timeout), not GitPython's
    watchdog (which older GitPython releases run through ``ps`` and leak).

    Raises:
        GitUnavailable: ``git`` is not installed or not executable.
        OSError: it failed, timed out or printed too much.
    """
    from workspace_otel.credentials._run_command import run_command
    from workspace_otel.errors import TokenError

    executable = os.environ.get("GIT_PYTHON_GIT_EXECUTABLE") or "git"
    env = {**os.environ, "GIT_OPTIONAL_LOCKS": "0", "GIT_TERMINAL_PROMPT": "0"}
    try:
        out = run_command(
            [executable, "-C", str(location.work_tree), *args],
            timeout=deadline.process_timeout(),
            max_stdout=_MAX_GIT_OUTPUT,
            env=env,
            what="git",
        )
    except TokenError as exc:
        if exc.needs_user:
            raise GitUnavailable(str(exc)) from None
        raise OSError(str(exc)) from None
    return out.decode("utf-8", "replace")
