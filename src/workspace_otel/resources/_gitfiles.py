"""Read a git repository's HEAD, refs and config straight from its files.

This is the fast path of the git detector: no ``git`` process and no GitPython
import (importing GitPython runs ``git version``, which costs more than the
whole detection budget). It understands ``.git`` directories and ``.git``
files (worktrees, submodules), ``commondir``, loose and packed refs, peeled
tags, loose tag objects and the config file format (sections, subsections,
quotes, escapes, continuation lines, ``url.<base>.insteadOf``).

Nothing here logs; problems are reported in :attr:`RepoInfo.problem` and
never carry file contents.
"""

from __future__ import annotations

import os
import re
import zlib
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path

_SHA = re.compile(r"^(?:[0-9a-f]{40}|[0-9a-f]{64})$")
_MAX_SMALL_FILE = 64 * 1024
_MAX_PACKED_REFS = 32 * 1024 * 1024
_MAX_LOOSE_TAGS = 5000
_MAX_SYMREF_DEPTH = 5

ConfigKey = tuple[str, str | None]
"""(section lowercased, subsection as written or ``None``)."""


@dataclass
class RepoInfo:
    """What could be read from one repository.

    Attributes:
        git_dir: the repository's (per-worktree) git directory.
        common_dir: the directory holding refs, objects and config.
        branch: the checked-out branch (also for an unborn branch).
        tag: a tag pointing at HEAD, when HEAD is detached.
        revision: the full commit id of HEAD, ``None`` before the first commit.
        remote_url: the raw URL of the chosen remote (may hold credentials:
            normalise it before use, never log it).
        shallow: the repository is a shallow clone.
        problem: why part of the repository could not be read (no contents).
    """

    git_dir: Path
    common_dir: Path
    work_tree: Path | None = None
    branch: str | None = None
    tag: str | None = None
    revision: str | None = None
    remote_url: str | None = None
    shallow: bool = False
    problem: str | None = None
    config: dict[ConfigKey, dict[str, list[str]]] = field(default_factory=dict, repr=False)


def _read_small(path: Path, limit: int = _MAX_SMALL_FILE) -> str | None:
    try:
        with path.open("rb") as handle:
            raw = handle.read(limit + 1)
    except OSError:
        return None
    if len(raw) > limit:
        return None
    return raw.decode("utf-8", "replace")


def _git_dir_of(candidate: Path) -> Path | None:
    """Return the git directory a ``.git`` entry designates, or ``None``."""
    if not candidate.exists():
        return None
    if candidate.is_dir():
        return candidate if (candidate / "HEAD").exists() else None
    text = _read_small(candidate, 4096)
    if text is None or not text.startswith("gitdir:"):
        return None
    target = Path(text[len("gitdir:") :].strip())
    if not target.is_absolute():
        target = candidate.parent / target
    target = Path(os.path.normpath(target))
    return target if (target / "HEAD").exists() else None


def find_repository(starts: Iterable[Path]) -> tuple[Path, Path] | None:
    """Return (work tree, git dir) of the first repository found walking up from ``starts``."""
    for start in starts:
        try:
            start = start.absolute()
        except OSError:
            continue
        for directory in (start, *start.parents):
            try:
                git_dir = _git_dir_of(directory / ".git")
            except OSError:  # unreadable directory: stop climbing from this start
                break
            if git_dir is not None:
                return directory, git_dir
    return None


def _unquote(value: str) -> str:
    out: list[str] = []
    quoted = False
    i = 0
    while i < len(value):
        char = value[i]
        if char == "\\" and i + 1 < len(value):
            nxt = value[i + 1]
            out.append({"n": "\n", "t": "\t", "b": "\b"}.get(nxt, nxt))
            i += 2
            continue
        if char == '"':
            quoted = not quoted
        elif char in "#;" and not quoted:
            break
        else:
            out.append(char)
        i += 1
    return "".join(out).strip()


_SECTION = re.compile(r'^\[\s*([A-Za-z0-9.\-]+)(?:\s+"((?:[^"\\]|\\.)*)")?\s*\]\s*(.*)$')


