"""Build the sdist and the wheel with the real build backend and check what they hold.

The source tree is copied (the files git knows, tracked or not yet added, minus
what ``.gitignore`` lists) into a temporary folder, and the folders that tools
create in a checkout are planted there: the README's ``.venv-nox``, nox's
``.nox``, the Collector build cache, ``node_modules``, a stray ``.git`` file,
and a folder whose inner layout (``lib/.../tests``) an unanchored include would
match. ``python -m build`` then builds the sdist and, from that sdist, the wheel,
in isolated environments with the backend ``pyproject.toml`` names.
"""

from __future__ import annotations

import configparser
import os
import shutil
import subprocess
import sys
import tarfile
import zipfile
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

import pytest

ROOT = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.slow

# What a checkout accumulates that must never be shipped, at the top and deeper.
_PLANTED = (
    ".venv-nox/lib/python3.11/site-packages/somepkg/tests/test_x.py",
    ".venv-nox/lib/python3.11/site-packages/somepkg/src/mod.py",
    ".venv/lib/python3.11/site-packages/other/__init__.py",
    ".ci-venv/bin/activate",
    ".nox/tests-3-10/lib/python3.10/site-packages/p/tests/t.py",
    ".cache/otelcol/src/main.go",
    "node_modules/@opentelemetry/api/src/index.js",
    "tests/.venv-local/lib/x.py",
    "examples/node_modules/pkg/index.js",
    "scratch/lib/site-packages/pkg/tests/test_y.py",
    "src/workspace_otel/__pycache__/_env.cpython-311.pyc",
    ".mypy_cache/3.11/x.json",
    ".git",
)

# Top-level entries of the sdist, below its "<name>-<version>/" folder.
_SDIST_TOP = {
    "PKG-INFO",
    "pyproject.toml",
    ".gitignore",
    "README.md",
    "CHANGELOG.md",
    "RELIABILITY.md",
    "BENCHMARKS.md",
    "CONTRIBUTING.md",
    "SECURITY.md",
    "LICENSE",
    "noxfile.py",
    "mkdocs.yml",
    "src",
    "tests",
    "examples",
    "benchmarks",
    "docs",
}

# Path components that mark tool output, anywhere in an archive.
_FORBIDDEN_PARTS = {
    ".git",
    ".nox",
    ".cache",
    "node_modules",
    "__pycache__",
    ".mypy_cache",
    ".ruff_cache",
    ".pytest_cache",
    "site-packages",
    "scratch",
}

# The public entry points (the launcher, the SDK and users depend on these names).
_ENTRY_POINTS = {
    "console_scripts": {"workspace-otel": "workspace_otel.cli:main"},
    "opentelemetry_resource_detector": {
        "workspace": "workspace_otel.resources:WorkspaceResourceDetector",
        "workspace_platform": "workspace_otel.resources:PlatformResourceDetector",
        "workspace_git": "workspace_otel.resources:GitResourceDetector",
    },
    "opentelemetry_otlp_credential_provider": {
        "workspace_otel_http": "workspace_otel.credentials:http_session",
        "workspace_otel_grpc": "workspace_otel.credentials:grpc_credentials",
    },
    "opentelemetry_distro": {"workspace_otel": "workspace_otel._instrument:WorkspaceOtelDistro"},
    "opentelemetry_configurator": {
        "workspace_otel": "workspace_otel._instrument:WorkspaceOtelConfigurator"
    },
    # Reports, once, when another distro and configurator ran instead of ours.
    "opentelemetry_pre_instrument": {
        "workspace_otel": "workspace_otel._instrument:report_other_setup"
    },
}


_UV_TARGETS = {"UV_PYTHON", "UV_PROJECT_ENVIRONMENT", "UV_SYSTEM_PYTHON", "VIRTUAL_ENV"}


@dataclass(frozen=True)
class Built:
    sdist: list[PurePosixPath]
    wheel: list[PurePosixPath]
    wheel_file: Path


def _source_files() -> list[str]:
    if shutil.which("git") is None or not (ROOT / ".git").exists():
        pytest.skip("needs a git checkout to know which files belong to the source tree")
    out = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        cwd=ROOT,
        capture_output=True,
        check=True,
    ).stdout
    return [name for name in out.decode().split("\0") if name and (ROOT / name).is_file()]


