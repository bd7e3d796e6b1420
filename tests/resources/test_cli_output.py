"""CLI hygiene: --version, a closed pipe, and no control character printed or exported.

Branch names come from a real git repository: git itself accepts the 8-bit
CSI (U+009B) in a branch name, and an ESC sequence is written into HEAD the
way a hostile checkout could ship it.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests.harness.process import subprocess_env
from workspace_otel import __version__

CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def _command() -> list[str]:
    script = Path(sys.executable).parent / "workspace-otel"
    return [str(script)] if script.exists() else [sys.executable, "-m", "workspace_otel"]


def _repo(tmp_path: Path, branch: str) -> Path:
    repo = tmp_path / "repo"
    repo.mkdir()
    git = ["git", "-c", "user.email=dev@example.com", "-c", "user.name=Dev"]
    subprocess.run([*git, "init", "-q"], cwd=repo, check=True)
    subprocess.run([*git, "commit", "-q", "--allow-empty", "-m", "x"], cwd=repo, check=True)
    subprocess.run([*git, "checkout", "-q", "-b", branch], cwd=repo, check=True)
    return repo


def test_version_prints_the_package_version() -> None:
    """`workspace-otel --version` prints the version and exits 0."""
    result = subprocess.run(
        [*_command(), "--version"], capture_output=True, text=True, timeout=60, check=False
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == f"workspace-otel {__version__}"


def test_a_closed_pipe_ends_quietly_with_the_sigpipe_status(tmp_path: Path) -> None:
    """The reader is gone before anything is written: no traceback, status 141."""
    proc = subprocess.Popen(
        [*_command(), "detect"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=subprocess_env(HOME=str(tmp_path)),
        cwd=tmp_path,
    )
    assert proc.stdout is not None
    proc.stdout.close()  # like `| head -1` after its line, but before the child writes
    _out, err = proc.communicate(timeout=60)
    assert b"Traceback" not in err, err
    assert b"BrokenPipeError" not in err, err
    assert proc.returncode == 141


@pytest.mark.parametrize(
    ("how", "branch"),
    [("git checkout", "ev\u009b31mil"), ("HEAD file", "ev\x1b[31mil\x1b]0;pwned\x07")],
)
def test_terminal_escapes_in_a_branch_are_neither_printed_nor_exported(
    tmp_path: Path, how: str, branch: str
) -> None:
    """detect shows the escapes as text; the exported resource carries none."""
    if how == "git checkout":
        repo = _repo(tmp_path, branch)
    else:
        repo = _repo(tmp_path, "plain")
        (repo / ".git" / "HEAD").write_text(f"ref: refs/heads/{branch}\n", encoding="utf-8")
    env = subprocess_env(HOME=str(tmp_path))
    env.pop("WORKSPACE_OTEL_GIT", None)
    table = subprocess.run(
        [*_command(), "detect"], capture_output=True, text=True, env=env, cwd=repo, timeout=60
    )
    assert table.returncode == 0, table.stderr
    assert "vcs.ref.head.name" in table.stdout
    assert not CONTROL.search(table.stdout + table.stderr), repr(table.stdout)
    as_json = subprocess.run(
        [*_command(), "detect", "--json"],
        capture_output=True,
        text=True,
        env=env,
        cwd=repo,
        timeout=60,
    )
    name = json.loads(as_json.stdout)["attributes"]["vcs.ref.head.name"]
    assert not CONTROL.search(name), repr(name)
    assert name.startswith("ev")
