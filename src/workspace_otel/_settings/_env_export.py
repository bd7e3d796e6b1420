"""The ``OTEL_RESOURCE_ATTRIBUTES`` entries ``workspace-otel env`` exports, and how to read them.

``workspace-otel env`` puts the detected resource into ``OTEL_RESOURCE_ATTRIBUTES``
for programs in other languages, and records exactly which entries it added
in ``WORKSPACE_OTEL_ENV_ADDED`` (the same ``key=value`` items, comma
separated; never a secret). Every reader uses :func:`user_items` to tell the
user's own entries from those, so:

* a later ``workspace-otel env`` (a nested shell, a new branch) replaces its
  own earlier entries instead of keeping them as if the user had typed them;
* a Python process started from that shell still detects its resource itself
  (its branch, its repository) and lets only the user's entries win.

Values are percent-encoded with everything but the RFC 3986 unreserved
characters (``A-Z a-z 0-9 - . _ ~``) escaped: both the Python SDK
(``urllib.parse.unquote``) and the JS SDK (``decodeURIComponent``) decode
that back to the original text, and the encoded form holds nothing a shell,
a dotenv parser or the ``,`` / ``=`` syntax could misread. Values longer than
the JS SDK accepts (255 UTF-16 code units) are left out: one such value makes
that SDK drop every entry of the variable.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

__all__ = [
    "ADDED_VARIABLE",
    "RESOURCE_VARIABLE",
    "SERVICE_NAME_VARIABLE",
    "clean_text",
    "encode_item",
    "fits",
    "item_key",
    "ours",
    "user_items",
]

RESOURCE_VARIABLE = "OTEL_RESOURCE_ATTRIBUTES"
SERVICE_NAME_VARIABLE = "OTEL_SERVICE_NAME"
ADDED_VARIABLE = "WORKSPACE_OTEL_ENV_ADDED"
SERVICE_NAME = "service.name"
MAX_VALUE_UNITS = 255

_UNRESERVED = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~")
_KEY = r"^[A-Za-z0-9][A-Za-z0-9._-]*$"
_CONTROL = r"[\x00-\x1f\x7f-\x9f]"


def clean_text(value: str) -> str:
    """Return ``value`` without control characters (newlines, escapes, NUL...)."""
    return re.sub(_CONTROL, "", value)


def valid_key(key: str) -> bool:
    """Whether ``key`` can be written unencoded (the Python SDK does not decode keys)."""
    return bool(re.match(_KEY, key)) and len(key) <= 255


def fits(value: str) -> bool:
    """Whether every SDK accepts ``value`` (after :func:`clean_text`).

    The JS SDK drops the *whole* variable when one value is longer than 255
    UTF-16 code units, so such a value is left out rather than exported.
    """
    return len(value.encode("utf-16-le", "surrogatepass")) // 2 <= MAX_VALUE_UNITS


def encode_item(key: str, value: str) -> str:
    """Return ``key=value`` with the value percent-encoded as both SDKs decode it.

    Control characters are removed first; characters that cannot be UTF-8
    (lone surrogates from undecodable environment bytes) become ``?``.
    """
    return f"{key}={percent_encode(clean_text(value))}"


def percent_encode(text: str) -> str:
    """Return ``text`` as UTF-8 with every byte but the unreserved characters as ``%XX``.

    The same result as ``urllib.parse.quote(text, safe="-._~", errors="replace")``,
    without importing ``urllib.parse`` (and ``ipaddress``) at every shell start.
    """
    return "".join(
        c if c in _UNRESERVED else "".join(f"%{b:02X}" for b in c.encode("utf-8", "replace"))
        for c in text
    )


def item_key(item: str) -> str:
    """Return the key of one raw ``key=value`` item, as the SDKs read it (stripped)."""
    return item.partition("=")[0].strip()


def ours(environ: Mapping[str, str]) -> frozenset[str]:
    """Return the raw items a previous ``workspace-otel env`` added (from its marker)."""
    raw = environ.get(ADDED_VARIABLE, "")
    return frozenset(item for item in raw.split(",") if item.strip())


def user_items(environ: Mapping[str, str]) -> list[str]:
    """Return the raw ``OTEL_RESOURCE_ATTRIBUTES`` items the user set, in order.

    Items that a previous ``workspace-otel env`` added (listed verbatim in
    ``WORKSPACE_OTEL_ENV_ADDED``) are left out; an item the user appended or
    changed afterwards is not verbatim in that list and is kept.
    """
    added = ours(environ)
    raw = environ.get(RESOURCE_VARIABLE, "")
    return [item for item in raw.split(",") if item.strip() and item not in added]


def service_name_is_ours(environ: Mapping[str, str]) -> bool:
    """Whether ``OTEL_SERVICE_NAME`` was set by a previous ``workspace-otel env``."""
    name = environ.get(SERVICE_NAME_VARIABLE, "")
    return bool(name) and encode_item(SERVICE_NAME, name) in ours(environ)
