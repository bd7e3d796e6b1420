"""The one reader for every file the library reads.

Token and secret files, git files, certificates and platform files can be a
FIFO, a device (``/dev/zero``), a socket or a huge file. Each is opened
non-blocking, read only when it is a regular file, and bounded in size, so a
hostile or unusual path degrades to an error, never to a hang or a
``MemoryError``.
"""

from __future__ import annotations

import os
import stat

__all__ = ["DEFAULT_LIMIT", "UnsafeFileError", "read_bytes", "read_text"]

DEFAULT_LIMIT = 1024 * 1024
"""Largest file read by default (1 MiB): far above any token, git file or certificate."""


class UnsafeFileError(OSError):
    """The path is not a regular file, or it is larger than the limit."""


def read_bytes(path: str | os.PathLike[str], *, limit: int = DEFAULT_LIMIT) -> bytes:
    """Return the contents of the regular file at ``path``.

    Args:
        path: the file to read.
        limit: the largest size accepted, in bytes.

    Raises:
        UnsafeFileError: the path is a FIFO, device, socket or directory, or is
            larger than ``limit``.
        OSError: the file cannot be opened or read (missing, no permission).
    """
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0)
    fd = os.open(path, flags)
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise UnsafeFileError(f"{os.fspath(path)} is not a regular file")
        if info.st_size > limit:
            raise UnsafeFileError(
                f"{os.fspath(path)} is larger than {limit} bytes ({info.st_size} bytes)"
            )
        chunks: list[bytes] = []
        size = 0
        while True:
            chunk = os.read(fd, min(65536, limit + 1 - size))
            if not chunk:
                break
            chunks.append(chunk)
            size += len(chunk)
            if size > limit:
                raise UnsafeFileError(f"{os.fspath(path)} grew beyond {limit} bytes")
        return b"".join(chunks)
    finally:
        os.close(fd)


def read_text(
    path: str | os.PathLike[str], *, limit: int = DEFAULT_LIMIT, encoding: str = "utf-8"
) -> str:
    """Return the contents of the regular file at ``path`` as text.

    Args:
        path: the file to read.
        limit: the largest size accepted, in bytes.
        encoding: the text encoding; undecodable bytes are replaced.

    Raises:
        UnsafeFileError: see :func:`read_bytes`.
        OSError: the file cannot be opened or read.
    """
    return read_bytes(path, limit=limit).decode(encoding, errors="replace")
