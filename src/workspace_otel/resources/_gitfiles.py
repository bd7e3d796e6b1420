"""Locate a git repository and fingerprint the files its git-derived attributes depend on.

This is the cheap half of the git detector: it runs on every start, so it
uses ``os`` calls only (no ``git`` process, no GitPython import). It finds
the repository the way git and GitPython do (``.git`` directories and
``.git`` files of worktrees and submodules, ``commondir``) and computes the
:func:`state_fingerprint` that keys the attribute cache (``_gitcache``).
Reading HEAD, refs, tags and remotes is ``_gitread``'s job (from the files)
or GitPython's (``_git``).

Nothing here logs and nothing raises :class:`OSError` to the caller.
"""

from __future__ import annotations

import errno
import os
import stat
from collections.abc import Iterable, Mapping, Sequence

from workspace_otel._guards import safe_read
from workspace_otel._guards.sha256 import sha256

TYPE_CHECKING = False  # typing is not imported at run time: see workspace_otel/__init__
if TYPE_CHECKING:
    from pathlib import Path

_MAX_SMALL_FILE = 4096
_MAX_TAG_DIRS = 256
# What pathlib's is_dir()/is_file() treat as "no such entry" rather than raise.
_ABSENT = (errno.ENOENT, errno.ENOTDIR, errno.EBADF, errno.ELOOP)


_HEX = frozenset("0123456789abcdef")


def is_object_name(text: str) -> bool:
    """Whether ``text`` is a full git object name: 40 (SHA-1) or 64 (SHA-256) lower-case hex.

    Plain string tests rather than a pattern: every start checks HEAD with
    it, and compiling a regular expression costs more than the check.
    """
    return len(text) in (40, 64) and _HEX.issuperset(text)


def posix_spelling(path: str) -> str:
    """Spell ``path`` as ``str(pathlib.PurePosixPath(path))`` does, without importing pathlib.

    Empty and ``.`` parts and trailing slashes go, ``..`` stays (no symlink is
    resolved), and a leading ``//`` (exactly two slashes) is kept.
    """
    if path.startswith("/"):
        root = "//" if path.startswith("//") and not path.startswith("///") else "/"
    else:
        root = ""
    return (root + "/".join(p for p in path.split("/") if p and p != ".")) or "."


def _join(directory: str, name: str) -> str:
    return posix_spelling(os.path.join(directory, name))


def _upwards(directory: str) -> Iterable[str]:
    """Yield ``directory`` (absolute, lexical) and each of its parents up to the root."""
    root = "//" if directory.startswith("//") else "/"
    while True:
        yield directory
        if directory == root:
            return
        parent = directory[: directory.rindex("/")]
        directory = parent if len(parent) > len(root) else root


def _mode(path: str) -> int:
    """Return the mode ``path`` designates (0 when there is no such entry).

    Raises:
        OSError: the entry cannot be examined (an unreadable directory).
    """
    try:
        return os.stat(path).st_mode
    except OSError as exc:
        if exc.errno in _ABSENT:
            return 0
        raise
    except ValueError:  # an embedded NUL
        return 0


def _is_dir(path: str) -> bool:
    return stat.S_ISDIR(_mode(path))


def _is_file(path: str) -> bool:
    return stat.S_ISREG(_mode(path))


