"""A small on-disk cache of the git-derived attributes, so a start needs no GitPython.

Importing GitPython runs ``git version`` and reading a repository through it
costs tens of milliseconds: more than a process start can afford (budget P2
of docs/budgets.md). The attributes only change when HEAD, a ref, a tag or the
configuration changes, so they are cached per repository under
``$XDG_CACHE_HOME/workspace-otel/git-<sha256 of the work tree path>.json``
(``~/.cache`` when ``XDG_CACHE_HOME`` is unset), keyed on
:func:`~workspace_otel.resources._gitfiles.state_fingerprint` plus the
identity mode.

Rules:

* only the final, normalised attributes are stored (``vcs.*``, and
  ``user.email`` / ``user.full_name`` with identity ``full``): never a raw
  remote URL, never a credential;
* the directory is created ``0700`` and each file written ``0600``,
  atomically (a temporary file in the same directory, then ``os.replace``);
* a file that is unreadable, corrupt, foreign, not ours or for another key
  is ignored and overwritten; every failure is silent (DEBUG at most);
* ``WORKSPACE_OTEL_GIT_CACHE=off`` turns the cache off; it is never used
  with ``WORKSPACE_OTEL_GIT_DIRTY=on`` (the work tree changes without any of
  the keyed files changing).
"""

from __future__ import annotations

import json
import os
import stat
from collections.abc import Mapping

from workspace_otel._guards import safe_read
from workspace_otel._guards.sha256 import sha256
from workspace_otel.resources import _attributes as a

TYPE_CHECKING = False  # typing is not imported at run time: see workspace_otel/__init__
if TYPE_CHECKING:
    from pathlib import Path
    from typing import Any


def _debug(message: str) -> None:
    # logging is imported only when there is something to say: `workspace-otel env`
    # reads this module at every shell start.
    import logging

    logging.getLogger("workspace_otel.resources").debug(message)


FORMAT = "workspace-otel/git-attributes"
VERSION = 1
_MAX_BYTES = 64 * 1024
_CACHEABLE = frozenset(
    {
        a.VCS_REPOSITORY_URL_FULL,
        a.VCS_REPOSITORY_NAME,
        a.VCS_OWNER_NAME,
        a.VCS_PROVIDER_NAME,
        a.VCS_REF_HEAD_NAME,
        a.VCS_REF_HEAD_TYPE,
        a.VCS_REF_HEAD_REVISION,
        a.USER_EMAIL,
        a.USER_FULL_NAME,
    }
)


def cache_dir(environ: Mapping[str, str] | None = None) -> Path | None:
    """Return :func:`cache_directory` as a :class:`pathlib.Path`, or ``None``."""
    directory = cache_directory(environ)
    if directory is None:
        return None
    from pathlib import Path  # not on `workspace-otel env`'s cached path

    return Path(directory)


def cache_directory(environ: Mapping[str, str] | None = None) -> str | None:
    """Return ``$XDG_CACHE_HOME/workspace-otel`` (``~/.cache/workspace-otel``), or ``None``.

    The location is a property of the user running the process, so it is read
    from the process environment (GitPython reads the same one). Text, not a
    ``Path``: ``workspace-otel env`` looks here at every shell start.
    """
    env = os.environ if environ is None else environ
    base = env.get("XDG_CACHE_HOME", "")
    if not os.path.isabs(base):  # the XDG spec says relative values are ignored
        home = os.path.expanduser("~")
        if not os.path.isabs(home):
            return None
        base = os.path.join(home, ".cache")
    from workspace_otel.resources._gitfiles import posix_spelling

    return posix_spelling(os.path.join(base, "workspace-otel"))


def cache_path(directory: Path, work_tree: Path) -> Path:
    """Return the cache file of one repository (named by a digest, never by the path)."""
    name = sha256(os.fsencode(work_tree)).hexdigest()
    return directory / f"git-{name}.json"


def _valid(attrs: Any) -> dict[str, a.AttrValue] | None:
    if not isinstance(attrs, dict):
        return None
    for key, value in attrs.items():
        if key not in _CACHEABLE or not isinstance(value, str) or not value.isprintable():
            return None
    return dict(attrs)


def load(path: Path, key: str) -> dict[str, a.AttrValue] | None:
    """Return the attributes cached under ``key``, or ``None`` (missing, stale, corrupt)."""
    try:
        if os.lstat(path).st_uid != os.geteuid():  # another user's file: never trust it
            return None
        raw = safe_read.read_bytes(path, limit=_MAX_BYTES, follow_symlinks=False)
    except OSError:  # missing, a link, not a regular file, or too large
        return None
    try:
        data = json.loads(raw)
    except (ValueError, RecursionError):
        _debug("ignoring a corrupt git attribute cache file")
        return None
    if (
        not isinstance(data, dict)
        or data.get("format") != FORMAT
        or data.get("version") != VERSION
        or data.get("key") != key
    ):
        return None
    return _valid(data.get("attributes"))


def _private_dir(directory: Path | str) -> bool:
    """Create ``directory`` 0700 (parents as needed); refuse one that is not ours."""
    try:
        os.makedirs(directory, mode=0o700, exist_ok=True)
        st = os.lstat(directory)
        if not stat.S_ISDIR(st.st_mode) or st.st_uid != os.geteuid():
            return False
        if stat.S_IMODE(st.st_mode) != 0o700:
            os.chmod(directory, 0o700)
    except OSError:
        return False
    return True


def store(path: Path, key: str, attrs: Mapping[str, a.AttrValue]) -> bool:
    """Write ``attrs`` under ``key`` atomically, owner-only; return whether it was written.

    Attributes that are not cacheable git attributes are refused (nothing is
    written), so no other value can reach the file.
    """
    kept = _valid(dict(attrs))
    if kept is None or not _private_dir(path.parent):
        return False
    body = json.dumps(
        {"format": FORMAT, "version": VERSION, "key": key, "attributes": kept},
        sort_keys=True,
        separators=(",", ":"),
    ).encode("utf-8")
    import tempfile  # only on a miss: it is not needed on the start-up path

    tmp = ""
    try:
        fd, tmp = tempfile.mkstemp(prefix=".git-", suffix=".tmp", dir=path.parent)  # 0600
        with os.fdopen(fd, "wb") as handle:
            handle.write(body)
        os.replace(tmp, path)
    except OSError:
        _debug("could not write the git attribute cache")
        if tmp:
            import contextlib  # a failed write only: not on the start-up path

            with contextlib.suppress(OSError):
                os.unlink(tmp)
        return False
    return True
