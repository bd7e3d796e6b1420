"""Two real Flask services under ``opentelemetry-instrument``: a workspace calls staging.

The client runs in a Gitpod-shaped workspace environment; the staging service
runs in a plain one. With ``WORKSPACE_OTEL_BAGGAGE`` on the client and
``WORKSPACE_OTEL_BAGGAGE_TO_SPANS`` on staging, staging's spans (received by
the harness's OTLP receiver) carry the workspace's ``workspace.id`` and
``vcs.ref.head.revision``; without the client's variable no baggage header is
sent at all.
"""

from __future__ import annotations

import contextlib
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import unquote

import pytest
import requests

from tests.harness.platform_envs import by_name, find_canaries
from tests.harness.process import PYTHON, free_port, instrumented_app, subprocess_env
from tests.harness.receivers import HttpOtlpReceiver, ReceivedSpan

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals"),
]

APPS = Path(__file__).parent / "apps"
WORKSPACE = by_name("gitpod")
WORKSPACE_ID = str(WORKSPACE.expected["workspace.id"])
REVISION = str(WORKSPACE.expected["vcs.ref.head.revision"])


@contextlib.contextmanager
def _service(app: str, env: dict[str, str], cwd: Path) -> Iterator[str]:
    """Run one app under opentelemetry-instrument; yield its base URL; SIGTERM it (flushes)."""
    with instrumented_app(APPS / app, env, cwd=cwd, ready_path="/nothing-here") as running:
        try:
            yield running.base
        finally:
            _out, err = running.stop(timeout=20)
            assert "Traceback" not in err, err
            assert "telemetry is NOT configured" not in err, err
            assert find_canaries(err) == []


def _common(receiver: HttpOtlpReceiver, service: str) -> dict[str, str]:
    return {
        "OTEL_SERVICE_NAME": service,
        "OTEL_EXPORTER_OTLP_ENDPOINT": receiver.endpoint,
        "OTEL_BSP_SCHEDULE_DELAY": "200",
        "OTEL_METRICS_EXPORTER": "none",
        "OTEL_LOGS_EXPORTER": "none",
    }


def _staging_server_spans(receiver: HttpOtlpReceiver, count: int) -> list[ReceivedSpan]:
    deadline = time.monotonic() + 15
    while True:
        spans = [
            s
            for s in receiver.spans
            if s.resource.get("service.name") == "staging" and s.name == "GET /echo"
        ]
        if len(spans) >= count or time.monotonic() > deadline:
            return spans
        time.sleep(0.1)


def _entries(header: str) -> dict[str, str]:
    pairs = (item.split(";")[0].split("=", 1) for item in header.split(",") if "=" in item)
    return {unquote(k.strip()): unquote(v.strip()) for k, v in pairs}


def _run(
    tmp_path: Path, client_extra: dict[str, str], paths: tuple[str, ...]
) -> tuple[list[str], list[ReceivedSpan]]:
    with HttpOtlpReceiver() as receiver:
        staging_env = subprocess_env(
            **_common(receiver, "staging"),
            WORKSPACE_OTEL_BAGGAGE_TO_SPANS="workspace.*,vcs.ref.head.revision",
        )
        (tmp_path / "staging").mkdir()
        (tmp_path / "client").mkdir()
        with _service("baggage_staging.py", staging_env, tmp_path / "staging") as staging:
            client_env = subprocess_env(
                **WORKSPACE.materialize(tmp_path / "client"),
                **_common(receiver, "client"),
                STAGING_URL=staging,
                **client_extra,
            )
            with _service("baggage_client.py", client_env, tmp_path / "client") as client:
                seen = [requests.get(f"{client}{path}", timeout=10).text for path in paths]
        return seen, _staging_server_spans(receiver, len(paths))


def test_staging_spans_carry_the_workspace_id_and_revision(tmp_path: Path) -> None:
    """The workspace's attributes travel as baggage and land on staging's server spans."""
    seen, spans = _run(
        tmp_path,
        {"WORKSPACE_OTEL_BAGGAGE": "workspace.id,vcs.ref.head.revision"},
        ("/call", "/call-own"),
    )
    assert _entries(seen[0]) == {"workspace.id": WORKSPACE_ID, "vcs.ref.head.revision": REVISION}
    # The application's own entry is kept, ours added beside it.
    assert _entries(seen[1]) == {
        "workspace.id": "chosen-by-the-app",
        "vcs.ref.head.revision": REVISION,
    }
    assert len(spans) == 2
    by_value = {span.attributes.get("workspace.id"): span for span in spans}
    assert set(by_value) == {WORKSPACE_ID, "chosen-by-the-app"}
    for span in spans:
        assert span.attributes["vcs.ref.head.revision"] == REVISION
        # staging is not a workspace: the values came over the wire, not from its resource
        assert "workspace.id" not in span.resource
        assert find_canaries(repr(span.attributes)) == []


def test_nothing_is_sent_while_the_variable_is_unset(tmp_path: Path) -> None:
    """Without WORKSPACE_OTEL_BAGGAGE the request carries no baggage header at all."""
    seen, spans = _run(tmp_path, {}, ("/call",))
    assert seen == ["-"]
    assert len(spans) == 1
    assert "workspace.id" not in spans[0].attributes
    assert "vcs.ref.head.revision" not in spans[0].attributes


def test_a_secret_cannot_be_listed(tmp_path: Path) -> None:
    """A secret-shaped name stops configuration with the variable named; nothing is sent."""
    port = free_port()
    env = subprocess_env(
        **WORKSPACE.materialize(tmp_path),
        OTEL_TRACES_EXPORTER="none",
        OTEL_METRICS_EXPORTER="none",
        WORKSPACE_OTEL_BAGGAGE="workspace.id,GITPOD_TOKENS",
        STAGING_URL=f"http://127.0.0.1:{port}",
        PORT=str(port),
    )
    probe = "import sys; sys.argv=['x']; from workspace_otel import configure; configure()"
    done = subprocess.run(
        [PYTHON, "-c", probe], env=env, cwd=tmp_path, capture_output=True, text=True, timeout=60
    )
    assert done.returncode != 0
    assert "ConfigurationError" in done.stderr
    assert "WORKSPACE_OTEL_BAGGAGE lists 'GITPOD_TOKENS'" in done.stderr
    assert find_canaries(done.stderr) == []
