"""Developer and CI sessions: ``nox`` runs the default set (the README's test command).

Sessions:
    tests        pytest on every supported Python (3.10 to 3.13)
    lint         ruff check and ruff format --check
    typecheck    mypy --strict over src, tests and this file
    examples     runs every example against the project's own local receivers
    reliability  fault, bad-input and canary suite (tests/reliability)
    fuzz         the long hypothesis run of the bad-input tests (not in the default set)
    bench        budgets P1-P8 of DESIGN.md section 8, side by side (not in the default set)
    bench_quick  the same measurements in a short mode: checks that they run, not their values
    collector    builds the OpenTelemetry Collector of tests/collector (needs Go; cached)
    gateway      examples/collector run by that real Collector (tests/gateway)
"""

from __future__ import annotations

import hashlib
import os
import shutil
from pathlib import Path

import nox

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
    "gateway",
]

PYTHONS = ["3.10", "3.11", "3.12", "3.13"]
LATEST = PYTHONS[-1]


@nox.session(python=PYTHONS)
def tests(session: nox.Session) -> None:
    """Run the test suite (tests/reliability has its own session)."""
    session.install(".[test]")
    session.run(
        "pytest",
        "--ignore=tests/reliability",
        "--ignore=tests/gateway",
        *session.posargs,
        env={"PYTHONDONTWRITEBYTECODE": "1"},
    )


@nox.session(python=LATEST)
def lint(session: nox.Session) -> None:
    """Check style and formatting with ruff."""
    session.install(".[lint]")
    session.run("ruff", "check", ".")
    session.run("ruff", "format", "--check", ".")


@nox.session(python=LATEST)
def typecheck(session: nox.Session) -> None:
    """Type-check with mypy --strict."""
    session.install(".[typecheck]")
    session.run("mypy", *session.posargs)


@nox.session(python=LATEST)
def examples(session: nox.Session) -> None:
    """Run every example against local receivers and check what each one shows."""
    session.install(".[test]")
    session.run("python", "examples/run_all.py", *session.posargs)


@nox.session(python=LATEST)
def reliability(session: nox.Session) -> None:
    """Run the reliability and security suite (faults, bad input, canaries)."""
    session.install(".[test]")
    if os.path.isdir("tests/reliability"):
        session.run("pytest", "tests/reliability", *session.posargs)
    else:
        session.log("tests/reliability does not exist yet")


@nox.session(python=LATEST)
def fuzz(session: nox.Session) -> None:
    """Run the bad-input property tests for much longer than the default suite."""
    session.install(".[test]")
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


@nox.session(python=LATEST)
def bench(session: nox.Session) -> None:
    """Measure the budgets of DESIGN.md section 8 side by side and print one table."""
    session.install(".[test]")
    session.run("python", "-m", "benchmarks", *session.posargs)


@nox.session(python=LATEST)
def bench_quick(session: nox.Session) -> None:
    """Run every benchmark briefly; values are printed, not judged."""
    session.install(".[test]")
    session.run("python", "-m", "benchmarks", "--quick", *session.posargs)


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
    session.install(".[test,declarative]")
    session.run(
        "pytest",
        "tests/gateway",
        "tests/resources/test_detector_options.py",
        *session.posargs,
        env={"PYTHONDONTWRITEBYTECODE": "1"},
    )
