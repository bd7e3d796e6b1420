"""Check 2: the repository is found and read, or the git problem is named.

The repository is read by the git detector's own functions, as ``configure()``
reads it: :func:`workspace_otel.resources._gitfiles.locate` finds it (and
:func:`~workspace_otel.resources._gitfiles.unsafe_files` screens it),
:func:`workspace_otel.resources._git.read_repository` reads branch and commit
(from the files, GitPython only when they do not suffice), and the remotes come
from the same configuration reader. This module only interprets the results.
"""

from __future__ import annotations

import os
from pathlib import Path
from urllib.parse import urlsplit

from workspace_otel._doctor._context import Diagnosis
from workspace_otel._doctor._export_plan import explain_error
from workspace_otel._doctor._report import Check, Finding
from workspace_otel._guards.redaction import display_url
from workspace_otel.errors import ConfigurationError
from workspace_otel.resources import _attributes as a
from workspace_otel.resources._git import git_enabled
from workspace_otel.resources._gitfiles import RepoLocation, global_config_paths, locate
from workspace_otel.resources._gitfiles import unsafe_files as unsafe_files_of
from workspace_otel.resources._gitrepo import read_repository

__all__ = ["check_git"]

_GIT_TIMEOUT = 3.0
"""Seconds the doctor lets ``git version`` run (a hanging ``git`` must not hang it)."""


def check_git(ctx: Diagnosis, check: Check) -> None:
    """Repository found, branch / commit / remote read, or the git problem."""
    from workspace_otel.resources._base import Context as DetectionContext

    try:
        enabled = git_enabled(DetectionContext(ctx.environ, ctx.root, ctx.cwd))
    except ConfigurationError as exc:
        problem, fix = explain_error(exc)
        check.add(Finding("fail", problem, fix))
        return
    if not enabled:
        check.verdict = "skipped"
        check.summary = "WORKSPACE_OTEL_GIT=off: the local repository is not read"
        return
    vcs = {k: v for k, v in ctx.attributes.items() if k.startswith("vcs.")}
    if vcs:
        check.evidence["attributes"] = {
            key: f"{value} (from {ctx.attribute_sources.get(key, '?')})"
            for key, value in sorted(vcs.items())
        }
    check.evidence["directory"] = str(ctx.cwd)
    location = locate([Path(ctx.cwd)])
    if location is None:
        _not_a_repository(ctx, check, bool(vcs))
        return
    unsafe = unsafe_files_of(location)
    if unsafe:  # GitPython would block on it (a FIFO) or exhaust memory (a device)
        check.add(
            Finding(
                "warn",
                f"the repository is not read: {unsafe[0]}",
                "Replace it with the regular file git writes, or set WORKSPACE_OTEL_GIT=off.",
            )
        )
        return
    check.evidence["repository"] = str(location.work_tree)
    if not _read(ctx, check, location):
        return
    _remotes(check, location)
    if not _git_executable_works():
        check.add(
            Finding(
                "warn",
                "the git executable was not found: only what can be read from .git files is used",
                "Install git (for example: sudo apt-get install -y git) or put it on PATH.",
            )
        )
    if check.verdict == "ok" and not check.summary:
        branch = check.evidence.get("branch") or "detached HEAD"
        commit = str(check.evidence.get("commit") or "")[:12]
        check.summary = f"{branch} at {commit}" if commit else str(branch)


def _not_a_repository(ctx: Diagnosis, check: Check, platform_vcs: bool) -> None:
    message = f"{ctx.cwd} is not inside a git repository"
    if platform_vcs:
        check.summary = message + "; vcs.* come from the platform instead"
        return
    check.add(
        Finding(
            "warn",
            message + ": traces will carry no vcs.* attributes",
            "Run the application (and this doctor) from inside your repository's "
            "working tree, e.g. cd /workspaces/<repo>.",
        )
    )


def _read(ctx: Diagnosis, check: Check, location: RepoLocation) -> bool:
    """Read branch and commit as the detector does; ``False`` when nothing could be read."""
    try:
        reading = read_repository(location, identity="off", environ=ctx.environ, dirty=False)
    except ImportError:
        check.add(
            Finding(
                "warn",
                "GitPython is not importable, so the repository cannot be read",
                "Reinstall workspace-otel so its GitPython dependency is present: "
                "pip install --force-reinstall workspace-otel",
            )
        )
        return False
    attrs = reading.attrs
    head_is_branch = attrs.get(a.VCS_REF_HEAD_TYPE) == "branch"
    check.evidence["branch"] = attrs.get(a.VCS_REF_HEAD_NAME) if head_is_branch else None
    check.evidence["commit"] = attrs.get(a.VCS_REF_HEAD_REVISION)
    for problem in reading.problems:
        check.add(
            Finding(
                "warn",
                f"git could not read the repository: {problem}",
                "Run git status in the repository and fix what it reports.",
            )
        )
    if reading.complete and not attrs.get(a.VCS_REF_HEAD_REVISION):
        check.add(
            Finding(
                "warn",
                "the repository has no commits yet: no vcs.ref.head.revision",
                "Make a first commit: git commit --allow-empty -m 'initial commit'",
            )
        )
    return True


def _remotes(check: Check, location: RepoLocation) -> None:
    """List the remotes (user-info stripped); warn about a credential kept in a remote URL."""
    from workspace_otel.resources._gitread import read_config

    try:
        values = read_config([*global_config_paths(), str(location.common_dir / "config")])
    except Exception:  # noqa: BLE001 - an unusual configuration: the remotes are only evidence
        check.evidence["remotes"] = None
        return
    remotes: dict[str, str] = {}
    for (section, name, option), urls in values.items():
        if section != "remote" or option != "url" or name is None or not urls:
            continue
        raw = urls[0]
        remotes[name] = display_url(raw)
        if "://" in raw and "@" in urlsplit(raw).netloc:
            check.add(
                Finding(
                    "warn",
                    f"remote {name} embeds a credential in its URL (kept in .git/config); "
                    "workspace_otel strips it from attributes",
                    f"Remove it: git remote set-url {name} {display_url(raw)} "
                    "and use a credential helper instead.",
                )
            )
    check.evidence["remotes"] = remotes or None


def _git_executable_works() -> bool:
    from workspace_otel.credentials._run_command import run_command

    executable = os.environ.get("GIT_PYTHON_GIT_EXECUTABLE") or "git"
    try:  # bounded: own process group, killed at the timeout
        run_command([executable, "version"], timeout=_GIT_TIMEOUT, what="git")
    except Exception:  # noqa: BLE001 - any failure means the executable is unusable
        return False
    return True
