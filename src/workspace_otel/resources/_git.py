"""The local git repository: which code is running, from its files or through GitPython.

The repository is searched from the current directory upwards, then from
``GITPOD_REPO_ROOT`` and ``CODESPACE_VSCODE_FOLDER``. The common layouts are
read from their files (``_gitread``: HEAD, refs, ``packed-refs``, the remote
with ``insteadOf``), which agree with GitPython by test. GitPython reads the
rest: ``git.Repo(start, search_parent_directories=True)`` gives the branch,
the tag at a detached HEAD, the commit and the configuration (includes,
quoted values, identity); ``git status`` answers ``workspace.git.dirty``.
GitPython is imported inside detection only, and only when needed.

The normalised attributes are cached on disk (``_gitcache``), keyed on the
files that change when HEAD, refs, tags or the configuration change
(``_gitfiles``): a start whose repository did not change reads nothing else.

A slow or hostile repository never hangs the start: the files GitPython will
read are checked first with the safe reader (a FIFO, a device or a huge file
leaves GitPython out), the tag at a detached HEAD comes from ``packed-refs``
parsed once (``_gitrefs``), every ``git`` process runs with a timeout, and
the reading as a whole has a deadline (:data:`DEFAULT_TIMEOUT`); past it,
the detector returns fewer ``vcs.*`` attributes and logs one line.
"""

from __future__ import annotations

import contextlib
import logging
import os
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from workspace_otel._settings import _env
from workspace_otel._version import __version__
from workspace_otel.resources import _attributes as a
from workspace_otel.resources import _gitcache, _gitread, _gitrefs
from workspace_otel.resources._base import Context, _Detector
from workspace_otel.resources._gitconfig import config_identity, remote_url
from workspace_otel.resources._gitfiles import (
    RepoLocation,
    global_config_paths,
    locate,
    state_fingerprint,
    unsafe_files,
)
from workspace_otel.resources._gitprocess import Deadline, GitUnavailable, run_git
from workspace_otel.resources._gitpython import import_gitpython as import_gitpython
from workspace_otel.resources._identity import identity_attributes
from workspace_otel.resources._url import normalize_remote, repository_attributes

_logger = logging.getLogger("workspace_otel.resources")
# import_gitpython is re-exported above: doctor's GitPython check imports it from here.

CACHE_VARIABLE = "WORKSPACE_OTEL_GIT_CACHE"
"""``on`` (default) / ``off``: cache the git-derived attributes between starts."""

# Compiled by ``re`` on first use (a start that hits the attribute cache never needs it).
_SHA = r"^(?:[0-9a-f]{40}|[0-9a-f]{64})$"

DEFAULT_TIMEOUT = 3.0
"""Seconds the git reading may take as a whole on a cache miss (``GitResourceDetector.timeout``).

Every ``git`` process gets what is left of it; past it, the attributes not
yet read are left out and one WARNING says so. A warm start reads the
cache and is not concerned.
"""


def _search_starts(ctx: Context) -> list[Path]:
    starts: list[Path] = []
    if ctx.cwd is not None:
        starts.append(ctx.cwd)
    else:
        with contextlib.suppress(OSError):  # the current directory may have been removed
            starts.append(Path.cwd())
    for variable in ("GITPOD_REPO_ROOT", "CODESPACE_VSCODE_FOLDER"):
        value = ctx.get(variable)
        if value.startswith("/"):
            starts.append(Path(value))
    return starts


def git_enabled(ctx: Context) -> bool:
    """Return ``WORKSPACE_OTEL_GIT`` (default on).

    Raises:
        ConfigurationError: the variable is not an on/off value.
    """
    if not ctx.get("WORKSPACE_OTEL_GIT"):
        return True
    return _env.get_bool("WORKSPACE_OTEL_GIT", ctx.environ)


