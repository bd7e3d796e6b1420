"""A tiny Flask app for ``opentelemetry-instrument``: no OpenTelemetry code at all.

Run it with the workspace_otel distro doing the setup::

    pip install workspace-otel opentelemetry-instrumentation-flask \
        opentelemetry-instrumentation-requests
    opentelemetry-instrument python examples/flask_app/app.py

``GET /hello`` answers directly; ``GET /chain`` calls ``/hello`` over HTTP with
``requests``, so one trace shows a server span, a client span and the inner
server span.
"""

from __future__ import annotations

import logging
import os

import requests
from flask import Flask

app = Flask(__name__)
log = logging.getLogger("flask_app")
PORT = int(os.environ.get("PORT", "8000"))


@app.get("/hello")
def hello() -> str:
    return "hello from the workspace\n"


@app.get("/chain")
def chain() -> str:
    answer = requests.get(f"http://127.0.0.1:{PORT}/hello", timeout=5)
    log.warning("chained call answered %s", answer.status_code)
    return f"chained: {answer.text}"


if __name__ == "__main__":
    app.run(host="127.0.0.1", port=PORT)
