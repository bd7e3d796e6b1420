"""Gitpod Classic and Ona (formerly Gitpod Flex).

Gitpod Classic is detected from ``GITPOD_WORKSPACE_ID`` together with
``GITPOD_INSTANCE_ID``; Ona from ``GITPOD_ENVIRONMENT_ID`` in UUID format (or
any non-empty value plus the platform's ``initial-spec.json``, whose content
is never read: it holds the environment token).

``GITPOD_WORKSPACE_CONTEXT`` is parsed and only ``repository`` (host, owner,
name, cloneUrl, webUrl), ``ref``, ``refType``, ``revision`` and
``normalizedContextURL`` are kept: its ``envvars`` carry secrets.
"""

from __future__ import annotations

import json
import re
from typing import Any

from workspace_otel.resources import _attributes as a
from workspace_otel.resources._base import Context, Marker, _PlatformDetector, copy_table
from workspace_otel.resources._gitfiles import is_object_name
from workspace_otel.resources._identity import identity_attributes
from workspace_otel.resources._url import (
    clean_web_url,
    normalize_remote,
    provider_for_host,
    repository_attributes,
)

_UUID = r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$"
_NAME = r"^[A-Za-z0-9_.\-/]{1,200}$"
_HOSTNAME = r"^[a-z0-9.\-]{1,253}(:[0-9]{1,5})?$"
_MAX_CONTEXT_CHARS = 1 << 20


def _string(mapping: dict[str, Any], key: str) -> str:
    value = mapping.get(key)
    if isinstance(value, str) and value.isprintable() and len(value) <= 2048:
        return value.strip()
    return ""


def parse_context(raw: str) -> dict[str, Any]:
    """Return the allow-listed fields of a ``GITPOD_WORKSPACE_CONTEXT`` JSON value.

    Malformed input gives ``{}``. Fields other than the allow-listed ones
    (notably ``envvars``) are dropped before anything else looks at them.
    """
    if not raw or len(raw) > _MAX_CONTEXT_CHARS:
        return {}
    try:
        data: Any = json.loads(raw)
    except (ValueError, RecursionError):
        return {}
    if not isinstance(data, dict):
        return {}
    kept: dict[str, Any] = {}
    for key in ("ref", "refType", "revision", "normalizedContextURL"):
        value = _string(data, key)
        if value:
            kept[key] = value
    repository = data.get("repository")
    if isinstance(repository, dict):
        repo = {
            key: _string(repository, key)
            for key in ("host", "owner", "name", "cloneUrl", "webUrl")
            if _string(repository, key)
        }
        if repo:
            kept["repository"] = repo
    return kept


def context_vcs_attributes(context: dict[str, Any]) -> dict[str, a.AttrValue]:
    """Return ``vcs.*`` attributes from a context parsed by :func:`parse_context`."""
    repo: dict[str, str] = context.get("repository", {})
    url = clean_web_url(repo.get("webUrl", "")) or normalize_remote(repo.get("cloneUrl", ""))
    host, owner, name = repo.get("host", "").lower(), repo.get("owner", ""), repo.get("name", "")
    if (
        url is None
        and re.match(_HOSTNAME, host)
        and re.match(_NAME, owner)
        and re.match(_NAME, name)
    ):
        url = normalize_remote(f"https://{host}/{owner}/{name}")
    attrs = repository_attributes(url)
    if url:
        if re.match(_NAME, name) and "/" not in name:
            attrs[a.VCS_REPOSITORY_NAME] = name
        if re.match(_NAME, owner):
            attrs[a.VCS_OWNER_NAME] = owner
        provider = provider_for_host(host) if host else None
        if provider:
            attrs[a.VCS_PROVIDER_NAME] = provider
    ref = context.get("ref", "")
    if ref and re.match(_NAME, ref):
        attrs[a.VCS_REF_HEAD_NAME] = ref
        if context.get("refType") in ("branch", "tag"):
            attrs[a.VCS_REF_HEAD_TYPE] = context["refType"]
    revision = context.get("revision", "").lower()
    if is_object_name(revision):
        attrs[a.VCS_REF_HEAD_REVISION] = revision
    return attrs


