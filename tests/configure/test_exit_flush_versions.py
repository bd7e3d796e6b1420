"""On every supported Python, spans whose first export happens at exit still arrive.

Python 3.12 refuses to start threads once interpreter shutdown began, which is
when the exit flush runs; the token cache must then fetch on the exporting
thread instead of starting its refresher.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from tests.configure.conftest import APPS
from tests.harness.process import subprocess_env
from tests.harness.receivers import HttpOtlpReceiver
from tests.harness.venvs import build_venv, find_interpreter

pytestmark = pytest.mark.slow

TOKEN = "exit-flush-token"


@pytest.fixture(scope="module", params=["3.12", "3.13"])
def other_python(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Path:
    version: str = request.param
    interpreter = find_interpreter(version)
    if interpreter is None:
        pytest.skip(f"no Python {version} interpreter on this machine")
    return build_venv(tmp_path_factory.mktemp(f"py{version}"), interpreter)


def test_first_export_in_exit_flush_arrives(other_python: Path) -> None:
    """The exit flush authenticates with a token fetched inline, and every span arrives."""
    with HttpOtlpReceiver(static_token=TOKEN) as receiver:
        result = subprocess.run(
            [str(other_python), str(APPS / "exit_only_export.py")],
            capture_output=True,
            text=True,
            env=subprocess_env(
                OTEL_EXPORTER_OTLP_ENDPOINT=receiver.endpoint,
                OTEL_BSP_SCHEDULE_DELAY="600000",
                WORKSPACE_OTEL_TOKEN=TOKEN,
                WORKSPACE_OTEL_FLUSH_TIMEOUT="10",
            ),
            timeout=60,
            check=False,
        )
        spans = receiver.wait_for_spans(3, timeout=5)
    assert result.returncode == 0, result.stderr
    assert "DONE" in result.stdout
    assert sorted(s.name for s in spans) == ["short-0", "short-1", "short-2"], result.stderr
    assert set(receiver.tokens_seen) == {TOKEN}
    assert "can't create new thread" not in result.stderr
