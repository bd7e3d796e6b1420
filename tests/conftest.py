"""Shared pytest configuration: the harness fixtures and a hermetic environment.

Every test starts from an environment with no OpenTelemetry, workspace_otel,
platform or CI variables, whatever machine the suite runs on (a developer's
Codespace, a CI runner), and with a private cache directory.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

pytest_plugins = ["tests.harness.fixtures"]

_PREFIXES = (
    "OTEL_",
    "WORKSPACE_OTEL_",
    "GITPOD_",
    "CODESPACE",
    "GITHUB_",
    "CODER",
    "DEVPOD",
    "DAYTONA_",
    "REMOTE_CONTAINERS",
    "VSCODE_",
    "GOOGLE_CLOUD_WORKSTATIONS",
    "MONOSPACE_",
    "IDX_",
    "CI_",
    "GITLAB_",
    "ACTIONS_",
    "CLOUDENV_",
    "THEIA_",
    "SUPERVISOR_",
    "RUNNER_",
    # the secret stores' own clients (Vault / OpenBao, AWS)
    "VAULT_",
    "BAO_",
    "AWS_",
    # AI coding agents' markers: the suite itself may run under an agent
    "CLAUDE",
    "CODEX_",
    "COPILOT_",
    "CURSOR_",
    "GEMINI_CLI",
    "QWEN_CODE",
    "OPENCODE",
    "CRUSH",
    "GOOSE_",
    "AMP_",
    "AUGMENT_",
    "CLINE_",
)
_EXACT = (
    "CI",
    "WEB_HOST",
    "WORKSPACE_SLUG",
    "LS_ACCESS_TOKEN",
    "GH_TOKEN",
    "GCE_METADATA_HOST",
    # container and terminal hints that change doctor's verdicts and output
    "KUBERNETES_SERVICE_HOST",
    "container",
    "NO_COLOR",
    # the harness's fake platform CLIs
    "FAKE_CLI_MODE",
    # requests lets these override an exporter's own CA file (requests#3829).
    "REQUESTS_CA_BUNDLE",
    "CURL_CA_BUNDLE",
    # proxies change where a credential may go (the egress rule)
    "http_proxy",
    "HTTP_PROXY",
    "https_proxy",
    "HTTPS_PROXY",
    "all_proxy",
    "ALL_PROXY",
    "no_proxy",
    "NO_PROXY",
    # the vendor-neutral agent declarations
    "AI_AGENT",
    "AGENT",
    "AGENT_SESSION_ID",
)


@pytest.fixture(autouse=True)
def _hermetic_environment(
    monkeypatch: pytest.MonkeyPatch, tmp_path_factory: pytest.TempPathFactory
) -> None:
    """Remove platform, CI and OTel variables; give the test its own cache dir."""
    for name in list(os.environ):
        if name in _EXACT or name.startswith(_PREFIXES):
            monkeypatch.delenv(name, raising=False)
    cache: Path = tmp_path_factory.mktemp("xdg-cache")
    monkeypatch.setenv("XDG_CACHE_HOME", str(cache))


@pytest.fixture(autouse=True)
def _no_secrets_from_earlier_tests() -> None:
    """Start every test with an empty redaction registry (it is process-wide)."""
    from workspace_otel._guards.redaction import forget_all

    forget_all()
