"""SHA-256 without the cost of importing ``hashlib`` (which loads OpenSSL's bindings).

``workspace-otel env`` checks its cache at every shell start, and checking it
means recomputing SHA-256 digests of what it reads (variable values, the git
state). CPython ships its own SHA-256 as a small module (``_sha256`` up to
3.11, ``_sha2`` from 3.12) that loads in a tenth of the time ``hashlib``
takes; the digest is the same. An interpreter built without it falls back to
``hashlib``.
"""

from __future__ import annotations

import sys

TYPE_CHECKING = False  # typing is not imported at run time: see workspace_otel/__init__
if TYPE_CHECKING:
    from _hashlib import HASH
    from collections.abc import Callable


def _constructor() -> Callable[[bytes], HASH]:
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


sha256 = _constructor()
"""``sha256(data)``: a new SHA-256 hash object (``update``, ``hexdigest``), like hashlib's."""