class RepoLocation:
    """Where a repository lives (immutable; a plain class: no typing or dataclass import).

    The paths are kept as text, so finding and fingerprinting a repository
    needs no pathlib (``workspace-otel env`` runs at every shell start); each
    attribute gives a :class:`pathlib.Path`.

    Attributes:
        start: the search start that led to it (GitPython searches from here too).
        work_tree: the directory holding ``.git``.
        git_dir: the (per-worktree) git directory: HEAD lives here.
        common_dir: the directory holding refs, packed-refs and config
            (``git_dir`` except in linked worktrees).
    """

    __slots__ = ("_common_dir", "_git_dir", "_start", "_work_tree")

    _start: str
    _work_tree: str
    _git_dir: str
    _common_dir: str

    def __init__(
        self, start: Path | str, work_tree: Path | str, git_dir: Path | str, common_dir: Path | str
    ) -> None:
        object.__setattr__(self, "_start", posix_spelling(os.fspath(start)))
        object.__setattr__(self, "_work_tree", posix_spelling(os.fspath(work_tree)))
        object.__setattr__(self, "_git_dir", posix_spelling(os.fspath(git_dir)))
        object.__setattr__(self, "_common_dir", posix_spelling(os.fspath(common_dir)))

    def __setattr__(self, name: str, value: object) -> None:
        raise AttributeError(f"RepoLocation is immutable: cannot set {name}")

    @property
    def start(self) -> Path:
        """The search start that led to the repository."""
        from pathlib import Path

        return Path(self._start)

    @property
    def work_tree(self) -> Path:
        """The directory holding ``.git``."""
        from pathlib import Path

        return Path(self._work_tree)

    @property
    def git_dir(self) -> Path:
        """The (per-worktree) git directory."""
        from pathlib import Path

        return Path(self._git_dir)

    @property
    def common_dir(self) -> Path:
        """The directory holding refs, packed-refs and config."""
        from pathlib import Path

        return Path(self._common_dir)

    def _fields(self) -> tuple[str, str, str, str]:
        return (self._start, self._work_tree, self._git_dir, self._common_dir)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, RepoLocation) and self._fields() == other._fields()

    def __hash__(self) -> int:
        return hash(self._fields())

    def __repr__(self) -> str:
        return (
            f"RepoLocation(start={self._start!r}, work_tree={self._work_tree!r}, "
            f"git_dir={self._git_dir!r}, common_dir={self._common_dir!r})"
        )


def _read_small(path: Path | str, limit: int = _MAX_SMALL_FILE) -> bytes | None:
    try:
        return safe_read.read_bytes(path, limit=limit)
    except OSError:  # missing, unreadable, not a regular file, or too large
        return None


def _git_dir_of(candidate: str) -> str | None:
    """Return the git directory a ``.git`` entry designates, or ``None``.

    Raises:
        OSError: the entry cannot be examined (an unreadable directory).
    """
    if _is_dir(candidate):
        return candidate if _is_file(_join(candidate, "HEAD")) else None
    if not _is_file(candidate):
        return None
    raw = _read_small(candidate)
    text = (raw or b"").decode("utf-8", "replace")
    if not text.startswith("gitdir:"):
        return None
    target = posix_spelling(text[len("gitdir:") :].strip())
    target = os.path.normpath(os.path.join(os.path.dirname(candidate), target))
    return target if _is_file(_join(target, "HEAD")) else None


def _common_dir(git_dir: str) -> str:
    raw = _read_small(_join(git_dir, "commondir"))
    text = (raw or b"").decode("utf-8", "replace").strip()
    if not text:
        return git_dir
    return os.path.normpath(os.path.join(git_dir, posix_spelling(text)))


def locate(starts: Iterable[Path | str]) -> RepoLocation | None:
    """Return the first repository found walking up from each of ``starts`` in turn."""
    for given in starts:
        start = posix_spelling(os.fspath(given))
        if not start.startswith("/"):
            try:
                cwd = os.getcwd()
            except OSError:  # the current directory was removed
                continue
            start = cwd if start == "." else _join(cwd, start)
        for directory in _upwards(start):
            try:
                git_dir = _git_dir_of(_join(directory, ".git"))
            except OSError:  # unreadable directory: stop climbing from this start
                break
            if git_dir is not None:
                return RepoLocation(start, directory, git_dir, _common_dir(git_dir))
    return None


def global_config_paths(environ: Mapping[str, str] | None = None) -> tuple[str, ...]:
    """Return the non-repository config files GitPython's ``config_reader()`` reads.

    Args:
        environ: the process environment GitPython will see (``os.environ``).
    """
    env = os.environ if environ is None else environ
    home = env.get("HOME") or os.path.expanduser("~")
    config_home = env.get("XDG_CONFIG_HOME") or os.path.join(home, ".config")
    return (
        "/etc/gitconfig",
        os.path.normpath(os.path.join(config_home, "git", "config")),
        os.path.normpath(os.path.join(home, ".gitconfig")),
    )


_GIT_FILE_LIMIT = 64 * 1024 * 1024
"""Largest git file handed to GitPython (64 MiB: a ``packed-refs`` of about a million refs)."""


