"""The README's test command: what CI runs, and how the noxfile finds interpreters.

On a machine with pyenv, ``python3.10`` on PATH is a shim that fails unless
``PYENV_VERSION`` selects a 3.10, so the noxfile looks in pyenv's versions folder
itself. These tests import the real noxfile in a child process against a fake
pyenv root (a ``pyenv`` executable that prints it, shims that fail, versions
folders with interpreters) and read which folders it put in front of PATH.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def _readme_test_command() -> str:
    text = (ROOT / "README.md").read_text()
    match = re.search(r"# 2\. Run the tests[^\n]*\n(?P<cmd>[^\n]+)\n", text)
    assert match is not None, "the README's Quick start lost its test command"
    return match.group("cmd").strip()


def test_ci_runs_the_readme_test_command_verbatim() -> None:
    command = _readme_test_command()
    assert "nox" in command
    ci_lines = [line.strip() for line in (ROOT / ".ci" / "run").read_text().splitlines()]
    assert command in ci_lines
    assert not [line for line in ci_lines if "PYENV_VERSION=" in line.replace(" ", "")]


def _executable(path: Path, body: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(f"#!/bin/sh\n{body}\n")
    path.chmod(0o755)


def _fake_pyenv(tmp_path: Path, versions: list[str]) -> tuple[Path, Path]:
    root = tmp_path / "pyenv-root"
    for version in versions:
        minor = ".".join(version.split(".")[:2])
        _executable(root / "versions" / version / "bin" / f"python{minor}", "exit 0")
    for minor in ("3.10", "3.11", "3.12", "3.13"):
        _executable(root / "shims" / f"python{minor}", "echo 'pyenv: not selected' >&2; exit 127")
    bin_dir = tmp_path / "pyenv-bin"
    _executable(bin_dir / "pyenv", f'[ "$1" = root ] && echo "{root}"')
    return root, bin_dir


def _dirs_added(path_value: str, **extra_env: str) -> list[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYENV")}
    env.update(PATH=path_value, **extra_env)
    code = "import json, noxfile; print(json.dumps(noxfile.PYENV_INTERPRETER_DIRS))"
    out = subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    ).stdout
    result = json.loads(out.strip().splitlines()[-1])
    assert isinstance(result, list)
    return [str(x) for x in result]


def test_noxfile_takes_pyenv_versions_without_pyenv_version(tmp_path: Path) -> None:
    root, bin_dir = _fake_pyenv(tmp_path, ["3.10.4", "3.10.12", "3.12.1", "3.13.0", "3.9.18"])
    added = _dirs_added(f"{bin_dir}:{root / 'shims'}:/usr/bin:/bin")
    assert added == [
        str(root / "versions" / "3.10.12" / "bin"),  # the newest patch, compared as numbers
        str(root / "versions" / "3.12.1" / "bin"),
        str(root / "versions" / "3.13.0" / "bin"),
    ]


def test_noxfile_leaves_versions_that_pyenv_version_selects(tmp_path: Path) -> None:
    root, bin_dir = _fake_pyenv(tmp_path, ["3.10.4", "3.12.1"])
    added = _dirs_added(f"{bin_dir}:{root / 'shims'}:/usr/bin:/bin", PYENV_VERSION="3.10.4:3.11.7")
    assert added == [str(root / "versions" / "3.12.1" / "bin")]


def test_noxfile_prefers_real_interpreters_already_on_path(tmp_path: Path) -> None:
    root, bin_dir = _fake_pyenv(tmp_path, ["3.10.12", "3.12.1"])
    system = tmp_path / "system-bin"
    _executable(system / "python3.12", "exit 0")
    added = _dirs_added(f"{bin_dir}:{system}:{root / 'shims'}:/usr/bin:/bin")
    assert added == [str(root / "versions" / "3.10.12" / "bin")]


@pytest.mark.parametrize("with_root_variable", [False, True])
def test_noxfile_without_pyenv_uses_path_as_it_is(tmp_path: Path, with_root_variable: bool) -> None:
    system = tmp_path / "system-bin"
    for minor in ("3.10", "3.11", "3.12", "3.13"):
        _executable(system / f"python{minor}", "exit 0")
    extra = {"PYENV_ROOT": str(tmp_path / "absent")} if with_root_variable else {}
    assert _dirs_added(f"{system}:/usr/bin:/bin", **extra) == []
