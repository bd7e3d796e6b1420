"""Accountable, secret-safe OpenTelemetry for cloud development workspaces.

``import workspace_otel; workspace_otel.configure()`` builds the SDK's
providers with a resource that says where (Codespaces, Gitpod / Ona, Coder,
...), who and which code produced the telemetry, and with OTLP exporters that
authenticate with short-lived, refreshed tokens.

Importing the package is cheap: the SDK pieces, GitPython, requests and grpc
are imported only when the names that need them are first used.
"""

from __future__ import annotations

import sys as _sys

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
    from collections.abc import Callable, Mapping
    from typing import Any

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


# Public names imported on first use (PEP 562), shared with the subpackages: each
# maps its public names to the private module that defines them and imports that
# module only when a name is used.
def _lazy_names(
    package: str, modules: Mapping[str, str], extra_hint: Mapping[str, str] | None = None
) -> tuple[Callable[[str], Any], Callable[[], list[str]]]:
    """Return the ``__getattr__`` and ``__dir__`` of a package with lazy public names.

    Args:
        package: the package's ``__name__``.
        modules: public name -> module defining it; a name starting with ``.``
            is relative to ``package``.
        extra_hint: module -> what to install when importing it fails (an
            optional dependency); the ImportError then names it.
    """
    hints = extra_hint or {}

    def getattr_(name: str) -> Any:
        target = modules.get(name)
        if target is None:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        module_name = package + target if target.startswith(".") else target
        try:
            # __import__ rather than importlib.import_module: importing importlib
            # (and warnings with it) costs a shell start's `workspace-otel env` 1 ms.
            __import__(module_name)
            module = _sys.modules[module_name]
        except ImportError as exc:
            hint = hints.get(target)
            if hint is None:
                raise
            raise ImportError(f"{package}.{name} needs {hint}") from exc
        value = getattr(module, name)
        setattr(_sys.modules[package], name, value)
        return value

    def dir_() -> list[str]:
        return sorted(set(vars(_sys.modules[package])) | set(modules))

    return getattr_, dir_


__getattr__, __dir__ = _lazy_names(__name__, _LAZY)
