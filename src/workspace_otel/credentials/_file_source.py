"""A token kept in a file that another process rotates."""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Callable, Hashable
from pathlib import Path

from workspace_otel._guards import safe_read
from workspace_otel.credentials._intervals import check_interval
from workspace_otel.credentials._token import Token
from workspace_otel.errors import TokenError

__all__ = ["FileTokenSource"]

_logger = logging.getLogger("workspace_otel.credentials")

MAX_FILE_BYTES = 64 * 1024


class FileTokenSource:
    r"""Reads the token from a file (``file:PATH``), re-reading it when it changes.

    Each fetch ``stat``\\ s the file and re-reads it only when its inode,
    modification time or size changed, or when :attr:`force_reread_interval`
    seconds passed since the last read (a rotation that keeps all three).
    Surrounding whitespace (the trailing newline most tools write) is stripped;
    a value with control characters is rejected. When the file cannot be read
    or holds an invalid value, the last good token is kept (the cache drops it
    once it expires) and one warning is logged until the file is good again.

    This matches the Collector's ``bearertokenauth`` ``filename`` option and
    Kubernetes projected-token / secret-agent rotation.

    Args:
        path: the file.
        revalidate_interval: how often the cache calls :meth:`fetch` for a token
            without known expiry; each call costs one ``stat``.
        force_reread_interval: re-read at least this often even if unchanged.
        monotonic: clock used for the forced re-read (tests inject one).
    """

    kind = "file"
    mints_fresh_tokens = False

    def __init__(
        self,
        path: str | os.PathLike[str],
        *,
        revalidate_interval: float = 5.0,
        force_reread_interval: float = 60.0,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self.path = Path(path).expanduser()
        self.revalidate_interval = check_interval(
            revalidate_interval, "FileTokenSource(revalidate_interval=...)"
        )
        self.force_reread_interval = check_interval(
            force_reread_interval, "FileTokenSource(force_reread_interval=...)", minimum=0.0
        )
        self._monotonic = monotonic
        self._lock = threading.Lock()
        self._pid = os.getpid()
        self._signature: tuple[int, int, int, int] | None = None
        self._read_at = 0.0
        self._last_good: Token | None = None
        self._warned = False
        self.reads = 0

    @property
    def cache_key(self) -> Hashable:
        """``("file", absolute path)``."""
        return ("file", str(self.path.absolute()))

    def fetch(self) -> Token:
        """Return the file's token, re-reading only when needed.

        Raises:
            TokenError: the file is unreadable or invalid and no earlier read
                succeeded.
        """
        if self._pid != os.getpid():
            # Forked while another thread may have held the lock: start afresh.
            self._lock = threading.Lock()
            self._pid = os.getpid()
        with self._lock:
            try:
                return self._fetch_locked()
            except TokenError as exc:
                if self._last_good is None:
                    raise
                if not self._warned:
                    self._warned = True
                    _logger.warning("keeping the last good token from %s: %s", self.path, exc)
                self._signature = None
                return self._last_good

    def _fetch_locked(self) -> Token:
        try:
            st = os.stat(self.path)
        except FileNotFoundError:
            raise TokenError(f"token file {self.path} does not exist") from None
        except OSError as exc:
            raise TokenError(f"cannot stat token file {self.path}: {exc.strerror}") from None
        signature = (st.st_dev, st.st_ino, st.st_mtime_ns, st.st_size)
        now = self._monotonic()
        if (
            self._last_good is not None
            and signature == self._signature
            and now - self._read_at < self.force_reread_interval
        ):
            return self._last_good
        try:
            data = safe_read.read_bytes(self.path, limit=MAX_FILE_BYTES)
        except safe_read.UnsafeFileError as exc:
            raise TokenError(
                f"token file {exc}: point WORKSPACE_OTEL_TOKEN_SOURCE=file:PATH at a regular "
                "file that holds the token",
                needs_user=True,
            ) from None
        except OSError as exc:
            raise TokenError(f"cannot read token file {self.path}: {exc.strerror}") from None
        self.reads += 1
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError:
            raise TokenError(f"token file {self.path} is not UTF-8 text") from None
        try:
            token = Token.from_value(text, kind=self.kind)
        except TokenError as exc:
            raise TokenError(f"token file {self.path}: {exc}") from None
        self._signature = signature
        self._read_at = now
        self._last_good = token
        if self._warned:
            self._warned = False
            _logger.info("token file %s is readable again", self.path)
        return token

    def describe(self) -> str:
        """Return ``file:PATH``."""
        return f"file:{self.path}"

    def __repr__(self) -> str:
        return f"FileTokenSource(path={str(self.path)!r})"
