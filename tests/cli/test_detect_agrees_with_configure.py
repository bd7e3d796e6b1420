"""``detect --json`` shows the attributes ``configure()`` exports in the same environment.

Both run as real processes in one real repository, with the same variables;
only what is specific to one process (``service.instance.id``) may differ.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from tests.cli.conftest import MakeRepo, cli_env, run_cli

APP = """
import json, workspace_otel
telemetry = workspace_otel.configure()
print(json.dumps(dict(telemetry.resource.attributes)))
telemetry.shutdown()
"""


def test_detect_json_lists_every_attribute_configure_exports(make_repo: MakeRepo) -> None:
    """Same keys and values, ``telemetry.distro.*`` included, ``service.name`` the repository's."""
    repo = make_repo(branch="feature/agree")
    env = cli_env(
        CODESPACES="true",
        CODESPACE_NAME="agree-cs",
        GITHUB_USER="ada",
        OTEL_TRACES_EXPORTER="none",
        OTEL_METRICS_EXPORTER="none",
    )
    app = subprocess.run(
        [sys.executable, "-c", APP],
        env=env,
        cwd=repo,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    exported = json.loads(app.stdout.strip().splitlines()[-1])
    exported.pop("service.instance.id")
    detect = run_cli("detect", "--json", env=env, cwd=repo)
    assert detect.returncode == 0, detect.stderr
    shown = json.loads(detect.stdout)["attributes"]
    assert shown == exported
    assert shown["service.name"] == "widgets"
    assert shown["telemetry.distro.name"] == "workspace_otel"


def test_detect_rejects_the_resource_attributes_configure_rejects(tmp_path: Path) -> None:
    """A malformed ``OTEL_RESOURCE_ATTRIBUTES`` entry: both fail, naming the variable."""
    env = cli_env(OTEL_RESOURCE_ATTRIBUTES="team=core,no-equals-sign")
    app = subprocess.run(
        [sys.executable, "-c", APP],
        env=env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert "ConfigurationError: OTEL_RESOURCE_ATTRIBUTES" in app.stderr
    detect = run_cli("detect", "--json", env=env, cwd=tmp_path)
    assert detect.returncode == 2, detect.stdout
    assert "OTEL_RESOURCE_ATTRIBUTES" in detect.stderr
    assert "Traceback" not in detect.stderr


def _exported(env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", APP],
        env=env,
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_outside_a_repository_both_show_the_same_service_name(tmp_path: Path) -> None:
    """No repository: configure() names the service after the program; detect shows that name.

    (detect once showed the SDK's ``unknown_service:python3`` here.)
    """
    env = cli_env(OTEL_TRACES_EXPORTER="none", OTEL_METRICS_EXPORTER="none")
    app = _exported(env, tmp_path)
    assert app.returncode == 0, app.stderr
    exported = json.loads(app.stdout.strip().splitlines()[-1])
    detect = run_cli("detect", "--json", env=env, cwd=tmp_path)
    assert detect.returncode == 0, detect.stderr
    document = json.loads(detect.stdout)
    assert document["attributes"]["service.name"] == exported["service.name"] == "python"
    assert document["sources"]["service.name"] == "program name (no repository name)"


def test_both_refuse_an_invalid_workspace_variable(tmp_path: Path) -> None:
    """An invalid WORKSPACE_OTEL_IDENTITY: configure() raises, detect exits 2 with one line."""
    env = cli_env(WORKSPACE_OTEL_IDENTITY="everything", OTEL_TRACES_EXPORTER="none")
    app = _exported(env, tmp_path)
    assert "ConfigurationError" in app.stderr
    assert "WORKSPACE_OTEL_IDENTITY" in app.stderr
    detect = run_cli("detect", "--json", env=env, cwd=tmp_path)
    assert detect.returncode == 2
    assert detect.stdout == ""
    lines = detect.stderr.strip().splitlines()
    assert len(lines) == 1
    assert "WORKSPACE_OTEL_IDENTITY" in lines[0]
