"""The one gate for CLI text: no control characters, and quiet on a closed pipe."""

from __future__ import annotations

import errno
import os

from workspace_otel._guards.display import CONTROL, visible

TYPE_CHECKING = False  # typing is not imported at run time (the env fast path)
if TYPE_CHECKING:
    from typing import TextIO

__all__ = ["SafeText", "closed_pipe_status", "silence_stdout", "visible"]


class SafeText:
    """Wraps a text stream; every control character is written as a visible escape.

    ``stream`` is ``None`` when the process started with that descriptor
    closed (``>&-``): writing then fails as a pipe without a reader does.
    """

    def __init__(self, stream: TextIO | None) -> None:
        self.stream = stream

    def write(self, text: str) -> int:
        """Write ``text`` with every control character shown as an escape, never interpreted."""
        if self.stream is None:
            raise BrokenPipeError(errno.EPIPE, "the stream was closed before the command started")
        self.stream.write(text.translate(CONTROL))
        return len(text)

    def flush(self) -> None:
        """Flush the underlying stream."""
        if self.stream is not None:
            self.stream.flush()

    def __getattr__(self, name: str) -> object:
        return getattr(self.stream, name)


def silence_stdout() -> None:
    """Point stdout at /dev/null so the interpreter's final flush cannot fail again."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(devnull, 1)
    finally:
        os.close(devnull)


def closed_pipe_status() -> int:
    """The status a Unix tool has when its reader went away: 128 + SIGPIPE."""
    import signal  # only on this rare path: the env fast path does not need it

    return 128 + int(getattr(signal, "SIGPIPE", 13))
