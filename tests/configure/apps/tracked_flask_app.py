"""Flask app for ``opentelemetry-instrument`` that reports the open-span tracker's size.

``GET /hello`` answers directly; ``GET /open-spans`` answers how many spans the
tracker behind the SIGTERM hook holds (the request asking is itself open).
"""

from __future__ import annotations

import os

from flask import Flask

from workspace_otel._setup import _configure

app = Flask(__name__)


@app.get("/hello")
def hello() -> str:
    return "hello\n"


@app.get("/open-spans")
def open_spans() -> str:
    handle = _configure._HANDLE
    assert handle is not None
    assert handle._lifecycle is not None
    return str(len(handle._lifecycle._open_spans._open))


if __name__ == "__main__":
    app.run(host="127.0.0.1", port=int(os.environ["PORT"]))
