"""Detector options as keyword arguments, as a declarative configuration file passes them."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from tests.harness.platform_envs import GITPOD
from workspace_otel.errors import ConfigurationError
from workspace_otel.resources import GitResourceDetector, WorkspaceResourceDetector

CONFIG = """\
file_format: "1.0-rc.1"
resource:
  attributes:
    - name: service.name
      value: declarative-app
  detection/development:
    detectors:
      - workspace:
          identity: "off"
          git: off
"""


@pytest.fixture
def gitpod(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    """A Gitpod workspace's variables and files (a login to show or hash)."""
    environ = GITPOD.materialize(tmp_path / "root")
    for name, value in environ.items():
        monkeypatch.setenv(name, value)
    monkeypatch.chdir(tmp_path)
    return environ


def test_option_is_the_variable_of_the_same_name(gitpod: dict[str, str]) -> None:
    """identity="full" is WORKSPACE_OTEL_IDENTITY=full, for this detector only."""
    plain = dict(WorkspaceResourceDetector(git=False).detect().attributes)
    full = dict(WorkspaceResourceDetector(identity="full", git=False).detect().attributes)
    assert "user.email" not in plain
    assert full["user.email"] == gitpod["GITPOD_GIT_USER_EMAIL"]
    assert full["workspace.provider"] == plain["workspace.provider"]
    # The process environment is untouched: a detector without options still reads it.
    assert "user.email" not in WorkspaceResourceDetector(git=False).detect().attributes


def test_yaml_booleans_mean_on_and_off(gitpod: dict[str, str], tmp_path: Path) -> None:
    """YAML reads `git: off` as False; it still switches the git detector off."""
    subprocess.run(["git", "init", "-q", "-b", "main", str(tmp_path)], check=True)
    subprocess.run(
        ["git", "-C", str(tmp_path), "commit", "-q", "--allow-empty", "-m", "first"],
        check=True,
        env={
            **os.environ,
            "GIT_AUTHOR_NAME": "t",
            "GIT_AUTHOR_EMAIL": "t@example.com",
            "GIT_COMMITTER_NAME": "t",
            "GIT_COMMITTER_EMAIL": "t@example.com",
        },
    )
    assert GitResourceDetector(git=True).detect().attributes
    assert not GitResourceDetector(git=False).detect().attributes


def test_unknown_option_names_the_accepted_ones() -> None:
    """A typo is a configuration error naming the detector, the option and the choices."""
    with pytest.raises(ConfigurationError) as raised:
        WorkspaceResourceDetector(identiti="hash")
    message = str(raised.value)
    assert "WorkspaceResourceDetector" in message
    assert "'identiti'" in message
    assert "identity" in message


def test_option_of_a_wrong_type() -> None:
    """A list or mapping is refused with the variable it would have set."""
    with pytest.raises(ConfigurationError, match="WORKSPACE_OTEL_IDENTITY"):
        WorkspaceResourceDetector(identity=["hash"])


def test_declarative_configuration_file(gitpod: dict[str, str], tmp_path: Path) -> None:
    """The real opentelemetry-configuration package builds the resource from the file."""
    configuration = pytest.importorskip(
        "opentelemetry.configuration", reason="pip install 'workspace-otel[declarative]'"
    )
    from opentelemetry.configuration._resource import create_resource

    path = tmp_path / "otel.yaml"
    path.write_text(CONFIG)
    config = configuration.load_config_file(str(path))
    attrs = dict(create_resource(config.resource).attributes)
    assert attrs["service.name"] == "declarative-app"
    assert attrs["workspace.provider"] == "gitpod"
    assert attrs["workspace.id"] == gitpod["GITPOD_WORKSPACE_ID"]
    assert not any(key.startswith("user.") for key in attrs)  # identity: "off"


FULL_CONFIG = """\
file_format: "1.0-rc.1"
resource:
  attributes:
    - name: service.name
      value: from-the-file
  detection/development:
    detectors:
      - workspace:
          identity: "off"
tracer_provider:
  processors:
    - simple:
        exporter:
          otlp_http:
            endpoint: ${RECEIVER_URL}
"""


def test_configure_honours_the_config_file(
    gitpod: dict[str, str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With OTEL_CONFIG_FILE set, configure() builds what the file says, detectors included."""
    pytest.importorskip("opentelemetry.configuration", reason="workspace-otel[declarative]")
    from opentelemetry import propagate

    from tests.harness.process import reset_otel_globals
    from tests.harness.receivers import HttpOtlpReceiver
    from workspace_otel import configure
    from workspace_otel._setup import _configure

    path = tmp_path / "otel.yaml"
    path.write_text(FULL_CONFIG)
    # The file's configuration installs its own (here: no) propagators globally.
    propagator = propagate.get_global_textmap()
    with HttpOtlpReceiver() as receiver:
        monkeypatch.setenv("RECEIVER_URL", receiver.traces_url)
        monkeypatch.setenv("OTEL_CONFIG_FILE", str(path))
        monkeypatch.setenv("OTEL_SERVICE_NAME", "ignored-when-the-file-rules")
        _configure._reset_for_tests()
        reset_otel_globals()
        try:
            telemetry = configure()
            telemetry.tracer_provider.get_tracer("declarative").start_span("from-file").end()
            telemetry.force_flush()
            spans = receiver.wait_for_spans(1)
        finally:
            _configure._reset_for_tests()
            reset_otel_globals()
            propagate.set_global_textmap(propagator)
    assert telemetry.summary.startswith("workspace_otel configured from OTEL_CONFIG_FILE=")
    assert [s.name for s in spans] == ["from-file"]
    assert spans[0].resource["service.name"] == "from-the-file"
    assert spans[0].resource["workspace.provider"] == "gitpod"
    assert not any(key.startswith("user.") for key in spans[0].resource)


def test_config_file_that_does_not_parse_names_the_variable(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A broken file is a ConfigurationError naming OTEL_CONFIG_FILE, not a traceback."""
    pytest.importorskip("opentelemetry.configuration", reason="workspace-otel[declarative]")
    from workspace_otel import configure
    from workspace_otel._setup import _configure

    path = tmp_path / "otel.yaml"
    path.write_text("file_format: [not, a, version]\n")
    monkeypatch.setenv("OTEL_CONFIG_FILE", str(path))
    _configure._reset_for_tests()
    try:
        with pytest.raises(ConfigurationError, match="OTEL_CONFIG_FILE="):
            configure()
    finally:
        _configure._reset_for_tests()
