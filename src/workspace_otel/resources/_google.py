"""Google Cloud Workstations and Firebase Studio (ex Project IDX), which runs on them.

Both set ``GOOGLE_CLOUD_WORKSTATIONS=true``. Firebase Studio adds
``MONOSPACE_ENV``, ``IDX_CHANNEL`` or ``WORKSPACE_SLUG`` and is checked
first; plain Cloud Workstations need ``WEB_HOST`` under ``cloudworkstations.dev``.
"""

from __future__ import annotations

import re

from workspace_otel.resources import _attributes as a
from workspace_otel.resources._base import Context, Marker, _PlatformDetector

_HOST = r"^[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)+$"
_SLUG = r"^[A-Za-z0-9][A-Za-z0-9_.\-]{0,127}$"


def _web_host(ctx: Context) -> str:
    host = ctx.get("WEB_HOST").lower()
    return host if re.match(_HOST, host) else ""


def _host_attributes(host: str) -> dict[str, a.AttrValue]:
    attrs: dict[str, a.AttrValue] = {}
    if host:
        first, _, rest = host.partition(".")
        attrs[a.WORKSPACE_ID] = first
        attrs[a.WORKSPACE_URL] = f"https://{host}"
        if rest:
            attrs[a.WORKSPACE_CLUSTER] = rest
    return attrs


class FirebaseStudioResourceDetector(_PlatformDetector):
    """Firebase Studio (formerly Project IDX).

    Attributes: ``workspace.provider=firebase_studio``, ``workspace.id``
    (``WORKSPACE_SLUG``, else the first label of ``WEB_HOST``),
    ``workspace.url`` (``https://<WEB_HOST>``) and ``workspace.cluster``
    (``WEB_HOST`` without its first label).
    """

    name = a.FIREBASE_STUDIO

    def marker_sets(self, ctx: Context) -> list[list[Marker]]:
        """Return the Firebase Studio markers."""
        return [
            [
                ("GOOGLE_CLOUD_WORKSTATIONS=true", ctx.is_true("GOOGLE_CLOUD_WORKSTATIONS")),
                (
                    "MONOSPACE_ENV, IDX_CHANNEL or WORKSPACE_SLUG",
                    any(ctx.get(v) for v in ("MONOSPACE_ENV", "IDX_CHANNEL", "WORKSPACE_SLUG")),
                ),
            ]
        ]

    def attributes(self, ctx: Context) -> dict[str, a.AttrValue]:
        """Return the Firebase Studio attributes."""
        attrs: dict[str, a.AttrValue] = {a.WORKSPACE_PROVIDER: a.FIREBASE_STUDIO}
        attrs.update(_host_attributes(_web_host(ctx)))
        slug = ctx.get("WORKSPACE_SLUG")
        if re.match(_SLUG, slug):
            attrs[a.WORKSPACE_ID] = slug
        return attrs


class CloudWorkstationsResourceDetector(_PlatformDetector):
    """Google Cloud Workstations.

    Attributes: ``workspace.provider=cloud_workstations``, ``workspace.id``
    (first label of ``WEB_HOST``), ``workspace.url`` and ``workspace.cluster``
    (``cluster-<hash>.cloudworkstations.dev``).
    """

    name = a.CLOUD_WORKSTATIONS

    def marker_sets(self, ctx: Context) -> list[list[Marker]]:
        """Return the Cloud Workstations markers."""
        host = _web_host(ctx)
        return [
            [
                ("GOOGLE_CLOUD_WORKSTATIONS=true", ctx.is_true("GOOGLE_CLOUD_WORKSTATIONS")),
                ("WEB_HOST=*.cloudworkstations.dev", host.endswith(".cloudworkstations.dev")),
            ]
        ]

    def attributes(self, ctx: Context) -> dict[str, a.AttrValue]:
        """Return the Cloud Workstations attributes."""
        attrs: dict[str, a.AttrValue] = {a.WORKSPACE_PROVIDER: a.CLOUD_WORKSTATIONS}
        attrs.update(_host_attributes(_web_host(ctx)))
        return attrs
