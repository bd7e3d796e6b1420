"""Env, file and command sources against real variables, files and processes."""

from __future__ import annotations

import json
import logging
import os
import shlex
import sys
import time
from pathlib import Path

import pytest

from tests.credentials.helpers import CANARY, START, make_jwt
from workspace_otel.credentials import CommandTokenSource, EnvTokenSource, FileTokenSource
from workspace_otel.errors import ConfigurationError, TokenError


class Mono:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


# -- env ----------------------------------------------------------------------


def test_env_source_reads_at_each_fetch() -> None:
    """A changed value is returned by the next fetch."""
    env = {"MY_TOKEN": "one"}
    source = EnvTokenSource("MY_TOKEN", environ=env)
    assert source.fetch().value == "one"
    env["MY_TOKEN"] = "two\n"
    assert source.fetch().value == "two"


def test_env_source_live_os_environ(monkeypatch: pytest.MonkeyPatch) -> None:
    """Without a mapping it reads os.environ live."""
    source = EnvTokenSource("LIVE_TOKEN_X")
    monkeypatch.setenv("LIVE_TOKEN_X", "abc")
    assert source.fetch().value == "abc"


def test_env_source_missing_needs_user() -> None:
    """Unset or empty: needs_user, names the variable."""
    with pytest.raises(TokenError, match="MY_TOKEN") as info:
        EnvTokenSource("MY_TOKEN", environ={"MY_TOKEN": "  "}).fetch()
    assert info.value.needs_user


def test_env_source_rejects_control_characters_without_echo() -> None:
    """A value with a newline inside is refused and not echoed."""
    with pytest.raises(TokenError) as info:
        EnvTokenSource("T", environ={"T": f"{CANARY}\nX-Evil: 1"}).fetch()
    assert CANARY not in str(info.value)


def test_env_source_jwt_expiry() -> None:
    """A JWT in the variable carries its exp."""
    jwt = make_jwt(exp=START + 60, iat=START)
    assert EnvTokenSource("T", environ={"T": jwt}).fetch().lifetime == 60


def test_env_source_describe_and_repr_hide_value() -> None:
    """describe()/repr name the variable, never the value."""
    source = EnvTokenSource("T", environ={"T": CANARY})
    assert CANARY not in repr(source) + source.describe()
    assert source.describe() == "env:T"


# -- file ---------------------------------------------------------------------


def test_file_source_strips_and_rereads_on_change(tmp_path: Path) -> None:
    """Whitespace stripped; a rewrite is picked up; unchanged files are not re-read."""
    path = tmp_path / "token"
    path.write_text("first\n")
    mono = Mono()
    source = FileTokenSource(path, monotonic=mono)
    assert source.fetch().value == "first"
    assert source.fetch().value == "first"
    assert source.reads == 1
    path.write_text("second-longer\n")
    assert source.fetch().value == "second-longer"
    assert source.reads == 2


def test_file_source_rotation_by_rename(tmp_path: Path) -> None:
    """An atomic rename (new inode), as secret agents and Kubernetes do, is detected."""
    path = tmp_path / "token"
    path.write_text("aaaa")
    source = FileTokenSource(path)
    assert source.fetch().value == "aaaa"
    new = tmp_path / "token.new"
    new.write_text("bbbb")
    stat = path.stat()
    os.utime(new, ns=(stat.st_atime_ns, stat.st_mtime_ns))  # same size and mtime
    new.replace(path)
    assert source.fetch().value == "bbbb"


def test_file_source_periodic_forced_reread(tmp_path: Path) -> None:
    """Even with identical stat data the file is re-read every 60 s."""
    path = tmp_path / "token"
    path.write_text("same")
    mono = Mono()
    source = FileTokenSource(path, monotonic=mono)
    source.fetch()
    mono.now = 59
    source.fetch()
    assert source.reads == 1
    mono.now = 61
    source.fetch()
    assert source.reads == 2