def cache_enabled(ctx: Context) -> bool:
    """Return ``WORKSPACE_OTEL_GIT_CACHE`` (default on).

    Raises:
        ConfigurationError: the variable is not an on/off value.
    """
    if not ctx.get(CACHE_VARIABLE):
        return True
    return _env.get_bool(CACHE_VARIABLE, ctx.environ)


def _dirty_wanted(ctx: Context) -> bool:
    return bool(ctx.get("WORKSPACE_OTEL_GIT_DIRTY")) and _env.get_bool(
        "WORKSPACE_OTEL_GIT_DIRTY", ctx.environ
    )


@dataclass
class Reading:
    """What GitPython read from one repository.

    Attributes:
        attrs: the normalised attributes (no credential, ready to export).
        problems: short reasons why something could not be read (no contents).
        complete: ``False`` when HEAD or the repository could not be opened;
            such a reading is never cached.
    """

    attrs: dict[str, a.AttrValue] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)
    complete: bool = True


def _tag_at(
    git: Any,
    repo: Any,
    location: RepoLocation,
    revision: str,
    reading: Reading,
    deadline: Deadline,
) -> str | None:
    """Return the first (by name) tag whose commit is ``revision``, annotated or lightweight.

    The repository's files answer first (``packed-refs`` parsed once, loose
    tags, loose tag objects); ``git tag --points-at`` is asked, with a
    timeout, only when they cannot tell. When it cannot answer either (no
    ``git`` executable, timed out), the files' best answer is used and the
    reading is not cached (``reading.complete`` becomes ``False``).
    """
    lookup = _gitrefs.tag_at(
        location.common_dir, revision, _gitrefs.read_packed_refs(location.common_dir)
    )
    if lookup.certain:
        return lookup.name
    try:
        out = run_git(location, ("tag", "--points-at", revision), deadline)
    except OSError:
        reading.complete = False
        return lookup.name
    names = sorted(line.strip() for line in out.splitlines() if line.strip())
    return names[0] if names else None


def _read_head(
    git: Any, repo: Any, location: RepoLocation, reading: Reading, deadline: Deadline
) -> tuple[str | None, str | None]:
    """Return (branch, revision) and record the tag at a detached HEAD."""
    branch: str | None = None
    detached = False
    try:
        ref_path = str(repo.head.reference.path)
    except TypeError:  # GitPython's way of saying "detached"
        detached = True
    except (ValueError, OSError):
        reading.problems.append("HEAD is unreadable")
        reading.complete = False
        return None, None
    else:
        if ref_path.startswith("refs/heads/"):
            branch = ref_path[len("refs/heads/") :]
    try:
        revision: str | None = str(git.SymbolicReference.dereference_recursive(repo, "HEAD"))
    except ValueError:  # no commits yet
        revision = None
    if revision is not None and not re.match(_SHA, revision):
        revision = None
    if branch:
        reading.attrs[a.VCS_REF_HEAD_NAME] = branch
        reading.attrs[a.VCS_REF_HEAD_TYPE] = "branch"
    elif detached and revision:
        tag = _tag_at(git, repo, location, revision, reading, deadline)
        if tag:
            reading.attrs[a.VCS_REF_HEAD_NAME] = tag
            reading.attrs[a.VCS_REF_HEAD_TYPE] = "tag"
    if revision:
        reading.attrs[a.VCS_REF_HEAD_REVISION] = revision
    return branch, revision


def _open(git: Any, location: RepoLocation) -> Any:
    """Open the located repository with GitPython, or return ``None``."""
    try:
        repo = git.Repo(str(location.start), search_parent_directories=True)
    except (git.InvalidGitRepositoryError, git.NoSuchPathError, OSError):
        return None
    if os.path.realpath(repo.git_dir) != os.path.realpath(location.git_dir):
        repo.close()  # GitPython rejected ours and climbed to another repository
        return None
    return repo


