"""The public API is pinned: a name added or removed here is a deliberate change."""

from __future__ import annotations

import importlib
import subprocess
import sys

import pytest

import workspace_otel

EXPECTED_TOP_LEVEL = [
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


def test_top_level_all_is_pinned_and_sorted() -> None:
    """workspace_otel.__all__ is exactly the documented list."""
    assert workspace_otel.__all__ == EXPECTED_TOP_LEVEL


@pytest.mark.parametrize("name", EXPECTED_TOP_LEVEL)
def test_every_public_name_resolves(name: str) -> None:
    """Every name in __all__ can be imported from the package."""
    assert getattr(workspace_otel, name) is not None


def test_unknown_attribute_raises_attribute_error() -> None:
    """A misspelt name fails like any module attribute, naming the attribute."""
    with pytest.raises(AttributeError, match="configur"):
        _ = workspace_otel.configur


EXPECTED_SUBPACKAGES = {
    "workspace_otel.resources": [
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
    ],
    "workspace_otel.credentials": [
        "AwsSecretsManagerSource",
        "BearerAuth",
        "CommandTokenSource",
        "EnvTokenSource",
        "FileTokenSource",
        "GceMetadataTokenSource",
        "GitHubActionsTokenSource",
        "GitpodTokenSource",
        "OAuth2ClientCredentialsSource",
        "RefreshingTokenCache",
        "Token",
        "TokenMetadataPlugin",
        "TokenSource",
        "TokenUnavailableError",
        "VaultSecretSource",
        "grpc_credentials",
        "http_session",
        "shared_cache",
        "token_source_from_env",
    ],
}


@pytest.mark.parametrize("module", sorted(EXPECTED_SUBPACKAGES))
def test_subpackage_all_is_pinned_and_resolves(module: str) -> None:
    """Sub-package __all__ lists are exactly the documented ones and every name resolves."""
    mod = importlib.import_module(module)
    assert list(mod.__all__) == EXPECTED_SUBPACKAGES[module]
    for name in mod.__all__:
        assert getattr(mod, name) is not None


def test_import_pulls_in_no_git_requests_or_grpc() -> None:
    """`import workspace_otel` loads none of GitPython, requests or grpc (budget P1)."""
    code = (
        "import sys, workspace_otel, workspace_otel.resources, workspace_otel.credentials;"
        "heavy = sorted(m for m in sys.modules if m.split('.')[0] in {'git', 'requests', 'grpc'});"
        "print(','.join(heavy))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
    )
    assert out.stdout.strip() == ""