def test_file_source_keeps_last_good_token_and_warns_once(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """Unreadable or invalid later: the last good token stays, one warning."""
    caplog.set_level(logging.DEBUG)
    path = tmp_path / "token"
    path.write_text("good")
    source = FileTokenSource(path)
    assert source.fetch().value == "good"
    path.write_text(f"bad\x01{CANARY}")
    assert source.fetch().value == "good"
    path.unlink()
    assert source.fetch().value == "good"
    assert source.fetch().value == "good"
    warnings = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 1
    assert CANARY not in caplog.text
    path.write_text("fixed")
    assert source.fetch().value == "fixed"


@pytest.mark.parametrize(
    ("content", "match"),
    [(b"", "empty"), (b"a\nb", "control"), (b"\xff\xfe", "UTF-8"), (b"x" * 70000, "larger")],
)
def test_file_source_rejects_bad_content(tmp_path: Path, content: bytes, match: str) -> None:
    """Empty, multi-line, non-UTF-8 or oversized files raise TokenError."""
    path = tmp_path / "token"
    path.write_bytes(content)
    with pytest.raises(TokenError, match=match):
        FileTokenSource(path).fetch()


def test_file_source_missing_file(tmp_path: Path) -> None:
    """A missing file is an error naming the path (it may appear later)."""
    with pytest.raises(TokenError, match="does not exist") as info:
        FileTokenSource(tmp_path / "nope").fetch()
    assert not info.value.needs_user


# -- command ------------------------------------------------------------------


def script(tmp_path: Path, body: str, name: str = "helper.py") -> list[str]:
    path = tmp_path / name
    path.write_text("import sys, os, time, json\n" + body)
    return [sys.executable, str(path)]


def test_command_raw_jwt(tmp_path: Path) -> None:
    """Raw output (with a trailing newline) is the token; exp gives the expiry."""
    jwt = make_jwt(exp=int(time.time()) + 120, iat=int(time.time()), sub="me")
    argv = script(tmp_path, f"print({jwt!r})")
    tok = CommandTokenSource(argv).fetch()
    assert tok.value == jwt
    assert tok.subject == "me"
    assert tok.lifetime == 120


def test_command_line_string_is_split_without_shell(tmp_path: Path) -> None:
    """A string command line is split with shlex; shell syntax is passed literally."""
    argv = script(tmp_path, "print('|'.join(sys.argv[1:]).replace(' ', '_'))")
    line = " ".join(shlex.quote(a) for a in argv) + " 'a b' '$HOME' ';' 'echo'"
    assert CommandTokenSource(line).fetch().value == "a_b|$HOME|;|echo"


@pytest.mark.parametrize(
    ("document", "lifetime"),
    [
        ({"token": "t1", "expires_in": 90}, 90),
        ({"access_token": "t2", "expires_in": "45"}, 45),
        ({"value": "t3", "expiration": "FUTURE"}, 600),
        ({"token": "t4", "expires_at": "EPOCH"}, 600),
        (
            {
                "apiVersion": "client.authentication.k8s.io/v1",
                "kind": "ExecCredential",
                "status": {"token": "t5", "expirationTimestamp": "FUTURE"},
            },
            600,
        ),
    ],
)
def test_command_json_outputs(tmp_path: Path, document: dict[str, object], lifetime: float) -> None:
    """JSON with token/access_token/value and expires_at/expiration/expires_in."""
    future = time.time() + 600
    text = json.dumps(document)
    text = text.replace(
        '"FUTURE"', json.dumps(time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(future)))
    )
    text = text.replace('"EPOCH"', str(future))
    argv = script(tmp_path, f"print({text!r})")
    tok = CommandTokenSource(argv).fetch()
    assert tok.value.startswith("t")
    assert tok.lifetime == pytest.approx(lifetime, abs=2)


@pytest.mark.parametrize(
    "output",
    ['{"expires_in": 5}', '{"token": 5}', "[1, 2]", '{"token": "x", "expires_at": "soon"}', ""],
)
def test_command_bad_json(tmp_path: Path, output: str) -> None:
    """Malformed JSON answers raise TokenError."""
    argv = script(tmp_path, f"sys.stdout.write({output!r})")
    with pytest.raises(TokenError):
        CommandTokenSource(argv).fetch()