def parse_config(text: str) -> dict[ConfigKey, dict[str, list[str]]]:
    """Parse git config text into ``{(section, subsection): {key: [values]}}``."""
    result: dict[ConfigKey, dict[str, list[str]]] = {}
    current: dict[str, list[str]] | None = None
    lines = iter(text.splitlines())
    for line in lines:
        while line.endswith("\\"):
            line = line[:-1] + next(lines, "")
        stripped = line.strip()
        if not stripped or stripped[0] in "#;":
            continue
        match = _SECTION.match(stripped)
        if match:
            name, sub, rest = match.groups()
            if sub is None and "." in name:
                name, _, sub = name.partition(".")
                sub = sub.lower()
            elif sub is not None:
                sub = re.sub(r"\\(.)", r"\1", sub)
            current = result.setdefault((name.lower(), sub), {})
            stripped = rest.strip()
            if not stripped or stripped[0] in "#;":
                continue
        if current is None:
            continue
        key, sep, value = stripped.partition("=")
        key = key.strip().lower()
        if not re.match(r"^[a-z][a-z0-9\-]*$", key):
            continue
        current.setdefault(key, []).append(_unquote(value) if sep else "true")
    return result


def read_config(path: Path) -> dict[ConfigKey, dict[str, list[str]]]:
    """Parse a config file; a missing or unreadable file is an empty config."""
    text = _read_small(path, 1024 * 1024)
    return parse_config(text) if text else {}


def _packed_refs(common_dir: Path) -> Iterator[tuple[str, str, str | None]]:
    """Yield (refname, sha, peeled sha) from ``packed-refs``."""
    text = _read_small(common_dir / "packed-refs", _MAX_PACKED_REFS)
    if not text:
        return
    previous: tuple[str, str] | None = None
    for line in text.splitlines():
        if line.startswith("^"):
            if previous is not None and _SHA.match(line[1:].strip()):
                yield previous[0], previous[1], line[1:].strip()
                previous = None
            continue
        if previous is not None:
            yield previous[0], previous[1], None
            previous = None
        sha, _, name = line.partition(" ")
        if _SHA.match(sha) and name.startswith("refs/"):
            previous = (name.strip(), sha)
    if previous is not None:
        yield previous[0], previous[1], None


def _safe_refname(name: str) -> bool:
    parts = name.split("/")
    return (
        name.startswith("refs/")
        and all(p and p not in (".", "..") for p in parts)
        and not any(c in name for c in "\\\0 ~^:?*[")
    )


def resolve_ref(git_dir: Path, common_dir: Path, name: str) -> str | None:
    """Return the sha a ref name points at (following symbolic refs), or ``None``."""
    for _ in range(_MAX_SYMREF_DEPTH):
        if not _safe_refname(name):
            return None
        text = None
        for base in (git_dir, common_dir) if git_dir != common_dir else (common_dir,):
            text = _read_small(base / name, 1024)
            if text is not None:
                break
        if text is None:
            for ref, sha, _ in _packed_refs(common_dir):
                if ref == name:
                    return sha
            return None
        text = text.strip()
        if text.startswith("ref:"):
            name = text[4:].strip()
            continue
        return text if _SHA.match(text) else None
    return None


def _peel_loose(common_dir: Path, sha: str) -> str:
    """Return the object an annotated tag object points at (loose objects only), else ``sha``."""
    path = common_dir / "objects" / sha[:2] / sha[2:]
    try:
        with path.open("rb") as handle:
            raw = zlib.decompressobj().decompress(handle.read(8192), 4096)
    except (OSError, zlib.error):
        return sha
    header, _, body = raw.partition(b"\0")
    if not header.startswith(b"tag "):
        return sha
    first = body.split(b"\n", 1)[0].decode("ascii", "replace")
    if first.startswith("object "):
        target = first[len("object ") :].strip()
        if _SHA.match(target):
            return target
    return sha


