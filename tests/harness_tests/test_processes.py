"""The child-process helpers: a server that dies, hangs or restarts; an app that never serves."""

from __future__ import annotations

import os
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from tests.harness.process import PYTHON, free_port, instrumented_app, subprocess_env
from tests.harness.server_process import ServerProcess, executable

SERVE = "import http.server as h, sys; h.test(h.SimpleHTTPRequestHandler, port=int(sys.argv[1]), bind='127.0.0.1')"  # noqa: E501


def _answers(url: str) -> bool:
    with urllib.request.urlopen(url, timeout=1) as response:
        return bool(response.status == 200)


def test_a_server_that_exits_at_once_fails_with_its_log(tmp_path: Path) -> None:
    server = ServerProcess("dying", tmp_path / "dying.log", tmp_path)
    with pytest.raises(RuntimeError, match=r"dying exited: .*no store configured"):
        server.start(
            [PYTHON, "-c", "import sys; print('no store configured'); sys.exit(3)"],
            subprocess_env(),
            lambda: False,
        )
    assert not server.running


def test_a_server_that_never_gets_ready_is_stopped(tmp_path: Path) -> None:
    server = ServerProcess("stuck", tmp_path / "stuck.log", tmp_path)
    pids: list[int] = []

    def not_ready() -> bool:
        assert server._process is not None
        pids.append(server._process.pid)
        return False

    with pytest.raises(RuntimeError, match="stuck did not start"):
        server.start(
            [PYTHON, "-c", "import time; time.sleep(120)"], subprocess_env(), not_ready, timeout=1
        )
    assert pids
    with pytest.raises(ProcessLookupError):  # stopped and reaped, not left running
        os.kill(pids[-1], 0)


def test_a_server_restarts_on_the_same_port(tmp_path: Path) -> None:
    port = free_port()
    url = f"http://127.0.0.1:{port}/"
    server = ServerProcess("http.server", tmp_path / "http.log", tmp_path)
    command = [PYTHON, "-c", SERVE, str(port)]
    server.start(command, subprocess_env(), lambda: _answers(url))
    try:
        server.stop()
        with pytest.raises(urllib.error.URLError):
            _answers(url)
        server.start(command, subprocess_env(), lambda: _answers(url))
        assert _answers(url)
    finally:
        server.stop()
    server.stop()  # idempotent


def test_a_missing_executable_says_how_to_install_it() -> None:
    with pytest.raises(RuntimeError, match=r"no-such-server-binary not found: pip install x"):
        executable("no-such-server-binary", "pip install x")


@pytest.mark.slow
def test_an_instrumented_app_that_exits_fails_with_its_stderr(tmp_path: Path) -> None:
    app = tmp_path / "broken_app.py"
    app.write_text("import sys\nsys.stderr.write('no database URL\\n')\nsys.exit(2)\n")
    env = subprocess_env(OTEL_TRACES_EXPORTER="none", OTEL_METRICS_EXPORTER="none")
    with (
        pytest.raises(AssertionError, match=r"broken_app.py did not start: .*no database URL"),
        instrumented_app(app, env, cwd=tmp_path),
    ):
        pass


@pytest.mark.slow
def test_an_instrumented_app_is_killed_when_the_test_fails(tmp_path: Path) -> None:
    app = tmp_path / "serving_app.py"
    app.write_text(
        "import http.server as h, os\n"
        "h.test(h.SimpleHTTPRequestHandler, port=int(os.environ['PORT']), bind='127.0.0.1')\n"
    )
    env = subprocess_env(OTEL_TRACES_EXPORTER="none", OTEL_METRICS_EXPORTER="none")
    procs = []
    with (  # noqa: PT012 - the failure happens inside the app's block
        pytest.raises(ZeroDivisionError),
        instrumented_app(app, env, cwd=tmp_path, ready_path="/") as running,
    ):
        procs.append(running.proc)
        assert _answers(running.base + "/")
        _ = 1 / 0
    assert procs[0].poll() is not None
