"""The credential-provider entry points: zero-arg, right types, no I/O, no thread."""

from __future__ import annotations

import subprocess
import sys
import threading
from importlib.metadata import entry_points
from typing import TYPE_CHECKING

import grpc
import pytest
import requests

from workspace_otel.credentials import shared_cache, token_source_from_env

if TYPE_CHECKING:
    from tests.harness.token_server import TokenServer


@pytest.mark.parametrize(
    ("name", "kind"),
    [("workspace_otel_http", requests.Session), ("workspace_otel_grpc", grpc.ChannelCredentials)],
)
def test_entry_point_builds_without_io_or_threads(
    name: str, kind: type, monkeypatch: pytest.MonkeyPatch, token_server: TokenServer
) -> None:
    """Loading and calling the factory contacts no server and starts no thread."""
    monkeypatch.setenv("WORKSPACE_OTEL_TOKEN_SOURCE", "oauth2")
    monkeypatch.setenv("WORKSPACE_OTEL_OAUTH2_TOKEN_URL", token_server.token_url)
    monkeypatch.setenv("WORKSPACE_OTEL_OAUTH2_CLIENT_ID", "test-client")
    monkeypatch.setenv("WORKSPACE_OTEL_OAUTH2_CLIENT_SECRET", "test-secret")
    threads_before = threading.active_count()
    (entry_point,) = entry_points(group="opentelemetry_otlp_credential_provider", name=name)
    built = [entry_point.load()() for _ in range(3)]
    assert all(isinstance(b, kind) for b in built)
    assert token_server.token_requests == 0
    source = token_source_from_env()
    assert source is not None
    assert shared_cache(source).refresher_thread is None
    assert threading.active_count() == threads_before


def test_http_pieces_do_not_import_grpc() -> None:
    """Using only the HTTP factory keeps grpc out of the process."""
    code = (
        "import sys, workspace_otel.credentials as c; c.http_session();"
        "print(sorted(m for m in sys.modules if m.split('.')[0] == 'grpc'))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
    )
    assert out.stdout.strip() == "[]"
