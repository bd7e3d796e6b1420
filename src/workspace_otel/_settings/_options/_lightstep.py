"""The Lightstep (ServiceNow Cloud Observability) backend preset: ingest endpoints and header."""

from __future__ import annotations

from workspace_otel._settings import _token_config

__all__ = ["HEADER", "HOSTS", "endpoint"]

HOSTS = {"us": "ingest.lightstep.com", "eu": "ingest.eu.lightstep.com"}
HEADER = _token_config.LIGHTSTEP_HEADER


def endpoint(signal: str, protocol: str, region: str) -> str:
    """Return the ingest endpoint of ``signal`` over ``protocol`` in ``region`` (us / eu)."""
    host = HOSTS[region]
    if protocol == "grpc":
        return f"https://{host}:443"
    # Documented Lightstep OTLP/HTTP ingest paths (docs.lightstep.com,
    # "send-otlp-over-http-to-lightstep"): traces and metrics only.
    path = {"traces": "traces/otlp/v0.9", "metrics": "metrics/otlp/v0.9"}[signal]
    return f"https://{host}/{path}"
