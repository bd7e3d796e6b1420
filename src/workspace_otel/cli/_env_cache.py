"""Remember what the workspace detector found: ``workspace-otel env`` runs at every shell start.

Importing the detectors means importing the SDK's resource module, which
alone costs several times an empty interpreter start. The detector's result
depends only on what it read: the environment variables it asked for, the
platform files it looked at, the git repository it found, and this package's
version. The cache records exactly those while detecting, and reuses the
result only when every one of them is unchanged:

* variables: each name the detector read, with a digest of its value (or its
  absence), and, when a detector went over the names of all variables (the
  agent markers do), a digest of that set of names;
* platform files: the (mtime, size, inode) of every path it asked for, or its
  absence;
* git: :func:`~workspace_otel.resources._gitfiles.state_fingerprint` of the
  repository found from the current directory and from every absolute path
  among the variables read (a superset of where the git detector looks);
* the package version and the current directory.

Stored like the git cache: ``$XDG_CACHE_HOME/workspace-otel/env-<digest of the
directory>.json``, directory 0700, file 0600 written atomically; a file that
is not ours, not private, corrupt or stale is ignored. Only the detected
attributes are stored (they never hold a secret) and value digests, never
variable values. ``WORKSPACE_OTEL_GIT_CACHE=off`` and
``WORKSPACE_OTEL_GIT_DIRTY=on`` turn it off, as they do the git cache.
"""

from __future__ import annotations

import json
import os
import stat
from collections.abc import Iterator, Mapping

from workspace_otel._guards.sha256 import sha256

TYPE_CHECKING = False  # typing is not imported at run time: see workspace_otel/__init__
if TYPE_CHECKING:
    from pathlib import Path
    from typing import Any

    from workspace_otel.resources._attributes import AttrValue

FORMAT = "workspace-otel/env-detection"
VERSION = 1
_MAX_BYTES = 256 * 1024


class RecordingEnviron(Mapping[str, str]):
    """A read-only view of the environment that remembers every name looked up."""

    def __init__(self, base: Mapping[str, str]) -> None:
        self._base = base
        self.read: dict[str, str | None] = {}
        self.listed = False

    def __getitem__(self, name: str) -> str:
        value = self._base.get(name)
        self.read[name] = value
        if value is None:
            raise KeyError(name)
        return value

    def get(self, name: str, default: Any = None) -> Any:
        """Return the variable (recording the lookup), or ``default``."""
        value = self._base.get(name)
        self.read[name] = value
        return default if value is None else value

    def __contains__(self, name: object) -> bool:
        if not isinstance(name, str):
            return False
        return self.get(name) is not None

    def __iter__(self) -> Iterator[str]:
        self.listed = True
        return iter(self._base)

    def __len__(self) -> int:
        self.listed = True
        return len(self._base)


def _digest(value: str | None) -> str | None:
    if value is None:
        return None
    return sha256(value.encode("utf-8", "surrogatepass")).hexdigest()


def _names_digest(environ: Mapping[str, str]) -> str:
    return sha256("\0".join(sorted(environ)).encode("utf-8", "surrogatepass")).hexdigest()


def _stat(path: str) -> list[int] | None:
    try:
        st = os.stat(path)
    except OSError:
        return None
    return [st.st_mtime_ns, st.st_size, st.st_ino]


def _git_state(cwd: str, environ: Mapping[str, str], names: list[str]) -> str:
    from workspace_otel.resources._gitfiles import locate, state_fingerprint

    starts = [cwd] + [v for n in names if (v := environ.get(n, "").strip()).startswith("/")]
    parts = []
    for start in dict.fromkeys(starts):
        location = locate([start])
        parts.append("-" if location is None else state_fingerprint(location))
    return sha256("\n".join(parts).encode()).hexdigest()


def _enabled(environ: Mapping[str, str]) -> bool:
    from workspace_otel._settings import _env

    try:
        return _env.get_bool("WORKSPACE_OTEL_GIT_CACHE", environ) and not _env.get_bool(
            "WORKSPACE_OTEL_GIT_DIRTY", environ
        )
    except ValueError:  # ConfigurationError: detection reports it, uncached
        return False