def tags_at(common_dir: Path, revision: str) -> list[str]:
    """Return the (sorted) tag names whose commit is ``revision``."""
    found: set[str] = set()
    for ref, sha, peeled in _packed_refs(common_dir):
        if ref.startswith("refs/tags/") and revision in (sha, peeled):
            found.add(ref[len("refs/tags/") :])
    tag_root = common_dir / "refs" / "tags"
    seen = 0
    for directory, _, files in os.walk(tag_root):
        for file_name in files:
            seen += 1
            if seen > _MAX_LOOSE_TAGS:
                return sorted(found)
            path = Path(directory) / file_name
            text = _read_small(path, 1024)
            sha = (text or "").strip()
            if _SHA.match(sha) and (sha == revision or _peel_loose(common_dir, sha) == revision):
                found.add(path.relative_to(tag_root).as_posix())
    return sorted(found)


def _first(config: Mapping[ConfigKey, Mapping[str, list[str]]], key: ConfigKey, name: str) -> str:
    values = config.get(key, {}).get(name) or [""]
    return values[0]


def _insteadof(config: Mapping[ConfigKey, Mapping[str, list[str]]], url: str) -> str:
    best, replacement = "", None
    for (section, base), values in config.items():
        if section != "url" or base is None:
            continue
        for prefix in values.get("insteadof", []):
            if prefix and url.startswith(prefix) and len(prefix) > len(best):
                best, replacement = prefix, base
    return url if replacement is None else replacement + url[len(best) :]


def choose_remote_url(
    config: Mapping[ConfigKey, Mapping[str, list[str]]], branch: str | None
) -> str | None:
    """Return the URL of the branch's remote, else ``origin``, else the first remote."""
    remotes = sorted(sub for (section, sub) in config if section == "remote" and sub)
    candidates: list[str] = []
    if branch:
        upstream = _first(config, ("branch", branch), "remote")
        if upstream:
            candidates.append(upstream)
    candidates += ["origin", *remotes]
    for name in candidates:
        url = _first(config, ("remote", name), "url")
        if url:
            return _insteadof(config, url)
    return None


def read_repository(work_tree: Path, git_dir: Path) -> RepoInfo:
    """Read HEAD, the branch or tag, the remote URL and the config of a repository."""
    common_text = _read_small(git_dir / "commondir", 4096)
    common_dir = git_dir
    if common_text and common_text.strip():
        common = Path(common_text.strip())
        common_dir = Path(os.path.normpath(common if common.is_absolute() else git_dir / common))
    info = RepoInfo(git_dir=git_dir, common_dir=common_dir, work_tree=work_tree)
    info.shallow = (common_dir / "shallow").exists()
    info.config = read_config(common_dir / "config")
    head = _read_small(git_dir / "HEAD", 1024)
    if head is None:
        info.problem = "HEAD is unreadable"
    else:
        head = head.strip()
        if head.startswith("ref:"):
            ref = head[4:].strip()
            if ref.startswith("refs/heads/") and _safe_refname(ref):
                info.branch = ref[len("refs/heads/") :]
                info.revision = resolve_ref(git_dir, common_dir, ref)
            elif _safe_refname(ref):
                info.revision = resolve_ref(git_dir, common_dir, ref)
            else:
                info.problem = "HEAD names an invalid ref"
        elif _SHA.match(head):
            info.revision = head
            tags = tags_at(common_dir, head)
            if tags:
                info.tag = tags[0]
        else:
            info.problem = "HEAD is malformed"
    info.remote_url = choose_remote_url(info.config, info.branch)
    return info


def user_identity(info: RepoInfo, environ: Mapping[str, str]) -> tuple[str, str]:
    """Return git's (user.name, user.email) as git would: env, repo, global, system config."""
    name = environ.get("GIT_AUTHOR_NAME", "").strip()
    email = environ.get("GIT_AUTHOR_EMAIL", "").strip()
    configs: list[Mapping[ConfigKey, Mapping[str, list[str]]]] = [info.config]
    home = environ.get("HOME", "")
    xdg = environ.get("XDG_CONFIG_HOME", "") or (os.path.join(home, ".config") if home else "")
    for path in (
        os.path.join(xdg, "git", "config") if xdg else "",
        os.path.join(home, ".gitconfig") if home else "",
        "/etc/gitconfig",
    ):
        if name and email:
            break
        if path:
            configs.append(read_config(Path(path)))
    for config in configs:
        user = config.get(("user", None), {})
        name = name or (user.get("name") or [""])[-1]
        email = email or (user.get("email") or [""])[-1]
    return name, email
