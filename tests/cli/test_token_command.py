"""``workspace-otel token``: stdout, an owner-only file, and a watcher that rides out outages."""

from __future__ import annotations

import signal
import stat
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.cli.conftest import cli_env, run_cli
from tests.cli.test_headers_command import SECRET, oauth2_env
from tests.harness.jwt_validation import JwtValidator
from tests.harness.token_server import TokenServer
from workspace_otel.cli._token import next_check, write_secret_file
from workspace_otel.credentials import Token


def _wait_for(predicate: Callable[[], bool], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.05)


def _read(path: Path) -> str | None:
    try:
        return path.read_text()
    except FileNotFoundError:
        return None


@pytest.fixture
def watcher(
    tmp_path: Path, token_server: TokenServer
) -> Iterator[Callable[..., subprocess.Popen[str]]]:
    """Start ``token --file PATH --watch`` children; kill leftovers at the end."""
    started: list[subprocess.Popen[str]] = []

    def start(path: Path, *args: str, **extra: str) -> subprocess.Popen[str]:
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "workspace_otel",
                "token",
                "--file",
                str(path),
                "--watch",
                *args,
            ],
            env=oauth2_env(token_server, **extra),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        started.append(process)
        return process

    yield start
    for process in started:
        if process.poll() is None:
            process.kill()
            process.communicate(timeout=10)


def test_prints_the_token_on_stdout(token_server: TokenServer, jwt_validator: JwtValidator) -> None:
    done = run_cli("token", env=oauth2_env(token_server))
    assert done.returncode == 0, done.stderr
    assert done.stdout.endswith("\n")
    assert jwt_validator.validate(done.stdout.strip())["sub"] == "test-client"
    assert done.stderr == ""


