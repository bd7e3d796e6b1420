"""Every file the library reads, pointed at a FIFO, a device, a directory, a socket or a huge file.

Each reader must answer quickly with an error naming the file (or, for a
detector, leave the attributes out), never hang on the FIFO and never read
``/dev/zero`` until memory runs out.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.harness.platform_envs import CODESPACES_FROM_FILE
from tests.harness.process import subprocess_env
from tests.reliability.helpers import FakeClock
from workspace_otel._guards import safe_read
from workspace_otel.credentials import (
    FileTokenSource,
    OAuth2ClientCredentialsSource,
    RefreshingTokenCache,
)
from workspace_otel.errors import TokenError
from workspace_otel.resources import detect_with_sources

KINDS = ["fifo", "device", "directory", "socket", "huge"]


def _finishes(call: Callable[[], Any], within: float = 20.0) -> Any:
    """Run ``call`` on a thread; fail (instead of hanging the suite) when it does not return."""
    box: dict[str, Any] = {}

    def run() -> None:
        try:
            box["value"] = call()
        except BaseException as exc:
            box["error"] = exc

    worker = threading.Thread(target=run, daemon=True)
    worker.start()
    worker.join(within)
    assert not worker.is_alive(), "the read hung"
    if "error" in box:
        raise box["error"]
    return box.get("value")


@pytest.fixture(name="special")
def _special(tmp_path: Path) -> Iterator[Callable[[str, Path], Path]]:
    """Make a special file of a given kind at a path; unblock any reader left on a FIFO."""
    fifos: list[Path] = []
    sockets: list[socket.socket] = []

    def make(kind: str, path: Path) -> Path:
        path.parent.mkdir(parents=True, exist_ok=True)
        if kind == "fifo":
            os.mkfifo(path)
            fifos.append(path)
        elif kind == "device":
            path.symlink_to("/dev/zero")
        elif kind == "directory":
            path.mkdir()
        elif kind == "socket":
            server = socket.socket(socket.AF_UNIX)
            server.bind(str(path))
            sockets.append(server)
        elif kind == "huge":
            with open(path, "wb") as handle:  # sparse: no disk used
                handle.truncate(2 * 1024 * 1024 * 1024)
        return path

    yield make
    for fifo in fifos:
        with contextlib.suppress(OSError):
            os.close(os.open(fifo, os.O_WRONLY | os.O_NONBLOCK))
    for server in sockets:
        server.close()


@pytest.mark.parametrize("kind", KINDS)
def test_safe_reader_refuses_every_special_file(
    kind: str, tmp_path: Path, special: Callable[[str, Path], Path]
) -> None:
    path = special(kind, tmp_path / "file")
    with pytest.raises(safe_read.UnsafeFileError) as info:
        _finishes(lambda: safe_read.read_bytes(path))
    assert str(path) in str(info.value)
    with pytest.raises(safe_read.UnsafeFileError):
        safe_read.check_regular(path)


@pytest.mark.parametrize("kind", KINDS)
def test_token_file_source(kind: str, tmp_path: Path, special: Callable[[str, Path], Path]) -> None:
    path = special(kind, tmp_path / "token")
    with pytest.raises(TokenError) as info:
        _finishes(FileTokenSource(path).fetch)
    assert str(path) in str(info.value)


def test_a_fifo_token_file_does_not_wedge_the_refresher(
    tmp_path: Path, special: Callable[[str, Path], Path]
) -> None:
    """The fetch fails fast and releases its lock: a good file later is picked up."""
    path = special("fifo", tmp_path / "token")
    clock = FakeClock(time.time())
    cache = RefreshingTokenCache(FileTokenSource(path), clock=clock.clock, background=False)
    try:
        with pytest.raises(TokenError, match="FIFO"):
            _finishes(cache.token)
        path.unlink()
        path.write_text("good-token-value\n")
        clock.advance(3600)  # past the retry back-off
        token = _finishes(cache.token)
        assert token.value == "good-token-value"
    finally:
        cache.close()


def test_doctor_with_a_fifo_token_file_finishes(
    tmp_path: Path, special: Callable[[str, Path], Path]
) -> None:
    path = special("fifo", tmp_path / "token")
    env = subprocess_env(WORKSPACE_OTEL_TOKEN_SOURCE=f"file:{path}", HOME=str(tmp_path))
    result = subprocess.run(
        [sys.executable, "-m", "workspace_otel", "doctor"],
        env=env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode != 0
    assert "FIFO" in result.stdout + result.stderr


@pytest.mark.parametrize("kind", KINDS)
def test_oauth2_client_secret_file(
    kind: str, tmp_path: Path, special: Callable[[str, Path], Path]
) -> None:
    path = special(kind, tmp_path / "secret")
    source = OAuth2ClientCredentialsSource(
        "https://127.0.0.1:9/token", "client", client_secret_file=path
    )
    with pytest.raises(TokenError) as info:
        _finishes(source.fetch)
    assert "WORKSPACE_OTEL_OAUTH2_CLIENT_SECRET_FILE" in str(info.value)
    assert info.value.needs_user


@pytest.mark.parametrize("kind", KINDS)
def test_codespaces_environment_file(
    kind: str, tmp_path: Path, special: Callable[[str, Path], Path]
) -> None:
    """The platform JSON file: the detector runs, without the file's attributes."""
    root = Path(tempfile.mkdtemp(prefix="ws", dir="/tmp"))  # short: AF_UNIX paths are limited
    environ = CODESPACES_FROM_FILE.materialize(root)
    json_file = root / "workspaces/.codespaces/shared/environment-variables.json"
    json_file.unlink()
    special(kind, json_file)
    environ.update(WORKSPACE_OTEL_GIT="off")
    try:
        attrs, _ = _finishes(lambda: detect_with_sources(environ=environ, cwd=tmp_path))
    finally:
        shutil.rmtree(root, ignore_errors=True)
    assert "workspace.id" not in attrs
