"""VS Code Dev Containers: ``REMOTE_CONTAINERS=true`` together with ``REMOTE_CONTAINERS_IPC``.

DevPod sets ``REMOTE_CONTAINERS=true`` alone, so the IPC socket variable is
the second marker. The variables exist only in processes started by the VS
Code server (terminals, extension host).
"""

from __future__ import annotations

from workspace_otel.resources import _attributes as a
from workspace_otel.resources._base import Context, Marker, _PlatformDetector


class DevContainerResourceDetector(_PlatformDetector):
    """A VS Code dev container (the generic fallback, checked last).

    Attributes: ``workspace.provider=devcontainer`` only (the platform gives
    no workspace id).
    """

    name = a.DEVCONTAINER

    def marker_sets(self, ctx: Context) -> list[list[Marker]]:
        """Return the Dev Containers markers."""
        return [
            [
                ("REMOTE_CONTAINERS=true", ctx.is_true("REMOTE_CONTAINERS")),
                ("REMOTE_CONTAINERS_IPC", bool(ctx.get("REMOTE_CONTAINERS_IPC"))),
            ]
        ]

    def attributes(self, ctx: Context) -> dict[str, a.AttrValue]:
        """Return the Dev Containers attributes."""
        return {a.WORKSPACE_PROVIDER: a.DEVCONTAINER}