def test_writes_an_owner_only_file_without_a_newline_whatever_the_umask(
    tmp_path: Path, token_server: TokenServer, jwt_validator: JwtValidator
) -> None:
    target = tmp_path / "token"
    target.write_text("old")
    target.chmod(0o644)
    before = target.stat().st_ino
    script = (
        "import os, sys, runpy; os.umask(0); "
        "sys.argv = ['workspace-otel', 'token', '--file', sys.argv[1]]; "
        "runpy.run_module('workspace_otel', run_name='__main__')"
    )
    done = subprocess.run(
        [sys.executable, "-c", script, str(target)],
        env=oauth2_env(token_server),
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout == ""
    info = target.stat()
    assert stat.S_IMODE(info.st_mode) == 0o600
    assert info.st_ino != before  # replaced by rename, never rewritten in place
    content = target.read_text()
    assert "\n" not in content
    jwt_validator.validate(content)
    assert [p.name for p in tmp_path.iterdir()] == ["token"]  # no temporary file left


def test_write_secret_file_leaves_nothing_behind_when_it_fails(tmp_path: Path) -> None:
    target = tmp_path / "dir-in-the-way"
    target.mkdir()
    with pytest.raises(IsADirectoryError):
        write_secret_file(target, "value")
    assert [p.name for p in tmp_path.iterdir()] == ["dir-in-the-way"]


def test_watch_needs_a_file_and_a_file_needs_its_directory(tmp_path: Path) -> None:
    env = cli_env(WORKSPACE_OTEL_TOKEN="static-token-0123456789")
    assert run_cli("token", "--watch", env=env).returncode == 2
    done = run_cli("token", "--file", str(tmp_path / "missing" / "token"), env=env)
    assert done.returncode == 2
    assert "does not exist" in done.stderr
    assert "static-token-0123456789" not in done.stderr


def test_next_check_is_frequent_for_short_tokens_and_bounded_for_long_ones() -> None:
    now = 1_000_000.0
    short = Token.from_value("a" * 20, kind="test", expires_in=4, now=now)
    long = Token.from_value("b" * 20, kind="test", expires_in=3600, now=now)
    static = Token.from_value("c" * 20, kind="test")
    assert next_check(short, now) == pytest.approx(0.5)
    assert next_check(long, now) == 5.0
    assert next_check(static, now) == 5.0
    assert next_check(short, now + 100) == 0.1


@pytest.mark.slow
@pytest.mark.parametrize("stop_with", [signal.SIGTERM, signal.SIGINT])
def test_watch_rewrites_the_file_before_each_expiry_and_stops_cleanly(
    tmp_path: Path,
    token_server: TokenServer,
    jwt_validator: JwtValidator,
    watcher: Callable[..., subprocess.Popen[str]],
    stop_with: signal.Signals,
) -> None:
    token_server.lifetime = 4
    target = tmp_path / "token"
    process = watcher(target)
    seen: list[str] = []

    def new_token() -> bool:
        content = _read(target)
        if content and (not seen or content != seen[-1]):
            jwt_validator.validate(content)  # valid the moment it appears
            assert stat.S_IMODE(target.stat().st_mode) == 0o600
            seen.append(content)
        return len(seen) >= 3

    _wait_for(new_token, 20, "three tokens in the file")
    process.send_signal(stop_with)
    out, err = process.communicate(timeout=10)
    assert process.returncode == 0
    assert out == ""
    assert err == ""
    assert len(set(seen)) == 3


@pytest.mark.slow
def test_watch_keeps_the_last_token_through_an_outage_and_recovers(
    tmp_path: Path,
    token_server: TokenServer,
    jwt_validator: JwtValidator,
    watcher: Callable[..., subprocess.Popen[str]],
) -> None:
    token_server.lifetime = 4
    target = tmp_path / "token"
    process = watcher(target, "--timeout", "1")  # report a failure after one second
    _wait_for(lambda: _read(target) is not None, 15, "the first token")
    first = _read(target)
    token_server.fail_mode = "500"
    time.sleep(4.5)  # the first token expires while the service fails
    assert process.poll() is None
    assert _read(target) == first
    token_server.fail_mode = None
    # The cache backs off exponentially (up to 60 s without a usable token): allow for it.
    _wait_for(lambda: _read(target) not in (None, first), 75, "a token after the outage")
    jwt_validator.validate(_read(target) or "")
    process.send_signal(signal.SIGTERM)
    _out, err = process.communicate(timeout=10)
    assert process.returncode == 0
    lines = err.strip().splitlines()
    assert len(lines) == 2, lines
    assert "keeping token" in lines[0]
    assert "works again" in lines[1]
    assert SECRET not in err
    assert (first or "") not in err


@pytest.mark.slow
def test_watch_stops_promptly_while_the_token_service_stalls(
    tmp_path: Path,
    token_server: TokenServer,
    watcher: Callable[..., subprocess.Popen[str]],
) -> None:
    token_server.fail_mode = "stall"
    token_server.stall_seconds = 60
    process = watcher(tmp_path / "token")
    time.sleep(3)  # let it start and block on the stalled request (60 s)
    assert process.poll() is None
    process.send_signal(signal.SIGTERM)
    _out, err = process.communicate(timeout=5)  # never waits out the stall or the HTTP timeout
    assert process.returncode == 0
    assert not (tmp_path / "token").exists()
    assert SECRET not in err


@pytest.mark.slow
def test_two_watchers_on_one_file_never_leave_a_partial_token(
    tmp_path: Path,
    token_server: TokenServer,
    jwt_validator: JwtValidator,
    watcher: Callable[..., subprocess.Popen[str]],
) -> None:
    token_server.lifetime = 4
    target = tmp_path / "token"
    first, second = watcher(target), watcher(target)
    _wait_for(lambda: _read(target) is not None, 15, "the first token")
    seen: set[str] = set()
    deadline = time.monotonic() + 6
    while time.monotonic() < deadline:
        content = _read(target)
        assert content, "a reader saw an empty or missing file"
        if content not in seen:
            jwt_validator.validate(content)  # whole and valid, whichever process wrote it
            seen.add(content)
        time.sleep(0.01)
    for process in (first, second):
        process.send_signal(signal.SIGTERM)
        process.communicate(timeout=10)
        assert process.returncode == 0
    assert len(seen) >= 2
    assert sorted(p.name for p in tmp_path.iterdir()) == ["token"]  # no temporary file left
