"""Resource detectors: where the code runs, who runs it, and which code it is.

Every detector reads allow-listed environment variables, platform files
under ``root`` and the local git repository; none makes a network call.
Outside any workspace the platform detectors return an empty resource
without logging above DEBUG. See each class for the attributes it produces.

Entry points (group ``opentelemetry_resource_detector``): ``workspace``
(:class:`WorkspaceResourceDetector`), ``workspace_platform``
(:class:`PlatformResourceDetector`) and ``workspace_git``
(:class:`GitResourceDetector`), e.g.
``OTEL_EXPERIMENTAL_RESOURCE_DETECTORS=workspace``.
"""

from __future__ import annotations

from workspace_otel import _lazy_names

# Not `from typing import TYPE_CHECKING`: importing typing costs an empty interpreter
# start's worth of time, and `workspace-otel env` imports this at every shell start.
TYPE_CHECKING = False
if TYPE_CHECKING:
    from workspace_otel.resources._ci import GitHubActionsResourceDetector, GitLabCIResourceDetector
    from workspace_otel.resources._coder import CoderResourceDetector
    from workspace_otel.resources._codespaces import CodespacesResourceDetector
    from workspace_otel.resources._daytona import DaytonaResourceDetector
    from workspace_otel.resources._devcontainer import DevContainerResourceDetector
    from workspace_otel.resources._devpod import DevPodResourceDetector
    from workspace_otel.resources._git import GitResourceDetector
    from workspace_otel.resources._gitpod import GitpodResourceDetector, OnaResourceDetector
    from workspace_otel.resources._google import (
        CloudWorkstationsResourceDetector,
        FirebaseStudioResourceDetector,
    )
    from workspace_otel.resources._workspace import (
        PlatformResourceDetector,
        WorkspaceResourceDetector,
        detect_with_sources,
        near_misses,
    )

__all__ = [
    "CloudWorkstationsResourceDetector",
    "CoderResourceDetector",
    "CodespacesResourceDetector",
    "DaytonaResourceDetector",
    "DevContainerResourceDetector",
    "DevPodResourceDetector",
    "FirebaseStudioResourceDetector",
    "GitHubActionsResourceDetector",
    "GitLabCIResourceDetector",
    "GitResourceDetector",
    "GitpodResourceDetector",
    "OnaResourceDetector",
    "PlatformResourceDetector",
    "WorkspaceResourceDetector",
    "detect_with_sources",
    "near_misses",
]

# Each public name's module, imported on first access (PEP 562): ``configure()``
# needs the workspace detector, git and the platforms it reaches, not every
# platform's module.
_MODULES = {
    "CloudWorkstationsResourceDetector": "._google",
    "CoderResourceDetector": "._coder",
    "CodespacesResourceDetector": "._codespaces",
    "DaytonaResourceDetector": "._daytona",
    "DevContainerResourceDetector": "._devcontainer",
    "DevPodResourceDetector": "._devpod",
    "FirebaseStudioResourceDetector": "._google",
    "GitHubActionsResourceDetector": "._ci",
    "GitLabCIResourceDetector": "._ci",
    "GitResourceDetector": "._git",
    "GitpodResourceDetector": "._gitpod",
    "OnaResourceDetector": "._gitpod",
    "PlatformResourceDetector": "._workspace",
    "WorkspaceResourceDetector": "._workspace",
    "detect_with_sources": "._workspace",
    "near_misses": "._workspace",
}


__getattr__, __dir__ = _lazy_names(__name__, _MODULES)
