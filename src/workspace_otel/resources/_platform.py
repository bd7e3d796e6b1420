"""All platforms in one detector: CI first, then cloud workspaces, generic dev container last."""

from __future__ import annotations

import logging

from workspace_otel.errors import ConfigurationError
from workspace_otel.resources import _attributes as a
from workspace_otel.resources._base import Context, Marker, _Detector, _PlatformDetector
from workspace_otel.resources._ci import GitHubActionsResourceDetector, GitLabCIResourceDetector
from workspace_otel.resources._coder import CoderResourceDetector
from workspace_otel.resources._codespaces import CodespacesResourceDetector
from workspace_otel.resources._daytona import DaytonaResourceDetector
from workspace_otel.resources._devcontainer import DevContainerResourceDetector
from workspace_otel.resources._devpod import DevPodResourceDetector
from workspace_otel.resources._gitpod import GitpodResourceDetector, OnaResourceDetector
from workspace_otel.resources._google import (
    CloudWorkstationsResourceDetector,
    FirebaseStudioResourceDetector,
)

_logger = logging.getLogger("workspace_otel.resources")

PLATFORMS: tuple[_PlatformDetector, ...] = (
    GitHubActionsResourceDetector(),
    GitLabCIResourceDetector(),
    CodespacesResourceDetector(),
    GitpodResourceDetector(),
    OnaResourceDetector(),
    CoderResourceDetector(),
    DevPodResourceDetector(),
    DaytonaResourceDetector(),
    FirebaseStudioResourceDetector(),
    CloudWorkstationsResourceDetector(),
    DevContainerResourceDetector(),
)
"""Every platform, in the order they are tried (platforms.md section 0)."""


def first_match(
    ctx: Context, raise_on_error: bool = False
) -> tuple[_PlatformDetector, dict[str, a.AttrValue]] | None:
    """Return the first platform whose markers are present, with its attributes."""
    for platform in PLATFORMS:
        try:
            if platform.matches(ctx):
                return platform, platform.attributes(ctx)
        except ConfigurationError:
            raise
        except Exception as exc:  # one platform's failure must not hide others
            if raise_on_error:
                raise
            _logger.warning(
                "%s failed (%s); trying the next platform",
                type(platform).__name__,
                type(exc).__name__,
            )
    return None


def near_misses(ctx: Context) -> list[tuple[str, list[str], list[str]]]:
    """Return (platform, markers present, markers missing) for half-detected platforms.

    Empty when a platform is detected: a workspace carries other platforms'
    look-alike markers (DevPod sets ``REMOTE_CONTAINERS``, Firebase Studio is a
    Cloud Workstation).
    """
    if first_match(ctx) is not None:
        return []
    misses: list[tuple[str, list[str], list[str]]] = []
    for platform in PLATFORMS:
        best: list[Marker] | None = None
        for markers in platform.marker_sets(ctx):
            count = sum(present for _, present in markers)
            if 0 < count < len(markers) and (
                best is None or count > sum(present for _, present in best)
            ):
                best = markers
        if best is not None:
            misses.append(
                (
                    platform.name,
                    [name for name, present in best if present],
                    [name for name, present in best if not present],
                )
            )
    return misses


class PlatformResourceDetector(_Detector):
    """Every platform, no git: the first platform whose markers are present wins.

    Order: GitHub Actions, GitLab CI, Codespaces, Gitpod Classic, Ona, Coder,
    DevPod, Daytona, Firebase Studio, Cloud Workstations, Dev Containers.
    Outside every platform the resource is empty and nothing is logged above
    DEBUG.
    """

    name = "platform"

    def collect(self, ctx: Context) -> dict[str, a.AttrValue]:
        """Return the attributes of the first matching platform."""
        found = first_match(ctx, self.raise_on_error)
        if found is None:
            _logger.debug("no workspace or CI platform detected")
            return {}
        return found[1]
