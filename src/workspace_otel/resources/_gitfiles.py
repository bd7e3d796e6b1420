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

import hashlib
import os
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path

from workspace_otel._guards import safe_read

_MAX_SMALL_FILE = 4096
_MAX_TAG_DIRS = 256


class RepoLocation:
    """Where a repository lives (immutable; a plain class: no typing or dataclass import).

    Attributes:
        start: the search start that led to it (GitPython searches from here too).
        work_tree: the directory holding ``.git``.
        git_dir: the (per-worktree) git directory: HEAD lives here.
        common_dir: the directory holding refs, packed-refs and config
            (``git_dir`` except in linked worktrees).
    """

    __slots__ = ("common_dir", "git_dir", "start", "work_tree")

    start: Path
    work_tree: Path
    git_dir: Path
    common_dir: Path

    def __init__(self, start: Path, work_tree: Path, git_dir: Path, common_dir: Path) -> None:
        object.__setattr__(self, "start", start)
        object.__setattr__(self, "work_tree", work_tree)
        object.__setattr__(self, "git_dir", git_dir)
        object.__setattr__(self, "common_dir", common_dir)

    def __setattr__(self, name: str, value: object) -> None:
        raise AttributeError(f"RepoLocation is immutable: cannot set {name}")

    def _fields(self) -> tuple[Path, Path, Path, Path]:
        return (self.start, self.work_tree, self.git_dir, self.common_dir)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, RepoLocation) and self._fields() == other._fields()

    def __hash__(self) -> int:
        return hash(self._fields())

    def __repr__(self) -> str:
        return (
            f"RepoLocation(start={str(self.start)!r}, work_tree={str(self.work_tree)!r}, "
            f"git_dir={str(self.git_dir)!r}, common_dir={str(self.common_dir)!r})"
        )


def _read_small(path: Path | str, limit: int = _MAX_SMALL_FILE) -> bytes | None:
    try:
        return safe_read.read_bytes(path, limit=limit)
    except OSError:  # missing, unreadable, not a regular file, or too large
        return None


def _git_dir_of(candidate: Path) -> Path | None:
    """Return the git directory a ``.git`` entry designates, or ``None``.

    Raises:
        OSError: the entry cannot be examined (an unreadable directory).
    """
    if candidate.is_dir():
        return candidate if (candidate / "HEAD").is_file() else None
    if not candidate.is_file():
        return None
    raw = _read_small(candidate)
    text = (raw or b"").decode("utf-8", "replace")
    if not text.startswith("gitdir:"):
        return None
    target = Path(text[len("gitdir:") :].strip())
    if not target.is_absolute():
        target = candidate.parent / target
    target = Path(os.path.normpath(target))
    return target if (target / "HEAD").is_file() else None


def _common_dir(git_dir: Path) -> Path:
    raw = _read_small(git_dir / "commondir")
    text = (raw or b"").decode("utf-8", "replace").strip()
    if not text:
        return git_dir
    common = Path(text)
    return Path(os.path.normpath(common if common.is_absolute() else git_dir / common))


def locate(starts: Iterable[Path]) -> RepoLocation | None:
    """Return the first repository found walking up from each of ``starts`` in turn."""
    for start in starts:
        try:
            start = start.absolute()
        except OSError:  # the current directory was removed
            continue
        for directory in (start, *start.parents):
            try:
                git_dir = _git_dir_of(directory / ".git")
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
    git_dir, common = location.git_dir, location.common_dir
    paths: list[Path | str] = [
        git_dir / "HEAD",
        git_dir / "commondir",
        git_dir / "config.worktree",
        common / "config",
        common / "packed-refs",
        *global_config_paths(),
    ]
    head = (_read_small(git_dir / "HEAD") or b"").decode("utf-8", "replace").strip()
    if head.startswith("ref:"):
        ref = head[len("ref:") :].strip()
        if ref.startswith("refs/") and ".." not in ref.split("/"):
            paths += [git_dir / ref, common / ref]
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


def _tag_directories(tags: Path) -> list[str]:
    """Return ``refs/tags`` and its subdirectories (a new loose tag changes one's mtime)."""
    found: list[str] = []
    pending = [str(tags)]
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
    git_dir, common = location.git_dir, location.common_dir
    digest = hashlib.sha256()

    def add(*parts: object) -> None:
        digest.update(repr(parts).encode("utf-8", "backslashreplace"))
        digest.update(b"\n")

    add("paths", str(location.work_tree), str(git_dir), str(common), *extra)
    head_path = git_dir / "HEAD"
    head = _read_small(head_path) or b""
    add("HEAD", head, _stat(head_path))
    text = head.decode("utf-8", "replace").strip()
    if text.startswith("ref:"):
        ref = text[len("ref:") :].strip()
        if ref.startswith("refs/") and ".." not in ref.split("/"):
            for base in dict.fromkeys((git_dir, common)):
                ref_path = base / ref
                add("ref", str(ref_path), _read_small(ref_path, 1024), _stat(ref_path))
    else:
        for directory in _tag_directories(common / "refs" / "tags"):
            add("tags", directory, _stat(directory))
    for path in (
        common / "packed-refs",
        common / "config",
        git_dir / "config.worktree",
        common / "shallow",
    ):
        add("file", str(path), _stat(path))
    for path_text in global_config_paths():
        add("global", path_text, _stat(path_text))
    return digest.hexdigest()
