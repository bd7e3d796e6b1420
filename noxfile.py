"""Developer and CI sessions: ``nox`` runs the default set (the README's test command).

Sessions:
    tests        pytest on every supported Python (3.10 to 3.13); the slow end-to-end and
                 peer tests on the newest only, measured by coverage, subprocesses
                 included, and the report printed
    lint         ruff check and ruff format --check
    typecheck    mypy --strict over src, tests and this file
    examples     runs every example against the project's own local receivers
    reliability  fault, bad-input and canary suite (tests/reliability)
    fuzz         the long hypothesis run of the bad-input tests (not in the default set)
    bench        the performance budgets (docs/budgets.md), side by side (not in the default set)
    bench_quick  the same measurements in a short mode: checks that they run, not their values
    docs         builds the documentation site strictly (broken links and references fail)
    collector    builds the OpenTelemetry Collector of tests/collector (needs Go; cached)
    gateway      examples/collector run by that real Collector (tests/gateway)
    lowest       the suite on the oldest Python with the lowest versions pyproject.toml allows
    soak_short   a Flask app under opentelemetry-instrument and gunicorn, ~90 s of load
    soak         the same for 10 minutes at 200 requests/s (not in the default set)
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import subprocess
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import nox

# Install byte-compiled, as pip does by default. Where PYTHONDONTWRITEBYTECODE is set
# (container and CI images) every Python the tests and benchmarks start would
# otherwise compile the SDK and its dependencies from source again.
os.environ.setdefault("UV_COMPILE_BYTECODE", "1")

nox.options.default_venv_backend = "uv|virtualenv"
nox.options.error_on_missing_interpreters = True
nox.options.reuse_existing_virtualenvs = True
nox.options.sessions = [
    "lint",
    "typecheck",
    "tests",
    "examples",
    "reliability",
    "bench_quick",
    "docs",
    "gateway",
    "lowest",
    "soak_short",
]

PYTHONS = ["3.10", "3.11", "3.12", "3.13"]
# The package's own extras the tests exercise; the development tools are dependency
# groups of pyproject.toml (`test`, `lint`, `typecheck`, `docs`, `peers`).
PACKAGE_EXTRAS = "grpc,vault,aws"
LATEST = PYTHONS[-1]
OLDEST = PYTHONS[0]


def _pyenv_root() -> Path | None:
    pyenv = shutil.which("pyenv")
    if pyenv is None:
        root = os.environ.get("PYENV_ROOT")
        return Path(root) if root else None
    try:
        out = subprocess.run(
            [pyenv, "root"], capture_output=True, text=True, timeout=10, check=True
        ).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return None
    return Path(out) if out else None


def pyenv_interpreter_dirs(minors: Sequence[str]) -> list[str]:
    """The ``bin`` folders of pyenv's interpreters for the versions PATH cannot give.

    pyenv's shims answer ``python3.10`` only for the versions ``PYENV_VERSION`` (or
    ``.python-version``, or the global version) selects, so on a machine with pyenv
    the README's test command would miss 3.10, 3.12 and 3.13. For each minor
    version that is neither on PATH as a real interpreter nor selected by
    ``PYENV_VERSION``, this returns ``$(pyenv root)/versions/<newest 3.x.y>/bin``.
    Without pyenv it returns nothing and PATH is used as it is.
    """
    root = _pyenv_root()
    if root is None or not (root / "versions").is_dir():
        return []
    chosen = [v for v in os.environ.get("PYENV_VERSION", "").split(":") if v]
    shims = (root / "shims").resolve()
    dirs: list[str] = []
    for minor in minors:
        if any(v == minor or v.startswith(f"{minor}.") for v in chosen):
            continue
        on_path = shutil.which(f"python{minor}")
        if on_path is not None and Path(on_path).resolve().parent != shims:
            continue
        pattern = re.compile(rf"{re.escape(minor)}\.(\d+)")
        found = [
            (int(m.group(1)), d / "bin")
            for d in (root / "versions").iterdir()
            if (m := pattern.fullmatch(d.name)) and (d / "bin" / f"python{minor}").is_file()
        ]
        if found:
            dirs.append(str(max(found)[1]))
    return dirs


# Make every supported interpreter findable before nox looks for them.
PYENV_INTERPRETER_DIRS = pyenv_interpreter_dirs(PYTHONS)
if PYENV_INTERPRETER_DIRS:
    os.environ["PATH"] = os.pathsep.join([*PYENV_INTERPRETER_DIRS, os.environ.get("PATH", "")])


# Tests of real peers whose outcome does not depend on the interpreter that runs
# pytest: they build environments of their own (other Pythons, a second distro, the
# sdist and the wheel), start servers (OpenBao, moto) or run a Node.js program. They
# run on the newest Python (and at the dependency floors in `lowest`), not on each.
PEER_TESTS = (
    "tests/credentials/secret_stores",
    "tests/packaging",
    "tests/configure/test_beside_opentelemetry_distro.py",
    "tests/configure/test_exit_flush_versions.py",
    "tests/configure/test_open_span_tracker.py",
    "tests/configure/test_baggage_e2e.py",
    "tests/cli/test_env_node.py",
)


@nox.session(python=PYTHONS)
def tests(session: nox.Session) -> None:
    """Run the test suite (tests/reliability, tests/gateway and tests/soak have their own).

    The tests of :data:`PEER_TESTS` and the slow end-to-end tests (real token
    expiries, subprocesses) run on the newest Python, under coverage, and on
    the oldest in ``nox -s lowest`` against the oldest dependencies; the Pythons
    between run the rest (CI's time budget). Arguments after ``--`` lift that
    filter.
    """
    session.install(f".[{PACKAGE_EXTRAS}]", "--group", "test")
    peers = [] if session.python == LATEST else [f"--ignore={path}" for path in PEER_TESTS]
    fast = ["-m", "not slow"] if session.python != LATEST and not session.posargs else []
    args = [
        "--ignore=tests/reliability",
        "--ignore=tests/gateway",  # needs the built Collector: `nox -s gateway`
        "--ignore=tests/soak",  # `nox -s soak_short` runs it once
        *peers,
        *fast,
        *session.posargs,
    ]
    if session.python != LATEST:
        session.run("pytest", *args, env={"PYTHONDONTWRITEBYTECODE": "1"})
        return
    _pytest_with_coverage(session, args)


def _pytest_with_coverage(session: nox.Session, args: Sequence[str]) -> None:
    """Run pytest under coverage; every Python subprocess records too (pyproject.toml).

    Each process writes its own data file next to ``COVERAGE_FILE`` (an
    absolute path, so a subprocess started in another directory writes there
    too); they are combined and one report is printed.
    """
    session.install("--group", "coverage")
    # Not session.create_tmp(): it moves TMPDIR into the checkout, where every test's
    # temporary folder (and its git repositories) would sit inside this repository.
    data = Path(_venv_dir(session)).resolve() / ".coverage"
    env = {"PYTHONDONTWRITEBYTECODE": "1", "COVERAGE_FILE": str(data)}
    session.run("coverage", "erase", env=env)
    session.run("coverage", "run", "-m", "pytest", *args, env=env)
    session.run("coverage", "combine", "--quiet", env=env)
    session.run("coverage", "report", "--sort=cover", env=env)


@nox.session(python=LATEST)
def lint(session: nox.Session) -> None:
    """Check style and formatting with ruff."""
    session.install("--group", "lint")
    session.run("ruff", "check", ".")
    session.run("ruff", "format", "--check", ".")


@nox.session(python=LATEST)
def typecheck(session: nox.Session) -> None:
    """Type-check with mypy --strict."""
    session.install(f".[{PACKAGE_EXTRAS}]", "--group", "typecheck")
    session.run("mypy", *session.posargs)


@nox.session(python=LATEST)
def examples(session: nox.Session) -> None:
    """Run every example against local receivers and check what each one shows."""
    session.install(f".[{PACKAGE_EXTRAS}]", "--group", "test")
    session.run("python", "examples/run_all.py", *session.posargs)


@nox.session(python=LATEST)
def reliability(session: nox.Session) -> None:
    """Run the reliability and security suite (faults, bad input, canaries)."""
    session.install(f".[{PACKAGE_EXTRAS}]", "--group", "test")
    if os.path.isdir("tests/reliability"):
        session.run("pytest", "tests/reliability", *session.posargs)
    else:
        session.log("tests/reliability does not exist yet")


@nox.session(python=LATEST)
def fuzz(session: nox.Session) -> None:
    """Run the bad-input property tests for much longer than the default suite."""
    session.install(f".[{PACKAGE_EXTRAS}]", "--group", "test")
    session.run(
        "pytest",
        "tests/reliability",
        "-k",
        "bad_input",
        # 25 times the examples: the per-test limit of the default suite is too short.
        "--timeout=1800",
        *session.posargs,
        env={"WORKSPACE_OTEL_HYPOTHESIS_PROFILE": "long"},
    )


def _install_for_benchmarks(session: nox.Session) -> None:
    """Install what the benchmarks start, byte-compiled as a user's installation is.

    ``opentelemetry-distro`` is the other side of P9. The byte-compilation set
    at the top matters most here: without ``.pyc`` files every timed start
    recompiles the SDK, which costs both sides hundreds of milliseconds and
    drowns the ratios.
    """
    session.install(f".[{PACKAGE_EXTRAS}]", "--group", "test", "--group", "peers")


@nox.session(python=LATEST)
def bench(session: nox.Session) -> None:
    """Measure the performance budgets (docs/budgets.md) side by side and print one table."""
    _install_for_benchmarks(session)
    session.run("python", "-m", "benchmarks", *session.posargs)


@nox.session(python=LATEST)
def bench_quick(session: nox.Session) -> None:
    """Run every benchmark briefly; values are printed, not judged."""
    _install_for_benchmarks(session)
    session.run("python", "-m", "benchmarks", "--quick", *session.posargs)


@nox.session(python=LATEST)
def docs(session: nox.Session) -> None:
    """Build the documentation with mkdocs --strict (warnings, broken links fail)."""
    session.install(".", "--group", "docs")
    session.run("mkdocs", "build", "--strict", env={"NO_MKDOCS_2_WARNING": "1"})


COLLECTOR_SOURCE = Path("tests/collector")
COLLECTOR_BINARY = Path(".cache/otelcol/otelcol-workspace")


def _build_collector(session: nox.Session) -> None:
    """Build the test Collector unless the stamp says this source was built already."""
    go = shutil.which("go")
    if go is None:
        session.error("the gateway tests need Go (>= 1.26) on PATH to build the Collector")
    digest = hashlib.sha256()
    for name in ("go.mod", "go.sum", "main.go"):
        digest.update(name.encode() + b"\0" + (COLLECTOR_SOURCE / name).read_bytes())
    stamp = COLLECTOR_BINARY.with_name("otelcol-workspace.sha256")
    wanted = digest.hexdigest()
    if COLLECTOR_BINARY.is_file() and stamp.is_file() and stamp.read_text().strip() == wanted:
        session.log(f"{COLLECTOR_BINARY} is up to date ({wanted[:12]})")
        return
    COLLECTOR_BINARY.parent.mkdir(parents=True, exist_ok=True)
    stamp.unlink(missing_ok=True)
    session.run(
        go,
        "-C",
        str(COLLECTOR_SOURCE),
        "build",
        "-trimpath",
        "-o",
        str(COLLECTOR_BINARY.resolve()),
        ".",
        external=True,
        env={"GOFLAGS": "-mod=mod -buildvcs=false", "CGO_ENABLED": "0", "GOTOOLCHAIN": "local"},
    )
    stamp.write_text(wanted + "\n")


@nox.session(python=False)
def collector(session: nox.Session) -> None:
    """Build .cache/otelcol/otelcol-workspace from tests/collector when its source changed."""
    _build_collector(session)


@nox.session(python=LATEST)
def gateway(session: nox.Session) -> None:
    """Run examples/collector through the real Collector (tests/gateway).

    Also runs the detector-options tests with the real opentelemetry-configuration
    package, which pins the SDK exactly and so stays out of the plain test extra.
    """
    _build_collector(session)
    session.install(f".[{PACKAGE_EXTRAS},declarative]", "--group", "test")
    session.run(
        "pytest",
        "tests/gateway",
        "tests/resources/test_detector_options.py",
        *session.posargs,
        env={"PYTHONDONTWRITEBYTECODE": "1"},
    )


def _venv_dir(session: nox.Session) -> str:
    location = getattr(session.virtualenv, "location", None)
    if not isinstance(location, str):
        session.error("this session needs a virtual environment")
    return os.path.abspath(location)


def _pyproject() -> dict[str, Any]:
    return nox.project.load_toml("pyproject.toml")


# Extras that are tools for developers, not features of the package.
# `declarative` pins one SDK release exactly (it has its own session, gateway).
_SKIPPED_EXTRAS = {"declarative"}
# Test folders that need more than the package and its extras (the Collector build).
_NEEDS_COLLECTOR = ("tests/collector", "tests/gateway")


@nox.session(python=OLDEST, reuse_venv=False)
def lowest(session: nox.Session) -> None:
    """Run the suite with the lowest versions pyproject.toml allows, on the oldest Python.

    uv's lowest-direct resolution takes the floor of every requirement the package
    and its extras name (whatever extras exist when this runs), and the package is
    built with the lowest build backend its build-system table allows. The
    environment is made anew each time: uv keeps installed versions that satisfy a
    requirement, so a reused one would drift above the floors.
    """
    project = _pyproject()
    extras = sorted(set(project["project"]["optional-dependencies"]) - _SKIPPED_EXTRAS)
    build_requires = project["build-system"]["requires"]
    session.install("--resolution", "lowest-direct", *build_requires)
    # tests/packaging builds in isolated environments: hold the backend at its floor there too.
    # (Not session.create_tmp(): it moves TMPDIR into the checkout, where every test's
    # temporary folder would sit inside this git repository.)
    constraints = Path(_venv_dir(session)) / "build-floors.txt"
    constraints.write_text("".join(f"{r.replace('>=', '==')}\n" for r in build_requires))
    session.install(
        "--resolution",
        "lowest-direct",
        "--no-build-isolation-package",
        "workspace-otel",
        f".[{','.join(extras)}]",
        "--group",
        "test",
    )
    session.run(
        "python",
        "-c",
        "import importlib.metadata as m; "
        "print(*sorted(f'{d.name}=={d.version}' for d in m.distributions()), sep=' ')",
    )
    ignored = ["tests/reliability", "tests/soak", *_NEEDS_COLLECTOR]
    session.run(
        "pytest",
        *(f"--ignore={path}" for path in ignored),
        *session.posargs,
        env={"PYTHONDONTWRITEBYTECODE": "1", "UV_CONSTRAINT": str(constraints)},
    )


def _soak(session: nox.Session, settings: dict[str, str]) -> None:
    session.install(f".[{PACKAGE_EXTRAS}]", "--group", "test")
    figures = Path(_venv_dir(session)) / "soak-figures.json"
    figures.unlink(missing_ok=True)
    session.run(
        "pytest",
        "tests/soak",
        "-p",
        "no:cacheprovider",
        *session.posargs,
        env={"PYTHONDONTWRITEBYTECODE": "1", "SOAK_FIGURES": str(figures), **settings},
    )
    session.log(f"soak figures: {figures}")


@nox.session(python=LATEST)
def soak_short(session: nox.Session) -> None:
    """A Flask app under opentelemetry-instrument and gunicorn: 2 x 40 s of load, then SIGTERM."""
    _soak(session, {})


@nox.session(python=LATEST)
def soak(session: nox.Session) -> None:
    """The 10-minute soak: 200 requests/s, 4-second tokens, growth from minute 2 to minute 10."""
    _soak(
        session,
        {
            "SOAK_SECONDS": "600",
            "SOAK_RATE": "200",
            "SOAK_TOKEN_LIFETIME": "4",
            "SOAK_WARMUP": "120",
            "SOAK_WINDOW": "30",
        },
    )
