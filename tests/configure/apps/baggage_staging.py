"""A staging service that answers with the ``baggage`` header it received (or ``-``)."""

from __future__ import annotations

import os

from flask import Flask, request

app = Flask(__name__)


@app.get("/echo")
def echo() -> str:
    return request.headers.get("baggage", "-")


if __name__ == "__main__":
    app.run(host="127.0.0.1", port=int(os.environ["PORT"]))