def read_repository(
    location: RepoLocation,
    *,
    identity: str,
    environ: Mapping[str, str],
    dirty: bool,
    raise_on_error: bool = False,
    deadline: Deadline | None = None,
    from_files: bool = True,
) -> Reading:
    """Read a repository's attributes: from its files when they suffice, else through GitPython.

    Args:
        location: the repository found by :func:`~._gitfiles.locate`.
        identity: ``WORKSPACE_OTEL_IDENTITY``; ``full`` adds git's name and e-mail.
        environ: variables (``GIT_AUTHOR_NAME`` / ``GIT_AUTHOR_EMAIL``).
        dirty: also compute ``workspace.git.dirty`` (``git status``).
        raise_on_error: re-raise a failing ``git status`` instead of noting it.
        deadline: the time left for the whole reading (default :data:`DEFAULT_TIMEOUT`).
        from_files: answer from the files when they suffice (``_gitread``);
            ``False`` always asks GitPython.

    Raises:
        ImportError: GitPython is not installed.
    """
    deadline = deadline or Deadline(DEFAULT_TIMEOUT)
    reading = Reading()
    unsafe = unsafe_files(location)
    if unsafe:
        # GitPython would block on a FIFO or exhaust memory on a device: leave it out.
        reading.problems.append(f"not reading the repository through GitPython: {unsafe[0]}")
        reading.complete = False
        return reading
    if from_files:
        attrs = _gitread.read_from_files(location, identity=identity, dirty=dirty)
        if attrs is not None:  # the common layouts: no GitPython import, no git process
            reading.attrs = attrs
            return reading
    git = import_gitpython()
    repo = _open(git, location)
    try:
        branch = None
        if repo is None:
            reading.problems.append("GitPython could not open it (malformed HEAD or git dir)")
            reading.complete = False
            config = git.GitConfigParser(
                [*global_config_paths(), str(location.common_dir / "config")], read_only=True
            )
        else:
            repo.git.update_environment(GIT_OPTIONAL_LOCKS="0", GIT_TERMINAL_PROMPT="0")
            branch, _ = _read_head(git, repo, location, reading, deadline)
            config = repo.config_reader()
        remote = remote_url(config, branch)
        repo_attrs = repository_attributes(normalize_remote(remote or ""))
        reading.attrs = {**repo_attrs, **reading.attrs}
        if identity == "full":
            full_name, email = config_identity(config, environ)
            reading.attrs.update(identity_attributes("full", email=email, full_name=full_name))
        if dirty and repo is not None and reading.complete:
            _add_dirty(location, reading, raise_on_error, deadline)
    finally:
        if repo is not None:
            repo.close()
    return reading


def _add_dirty(
    location: RepoLocation, reading: Reading, raise_on_error: bool, deadline: Deadline
) -> None:
    """Set ``workspace.git.dirty`` from one ``git status --porcelain`` with a timeout.

    Staged, unstaged and untracked changes all count, as ``Repo.is_dirty(untracked_files=True)``
    would count them (which runs three processes without a timeout).
    """
    try:
        out = run_git(location, ("status", "--porcelain", "--untracked-files=normal"), deadline)
        reading.attrs[a.WORKSPACE_GIT_DIRTY] = bool(out.strip())
    except GitUnavailable:
        if raise_on_error:
            raise
        reading.problems.append("workspace.git.dirty left out: the git executable is unavailable")
    except OSError as exc:
        if raise_on_error:
            raise
        reading.problems.append(f"workspace.git.dirty left out: git status failed ({exc})")


def _bounded(call: Callable[[], Reading], seconds: float) -> Reading | None:
    """Run ``call`` on a daemon thread and wait at most ``seconds``; ``None`` when it overran.

    The backstop of the deadline: a read the checks above did not foresee (a
    FIFO named by a configuration ``include``, a stalled network file system)
    leaves a thread behind instead of a hung start. Exceptions are re-raised.
    """
    from workspace_otel._guards.bounded_call import CallTimedOut, call_within

    try:
        return call_within(call, seconds, name="workspace-otel-git")
    except CallTimedOut:
        return None


