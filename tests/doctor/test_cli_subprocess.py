"""The installed console script, in a real subprocess."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.harness.receivers import HttpOtlpReceiver
from tests.harness.token_server import TokenServer

pytestmark = pytest.mark.usefixtures("doctor_env")


def _command() -> list[str]:
    script = shutil.which("workspace-otel", path=str(Path(sys.executable).parent))
    return [script] if script else [sys.executable, "-m", "workspace_otel"]


def test_workspace_otel_doctor_json(
    token_server: TokenServer, http_receiver: HttpOtlpReceiver
) -> None:
    token = token_server.mint()
    env = {
        **os.environ,
        "WORKSPACE_OTEL_TOKEN": token,
        "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT": http_receiver.endpoint + "/v1/trace",
    }
    result = subprocess.run(
        [*_command(), "doctor", "--json", "--timeout", "3"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )

    assert result.returncode == 1, result.stderr
    document = json.loads(result.stdout)
    assert document["version"] == 1
    assert document["ok"] is False
    endpoint = next(c for c in document["checks"] if c["id"] == "endpoint")
    assert endpoint["verdict"] == "fail"
    assert endpoint["fix"] == (
        f"Set OTEL_EXPORTER_OTLP_TRACES_ENDPOINT={http_receiver.traces_url} (this path answers)."
    )
    assert "Traceback" not in result.stderr
    for part in token.split("."):
        assert part not in result.stdout
        assert part not in result.stderr
