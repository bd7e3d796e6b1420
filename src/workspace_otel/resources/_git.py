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
from collections.abc import Callable, Mapping
from pathlib import Path

from workspace_otel import __version__
from workspace_otel._settings import _env
from workspace_otel.resources import _attributes as a
from workspace_otel.resources import _gitcache
from workspace_otel.resources._base import Context, _Detector
from workspace_otel.resources._gitfiles import locate, state_fingerprint

TYPE_CHECKING = False  # the reader is imported on a cache miss only
if TYPE_CHECKING:
    from workspace_otel.resources._gitrepo import Reading

_logger = logging.getLogger("workspace_otel.resources")

CACHE_VARIABLE = "WORKSPACE_OTEL_GIT_CACHE"
"""``on`` (default) / ``off``: cache the git-derived attributes between starts."""

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
        from workspace_otel.resources._gitprocess import Deadline
        from workspace_otel.resources._gitrepo import read_repository

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
