"""Daytona: 2025+ sandboxes and the 2024 workspaces."""

from __future__ import annotations

from workspace_otel.resources import _attributes as a
from workspace_otel.resources._base import Context, Marker, _PlatformDetector, copy_table
from workspace_otel.resources._url import normalize_remote, repository_attributes


class DaytonaResourceDetector(_PlatformDetector):
    """Daytona sandboxes and legacy (2024) workspaces.

    Sandboxes: ``DAYTONA_SANDBOX_ID`` plus ``DAYTONA_SANDBOX_USER`` or
    ``DAYTONA_SANDBOX_SNAPSHOT``; attributes ``workspace.provider=daytona``,
    ``workspace.id`` and ``workspace.cluster`` (``DAYTONA_REGION_ID``).
    Legacy workspaces: ``DAYTONA_WS_ID`` plus ``DAYTONA_WS_PROJECT_NAME``;
    attributes ``workspace.id`` and repository ``vcs.*`` from
    ``DAYTONA_WS_PROJECT_REPOSITORY_URL``.
    """

    name = a.DAYTONA

    def marker_sets(self, ctx: Context) -> list[list[Marker]]:
        """Return the sandbox markers and the legacy-workspace markers."""
        return [
            [
                ("DAYTONA_SANDBOX_ID", bool(ctx.get("DAYTONA_SANDBOX_ID"))),
                (
                    "DAYTONA_SANDBOX_USER or DAYTONA_SANDBOX_SNAPSHOT",
                    bool(ctx.get("DAYTONA_SANDBOX_USER") or ctx.get("DAYTONA_SANDBOX_SNAPSHOT")),
                ),
            ],
            [
                ("DAYTONA_WS_ID", bool(ctx.get("DAYTONA_WS_ID"))),
                ("DAYTONA_WS_PROJECT_NAME", bool(ctx.get("DAYTONA_WS_PROJECT_NAME"))),
            ],
        ]

    def attributes(self, ctx: Context) -> dict[str, a.AttrValue]:
        """Return the Daytona attributes."""
        attrs: dict[str, a.AttrValue] = {a.WORKSPACE_PROVIDER: a.DAYTONA}
        sandbox, _ = self.marker_sets(ctx)
        if all(present for _, present in sandbox):
            copy_table(ctx, a.DAYTONA_SANDBOX_TABLE, attrs)
            return attrs
        copy_table(ctx, a.DAYTONA_LEGACY_TABLE, attrs)
        attrs.update(
            repository_attributes(normalize_remote(ctx.get("DAYTONA_WS_PROJECT_REPOSITORY_URL")))
        )
        return attrs
