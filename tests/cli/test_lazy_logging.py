"""Logging without importing ``logging``: records nobody could see, and quiet CLI commands.

Each case runs in a fresh interpreter (pytest itself imports ``logging``), as
``workspace-otel headers`` does: the process starts without ``logging``, and
something (a token source's HTTP library, the application) may import it later.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from tests.cli.conftest import cli_env


def _python(code: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    done = subprocess.run(
        [sys.executable, "-c", code],
        env=cli_env(),
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    return done


def test_a_debug_record_is_dropped_without_importing_logging(tmp_path: Path) -> None:
    done = _python(
        "import sys\n"
        "from workspace_otel._guards import lazy_logging as L\n"
        "L.log('workspace_otel.credentials', L.DEBUG, 'new token: %s', L.Deferred(lambda: 1 / 0))\n"
        "L.log('workspace_otel.credentials', L.INFO, 'works again')\n"
        "print('logging' in sys.modules)\n",
        tmp_path,
    )
    # The Deferred argument was never formatted (it would raise): nothing was.
    assert done.stdout == "False\n"
    assert done.stderr == ""


def test_a_warning_is_still_logged_and_reaches_the_last_resort(tmp_path: Path) -> None:
    done = _python(
        "from workspace_otel._guards import lazy_logging as L\n"
        "L.log('workspace_otel.credentials', L.WARNING, 'refresh from %s failed', 'file:x')\n",
        tmp_path,
    )
    assert done.stderr == "refresh from file:x failed\n"


def test_debug_records_show_once_the_application_configures_logging(tmp_path: Path) -> None:
    done = _python(
        "import logging, sys\n"
        "logging.basicConfig(level=logging.DEBUG, stream=sys.stdout,"
        " format='%(name)s %(message)s')\n"
        "from workspace_otel._guards import lazy_logging as L\n"
        "L.log('workspace_otel.credentials', L.DEBUG, 'new token: %s', L.Deferred(lambda: 'fp'))\n",
        tmp_path,
    )
    assert done.stdout == "workspace_otel.credentials new token: fp\n"


def test_quiet_applies_when_logging_is_imported_later_by_anyone(tmp_path: Path) -> None:
    # Another module imports logging after quiet() and logs directly on a library logger.
    body = (
        "import logging\n"
        "logging.getLogger('workspace_otel.credentials.http').warning('retrying %s', 'x')\n"
        "print(type(logging.getLogger('workspace_otel').handlers[0]).__name__ "
        "if logging.getLogger('workspace_otel').handlers else None)\n"
        "import importlib.util\n"
        "print(type(importlib.util.find_spec('logging').loader).__name__)\n"
    )
    quieted = _python(
        "import sys\n"
        "from workspace_otel._guards import lazy_logging as L\n"
        "from workspace_otel.cli._credentials import quiet_library_logs\n"
        "quiet_library_logs()\n"
        "L.quiet('workspace_otel')\n"
        "print('logging' in sys.modules)\n" + body,
        tmp_path,
    )
    assert quieted.stdout.splitlines() == ["False", "NullHandler", "SourceFileLoader"]
    assert quieted.stderr == ""
    # The control: without quiet(), Python's last-resort handler prints the record.
    loud = _python(body, tmp_path)
    assert loud.stderr == "retrying x\n"


def test_quiet_keeps_the_handler_an_application_configured(tmp_path: Path) -> None:
    done = _python(
        "import logging, sys\n"
        "logging.getLogger('workspace_otel').addHandler(logging.StreamHandler(sys.stdout))\n"
        "from workspace_otel._guards import lazy_logging as L\n"
        "L.quiet('workspace_otel')\n"
        "L.log('workspace_otel.credentials', L.WARNING, 'seen by the app')\n",
        tmp_path,
    )
    assert done.stdout == "seen by the app\n"
    assert done.stderr == ""
