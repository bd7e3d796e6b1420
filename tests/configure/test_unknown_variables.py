"""A typo in a WORKSPACE_OTEL_* variable is warned once at start, with the closest name."""

from __future__ import annotations

import logging
import subprocess
import sys
from pathlib import Path

import pytest

import workspace_otel
from tests.harness.process import PYTHON, subprocess_env
from workspace_otel._settings import _typos
from workspace_otel._setup import _configure

INSTRUMENT = Path(sys.executable).with_name("opentelemetry-instrument")


@pytest.fixture(autouse=True)
def _fresh_warnings() -> None:
    _typos._warned.clear()


def test_configure_warns_once_with_the_closest_name(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """One WARNING naming the typo and the known variable; a second start says nothing more."""
    monkeypatch.setenv("WORKSPACE_OTEL_FLUSH_TIMOUT", "2")
    caplog.set_level(logging.WARNING, logger="workspace_otel")
    workspace_otel.configure(backend="console", metrics=False)
    _configure._reset_for_tests()
    from tests.harness.process import reset_otel_globals

    reset_otel_globals()
    workspace_otel.configure(backend="console", metrics=False)
    typos = [
        r.getMessage() for r in caplog.records if "WORKSPACE_OTEL_FLUSH_TIMOUT" in r.getMessage()
    ]
    assert len(typos) == 1, typos
    assert "did you mean WORKSPACE_OTEL_FLUSH_TIMEOUT?" in typos[0]


def test_token_home_named_by_env_source_is_not_a_typo(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """WORKSPACE_OTEL_TOKEN_SOURCE=env:WORKSPACE_OTEL_MY_TOKEN makes that variable known."""
    monkeypatch.setenv("WORKSPACE_OTEL_TOKEN_SOURCE", "env:WORKSPACE_OTEL_MY_TOKEN")
    monkeypatch.setenv("WORKSPACE_OTEL_MY_TOKEN", "abcdef")
    caplog.set_level(logging.WARNING, logger="workspace_otel")
    workspace_otel.configure(backend="console", metrics=False, credentials=False)
    assert "WORKSPACE_OTEL_MY_TOKEN" not in caplog.text


@pytest.mark.slow
def test_under_the_launcher_the_typo_is_warned_once(tmp_path: Path) -> None:
    """opentelemetry-instrument runs the same check: one line on stderr."""
    result = subprocess.run(
        [str(INSTRUMENT), PYTHON, "-c", "print('APP RAN')"],
        capture_output=True,
        text=True,
        env=subprocess_env(WORKSPACE_OTEL_BACKEND="console", WORKSPACE_OTEL_BACKNED="otlp"),
        cwd=tmp_path,
        timeout=60,
        check=False,
    )
    assert "APP RAN" in result.stdout, result.stderr
    lines = [line for line in result.stderr.splitlines() if "WORKSPACE_OTEL_BACKNED" in line]
    assert len(lines) == 1, result.stderr
    assert "did you mean WORKSPACE_OTEL_BACKEND?" in lines[0]


def test_a_variable_name_with_terminal_escapes_is_warned_with_them_made_visible(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """An environment can carry any byte in a name: the warning shows escapes, never runs them."""
    caplog.set_level(logging.WARNING, logger="workspace_otel")
    _typos.warn_unknown_variables({"WORKSPACE_OTEL_TOKEN\x1b]0;pwned\x07": "1"})
    (message,) = [r.getMessage() for r in caplog.records if "pwned" in r.getMessage()]
    assert "\x1b" not in message
    assert "\x07" not in message
    assert "WORKSPACE_OTEL_TOKEN\\x1b]0;pwned\\x07" in message