def _raw_context(ctx: Context) -> str:
    value = ctx.environ.get("GITPOD_WORKSPACE_CONTEXT")
    return value if isinstance(value, str) else ""


class GitpodResourceDetector(_PlatformDetector):
    """Gitpod Classic (gitpod.io, Dedicated, self-hosted).

    Attributes: ``workspace.provider=gitpod``, ``workspace.id``,
    ``workspace.instance.id``, ``workspace.url``, ``workspace.class``,
    ``workspace.cluster``, ``workspace.context.url`` (credentials, query and
    any ``NAME=value/`` prefix removed), ``workspace.prebuild`` (only when
    ``GITPOD_HEADLESS=true``), ``user.id`` (``GITPOD_OWNER_ID``; e-mail and
    full name from ``GITPOD_GIT_USER_*`` with identity ``full``) and ``vcs.*``
    from ``GITPOD_WORKSPACE_CONTEXT``.
    """

    name = a.GITPOD

    def marker_sets(self, ctx: Context) -> list[list[Marker]]:
        """Return the Gitpod Classic markers."""
        return [
            [
                ("GITPOD_WORKSPACE_ID", bool(ctx.get("GITPOD_WORKSPACE_ID"))),
                ("GITPOD_INSTANCE_ID", bool(ctx.get("GITPOD_INSTANCE_ID"))),
            ]
        ]

    def attributes(self, ctx: Context) -> dict[str, a.AttrValue]:
        """Return the Gitpod Classic attributes."""
        attrs: dict[str, a.AttrValue] = {a.WORKSPACE_PROVIDER: a.GITPOD}
        copy_table(ctx, a.GITPOD_TABLE, attrs)
        url = clean_web_url(ctx.get("GITPOD_WORKSPACE_URL"))
        if url:
            attrs[a.WORKSPACE_URL] = url
        context = parse_context(_raw_context(ctx))
        context_url = clean_web_url(ctx.get("GITPOD_WORKSPACE_CONTEXT_URL")) or clean_web_url(
            context.get("normalizedContextURL", "")
        )
        if context_url:
            attrs[a.WORKSPACE_CONTEXT_URL] = context_url
        if ctx.is_true("GITPOD_HEADLESS"):
            attrs[a.WORKSPACE_PREBUILD] = True
        attrs.update(
            identity_attributes(
                ctx.identity,
                user_id=ctx.get("GITPOD_OWNER_ID"),
                email=ctx.get("GITPOD_GIT_USER_EMAIL"),
                full_name=ctx.get("GITPOD_GIT_USER_NAME"),
            )
        )
        attrs.update(context_vcs_attributes(context))
        return attrs


class OnaResourceDetector(_PlatformDetector):
    """Ona (formerly Gitpod Flex; its variables keep the ``GITPOD_`` prefix).

    Attributes: ``workspace.provider=ona`` and ``workspace.id``
    (``GITPOD_ENVIRONMENT_ID``). Repository and branch come from git.
    """

    name = a.ONA

    def marker_sets(self, ctx: Context) -> list[list[Marker]]:
        """Return the Ona markers: a UUID id, or an id plus the platform's spec file."""
        env_id = ctx.get("GITPOD_ENVIRONMENT_ID")
        is_uuid = bool(re.match(_UUID, env_id, flags=re.I))
        spec = bool(env_id) and not is_uuid and ctx.platform_path(a.ONA_SPEC_FILE).is_file()
        return [
            [("GITPOD_ENVIRONMENT_ID", bool(env_id)), ("GITPOD_ENVIRONMENT_ID is a UUID", is_uuid)],
            [
                ("GITPOD_ENVIRONMENT_ID", bool(env_id)),
                ("/usr/local/gitpod/config/initial-spec.json exists", spec),
            ],
        ]

    def attributes(self, ctx: Context) -> dict[str, a.AttrValue]:
        """Return the Ona attributes."""
        return {
            a.WORKSPACE_PROVIDER: a.ONA,
            a.WORKSPACE_ID: ctx.get("GITPOD_ENVIRONMENT_ID").lower(),
        }
