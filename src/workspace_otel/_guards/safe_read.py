"""The one reader for every file the library reads.

Token and secret files, git files, certificates and platform files can be a
FIFO, a device (``/dev/zero``), a socket or a huge file. Each is opened
non-blocking, read only when it is a regular file, and bounded in size, so a
hostile or unusual path degrades to an error, never to a hang or a
``MemoryError``.

:func:`check_regular` answers the same question without reading, for files
that another reader (GitPython, the SDK's exporters, OpenSSL) will open
itself: call it first and hand the path on only when it passes.
"""

from __future__ import annotations

import errno
import os
import stat

__all__ = [
    "DEFAULT_LIMIT",
    "UnsafeFileError",
    "check_regular",
    "read_bytes",
    "read_text",
]

DEFAULT_LIMIT = 1024 * 1024
"""Largest file read by default (1 MiB): far above any token, git file or certificate."""

_CHUNK = 65536


class UnsafeFileError(OSError):
    """The path is not a regular file, or it is larger than the limit."""


def _kind(mode: int) -> str:
    if stat.S_ISFIFO(mode):
        return "a FIFO"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    if stat.S_ISSOCK(mode):
        return "a socket"
    if stat.S_ISDIR(mode):
        return "a directory"
    return "not a regular file"


def _check(path: str | os.PathLike[str], info: os.stat_result, limit: int) -> None:
    if not stat.S_ISREG(info.st_mode):
        kind = _kind(info.st_mode)
        what = kind if kind.startswith("not") else f"{kind}, not a regular file"
        raise UnsafeFileError(f"{os.fspath(path)} is {what}")
    if info.st_size > limit:
        raise UnsafeFileError(
            f"{os.fspath(path)} is larger than {limit} bytes ({info.st_size} bytes)"
        )


def check_regular(path: str | os.PathLike[str], *, limit: int = DEFAULT_LIMIT) -> None:
    """Check, without opening it, that ``path`` is a regular file of at most ``limit`` bytes.

    Symbolic links are followed, as a reader would follow them.

    Raises:
        UnsafeFileError: the path is a FIFO, device, socket or directory, or is
            larger than ``limit``.
        OSError: the path cannot be examined (missing, no permission).
    """
    _check(path, os.stat(path), limit)


def read_bytes(
    path: str | os.PathLike[str], *, limit: int = DEFAULT_LIMIT, follow_symlinks: bool = True
) -> bytes:
    """Return the contents of the regular file at ``path``.

    The file is opened with ``O_NONBLOCK`` (opening a FIFO never waits for a
    writer) and ``O_NOCTTY``, examined with ``fstat`` on the open descriptor
    (no race with a rename), and read in chunks up to ``limit`` bytes.

    Args:
        path: the file to read.
        limit: the largest size accepted, in bytes.
        follow_symlinks: ``False`` refuses a symbolic link (``O_NOFOLLOW``),
            for files the library wrote itself.

    Raises:
        UnsafeFileError: the path is a FIFO, device, socket or directory, or is
            larger than ``limit``.
        OSError: the file cannot be opened or read (missing, no permission,
            a symbolic link when ``follow_symlinks`` is false).
    """
    flags = (
        os.O_RDONLY
        | getattr(os, "O_NONBLOCK", 0)
        | getattr(os, "O_CLOEXEC", 0)
        | getattr(os, "O_NOCTTY", 0)
    )
    if not follow_symlinks:
        flags |= getattr(os, "O_NOFOLLOW", 0)
    try:
        fd = os.open(path, flags)
    except OSError as exc:
        if exc.errno == errno.ENXIO:  # a socket, or a device without its driver
            _check(path, os.stat(path), limit)
        raise
    try:
        _check(path, os.fstat(fd), limit)
        chunks: list[bytes] = []
        size = 0
        while True:
            chunk = os.read(fd, min(_CHUNK, limit + 1 - size))
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
    path: str | os.PathLike[str],
    *,
    limit: int = DEFAULT_LIMIT,
    encoding: str = "utf-8",
    errors: str = "replace",
) -> str:
    """Return the contents of the regular file at ``path`` as text.

    Args:
        path: the file to read.
        limit: the largest size accepted, in bytes.
        encoding: the text encoding.
        errors: how undecodable bytes are handled (``replace`` by default;
            ``strict`` raises :class:`UnicodeDecodeError`).

    Raises:
        UnsafeFileError: see :func:`read_bytes`.
        OSError: the file cannot be opened or read.
        UnicodeDecodeError: ``errors="strict"`` and the bytes are not ``encoding``.
    """
    return read_bytes(path, limit=limit).decode(encoding, errors=errors)