def unsafe_files(location: RepoLocation) -> list[str]:
    """Return why GitPython must not read this repository (empty when it may).

    GitPython opens HEAD, the ref HEAD names, ``packed-refs`` and the
    configuration files with a blocking ``open``: a FIFO there never returns
    and a device (``/dev/zero``) exhausts memory. Each of those that exists
    must be a regular file of bounded size (checked without opening it).
    """
    git_dir, common = location._git_dir, location._common_dir
    paths = [
        _join(git_dir, "HEAD"),
        _join(git_dir, "commondir"),
        _join(git_dir, "config.worktree"),
        _join(common, "config"),
        _join(common, "packed-refs"),
        *global_config_paths(),
    ]
    head = (_read_small(_join(git_dir, "HEAD")) or b"").decode("utf-8", "replace").strip()
    if head.startswith("ref:"):
        ref = head[len("ref:") :].strip()
        if ref.startswith("refs/") and ".." not in ref.split("/"):
            paths += [_join(git_dir, ref), _join(common, ref)]
    found: list[str] = []
    for path in dict.fromkeys(paths):
        try:
            safe_read.check_regular(path, limit=_GIT_FILE_LIMIT)
        except FileNotFoundError:
            continue
        except safe_read.UnsafeFileError as exc:
            found.append(str(exc))
        except OSError:
            continue  # unreadable: GitPython fails on it quickly, and says so
    return found


def _stat(path: Path | str) -> tuple[int, int, int] | None:
    try:
        st = os.stat(path)
    except OSError:
        return None
    return (st.st_mtime_ns, st.st_size, st.st_ino)


def _tag_directories(tags: str) -> list[str]:
    """Return ``refs/tags`` and its subdirectories (a new loose tag changes one's mtime)."""
    found: list[str] = []
    pending = [tags]
    while pending and len(found) < _MAX_TAG_DIRS:
        directory = pending.pop()
        found.append(directory)
        try:
            with os.scandir(directory) as entries:
                pending.extend(e.path for e in entries if e.is_dir(follow_symlinks=False))
        except OSError:
            continue
    return sorted(found)


def state_fingerprint(location: RepoLocation, extra: Sequence[str] = ()) -> str:
    """Return a digest that changes whenever HEAD, refs, tags at HEAD or remotes may have changed.

    It covers the *content* of HEAD and of the loose ref HEAD points at (so
    a commit or a checkout always changes it, whatever the file system's
    timestamp resolution), and the (mtime, size, inode) signature of HEAD,
    that ref in the git dir and the common dir (or its absence),
    ``packed-refs``, ``config``, ``config.worktree``, ``shallow``, the global
    and system config files (``insteadOf`` and identity live there) and,
    when HEAD is detached, the ``refs/tags`` directories (a new loose tag).

    Args:
        location: the repository.
        extra: more strings that must be part of the key (settings, variables).
    """
    git_dir, common = location._git_dir, location._common_dir
    digest = sha256(b"")

    def add(*parts: object) -> None:
        digest.update(repr(parts).encode("utf-8", "backslashreplace"))
        digest.update(b"\n")

    add("paths", location._work_tree, git_dir, common, *extra)
    head_path = _join(git_dir, "HEAD")
    head = _read_small(head_path) or b""
    add("HEAD", head, _stat(head_path))
    text = head.decode("utf-8", "replace").strip()
    if text.startswith("ref:"):
        ref = text[len("ref:") :].strip()
        if ref.startswith("refs/") and ".." not in ref.split("/"):
            for base in dict.fromkeys((git_dir, common)):
                ref_path = _join(base, ref)
                add("ref", ref_path, _read_small(ref_path, 1024), _stat(ref_path))
    else:
        for directory in _tag_directories(_join(common, "refs/tags")):
            add("tags", directory, _stat(directory))
    for path in (
        _join(common, "packed-refs"),
        _join(common, "config"),
        _join(git_dir, "config.worktree"),
        _join(common, "shallow"),
    ):
        add("file", path, _stat(path))
    for path_text in global_config_paths():
        add("global", path_text, _stat(path_text))
    return digest.hexdigest()
