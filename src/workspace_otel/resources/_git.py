"""The local git repository: which code is running.

The repository is searched from the current directory upwards, then from
``GITPOD_REPO_ROOT`` and ``CODESPACE_VSCODE_FOLDER``. HEAD, refs and config
are read from the repository's files (see ``_gitfiles``), which needs neither
the ``git`` executable nor GitPython. Only ``workspace.git.dirty``
(``WORKSPACE_OTEL_GIT_DIRTY=on``) needs a working-tree status; it is obtained
through GitPython, imported inside detection, with a timeout.
"""

from __future__ import annotations

import contextlib
import logging
from pathlib import Path
from typing import Any

from workspace_otel import _env
from workspace_otel.resources import _attributes as a
from workspace_otel.resources._base import Context, _Detector
from workspace_otel.resources._gitfiles import (
    RepoInfo,
    find_repository,
    read_repository,
    user_identity,
)
from workspace_otel.resources._identity import identity_attributes
from workspace_otel.resources._url import normalize_remote, repository_attributes

_logger = logging.getLogger("workspace_otel.resources")

_STATUS_TIMEOUT_S = 5.0


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


def _is_dirty(work_tree: Path) -> bool | None:
    """Return whether the work tree has uncommitted changes; ``None`` when git cannot tell.

    Raises:
        ImportError: GitPython or the ``git`` executable is missing.
    """
    import git  # lazily: importing GitPython runs `git version`

    repo: Any = git.Repo(work_tree)
    try:
        repo.git.update_environment(GIT_OPTIONAL_LOCKS="0")
        output = repo.git.status(
            "--porcelain", "--untracked-files=normal", kill_after_timeout=_STATUS_TIMEOUT_S
        )
    finally:
        repo.close()
    return bool(str(output).strip())


def vcs_attributes(info: RepoInfo) -> dict[str, a.AttrValue]:
    """Return the ``vcs.*`` attributes of a repository read by ``_gitfiles``."""
    attrs = repository_attributes(normalize_remote(info.remote_url or ""))
    if info.branch:
        attrs[a.VCS_REF_HEAD_NAME] = info.branch
        attrs[a.VCS_REF_HEAD_TYPE] = "branch"
    elif info.tag:
        attrs[a.VCS_REF_HEAD_NAME] = info.tag
        attrs[a.VCS_REF_HEAD_TYPE] = "tag"
    if info.revision:
        attrs[a.VCS_REF_HEAD_REVISION] = info.revision
    return attrs


class GitResourceDetector(_Detector):
    """The local git repository.

    Attributes: ``vcs.repository.url.full`` (credentials stripped, scp-style
    remotes turned into https, no ``.git``), ``vcs.repository.name``,
    ``vcs.owner.name``, ``vcs.provider.name``, ``vcs.ref.head.name`` /
    ``.type`` (branch, or tag when HEAD is detached at one) and
    ``.revision``; ``workspace.git.dirty`` with ``WORKSPACE_OTEL_GIT_DIRTY=on``;
    ``user.email`` / ``user.full_name`` from git's identity with
    ``WORKSPACE_OTEL_IDENTITY=full``. ``WORKSPACE_OTEL_GIT=off`` turns it off.

    A missing repository is normal (empty resource, no log above DEBUG). A
    repository that cannot be fully read, or a dirty state that cannot be
    computed (no ``git`` executable), gives what could be read and one
    WARNING line.
    """

    name = a.GIT

    def collect(self, ctx: Context) -> dict[str, a.AttrValue]:
        """Return the repository's attributes."""
        if not git_enabled(ctx):
            return {}
        dirty_wanted = bool(ctx.get("WORKSPACE_OTEL_GIT_DIRTY")) and _env.get_bool(
            "WORKSPACE_OTEL_GIT_DIRTY", ctx.environ
        )
        identity = ctx.identity
        found = find_repository(_search_starts(ctx))
        if found is None:
            _logger.debug("no git repository found")
            return {}
        work_tree, git_dir = found
        info = read_repository(work_tree, git_dir)
        if info.problem:
            _logger.warning(
                "git repository at %s could not be fully read: %s", work_tree, info.problem
            )
        attrs = vcs_attributes(info)
        if identity == "full":
            full_name, email = user_identity(info, ctx.environ)
            attrs.update(identity_attributes("full", email=email, full_name=full_name))
        if dirty_wanted and not info.problem:
            try:
                dirty = _is_dirty(work_tree)
            except ImportError:
                if self.raise_on_error:
                    raise
                _logger.warning(
                    "workspace.git.dirty left out: GitPython or the git executable is unavailable"
                )
            except Exception as exc:  # git status failing is not fatal
                if self.raise_on_error:
                    raise
                _logger.warning(
                    "workspace.git.dirty left out: git status failed (%s)", type(exc).__name__
                )
            else:
                if dirty is not None:
                    attrs[a.WORKSPACE_GIT_DIRTY] = dirty
        return attrs
