"""Read a repository's attributes from its files, without GitPython, for the common layouts.

The first start after a commit misses the attribute cache; importing
GitPython then costs tens of milliseconds. HEAD, the branch's ref (loose or in
``packed-refs``), the tag at a detached HEAD (``_gitrefs``) and the remote URL
(``branch.<name>.remote``, ``remote.<name>.url``, ``url.<base>.insteadOf``)
can be read from the files directly, through the safe reader.

:func:`read_from_files` answers only when it is sure to give what GitPython
would give, and returns ``None`` otherwise, so the caller asks GitPython:
configuration ``include`` / ``includeIf``, ``config.worktree``, quoted or
escaped or continued values, a HEAD that is neither a branch nor a commit,
a tag the files cannot resolve, identity ``full`` and the dirty state.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import Path

from workspace_otel._guards import safe_read
from workspace_otel.resources import _attributes as a
from workspace_otel.resources import _gitrefs
from workspace_otel.resources._gitfiles import RepoLocation, global_config_paths, is_object_name
from workspace_otel.resources._url import normalize_remote, repository_attributes

__all__ = ["ConfigValues", "read_config", "read_from_files", "remote_url"]

_CONFIG_LIMIT = 1024 * 1024
_SECTION = r'^\[\s*([A-Za-z0-9.\-]+)(?:\s+"([^"\\]*)")?\s*\]\s*$'
_OPTION = r"^([A-Za-z][A-Za-z0-9\-]*)\s*(?:=\s*(.*?))?\s*$"

ConfigValues = dict[tuple[str, str | None, str], list[str]]
"""(section lowercased, subsection, option lowercased) to its values in reading order."""


class _Unsure(Exception):
    """The files hold something only GitPython (or git) reads right."""


def _parse_config(
    text: str, values: ConfigValues, headers: dict[tuple[str, str | None], str]
) -> None:
    section: tuple[str, str | None] | None = None
    for raw_line in text.splitlines():
        line = raw_line.strip()
        if not line or line[0] in "#;":
            continue
        if line.startswith("["):
            match = re.match(_SECTION, line)
            if match is None:
                raise _Unsure("an unusual section header")
            name, sub = match.group(1), match.group(2)
            if sub is None and "." in name:  # the deprecated [section.subsection]
                name, _, sub = name.partition(".")
                sub = sub.lower()
            name = name.lower()
            if name in ("include", "includeif"):
                raise _Unsure("an include")
            section = (name, sub)
            # GitPython keeps differently spelled headers apart and uses the first only.
            if headers.setdefault(section, line) != line:
                raise _Unsure("one section spelled two ways")
            continue
        if section is None:
            raise _Unsure("an option outside a section")
        match = re.match(_OPTION, line)
        if match is None:
            raise _Unsure("an unusual line")
        key = match.group(1)
        if key != key.lower() and key != "insteadOf":  # older GitPython keeps case apart
            raise _Unsure("an option name in capitals")
        value = match.group(2) or ""
        if any(c in value for c in '"\\#;') or line.endswith("\\"):
            raise _Unsure("a quoted, escaped or commented value")
        values.setdefault((*section, key.lower()), []).append(value)


def read_config(paths: Sequence[Path | str]) -> ConfigValues:
    """Read and merge configuration files in order (absent ones are skipped).

    Raises:
        _Unsure: a file holds something this reader does not handle, or is unreadable.
    """
    values: ConfigValues = {}
    headers: dict[tuple[str, str | None], str] = {}
    for path in paths:
        try:
            text = safe_read.read_text(path, limit=_CONFIG_LIMIT, errors="strict")
        except FileNotFoundError:
            continue
        except (OSError, UnicodeDecodeError):
            raise _Unsure("an unreadable configuration file") from None
        _parse_config(text, values, headers)
    return values


def _get(values: ConfigValues, section: str, sub: str | None, option: str) -> list[str]:
    return [v for v in values.get((section, sub, option), []) if v]


def remote_url(values: ConfigValues, branch: str | None) -> str | None:
    """Return the branch's remote URL, else origin's, else the first remote's, with insteadOf."""
    candidates: list[str] = []
    if branch:
        candidates += _get(values, "branch", branch, "remote")[:1]
    candidates.append("origin")
    candidates += sorted({sub for (name, sub, _) in values if name == "remote" and sub is not None})
    url = None
    for name in candidates:
        urls = _get(values, "remote", name, "url")
        if urls:
            url = urls[0]
            break
    if url is None:
        return None
    best, replacement = "", None
    for (name, base, option), prefixes in values.items():
        if name != "url" or base is None or option != "insteadof":
            continue
        for prefix in prefixes:
            if prefix and url.startswith(prefix) and len(prefix) > len(best):
                best, replacement = prefix, base
    return url if replacement is None else replacement + url[len(best) :]


