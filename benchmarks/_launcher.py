"""P9: start under ``opentelemetry-instrument``, our distro against ``opentelemetry-distro``.

Both sides run the same Flask app with the same installed instrumentations
in the same environment (a Codespace-shaped workspace on the benchmark's
repository); only the distro and configurator differ, chosen with
``OTEL_PYTHON_DISTRO`` / ``OTEL_PYTHON_CONFIGURATOR``. The plain distro gets
the attributes workspace_otel detects typed into ``OTEL_RESOURCE_ATTRIBUTES``
and the token as a static header, so both export the same resource to the
same receiver over OTLP/HTTP. The app serves one request through Flask's test
client and exits, which flushes the span.
"""

from __future__ import annotations

import importlib.util
import shutil
import sys
from collections.abc import Callable
from pathlib import Path
from urllib.parse import quote

from benchmarks._common import WORK, ChildRun, Options, Row, run_child
from benchmarks._compare import count_both, count_instructions, paired
from benchmarks._startup import TOKEN, StartupSetup

_APP = """\
from flask import Flask

app = Flask(__name__)


@app.route("/")
def index() -> str:
    return "ok"


with app.test_client() as client:
    assert client.get("/").status_code == 200
"""


def _launcher() -> str:
    found = Path(sys.executable).with_name("opentelemetry-instrument")
    if found.exists():
        return str(found)
    which = shutil.which("opentelemetry-instrument")
    if which is None:
        raise RuntimeError("opentelemetry-instrument is not installed beside this Python")
    return which


def _typed_attributes(attributes: dict[str, object]) -> str:
    """The resource as the plain distro's user would type it (percent-encoded values)."""
    return ",".join(
        f"{key}={quote(str(value), safe='')}"
        for key, value in sorted(attributes.items())
        if key != "service.instance.id"
    )


def p9(options: Options, setup: StartupSetup) -> list[Row]:
    """Start of an instrumented Flask app: workspace_otel's distro vs opentelemetry-distro."""
    if importlib.util.find_spec("opentelemetry.distro") is None:
        return [
            Row(
                "P9",
                "start under opentelemetry-instrument",
                "n/a",
                "<= 1.03x",
                None,
                "opentelemetry-distro is not installed",
            )
        ]
    app = WORK / "p9_app.py"
    app.write_text(_APP, encoding="utf-8")
    launcher = _launcher()
    ours_env = {
        **setup.env,
        "OTEL_PYTHON_DISTRO": "workspace_otel",
        "OTEL_PYTHON_CONFIGURATOR": "workspace_otel",
        "OTEL_TRACES_EXPORTER": "otlp_proto_http",
        "OTEL_METRICS_EXPORTER": "otlp_proto_http",
        "OTEL_LOGS_EXPORTER": "none",
    }
    service = str(setup.attributes.get("service.name", "p9"))
    attributes = {k: v for k, v in setup.attributes.items() if k != "service.name"}
    theirs_env = {k: v for k, v in setup.env.items() if not k.startswith("WORKSPACE_OTEL_")}
    theirs_env.update(
        {
            "OTEL_PYTHON_DISTRO": "distro",
            "OTEL_PYTHON_CONFIGURATOR": "configurator",
            "OTEL_TRACES_EXPORTER": "otlp_proto_http",
            "OTEL_METRICS_EXPORTER": "otlp_proto_http",
            "OTEL_LOGS_EXPORTER": "none",
            "OTEL_SERVICE_NAME": service,
            "OTEL_RESOURCE_ATTRIBUTES": _typed_attributes(attributes),
            "OTEL_EXPORTER_OTLP_HEADERS": f"authorization=Bearer%20{TOKEN}",
        }
    )
    command = [launcher, sys.executable, str(app)]

    def start(env: dict[str, str]) -> Callable[[], ChildRun]:
        return lambda: run_child(command, env=env, cwd=setup.repo)

    start(ours_env)()  # warm the caches and byte-compiled files of both sides
    start(theirs_env)()
    comparison = paired(options.pairs_for(200), start(ours_env), start(theirs_env))
    if options.instructions:
        comparison.instructions = count_both(
            lambda: count_instructions(command, env=ours_env, cwd=setup.repo),
            lambda: count_instructions(command, env=theirs_env, cwd=setup.repo),
        )
    warned = [r for r in comparison.ours if "WARNING" in r.stderr or "Traceback" in r.stderr]
    return [
        Row(
            "P9",
            "start under opentelemetry-instrument: workspace_otel vs opentelemetry-distro",
            comparison.figure,
            "<= 1.03x",
            comparison.holds(1.03),
            f"{comparison.describe()}; Flask app, one request; runs of ours that printed "
            f"a warning: {len(warned)}",
        )
    ]
