"""Another distro or configurator installed next to ours: we say which one won and how to choose.

A fake distribution (a ``.dist-info`` folder with entry points, found first on
``PYTHONPATH``) stands in for ``opentelemetry-distro``; the real
``opentelemetry-instrument`` then loads entry points exactly as it would.
"""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from tests.harness.process import PYTHON, subprocess_env

pytestmark = pytest.mark.slow

INSTRUMENT = Path(sys.executable).with_name("opentelemetry-instrument")

_MODULE = """
from opentelemetry.instrumentation.distro import BaseDistro
from opentelemetry.sdk._configuration import _BaseConfigurator


class OtherDistro(BaseDistro):
    def _configure(self, **kwargs):
        print("OTHER DISTRO", flush=True)


class OtherConfigurator(_BaseConfigurator):
    def _configure(self, **kwargs):
        print("OTHER CONFIGURATOR", flush=True)
"""


def _fake_site(tmp_path: Path, distro: bool, configurator: bool) -> Path:
    site = tmp_path / "site"
    info = site / "aaa_other_distro-1.0.dist-info"
    info.mkdir(parents=True)
    (site / "aaa_other_distro.py").write_text(textwrap.dedent(_MODULE), encoding="utf-8")
    (info / "METADATA").write_text(
        "Metadata-Version: 2.1\nName: aaa-other-distro\nVersion: 1.0\n", encoding="utf-8"
    )
    groups = []
    if distro:
        groups.append("[opentelemetry_distro]\nother = aaa_other_distro:OtherDistro\n")
    if configurator:
        groups.append("[opentelemetry_configurator]\nother = aaa_other_distro:OtherConfigurator\n")
    (info / "entry_points.txt").write_text("\n".join(groups), encoding="utf-8")
    return site


def _run(site: Path, tmp_path: Path, **extra: str) -> subprocess.CompletedProcess[str]:
    env = subprocess_env(WORKSPACE_OTEL_BACKEND="console", **extra)
    env["PYTHONPATH"] = f"{site}:{env['PYTHONPATH']}"
    return subprocess.run(
        [str(INSTRUMENT), PYTHON, "-c", "print('APP RAN')"],
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,
        timeout=60,
    )


def test_another_distro_won_is_reported_with_the_fix(tmp_path: Path) -> None:
    """Our configurator runs but warns that another distro's defaults were applied."""
    result = _run(_fake_site(tmp_path, distro=True, configurator=False), tmp_path)
    assert "OTHER DISTRO" in result.stdout
    assert "APP RAN" in result.stdout
    assert "loaded the 'other' distro instead of workspace_otel" in result.stderr
    assert "OTEL_PYTHON_DISTRO=workspace_otel" in result.stderr


def test_our_distro_brings_our_configurator_whatever_the_order(tmp_path: Path) -> None:
    """Another configurator found first does not win over the distro that ran: ours runs."""
    result = _run(_fake_site(tmp_path, distro=False, configurator=True), tmp_path)
    assert "OTHER CONFIGURATOR" not in result.stdout
    assert "APP RAN" in result.stdout
    assert "not loaded" not in result.stderr
    assert "OTEL_PYTHON_CONFIGURATOR" not in result.stderr


def test_another_configurator_chosen_explicitly_is_reported_with_the_fix(tmp_path: Path) -> None:
    """OTEL_PYTHON_CONFIGURATOR names the other one: it runs, and one warning says how to choose."""
    result = _run(
        _fake_site(tmp_path, distro=False, configurator=True),
        tmp_path,
        OTEL_PYTHON_CONFIGURATOR="other",
    )
    assert "OTHER CONFIGURATOR" in result.stdout
    warnings = [line for line in result.stderr.splitlines() if "OTEL_PYTHON_DISTRO" in line]
    assert len(warnings) == 1, result.stderr
    assert "OTEL_PYTHON_CONFIGURATOR=workspace_otel" in warnings[0]


def test_explicit_choice_runs_ours_without_warnings(tmp_path: Path) -> None:
    """OTEL_PYTHON_DISTRO / OTEL_PYTHON_CONFIGURATOR=workspace_otel: ours runs, no complaint."""
    result = _run(
        _fake_site(tmp_path, distro=True, configurator=True),
        tmp_path,
        OTEL_PYTHON_DISTRO="workspace_otel",
        OTEL_PYTHON_CONFIGURATOR="workspace_otel",
    )
    assert "OTHER" not in result.stdout
    assert "APP RAN" in result.stdout
    assert "instead of workspace_otel" not in result.stderr
    assert "will run the" not in result.stderr
