"""The local git repository: which code is running, read through GitPython.

The repository is searched from the current directory upwards, then from
``GITPOD_REPO_ROOT`` and ``CODESPACE_VSCODE_FOLDER``. GitPython is the reader
of record: ``git.Repo(start, search_parent_directories=True)`` gives the
branch, the tag at a detached HEAD (annotated or lightweight), the commit and
the configuration (remote, ``insteadOf``, identity); ``Repo.is_dirty``
answers ``workspace.git.dirty``. GitPython is imported inside detection only.

Importing GitPython runs ``git version``, so a start would pay tens of
milliseconds for attributes that rarely change. The normalised attributes
are therefore cached on disk (``_gitcache``), keyed on the files that change
when HEAD, refs, tags or the configuration change (``_gitfiles``): a start
whose repository did not change neither imports GitPython nor runs ``git``.
"""

from __future__ import annotations

import contextlib
import logging
import os
import re
import sys
import threading
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from workspace_otel import _env
from workspace_otel._version import __version__
from workspace_otel.resources import _attributes as a
from workspace_otel.resources import _gitcache
from workspace_otel.resources._base import Context, _Detector
from workspace_otel.resources._gitfiles import (
    RepoLocation,
    global_config_paths,
    locate,
    state_fingerprint,
)
from workspace_otel.resources._identity import identity_attributes
from workspace_otel.resources._url import normalize_remote, repository_attributes

_logger = logging.getLogger("workspace_otel.resources")

CACHE_VARIABLE = "WORKSPACE_OTEL_GIT_CACHE"
"""``on`` (default) / ``off``: cache the git-derived attributes between starts."""

# Compiled by ``re`` on first use (a start that hits the attribute cache needs neither).
_SHA = r"^(?:[0-9a-f]{40}|[0-9a-f]{64})$"
_SUBSECTION = r'^([A-Za-z0-9.\-]+)\s+"((?:[^"\\]|\\.)*)"$'
_MAX_TAGS = 5000
_IMPORT_LOCK = threading.Lock()

ConfigKey = tuple[str, str | None]


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


def import_gitpython() -> Any:
    """Import GitPython, also on a machine without the ``git`` executable.

    GitPython runs ``git version`` at import and raises :class:`ImportError`
    when that fails, unless ``GIT_PYTHON_REFRESH=quiet``; without ``git`` it
    can still read HEAD, refs and config files, so the import is made quiet
    (the variable is restored at once).

    Raises:
        ImportError: GitPython is not installed.
    """
    module = sys.modules.get("git")
    if module is not None:
        return module
    with _IMPORT_LOCK:
        previous = os.environ.get("GIT_PYTHON_REFRESH")
        os.environ["GIT_PYTHON_REFRESH"] = "quiet"
        try:
            import git
        finally:
            if previous is None:
                os.environ.pop("GIT_PYTHON_REFRESH", None)
            else:
                os.environ["GIT_PYTHON_REFRESH"] = previous
    return git


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


def _config_sections(config: Any) -> dict[ConfigKey, str]:
    """Map ``(section lowercased, subsection)`` to GitPython's section names."""
    found: dict[ConfigKey, str] = {}
    for section in config.sections():
        match = re.match(_SUBSECTION, section.strip())
        if match:
            name, sub = match.group(1), re.sub(r"\\(.)", r"\1", match.group(2))
            found.setdefault((name.lower(), sub), section)
        elif "." in section:  # the deprecated [section.subsection] syntax
            name, _, sub = section.partition(".")
            found.setdefault((name.lower(), sub.lower()), section)
        else:
            found.setdefault((section.lower(), None), section)
    return found


def _values(config: Any, section: str | None, option: str) -> list[str]:
    if section is None:
        return []
    import configparser  # only on a cache miss, like GitPython itself

    try:
        values = config.get_values(section, option)
    except (configparser.Error, KeyError, ValueError):
        return []
    return [str(v) for v in values if str(v)]


def _remote_url(config: Any, branch: str | None) -> str | None:
    """Return the URL of the branch's remote, else ``origin``, else the first remote.

    ``url.<base>.insteadOf`` (longest match) is applied as git would.
    """
    sections = _config_sections(config)
    candidates: list[str] = []
    if branch:
        candidates += _values(config, sections.get(("branch", branch)), "remote")[:1]
    candidates.append("origin")
    candidates += sorted(sub for (name, sub) in sections if name == "remote" and sub)
    url = None
    for name in candidates:
        urls = _values(config, sections.get(("remote", name)), "url")
        if urls:
            url = urls[0]
            break
    if url is None:
        return None
    best, replacement = "", None
    for (name, base), section in sections.items():
        if name != "url" or base is None:
            continue
        for prefix in _values(config, section, "insteadof"):
            if url.startswith(prefix) and len(prefix) > len(best):
                best, replacement = prefix, base
    return url if replacement is None else replacement + url[len(best) :]


