"""The one gate for CLI text: no control characters, and quiet on a closed pipe."""

from __future__ import annotations

import errno
import os

TYPE_CHECKING = False  # typing is not imported at run time (the env fast path)
if TYPE_CHECKING:
    from typing import TextIO

__all__ = ["SafeText", "closed_pipe_status", "silence_stdout", "visible"]


def _escape(code: int) -> str:
    return f"\\x{code:02x}" if code <= 0xFF else f"\\u{code:04x}"


# Everything a terminal could interpret except newline and tab: C0, DEL, C1,
# and the bidirectional overrides/isolates, each mapped to its escape (a
# translation table: no ``re`` on the shell-start path, budget P12).
_CONTROL = {
    code: _escape(code)
    for first, last in (
        (0x00, 0x08),
        (0x0B, 0x1F),
        (0x7F, 0x9F),
        (0x202A, 0x202E),
        (0x2066, 0x2069),
    )
    for code in range(first, last + 1)
}


def visible(text: str) -> str:
    """Return ``text`` with every control character written as an escape (for logs too)."""
    return text.translate(_CONTROL)


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
        self.stream.write(text.translate(_CONTROL))
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
