"""Tags read from the repository's files: packed-refs parsed once, loose tags, tag objects.

Finding the tag at a detached HEAD must not cost one ``packed-refs`` read per
tag (GitPython's ``SymbolicReference`` re-reads the file for every
dereference: ten seconds for a few thousand tags). Here ``packed-refs`` is
read and parsed once per detection, loose tags are read once each (at most
:data:`MAX_TAGS`), and an annotated tag is peeled from ``packed-refs``' ``^``
lines or from its loose object. Every read goes through the safe reader.

When the answer cannot be known from the files (an annotated tag whose object
is packed, a ``packed-refs`` written without peeled lines), the result says so
and the caller asks ``git tag --points-at`` instead.
"""

from __future__ import annotations

import os
import re
import zlib
from pathlib import Path

from workspace_otel._guards import safe_read
from workspace_otel.resources._gitfiles import is_object_name

__all__ = ["MAX_TAGS", "PackedRefs", "TagLookup", "read_packed_refs", "tag_at"]

MAX_TAGS = 5000
"""Most loose tags examined; a repository with more gives an uncertain answer."""

PACKED_REFS_LIMIT = 64 * 1024 * 1024
"""Largest ``packed-refs`` read (64 MiB: about a million refs)."""

_REF_LIMIT = 4096
_MAX_TAG_DIRECTORIES = 256
_OBJECT_LIMIT = 1024 * 1024
_PEEL_DEPTH = 8


class PackedRefs:
    """The parsed ``packed-refs`` file.

    A plain class, as the other values read on a start are: a dataclass
    generates its methods with ``exec`` when the module is imported.

    Attributes:
        refs: ref name (``refs/tags/v1``) to the object it names.
        peeled: ref name to the commit an annotated tag points at (``^`` lines).
        fully_peeled: the file says every annotated tag has its ``^`` line, so
            a ref without one is not an annotated tag.
    """

    __slots__ = ("fully_peeled", "peeled", "refs")

    def __init__(self, *, fully_peeled: bool = False) -> None:
        self.refs: dict[str, str] = {}
        self.peeled: dict[str, str] = {}
        self.fully_peeled = fully_peeled


class TagLookup:
    """The tag at a commit as far as the files tell.

    Attributes:
        name: the first tag name (sorted) whose commit is the revision, or ``None``.
        certain: ``False`` when some tag could not be peeled from the files.
    """

    __slots__ = ("certain", "name")

    def __init__(self, name: str | None, certain: bool) -> None:
        self.name = name
        self.certain = certain

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, TagLookup):
            return NotImplemented
        return (self.name, self.certain) == (other.name, other.certain)

    __hash__ = None  # type: ignore[assignment]  # mutable, as the dataclass was

    def __repr__(self) -> str:
        return f"TagLookup(name={self.name!r}, certain={self.certain!r})"


def read_packed_refs(common_dir: Path) -> PackedRefs:
    """Read and parse ``packed-refs`` once (an absent or unsafe file gives no refs)."""
    packed = PackedRefs(fully_peeled=True)
    try:
        text = safe_read.read_text(common_dir / "packed-refs", limit=PACKED_REFS_LIMIT)
    except FileNotFoundError:
        return packed
    except OSError:
        return PackedRefs(fully_peeled=False)
    last: str | None = None
    lines = text.splitlines()
    if not (lines and lines[0].startswith("#") and "fully-peeled" in lines[0].split()):
        packed.fully_peeled = False
    for line in lines:
        if line.startswith("#") or not line.strip():
            continue
        if line.startswith("^"):
            sha = line[1:].strip()
            if last is not None and is_object_name(sha):
                packed.peeled[last] = sha
            continue
        sha, _, name = line.partition(" ")
        name = name.strip()
        if is_object_name(sha) and name.startswith("refs/"):
            packed.refs[name] = sha
            last = name
        else:
            last = None
    return packed


def _loose_tags(common_dir: Path) -> tuple[dict[str, str], bool]:
    """Return loose tag refs (name to object) and whether all were examined."""
    found: dict[str, str] = {}
    root = common_dir / "refs" / "tags"
    pending = [root]
    complete = True
    directories = 0
    while pending:
        directory = pending.pop()
        directories += 1
        if directories > _MAX_TAG_DIRECTORIES:
            return found, False
        try:
            with os.scandir(directory) as entries:
                items = list(entries)
        except FileNotFoundError:
            continue
        except OSError:
            complete = False
            continue
        for entry in items:
            if len(found) >= MAX_TAGS:
                return found, False
            if entry.is_dir(follow_symlinks=False):
                pending.append(Path(entry.path))
                continue
            try:
                sha = safe_read.read_text(entry.path, limit=_REF_LIMIT).strip()
            except OSError:
                complete = False
                continue
            name = "refs/tags/" + Path(entry.path).relative_to(root).as_posix()
            if is_object_name(sha):
                found[name] = sha
            else:  # a symbolic tag or garbage: git would have to say
                complete = False
    return found, complete


def _object_header(common_dir: Path, sha: str) -> bytes | None:
    """Return the start of a loose object's inflated body, or ``None`` when it is not loose."""
    path = common_dir / "objects" / sha[:2] / sha[2:]
    try:
        raw = safe_read.read_bytes(path, limit=_OBJECT_LIMIT)
        return zlib.decompressobj().decompress(raw, 512)
    except (OSError, zlib.error):
        return None


def _peel(common_dir: Path, sha: str) -> str | None:
    """Return the commit ``sha`` designates, following tag objects; ``None`` when unknown."""
    for _ in range(_PEEL_DEPTH):
        head = _object_header(common_dir, sha)
        if head is None:
            return None
        kind, _, rest = head.partition(b" ")
        if kind != b"tag":
            return sha if kind == b"commit" else ""
        body = rest.partition(b"\0")[2]
        match = re.match(rb"object ([0-9a-f]{40,64})\n", body)
        if match is None:
            return None
        sha = match.group(1).decode("ascii")
    return None


def tag_at(common_dir: Path, revision: str, packed: PackedRefs) -> TagLookup:
    """Return the first tag (by name) whose commit is ``revision``.

    Args:
        common_dir: the directory holding ``refs`` and ``packed-refs``.
        revision: the commit HEAD is detached at.
        packed: the already parsed ``packed-refs``.
    """
    loose, certain = _loose_tags(common_dir)
    matches: list[str] = []
    tags = {n: s for n, s in packed.refs.items() if n.startswith("refs/tags/")}
    for name, sha in tags.items():
        if name in loose:
            continue  # a loose ref wins over its packed copy
        if sha == revision or packed.peeled.get(name) == revision:
            matches.append(name)
        elif name not in packed.peeled and not packed.fully_peeled:
            peeled = _peel(common_dir, sha)
            if peeled is None:
                certain = False
            elif peeled == revision:
                matches.append(name)
    for name, sha in loose.items():
        if sha == revision:
            matches.append(name)
            continue
        peeled = _peel(common_dir, sha)
        if peeled is None:
            certain = False
        elif peeled == revision:
            matches.append(name)
    best = min(matches) if matches else None
    return TagLookup(best[len("refs/tags/") :] if best else None, certain)
