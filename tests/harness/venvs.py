"""Throw-away virtual environments for other Python versions and extra peers.

:func:`build_venv` makes a venv with ``uv`` (a test dependency) for a given
interpreter, with this checkout installed plus ``extra`` requirements, and
returns its ``python``. :func:`find_interpreter` finds ``pythonX.Y`` on PATH
(pyenv shims included) or in ``~/.pyenv/versions``.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path

from .process import ROOT

__all__ = ["build_venv", "find_interpreter"]


def _uv() -> str | None:
    beside = Path(sys.executable).with_name("uv")
    return str(beside) if beside.exists() else shutil.which("uv")


def find_interpreter(version: str) -> str | None:
    """Return a working ``python<version>`` executable, or ``None``."""
    candidates = [shutil.which(f"python{version}")]
    pyenv = Path.home() / ".pyenv" / "versions"
    if pyenv.is_dir():
        candidates += [str(p / "bin" / "python3") for p in sorted(pyenv.glob(f"{version}.*"))]
    for candidate in candidates:
        if not candidate:
            continue
        probe = subprocess.run(
            [candidate, "-c", "import sys; print('%d.%d' % sys.version_info[:2])"],
            capture_output=True,
            text=True,
            check=False,
        )
        if probe.returncode == 0 and probe.stdout.strip() == version:
            return candidate
    return None


def dependency_group(name: str) -> list[str]:
    """The requirements of the dependency group ``name`` of this checkout's pyproject.toml."""
    if sys.version_info >= (3, 11):
        import tomllib
    else:  # pragma: no cover - nox, a test dependency, requires tomli there
        import tomli as tomllib  # type: ignore[import-not-found,unused-ignore]
    with (ROOT / "pyproject.toml").open("rb") as handle:
        groups = tomllib.load(handle)["dependency-groups"]
    return [str(item) for item in groups[name] if isinstance(item, str)]


def build_venv(
    where: Path,
    python: str,
    extra: Sequence[str] = (),
    *,
    extras: Sequence[str] = (),
    groups: Sequence[str] = (),
) -> Path:
    """Create a venv at ``where`` for ``python`` with this checkout and ``extra`` installed.

    ``extras`` names optional-dependency groups (extras) of this checkout to
    install with it; ``groups`` names its dependency groups (e.g. ``peers``).

    Raises:
        RuntimeError: ``uv`` is missing or an install failed (the output says why).
    """
    uv = _uv()
    if uv is None:
        raise RuntimeError("uv is not installed (pip install uv)")
    subprocess.run([uv, "venv", "-q", "--python", python, str(where)], check=True)
    venv_python = where / "bin" / "python"
    target = f"{ROOT}[{','.join(extras)}]" if extras else str(ROOT)
    requirements = [*extra, *(r for group in groups for r in dependency_group(group))]
    result = subprocess.run(
        [uv, "pip", "install", "-q", "--python", str(venv_python), target, *requirements],
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode != 0:
        raise RuntimeError(f"installing into {where} failed: {result.stderr[-2000:]}")
    return venv_python
