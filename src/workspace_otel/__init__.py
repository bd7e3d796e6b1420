"""Accountable, secret-safe OpenTelemetry for cloud development workspaces.

``import workspace_otel; workspace_otel.configure()`` builds the SDK's
providers with a resource that says where (Codespaces, Gitpod / Ona, Coder,
...), who and which code produced the telemetry, and with OTLP exporters that
authenticate with short-lived, refreshed tokens.

Importing the package is cheap: the SDK pieces, GitPython, requests and grpc
are imported only when the names that need them are first used.
"""

from __future__ import annotations

from workspace_otel._lazy import lazy_names
from workspace_otel.errors import (
    ConfigurationError,
    TokenError,
    WorkspaceOtelError,
    WorkspaceOtelWarning,
)

__version__ = "0.1.0"  # read by the build backend (pyproject.toml: tool.hatch.version)

# Not `from typing import TYPE_CHECKING`: importing typing costs an empty interpreter
# start's worth of time, and `workspace-otel env` imports this at every shell start.
TYPE_CHECKING = False
if TYPE_CHECKING:
    from workspace_otel._setup._configure import Telemetry, configure
    from workspace_otel.resources import (
        CloudWorkstationsResourceDetector,
        CoderResourceDetector,
        CodespacesResourceDetector,
        DaytonaResourceDetector,
        DevContainerResourceDetector,
        DevPodResourceDetector,
        FirebaseStudioResourceDetector,
        GitHubActionsResourceDetector,
        GitLabCIResourceDetector,
        GitpodResourceDetector,
        GitResourceDetector,
        OnaResourceDetector,
        PlatformResourceDetector,
        WorkspaceResourceDetector,
    )

__all__ = [
    "CloudWorkstationsResourceDetector",
    "CoderResourceDetector",
    "CodespacesResourceDetector",
    "ConfigurationError",
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
    "Telemetry",
    "TokenError",
    "WorkspaceOtelError",
    "WorkspaceOtelWarning",
    "WorkspaceResourceDetector",
    "__version__",
    "configure",
]

_LAZY = {
    "configure": "workspace_otel._setup._configure",
    "Telemetry": "workspace_otel._setup._configure",
    "CloudWorkstationsResourceDetector": "workspace_otel.resources",
    "CoderResourceDetector": "workspace_otel.resources",
    "CodespacesResourceDetector": "workspace_otel.resources",
    "DaytonaResourceDetector": "workspace_otel.resources",
    "DevContainerResourceDetector": "workspace_otel.resources",
    "DevPodResourceDetector": "workspace_otel.resources",
    "FirebaseStudioResourceDetector": "workspace_otel.resources",
    "GitHubActionsResourceDetector": "workspace_otel.resources",
    "GitLabCIResourceDetector": "workspace_otel.resources",
    "GitResourceDetector": "workspace_otel.resources",
    "GitpodResourceDetector": "workspace_otel.resources",
    "OnaResourceDetector": "workspace_otel.resources",
    "PlatformResourceDetector": "workspace_otel.resources",
    "WorkspaceResourceDetector": "workspace_otel.resources",
}


__getattr__, __dir__ = lazy_names(__name__, _LAZY)