def _ref_value(location: RepoLocation, ref: str, packed: _gitrefs.PackedRefs) -> str | None:
    """Return the object a ref names (loose in the git dir, the common dir, then packed)."""
    for base in dict.fromkeys((location.git_dir, location.common_dir)):
        try:
            text = safe_read.read_text(base / ref, limit=4096).strip()
        except FileNotFoundError:
            continue
        except OSError:
            raise _Unsure("an unreadable ref") from None
        if text.startswith("ref:"):
            raise _Unsure("a symbolic ref")
        return text
    return packed.refs.get(ref)


def _head(location: RepoLocation, attrs: dict[str, a.AttrValue]) -> str | None:
    """Fill the ``vcs.ref.head.*`` attributes; return the branch."""
    try:
        head = safe_read.read_text(location.git_dir / "HEAD", limit=4096).strip()
    except OSError:
        raise _Unsure("an unreadable HEAD") from None
    packed = _gitrefs.read_packed_refs(location.common_dir)
    branch: str | None = None
    if head.startswith("ref:"):
        ref = head[len("ref:") :].strip()
        if not ref.startswith("refs/heads/") or ".." in ref.split("/"):
            raise _Unsure("HEAD names something other than a branch")
        branch = ref[len("refs/heads/") :]
        revision = _ref_value(location, ref, packed)
        if revision is not None and not is_object_name(revision):
            raise _Unsure("a malformed ref")
    elif is_object_name(head):
        revision = head
    else:
        raise _Unsure("a malformed HEAD")
    if branch:
        attrs[a.VCS_REF_HEAD_NAME] = branch
        attrs[a.VCS_REF_HEAD_TYPE] = "branch"
    elif revision:
        lookup = _gitrefs.tag_at(location.common_dir, revision, packed)
        if not lookup.certain:
            raise _Unsure("a tag the files cannot resolve")
        if lookup.name:
            attrs[a.VCS_REF_HEAD_NAME] = lookup.name
            attrs[a.VCS_REF_HEAD_TYPE] = "tag"
    if revision:
        attrs[a.VCS_REF_HEAD_REVISION] = revision
    return branch


def read_from_files(
    location: RepoLocation, *, identity: str, dirty: bool
) -> dict[str, a.AttrValue] | None:
    """Return the attributes GitPython would give, or ``None`` when only GitPython can tell.

    Args:
        location: the repository.
        identity: ``WORKSPACE_OTEL_IDENTITY``; ``full`` is left to GitPython.
        dirty: ``WORKSPACE_OTEL_GIT_DIRTY``; the dirty state needs ``git status``.
    """
    if dirty or identity == "full":
        return None
    if (location.git_dir / "config.worktree").exists():
        return None
    attrs: dict[str, a.AttrValue] = {}
    try:
        branch = _head(location, attrs)
        values = read_config([*global_config_paths(), location.common_dir / "config"])
    except _Unsure:
        return None
    remote = remote_url(values, branch)
    return {**repository_attributes(normalize_remote(remote or "")), **attrs}
