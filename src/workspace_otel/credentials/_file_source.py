"""A token kept in a file that another process rotates."""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable, Hashable

from workspace_otel._guards import lazy_logging as _lazy_logging
from workspace_otel._guards import safe_read
from workspace_otel._settings._option_parsers import check_interval
from workspace_otel.credentials._token import Token
from workspace_otel.errors import TokenError

TYPE_CHECKING = False  # typing is not imported at run time: see workspace_otel/__init__
if TYPE_CHECKING:
    from pathlib import Path

__all__ = ["FileTokenSource"]

_LOGGER = "workspace_otel.credentials"

MAX_FILE_BYTES = 64 * 1024


def _as_pathlib_spells_it(path: str) -> str:
    """Return ``path`` as ``str(pathlib.Path(path))`` does, without importing pathlib.

    Empty, ``.`` and repeated separators are dropped (``./tok`` -> ``tok``,
    ``a//b/`` -> ``a/b``), ``..`` is kept, and a leading ``//`` (exactly two)
    survives, as POSIX allows it a meaning of its own.
    """
    root = ""
    if path.startswith("/"):
        root = "//" if path.startswith("//") and not path.startswith("///") else "/"
    parts = [part for part in path.split("/") if part and part != "."]
    return root + "/".join(parts) if root or parts else "."


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
        # A str, not a pathlib.Path: pathlib is not imported on the headers path (P12).
        self._path = _as_pathlib_spells_it(os.path.expanduser(os.fspath(path)))
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
    def path(self) -> Path:
        """The file, with ``~`` expanded."""
        from pathlib import Path

        return Path(self._path)

    @property
    def cache_key(self) -> Hashable:
        """``("file", absolute path)``."""
        absolute = (
            self._path if self._path.startswith("/") else os.path.join(os.getcwd(), self._path)
        )
        return ("file", _as_pathlib_spells_it(absolute))

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
                    _lazy_logging.log(
                        _LOGGER,
                        _lazy_logging.WARNING,
                        "keeping the last good token from %s: %s",
                        self._path,
                        exc,
                    )
                self._signature = None
                return self._last_good

    def _fetch_locked(self) -> Token:
        try:
            st = os.stat(self._path)
        except FileNotFoundError:
            raise TokenError(f"token file {self._path} does not exist") from None
        except OSError as exc:
            raise TokenError(f"cannot stat token file {self._path}: {exc.strerror}") from None
        signature = (st.st_dev, st.st_ino, st.st_mtime_ns, st.st_size)
        now = self._monotonic()
        if (
            self._last_good is not None
            and signature == self._signature
            and now - self._read_at < self.force_reread_interval
        ):
            return self._last_good
        try:
            data = safe_read.read_bytes(self._path, limit=MAX_FILE_BYTES)
        except safe_read.UnsafeFileError as exc:
            raise TokenError(
                f"token file {exc}: point WORKSPACE_OTEL_TOKEN_SOURCE=file:PATH at a regular "
                "file that holds the token",
                needs_user=True,
            ) from None
        except OSError as exc:
            raise TokenError(f"cannot read token file {self._path}: {exc.strerror}") from None
        self.reads += 1
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError:
            raise TokenError(f"token file {self._path} is not UTF-8 text") from None
        try:
            token = Token.from_value(text, kind=self.kind)
        except TokenError as exc:
            raise TokenError(f"token file {self._path}: {exc}") from None
        self._signature = signature
        self._read_at = now
        self._last_good = token
        if self._warned:
            self._warned = False
            _lazy_logging.log(
                _LOGGER, _lazy_logging.INFO, "token file %s is readable again", self._path
            )
        return token

    def describe(self) -> str:
        """Return ``file:PATH``."""
        return f"file:{self._path}"

    def __repr__(self) -> str:
        return f"FileTokenSource(path={str(self._path)!r})"