def _path(environ: Mapping[str, str], cwd: str) -> str | None:
    # Text paths on the way to a hit: pathlib is not imported at every shell start.
    from workspace_otel.resources._gitcache import cache_directory

    directory = cache_directory(environ)
    if directory is None:
        return None
    return os.path.join(directory, f"env-{sha256(os.fsencode(cwd)).hexdigest()}.json")


def _load(path: str) -> dict[str, Any] | None:
    from workspace_otel._guards.safe_read import read_bytes

    try:
        st = os.lstat(path)
        if st.st_uid != os.geteuid() or stat.S_IMODE(st.st_mode) & 0o077:
            return None
        data = json.loads(read_bytes(path, limit=_MAX_BYTES))
    except (OSError, ValueError, RecursionError):
        return None
    return data if isinstance(data, dict) else None


def _valid(entry: dict[str, Any], cwd: str, environ: Mapping[str, str]) -> bool:
    from workspace_otel import __version__

    env = entry.get("env")
    files = entry.get("files")
    if (
        entry.get("format") != FORMAT
        or entry.get("version") != VERSION
        or entry.get("package") != __version__
        or entry.get("cwd") != cwd
        or not isinstance(env, dict)
        or not isinstance(files, dict)
        or not isinstance(entry.get("attributes"), dict)
    ):
        return False
    if any(_digest(environ.get(name)) != digest for name, digest in env.items()):
        return False
    names = entry.get("names")
    if names is not None and names != _names_digest(environ):
        return False
    if any(_stat(name) != signature for name, signature in files.items()):
        return False
    return entry.get("git") == _git_state(cwd, environ, sorted(env))


def _scalars(attributes: Mapping[str, Any]) -> dict[str, AttrValue]:
    return {k: v for k, v in attributes.items() if isinstance(v, (str, bool, int, float))}


def _detect(recorder: RecordingEnviron) -> tuple[dict[str, AttrValue], list[str]]:
    from workspace_otel.resources._base import Context
    from workspace_otel.resources._workspace import collect_with_sources

    class _RecordingContext(Context):
        __slots__ = ("paths",)
        paths: list[str]

        def platform_path(self, relative: str) -> Path:
            path = super().platform_path(relative)
            self.paths.append(str(path))
            return path

    ctx = _RecordingContext(recorder)
    ctx.paths = []
    attributes, _sources = collect_with_sources(ctx)
    return _scalars(attributes), ctx.paths


def detected_attributes(environ: Mapping[str, str]) -> dict[str, AttrValue]:
    """Return what the workspace detector finds here, from the cache when nothing changed.

    Raises:
        ConfigurationError: a ``WORKSPACE_OTEL_*`` variable is invalid.
    """
    try:
        cwd: str | None = os.getcwd()
    except OSError:  # the current directory was removed
        cwd = None
    path = _path(environ, cwd) if cwd is not None and _enabled(environ) else None
    if path is not None:
        entry = _load(path)
        if entry is not None and cwd is not None and _valid(entry, cwd, environ):
            return _scalars(entry["attributes"])
    recorder = RecordingEnviron(environ)
    attributes, paths = _detect(recorder)
    if path is not None and cwd is not None:
        _store(path, cwd, environ, recorder, paths, attributes)
    return attributes


def _store(
    path: str,
    cwd: str,
    environ: Mapping[str, str],
    recorder: RecordingEnviron,
    paths: list[str],
    attributes: Mapping[str, AttrValue],
) -> None:
    from workspace_otel import __version__
    from workspace_otel.cli._private_file import write_private_file
    from workspace_otel.resources._gitcache import _private_dir

    names = sorted(recorder.read)
    entry = {
        "format": FORMAT,
        "version": VERSION,
        "package": __version__,
        "cwd": cwd,
        "env": {name: _digest(recorder.read[name]) for name in names},
        "names": _names_digest(environ) if recorder.listed else None,
        "files": {p: _stat(p) for p in dict.fromkeys(paths)},
        "git": _git_state(cwd, environ, names),
        "attributes": dict(attributes),
    }
    if not _private_dir(os.path.dirname(path)):
        return
    from pathlib import Path  # a miss: detection has imported it already

    try:
        write_private_file(Path(path), json.dumps(entry, sort_keys=True).encode("utf-8"))
    except OSError:
        return  # a cache that cannot be written only costs time
