"""Who runs the code, filtered by ``WORKSPACE_OTEL_IDENTITY``.

========  ===========================================================
mode      attributes
========  ===========================================================
login     ``user.name`` (login) and ``user.id`` (platform id) — default
full      as ``login`` plus ``user.email`` and ``user.full_name``
hash      ``user.hash`` only: sha256 hex digest of the login
off       nothing
========  ===========================================================

A login never goes into ``user.id``, and e-mail addresses and full names
never leave without ``full``.
"""

from __future__ import annotations

import hashlib

from workspace_otel.resources import _attributes as a


def login_hash(login: str) -> str:
    """Return the sha256 hex digest of a login (UTF-8)."""
    return hashlib.sha256(login.encode("utf-8")).hexdigest()


def identity_attributes(
    mode: str,
    *,
    login: str = "",
    user_id: str = "",
    email: str = "",
    full_name: str = "",
) -> dict[str, a.AttrValue]:
    """Return the ``user.*`` attributes that ``mode`` allows for these values.

    Args:
        mode: ``login``, ``full``, ``hash`` or ``off``.
        login: the platform login name (``user.name``).
        user_id: the platform's opaque user id (``user.id``), never a login.
        email: e-mail address (``full`` only).
        full_name: display name (``full`` only).
    """
    attrs: dict[str, a.AttrValue] = {}
    if mode == "hash":
        if login:
            attrs[a.USER_HASH] = login_hash(login)
        return attrs
    if mode not in ("login", "full"):
        return attrs
    if login:
        attrs[a.USER_NAME] = login
    if user_id:
        attrs[a.USER_ID] = user_id
    if mode == "full":
        if email:
            attrs[a.USER_EMAIL] = email
        if full_name:
            attrs[a.USER_FULL_NAME] = full_name
    return attrs
