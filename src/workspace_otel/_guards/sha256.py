"""SHA-256 without the cost of importing ``hashlib`` (which loads OpenSSL's bindings).

``workspace-otel env`` checks its cache at every shell start, and checking it
means recomputing SHA-256 digests of what it reads (variable values, the git
state). CPython ships its own SHA-256 as a small module (``_sha256`` up to
3.11, ``_sha2`` from 3.12) that loads in a tenth of the time ``hashlib``
takes; the digest is the same. The choice is made at the first digest: a
``hashlib`` something else already imported (``requests`` does, and so does
the user-hash identity mode) costs nothing more, so it is taken; otherwise the
small module; an interpreter built without either falls back to importing
``hashlib``.
"""

from __future__ import annotations

import sys

TYPE_CHECKING = False  # typing is not imported at run time: see workspace_otel/__init__
if TYPE_CHECKING:
    from _hashlib import HASH
    from collections.abc import Callable


def _constructor() -> Callable[[bytes], HASH]:
    # Another thread may be importing hashlib: then it is listed before it has sha256.
    already: Callable[[bytes], HASH] | None = getattr(sys.modules.get("hashlib"), "sha256", None)
    if already is not None:
        return already
    # 3.10-3.11 name it _sha256, 3.12 and later _sha2: try the likely one first
    # (a failed import scans sys.path).
    likely = ("_sha256", "_sha2") if sys.version_info < (3, 12) else ("_sha2", "_sha256")
    for name in likely:
        try:
            module = __import__(name)
        except ImportError:
            continue
        found: Callable[[bytes], HASH] | None = getattr(module, "sha256", None)
        if found is not None:
            return found
    import hashlib  # an interpreter built without CPython's own hashes

    return hashlib.sha256


_chosen: Callable[[bytes], HASH] | None = None


def sha256(data: bytes = b"") -> HASH:
    """Return a new SHA-256 hash object of ``data`` (``update``, ``hexdigest``), like hashlib's."""
    global _chosen
    if _chosen is None:  # two threads may both choose: either choice is right
        _chosen = _constructor()
    return _chosen(data)