def _identity(config: Any, environ: Mapping[str, str]) -> tuple[str, str]:
    """Return (full name, e-mail) as git would: ``GIT_AUTHOR_*``, then the config."""
    sections = _config_sections(config)
    user = sections.get(("user", None))
    name = environ.get("GIT_AUTHOR_NAME", "").strip()
    email = environ.get("GIT_AUTHOR_EMAIL", "").strip()
    name = name or (_values(config, user, "name") or [""])[-1].strip()
    email = email or (_values(config, user, "email") or [""])[-1].strip()
    return name, email


def _tag_at(git: Any, repo: Any, revision: str, reading: Reading) -> str | None:
    """Return the first (by name) tag whose commit is ``revision``, annotated or lightweight.

    Without a usable ``git`` executable only lightweight tags can be matched;
    such a reading is not cached (``reading.complete`` becomes ``False``).
    """
    try:
        out = str(repo.git.tag("--points-at", revision))
        names = sorted(line.strip() for line in out.splitlines() if line.strip())
        return names[0] if names else None
    except (git.GitCommandNotFound, git.GitCommandError, OSError):
        pass
    # No usable git executable: lightweight tags can still be matched from the refs.
    reading.complete = False
    matches: list[str] = []
    for count, tag in enumerate(repo.tags):
        if count >= _MAX_TAGS:
            break
        try:
            target = git.SymbolicReference.dereference_recursive(repo, tag.path)
        except (ValueError, TypeError, OSError):
            continue
        if target == revision:
            matches.append(tag.name)
    return min(matches) if matches else None


def _read_head(git: Any, repo: Any, reading: Reading) -> tuple[str | None, str | None]:
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
        tag = _tag_at(git, repo, revision, reading)
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
) -> Reading:
    """Read a repository's attributes through GitPython.

    Args:
        location: the repository found by :func:`~._gitfiles.locate`.
        identity: ``WORKSPACE_OTEL_IDENTITY``; ``full`` adds git's name and e-mail.
        environ: variables (``GIT_AUTHOR_NAME`` / ``GIT_AUTHOR_EMAIL``).
        dirty: also compute ``workspace.git.dirty`` (``Repo.is_dirty``).
        raise_on_error: re-raise a failing ``git status`` instead of noting it.

    Raises:
        ImportError: GitPython is not installed.
    """
    git = import_gitpython()
    reading = Reading()
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
            branch, _ = _read_head(git, repo, reading)
            config = repo.config_reader()
        remote = _remote_url(config, branch)
        repo_attrs = repository_attributes(normalize_remote(remote or ""))
        reading.attrs = {**repo_attrs, **reading.attrs}
        if identity == "full":
            full_name, email = _identity(config, environ)
            reading.attrs.update(identity_attributes("full", email=email, full_name=full_name))
        if dirty and repo is not None and reading.complete:
            _add_dirty(git, repo, reading, raise_on_error)
    finally:
        if repo is not None:
            repo.close()
    return reading


def _add_dirty(git: Any, repo: Any, reading: Reading, raise_on_error: bool) -> None:
    try:
        reading.attrs[a.WORKSPACE_GIT_DIRTY] = bool(repo.is_dirty(untracked_files=True))
    except git.GitCommandNotFound:
        if raise_on_error:
            raise
        reading.problems.append("workspace.git.dirty left out: the git executable is unavailable")
    except (git.GitCommandError, OSError, ValueError) as exc:
        if raise_on_error:
            raise
        reading.problems.append(
            f"workspace.git.dirty left out: git status failed ({type(exc).__name__})"
        )


class GitResourceDetector(_Detector):
    """The local git repository, read through GitPython and cached between starts.

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
    repository that cannot be fully read, a missing GitPython, or a dirty
    state that cannot be computed (no ``git`` executable) gives what could be
    read and one WARNING line.
    """

    name = a.GIT

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
        try:
            reading = read_repository(
                location,
                identity=identity,
                environ=ctx.environ,
                dirty=dirty,
                raise_on_error=self.raise_on_error,
            )
        except ImportError:
            if self.raise_on_error:
                raise
            _logger.warning("git attributes left out: GitPython is not installed")
            return {}
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
