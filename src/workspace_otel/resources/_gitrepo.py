"""Read one repository's attributes: from its files when they suffice, else through GitPython.

Only a cache miss of the git detector (``_git``) comes here, so a warm start
imports none of it: the files reader (``_gitread``, ``_gitrefs``), the
remote's normalisation (``_url``), git processes (``_gitprocess``) and
GitPython (``_gitpython``, imported only when the files cannot answer).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

from workspace_otel.resources import _attributes as a
from workspace_otel.resources import _gitread, _gitrefs
from workspace_otel.resources._git import DEFAULT_TIMEOUT
from workspace_otel.resources._gitconfig import config_identity, remote_url
from workspace_otel.resources._gitfiles import (
    RepoLocation,
    global_config_paths,
    is_object_name,
    unsafe_files,
)
from workspace_otel.resources._gitprocess import Deadline, GitUnavailable, run_git
from workspace_otel.resources._gitpython import import_gitpython
from workspace_otel.resources._identity import identity_attributes
from workspace_otel.resources._url import normalize_remote, repository_attributes

__all__ = ["DEFAULT_TIMEOUT", "Reading", "read_repository"]


class Reading:
    """What GitPython read from one repository (a plain class: no ``exec`` at import).

    Attributes:
        attrs: the normalised attributes (no credential, ready to export).
        problems: short reasons why something could not be read (no contents).
        complete: ``False`` when HEAD or the repository could not be opened;
            such a reading is never cached.
    """

    __slots__ = ("attrs", "complete", "problems")

    def __init__(self) -> None:
        self.attrs: dict[str, a.AttrValue] = {}
        self.problems: list[str] = []
        self.complete = True

    def __repr__(self) -> str:
        return (
            f"Reading(attrs={self.attrs!r}, problems={self.problems!r}, complete={self.complete})"
        )


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
    if revision is not None and not is_object_name(revision):
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