class GitResourceDetector(_Detector):
    """The local git repository, read from its files or through GitPython, cached between starts.

    Attributes: ``vcs.repository.url.full`` (credentials stripped, scp-style
    remotes turned into https, no ``.git``), ``vcs.repository.name``,
    ``vcs.owner.name``, ``vcs.provider.name``, ``vcs.ref.head.name`` /
    ``.type`` (branch, or tag when HEAD is detached at one) and
    ``.revision``; ``workspace.git.dirty`` with ``WORKSPACE_OTEL_GIT_DIRTY=on``;
    ``user.email`` / ``user.full_name`` from git's identity with
    ``WORKSPACE_OTEL_IDENTITY=full``. ``WORKSPACE_OTEL_GIT=off`` turns it off.

    The attributes are cached in ``$XDG_CACHE_HOME/workspace-otel`` (see
    ``_gitcache``): a start whose HEAD, refs and config did not change reads
    them from there without importing GitPython.
    ``WORKSPACE_OTEL_GIT_CACHE=off`` disables the cache; it is never used
    with ``WORKSPACE_OTEL_GIT_DIRTY=on``.

    A missing repository is normal (empty resource, no log above DEBUG). A
    repository that cannot be fully read in :attr:`timeout` seconds (every
    ``git`` process is killed at the deadline), one whose git files are not
    regular files, a missing GitPython, or a dirty
    state that cannot be computed (no ``git`` executable) gives what could be
    read and one WARNING line.
    """

    name = a.GIT
    timeout: float = DEFAULT_TIMEOUT
    """Seconds the reading may take on a cache miss (:data:`DEFAULT_TIMEOUT`); tests lower it."""

    def collect(self, ctx: Context) -> dict[str, a.AttrValue]:
        """Return the repository's attributes."""
        if not git_enabled(ctx):
            return {}
        dirty = _dirty_wanted(ctx)
        identity = ctx.identity
        use_cache = not dirty and cache_enabled(ctx)
        location = locate(_search_starts(ctx))
        if location is None:
            _logger.debug("no git repository found")
            return {}
        cache_file: Path | None = None
        key = ""
        if use_cache:
            directory = _gitcache.cache_dir()
            if directory is not None:
                cache_file = _gitcache.cache_path(directory, location.work_tree)
                key = state_fingerprint(location, extra=self._key_extra(identity, ctx.environ))
                cached = _gitcache.load(cache_file, key)
                if cached is not None:
                    return cached
        timeout = self.timeout
        deadline = Deadline(timeout)
        try:
            bounded = _bounded(
                lambda: read_repository(
                    location,
                    identity=identity,
                    environ=ctx.environ,
                    dirty=dirty,
                    raise_on_error=self.raise_on_error,
                    deadline=deadline,
                ),
                # the processes have their own timeouts: leave them time to be killed
                timeout + 1.0,
            )
        except ImportError:
            if self.raise_on_error:
                raise
            _logger.warning("git attributes left out: GitPython is not installed")
            return {}
        if bounded is None:
            _logger.warning(
                "git attributes left out: reading the repository at %s took longer than %gs "
                "(a slow file system or an unusual file in .git); set WORKSPACE_OTEL_GIT=off "
                "to skip it",
                location.work_tree,
                timeout,
            )
            return {}
        reading = bounded
        if reading.problems:
            _logger.warning(
                "git repository at %s could not be fully read: %s",
                location.work_tree,
                "; ".join(reading.problems),
            )
        if cache_file is not None and reading.complete:
            _gitcache.store(cache_file, key, reading.attrs)
        return reading.attrs

    @staticmethod
    def _key_extra(identity: str, environ: Mapping[str, str]) -> tuple[str, ...]:
        extra: tuple[str, ...] = (f"workspace_otel {__version__}", f"identity={identity}")
        if identity == "full":
            extra += (
                environ.get("GIT_AUTHOR_NAME", "").strip(),
                environ.get("GIT_AUTHOR_EMAIL", "").strip(),
            )
        return extra
