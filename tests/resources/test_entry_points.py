"""The resource-detector entry points load and work through the plain SDK."""

from __future__ import annotations

from importlib.metadata import entry_points
from pathlib import Path

import pytest
from opentelemetry.sdk.resources import Resource

from tests.harness.platform_envs import CODESPACES, GITHUB_ACTIONS
from workspace_otel.resources import (
    GitResourceDetector,
    PlatformResourceDetector,
    WorkspaceResourceDetector,
)


@pytest.mark.parametrize(
    ("name", "expected_type"),
    [
        ("workspace", WorkspaceResourceDetector),
        ("workspace_git", GitResourceDetector),
        ("workspace_platform", PlatformResourceDetector),
    ],
)
def test_entry_point_loads_and_instantiates(name: str, expected_type: type) -> None:
    """Each name has exactly one entry point, and calling it gives the detector."""
    found = list(entry_points(group="opentelemetry_resource_detector", name=name))
    assert len(found) == 1
    detector = found[0].load()()
    assert type(detector) is expected_type


def test_resource_create_with_workspace_detector(
    bare_process_env: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """OTEL_EXPERIMENTAL_RESOURCE_DETECTORS=workspace adds the Codespaces attributes."""
    for key, value in CODESPACES.materialize(bare_process_env).items():
        monkeypatch.setenv(key, value)
    monkeypatch.setenv("OTEL_EXPERIMENTAL_RESOURCE_DETECTORS", "workspace")
    attrs = dict(Resource.create().attributes)
    for key, expected in CODESPACES.expected_workspace().items():
        assert attrs[key] == expected
    assert attrs["service.name"] == "novo_reset"


def test_user_settings_win_through_the_sdk(
    bare_process_env: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """OTEL_RESOURCE_ATTRIBUTES and OTEL_SERVICE_NAME override detected values."""
    for key, value in CODESPACES.materialize(bare_process_env).items():
        monkeypatch.setenv(key, value)
    monkeypatch.setenv("OTEL_EXPERIMENTAL_RESOURCE_DETECTORS", "workspace")
    monkeypatch.setenv("OTEL_RESOURCE_ATTRIBUTES", "deployment.environment.name=staging")
    monkeypatch.setenv("OTEL_SERVICE_NAME", "checkout")
    attrs = dict(Resource.create().attributes)
    assert attrs["deployment.environment.name"] == "staging"
    assert attrs["service.name"] == "checkout"
    assert attrs["workspace.provider"] == "codespaces"


def test_platform_and_git_entry_points_through_the_sdk(
    bare_process_env: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """workspace_platform + workspace_git together give the CI attributes."""
    for key, value in GITHUB_ACTIONS.environ.items():
        monkeypatch.setenv(key, value)
    monkeypatch.setenv("OTEL_EXPERIMENTAL_RESOURCE_DETECTORS", "workspace_platform,workspace_git")
    attrs = dict(Resource.create().attributes)
    for key, expected in GITHUB_ACTIONS.expected.items():
        assert attrs[key] == expected
    assert "deployment.environment.name" not in attrs
