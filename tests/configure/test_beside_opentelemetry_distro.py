"""The real ``opentelemetry-distro`` installed beside workspace_otel, under the real launcher.

A venv holds both distributions. Which one ``opentelemetry-instrument`` finds
first depends on the file system, so each order is forced by putting a copy
of one distribution's metadata first on ``PYTHONPATH``. Whatever the order and
the variables, the launcher never crashes and never configures twice: either
ours runs, or exactly one warning names OTEL_PYTHON_DISTRO and
OTEL_PYTHON_CONFIGURATOR.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.harness.process import subprocess_env
from tests.harness.venvs import build_venv

pytestmark = [pytest.mark.slow, pytest.mark.skipif(sys.platform == "win32", reason="POSIX venv")]

# Prints who configured the SDK: our handle, or the class of the global provider.
PROBE = (
    "from opentelemetry import trace\n"
    "from workspace_otel._setup import _configure\n"
    "print('OURS' if _configure._HANDLE is not None else 'NOT OURS')\n"
    "print('PROVIDER', type(trace.get_tracer_provider()).__name__)\n"
)


@pytest.fixture(scope="module")
def venv(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A venv with this checkout and its ``peers`` group (opentelemetry-distro, OTLP/gRPC).

    Not the test venv itself: there, a second distro would make every other
    launcher test depend on the file system's order.
    """
    where = tmp_path_factory.mktemp("beside-distro")
    return build_venv(where / "venv", sys.executable, groups=["peers"])


def _first(venv: Path, tmp_path: Path, distribution: str) -> Path:
    """A folder holding a copy of ``distribution``'s metadata, to put first on the path."""
    site = next(venv.parent.parent.glob("lib/python*/site-packages"))
    info = next(site.glob(f"{distribution}-*.dist-info"))
    first = tmp_path / f"first-{distribution}"
    shutil.copytree(info, first / info.name)
    return first


def _run(venv: Path, tmp_path: Path, first: str, **extra: str) -> tuple[str, str]:
    env = subprocess_env(WORKSPACE_OTEL_BACKEND="console", OTEL_METRICS_EXPORTER="none", **extra)
    env["PYTHONPATH"] = f"{_first(venv, tmp_path, first)}:{env['PYTHONPATH']}"
    result = subprocess.run(
        [str(venv.with_name("opentelemetry-instrument")), str(venv), "-c", PROBE],
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr, result.stderr
    assert "Failed to auto initialize" not in result.stderr, result.stderr
    return result.stdout, result.stderr


def _choice_warnings(stderr: str) -> list[str]:
    return [
        line
        for line in stderr.splitlines()
        if "OTEL_PYTHON_DISTRO" in line and "OTEL_PYTHON_CONFIGURATOR" in line
    ]


ORDERS = ["workspace_otel", "opentelemetry_distro"]


@pytest.mark.parametrize("first", ORDERS)
def test_no_variables(venv: Path, tmp_path: Path, first: str) -> None:
    """Ours first: ours runs silently. Theirs first: theirs runs and we say so once."""
    stdout, stderr = _run(venv, tmp_path, first)
    if first == "workspace_otel":
        assert "OURS" in stdout.splitlines()
        assert _choice_warnings(stderr) == []
        assert "not loaded" not in stderr  # the launcher's own notice is not shown either
    else:
        assert "NOT OURS" in stdout.splitlines()
        assert len(_choice_warnings(stderr)) == 1, stderr


@pytest.mark.parametrize("first", ORDERS)
def test_both_variables_choose_ours(venv: Path, tmp_path: Path, first: str) -> None:
    """Both variables name workspace_otel: ours runs, not a word about the choice."""
    stdout, stderr = _run(
        venv,
        tmp_path,
        first,
        OTEL_PYTHON_DISTRO="workspace_otel",
        OTEL_PYTHON_CONFIGURATOR="workspace_otel",
    )
    assert "OURS" in stdout.splitlines()
    assert _choice_warnings(stderr) == []


@pytest.mark.parametrize("first", ORDERS)
def test_both_variables_choose_theirs(venv: Path, tmp_path: Path, first: str) -> None:
    """Both variables name opentelemetry-distro's: theirs runs, one warning."""
    stdout, stderr = _run(
        venv,
        tmp_path,
        first,
        OTEL_PYTHON_DISTRO="distro",
        OTEL_PYTHON_CONFIGURATOR="configurator",
    )
    assert "NOT OURS" in stdout.splitlines()
    assert len(_choice_warnings(stderr)) == 1, stderr


@pytest.mark.parametrize("first", ORDERS)
def test_their_distro_our_configurator(venv: Path, tmp_path: Path, first: str) -> None:
    """Their defaults, our configurator: ours runs once, one warning about the defaults."""
    stdout, stderr = _run(
        venv,
        tmp_path,
        first,
        OTEL_PYTHON_DISTRO="distro",
        OTEL_PYTHON_CONFIGURATOR="workspace_otel",
    )
    assert "OURS" in stdout.splitlines()
    assert len(_choice_warnings(stderr)) == 1, stderr
