"""DevPod: ``DEVPOD=true`` together with ``DEVPOD_WORKSPACE_ID`` or ``DEVPOD_WORKSPACE_UID``."""

from __future__ import annotations

from workspace_otel.resources import _attributes as a
from workspace_otel.resources._base import Context, Marker, _PlatformDetector, copy_table


class DevPodResourceDetector(_PlatformDetector):
    """DevPod workspaces (checked before Dev Containers: DevPod also sets ``REMOTE_CONTAINERS``).

    Attributes: ``workspace.provider=devpod``, ``workspace.id``
    (``DEVPOD_WORKSPACE_ID``) and ``workspace.instance.id`` (``DEVPOD_WORKSPACE_UID``).
    """

    name = a.DEVPOD

    def marker_sets(self, ctx: Context) -> list[list[Marker]]:
        """Return the DevPod markers."""
        return [
            [
                ("DEVPOD=true", ctx.is_true("DEVPOD")),
                (
                    "DEVPOD_WORKSPACE_ID or DEVPOD_WORKSPACE_UID",
                    bool(ctx.get("DEVPOD_WORKSPACE_ID") or ctx.get("DEVPOD_WORKSPACE_UID")),
                ),
            ]
        ]

    def attributes(self, ctx: Context) -> dict[str, a.AttrValue]:
        """Return the DevPod attributes."""
        attrs: dict[str, a.AttrValue] = {a.WORKSPACE_PROVIDER: a.DEVPOD}
        copy_table(ctx, a.DEVPOD_TABLE, attrs)
        return attrs