def _plant(tree: Path) -> None:
    for name in _PLANTED:
        path = tree / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("planted by tests/packaging\n")


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Built:
    tree = tmp_path_factory.mktemp("tree") / "workspace-otel"
    for name in _source_files():
        target = tree / name
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(ROOT / name, target)
    _plant(tree)
    dist = tmp_path_factory.mktemp("dist")
    # No --sdist/--wheel: build makes the sdist, then the wheel from the unpacked
    # sdist, which also proves that the sdist holds everything the wheel needs.
    # nox points UV_PYTHON at the session's environment; build's uv installer would
    # then put the backend there instead of into the isolated build environment.
    env = {k: v for k, v in os.environ.items() if k not in _UV_TARGETS}
    proc = subprocess.run(
        [sys.executable, "-m", "build", "--installer", "uv", "--outdir", str(dist), str(tree)],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert proc.returncode == 0, proc.stdout[-4000:] + proc.stderr[-4000:]
    (sdist_file,) = dist.glob("*.tar.gz")
    (wheel_file,) = dist.glob("*.whl")
    with tarfile.open(sdist_file) as tar:
        sdist = [PurePosixPath(m.name) for m in tar.getmembers() if m.isfile()]
    with zipfile.ZipFile(wheel_file) as whl:
        wheel = [PurePosixPath(n) for n in whl.namelist() if not n.endswith("/")]
    return Built(sdist=sdist, wheel=wheel, wheel_file=wheel_file)


def test_sdist_holds_exactly_the_project_files(built: Built) -> None:
    (prefix,) = {p.parts[0] for p in built.sdist}
    assert prefix.startswith("workspace_otel-")
    top = {p.parts[1] for p in built.sdist}
    assert top == _SDIST_TOP
    shipped_tool_files = [str(p) for p in built.sdist if _FORBIDDEN_PARTS & set(p.parts)]
    assert shipped_tool_files == []
    shipped_venvs = [str(p) for p in built.sdist if any(s.startswith(".venv") for s in p.parts)]
    assert shipped_venvs == []
    assert not [p for p in built.sdist if p.suffix == ".pyc"]
    names = {str(PurePosixPath(*p.parts[1:])) for p in built.sdist}
    assert {"src/workspace_otel/__init__.py", "src/workspace_otel/py.typed"} <= names
    assert "tests/conftest.py" in names


def test_wheel_holds_the_package_typed_with_its_entry_points(built: Built) -> None:
    top = {p.parts[0] for p in built.wheel}
    (dist_info,) = {t for t in top if t.endswith(".dist-info")}
    assert top == {"workspace_otel", dist_info}
    names = {str(p) for p in built.wheel}
    assert "workspace_otel/py.typed" in names
    assert "workspace_otel/__init__.py" in names
    assert not [n for n in names if "__pycache__" in n or n.endswith(".pyc")]
    assert not [n for n in names if PurePosixPath(n).parts[1:2] == ("tests",)]

    with zipfile.ZipFile(built.wheel_file) as whl:
        text = whl.read(f"{dist_info}/entry_points.txt").decode()
        metadata = whl.read(f"{dist_info}/METADATA").decode().split("\n\n", 1)[0]
    # The license as an SPDX expression with its file (PEP 639): hatchling >= 1.27.
    headers = metadata.splitlines()
    (version,) = [h.split(": ", 1)[1] for h in headers if h.startswith("Metadata-Version: ")]
    assert tuple(int(part) for part in version.split(".")) >= (2, 4), version
    assert "License-Expression: Apache-2.0" in headers
    assert "License-File: LICENSE" in headers
    assert f"{dist_info}/licenses/LICENSE" in names
    assert "Requires-Python: >=3.10" in headers
    parser = configparser.ConfigParser(delimiters=("=",))
    parser.optionxform = str  # type: ignore[assignment,method-assign]
    parser.read_string(text)
    found = {group: dict(parser[group]) for group in parser.sections()}
    assert found == _ENTRY_POINTS
