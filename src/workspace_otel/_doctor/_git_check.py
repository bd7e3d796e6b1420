"""Check 2: the repository is found and read, or the git problem is named.

GitPython comes from the git detector's own loader
(:func:`workspace_otel.resources._git.import_gitpython`, bounded and locked),
the repository is located and screened for unsafe files by
:mod:`workspace_otel.resources._gitfiles`, and the ``vcs.*`` attributes shown
are those the platform check got from the library's detection.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from workspace_otel._doctor._context import Context
from workspace_otel._doctor._report import Check, Finding
from workspace_otel._guards.redaction import display_url, scrub

__all__ = ["check_git"]

_GIT_TIMEOUT = 3.0
"""Seconds the doctor lets one ``git`` process run (a hanging ``git`` must not hang it)."""


def _load_gitpython() -> Any:
    # The detector's import: no ``git version`` without a timeout, none without git.
    from workspace_otel.resources._git import import_gitpython

    return import_gitpython()


def check_git(ctx: Context, check: Check) -> None:
    """Repository found, branch / commit / remote read, or the git problem."""
    setting = ctx.environ.get("WORKSPACE_OTEL_GIT", "").strip().lower()
    if setting in ("off", "false", "0", "no"):
        check.verdict = "skipped"
        check.summary = "WORKSPACE_OTEL_GIT=off: the local repository is not read"
        return
    vcs = {k: v for k, v in ctx.attributes.items() if k.startswith("vcs.")}
    if vcs:
        check.evidence["attributes"] = {
            key: f"{value} (from {ctx.attribute_sources.get(key, '?')})"
            for key, value in sorted(vcs.items())
        }
    try:
        git = _load_gitpython()
    except ImportError:
        check.add(
            Finding(
                "warn",
                "GitPython is not importable, so the repository cannot be read",
                "Reinstall workspace-otel so its GitPython dependency is present: "
                "pip install --force-reinstall workspace-otel",
            )
        )
        return
    check.evidence["directory"] = str(ctx.cwd)
    from workspace_otel.resources._gitfiles import locate, unsafe_files

    location = locate([Path(ctx.cwd)])
    unsafe = unsafe_files(location) if location is not None else []
    if unsafe:  # GitPython would block on it (a FIFO) or exhaust memory (a device)
        check.add(
            Finding(
                "warn",
                f"the repository is not read: {unsafe[0]}",
                "Replace it with the regular file git writes, or set WORKSPACE_OTEL_GIT=off.",
            )
        )
        return
    try:
        repo = git.Repo(ctx.cwd, search_parent_directories=True)
    except (git.InvalidGitRepositoryError, git.NoSuchPathError):
        message = f"{ctx.cwd} is not inside a git repository"
        if vcs:
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
        return
    try:
        _read_repo(git, repo, check)
    finally:
        repo.close()
    if "warn" not in check.verdict and not check.summary:
        branch = check.evidence.get("branch") or "detached HEAD"
        commit = str(check.evidence.get("commit") or "")[:12]
        check.summary = f"{branch} at {commit}" if commit else str(branch)


def _read_repo(git: Any, repo: Any, check: Check) -> None:
    check.evidence["repository"] = str(repo.working_tree_dir or repo.git_dir)
    if not _git_executable_works(git):
        check.add(
            Finding(
                "warn",
                "the git executable was not found: only what can be read from .git files is used",
                "Install git (for example: sudo apt-get install -y git) or put it on PATH.",
            )
        )
    try:
        if repo.head.is_detached:
            check.evidence["branch"] = None
        else:
            check.evidence["branch"] = repo.active_branch.name
        # From the ref files: ``repo.head.commit`` would start ``git cat-file`` without a timeout.
        check.evidence["commit"] = str(git.SymbolicReference.dereference_recursive(repo, "HEAD"))
    except ValueError:
        check.add(
            Finding(
                "warn",
                "the repository has no commits yet: no vcs.ref.head.revision",
                "Make a first commit: git commit --allow-empty -m 'initial commit'",
            )
        )
    except git.GitCommandError as exc:
        stderr = scrub(str(getattr(exc, "stderr", "") or exc))
        if "dubious ownership" in stderr or "safe.directory" in stderr:
            check.add(
                Finding(
                    "warn",
                    "git refuses the repository (dubious ownership: another user owns it)",
                    "Mark it safe: git config --global --add safe.directory "
                    f"{repo.working_tree_dir}",
                )
            )
        else:
            check.add(
                Finding(
                    "warn",
                    f"git could not read HEAD: {stderr}",
                    "Run git status in the repository and fix what it reports.",
                )
            )
    remotes: dict[str, str] = {}
    config = repo.config_reader()
    for remote in repo.remotes:
        try:  # the configuration, not ``git remote get-url`` (a process without a timeout)
            urls = [str(u) for u in config.get_values(f'remote "{remote.name}"', "url")]
        except Exception:  # noqa: BLE001 - a broken remote is only evidence
            urls = []
        if urls:
            raw = urls[0]
            remotes[remote.name] = display_url(raw)
            if "://" in raw and "@" in urlsplit(raw).netloc:
                check.add(
                    Finding(
                        "warn",
                        f"remote {remote.name} embeds a credential in its URL (kept in "
                        ".git/config); workspace_otel strips it from attributes",
                        f"Remove it: git remote set-url {remote.name} {display_url(raw)} "
                        "and use a credential helper instead.",
                    )
                )
    check.evidence["remotes"] = remotes or None


def _git_executable_works(git: Any) -> bool:
    from workspace_otel.credentials._run_command import run_command

    executable = os.environ.get("GIT_PYTHON_GIT_EXECUTABLE") or "git"
    try:  # bounded: own process group, killed at the timeout
        run_command([executable, "version"], timeout=_GIT_TIMEOUT, what="git")
    except Exception:  # noqa: BLE001 - any failure means the executable is unusable
        return False
    return True
