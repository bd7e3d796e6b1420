"""The soak test's Flask app: no OpenTelemetry setup, only one span of its own per request.

``opentelemetry-instrument`` (with the workspace_otel distro and configurator)
does the whole setup, and the Flask instrumentation adds the server span. Run
directly it serves on ``127.0.0.1:$PORT`` with Werkzeug's single-threaded
server (so the thread count is the telemetry's alone); gunicorn imports ``app``.

``GET /work?seq=N`` ends a span ``soak.work`` with attribute ``soak.seq=N``, so
the test can prove that every request's span arrived exactly once.
"""

from __future__ import annotations

import logging
import os

from flask import Flask, request
from opentelemetry import trace

app = Flask(__name__)
tracer = trace.get_tracer("soak")
# The access log would print one line per request; the test reads stderr for warnings.
logging.getLogger("werkzeug").setLevel(logging.WARNING)


@app.get("/ready")
def ready() -> str:
    return "ok"


@app.get("/work")
def work() -> str:
    seq = int(request.args.get("seq", "-1"))
    with tracer.start_as_current_span("soak.work") as span:
        span.set_attribute("soak.seq", seq)
        total = sum(i * i for i in range(200))
    return f"{seq} {total}\n"


if __name__ == "__main__":
    from werkzeug.serving import make_server

    make_server("127.0.0.1", int(os.environ["PORT"]), app, threaded=False).serve_forever()