def test_command_stdin_is_closed(tmp_path: Path) -> None:
    """The helper cannot wait for input: stdin is /dev/null."""
    argv = script(tmp_path, "data = sys.stdin.read()\nprint('eof' if data == '' else 'input')")
    assert CommandTokenSource(argv).fetch().value == "eof"


def test_command_failure_never_surfaces_stderr_secrets(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """Non-zero exit: status and a redacted line, never the canary on stderr or stdout."""
    caplog.set_level(logging.DEBUG)
    argv = script(
        tmp_path,
        f"print('partial {CANARY}')\n"
        f"sys.stderr.write('error: token={CANARY} bad audience\\n')\nsys.exit(3)",
    )
    with pytest.raises(TokenError, match="status 3") as info:
        CommandTokenSource(argv).fetch()
    assert CANARY not in str(info.value)
    assert CANARY not in caplog.text
    assert "bad audience" in str(info.value)


def test_command_timeout_kills_the_process_group(tmp_path: Path) -> None:
    """A hung helper (and its child) is killed at the timeout."""
    pid_file = tmp_path / "grandchild.pid"
    argv = script(
        tmp_path,
        "import subprocess\n"
        "p = subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(60)'])\n"
        f"open({str(pid_file)!r}, 'w').write(str(p.pid))\n"
        "time.sleep(60)\n",
    )
    started = time.monotonic()
    # 1.5 s leaves a loaded machine time to start the helper and write the pid file.
    with pytest.raises(TokenError, match=r"did not finish within 1\.5 s"):
        CommandTokenSource(argv, timeout=1.5).fetch()
    assert time.monotonic() - started < 6
    grandchild = int(pid_file.read_text())
    for _ in range(250):
        if not _alive(grandchild):
            break
        time.sleep(0.02)
    else:
        pytest.fail("the helper's child survived the timeout")


def _alive(pid: int) -> bool:
    """True while ``pid`` runs; a killed process waiting to be reaped (zombie) is dead."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except FileNotFoundError:
        return False
    except OSError:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return False
        return True
    # The state follows the parenthesised command name: "pid (comm) S ...".
    return stat.rpartition(")")[2].split()[0] not in ("Z", "X")


def test_command_huge_output_is_cut(tmp_path: Path) -> None:
    """More than 64 KiB of stdout kills the helper with an error."""
    argv = script(
        tmp_path, "sys.stdout.write('x' * 10_000_000)\nsys.stdout.flush()\ntime.sleep(30)"
    )
    started = time.monotonic()
    with pytest.raises(TokenError, match="more than 65536 bytes"):
        CommandTokenSource(argv).fetch()
    assert time.monotonic() - started < 5


def test_command_not_found_needs_user(tmp_path: Path) -> None:
    """A missing program needs the user."""
    with pytest.raises(TokenError, match="not found") as info:
        CommandTokenSource([str(tmp_path / "missing-helper")]).fetch()
    assert info.value.needs_user


def test_command_not_executable_needs_user(tmp_path: Path) -> None:
    """A non-executable file needs the user."""
    path = tmp_path / "helper.sh"
    path.write_text("#!/bin/sh\necho x\n")
    with pytest.raises(TokenError, match="not executable") as info:
        CommandTokenSource([str(path)]).fetch()
    assert info.value.needs_user


def test_command_config_errors() -> None:
    """Empty or unbalanced command lines are configuration errors."""
    with pytest.raises(ConfigurationError):
        CommandTokenSource("")
    with pytest.raises(ConfigurationError):
        CommandTokenSource("helper 'unterminated")


def test_command_describe_hides_arguments() -> None:
    """Arguments (which may hold secrets) are not in describe() or repr()."""
    source = CommandTokenSource(["/usr/bin/vault", "read", f"--password={CANARY}"])
    assert CANARY not in source.describe() + repr(source) + repr(source.cache_key)
    assert source.describe() == "command:vault"
