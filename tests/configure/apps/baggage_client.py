"""A developer's service in a workspace: calls the staging service with ``requests``.

No OpenTelemetry setup: ``opentelemetry-instrument`` and the workspace_otel
distro do it. ``/call`` forwards what staging saw; ``/call-own`` first puts
its own ``workspace.id`` in the baggage, which must not be overridden.
"""

from __future__ import annotations

import os

import requests
from flask import Flask
from opentelemetry import baggage, context

app = Flask(__name__)
STAGING = os.environ["STAGING_URL"]


@app.get("/call")
def call() -> str:
    return requests.get(f"{STAGING}/echo", timeout=5).text


@app.get("/call-own")
def call_own() -> str:
    token = context.attach(baggage.set_baggage("workspace.id", "chosen-by-the-app"))
    try:
        return requests.get(f"{STAGING}/echo", timeout=5).text
    finally:
        context.detach(token)


if __name__ == "__main__":
    app.run(host="127.0.0.1", port=int(os.environ["PORT"]))
