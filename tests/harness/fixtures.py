"""Pytest fixtures over the harness (a plugin module).

``tests/conftest.py`` loads it with ``pytest_plugins = ["tests.harness.fixtures"]``,
so every test under ``tests/`` can ask for these by name:

``tls_material``   session-scoped :class:`~tests.harness.tls.TlsMaterial`
``token_server``   a fresh :class:`~tests.harness.token_server.TokenServer`
``jwt_validator``  a :class:`~tests.harness.jwt_validation.JwtValidator` for it
``http_receiver``  :class:`~tests.harness.receivers.HttpOtlpReceiver` validating
                   its tokens (plain HTTP)
``grpc_receiver``  :class:`~tests.harness.receivers.GrpcOtlpReceiver` validating
                   its tokens on a TLS port (``tls_material``)
``fake_cli_bin``   :class:`~tests.harness.fake_clis.FakeClis` installed in a
                   temporary folder that is put first on ``PATH`` for the test
``actions_oidc``   :class:`~tests.harness.actions_oidc.ActionsOidcServer`
``metadata_server``  :class:`~tests.harness.metadata_server.GceMetadataServer`

Servers are stopped after each test; nothing keeps a port or thread.
Harness modules are imported inside the fixtures, so loading this plugin does
not import grpc, Authlib or werkzeug into test sessions that never use them.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from .actions_oidc import ActionsOidcServer
    from .fake_clis import FakeClis
    from .jwt_validation import JwtValidator
    from .metadata_server import GceMetadataServer
    from .receivers import GrpcOtlpReceiver, HttpOtlpReceiver
    from .tls import TlsMaterial
    from .token_server import TokenServer

__all__ = [
    "actions_oidc",
    "fake_cli_bin",
    "grpc_receiver",
    "http_receiver",
    "jwt_validator",
    "metadata_server",
    "tls_material",
    "token_server",
]


@pytest.fixture(scope="session")
def tls_material(tmp_path_factory: pytest.TempPathFactory) -> TlsMaterial:
    """A throwaway CA and a server certificate for 127.0.0.1 / localhost."""
    from .tls import make_tls_material

    return make_tls_material(tmp_path_factory.mktemp("tls"))


@pytest.fixture
def token_server() -> Iterator[TokenServer]:
    """A running token server with the default client ``test-client``/``test-secret``."""
    from .token_server import TokenServer

    with TokenServer() as server:
        yield server


@pytest.fixture
def jwt_validator(token_server: TokenServer) -> JwtValidator:
    """A Collector-style validator trusting ``token_server``."""
    from .jwt_validation import JwtValidator

    return JwtValidator(token_server)


@pytest.fixture
def http_receiver(jwt_validator: JwtValidator) -> Iterator[HttpOtlpReceiver]:
    """An OTLP/HTTP receiver that requires ``token_server`` JWTs."""
    from .receivers import HttpOtlpReceiver

    with HttpOtlpReceiver(jwt_validator) as receiver:
        yield receiver


@pytest.fixture
def grpc_receiver(
    jwt_validator: JwtValidator, tls_material: TlsMaterial
) -> Iterator[GrpcOtlpReceiver]:
    """An OTLP/gRPC receiver on TLS that requires ``token_server`` JWTs."""
    from .receivers import GrpcOtlpReceiver

    with GrpcOtlpReceiver(jwt_validator, tls_material) as receiver:
        yield receiver


@pytest.fixture
def fake_cli_bin(
    tmp_path: Path, token_server: TokenServer, monkeypatch: pytest.MonkeyPatch
) -> FakeClis:
    """``gp``/``gitpod``/``ona`` stand-ins, first on ``PATH`` for this test."""
    from .fake_clis import install_fake_clis

    clis = install_fake_clis(tmp_path / "fake-bin", token_server)
    monkeypatch.setenv("PATH", clis.path_env())
    monkeypatch.delenv("FAKE_CLI_MODE", raising=False)
    return clis


@pytest.fixture
def actions_oidc(token_server: TokenServer) -> Iterator[ActionsOidcServer]:
    """A GitHub Actions OIDC request endpoint signing with ``token_server``."""
    from .actions_oidc import ActionsOidcServer

    with ActionsOidcServer(token_server) as server:
        yield server


@pytest.fixture
def metadata_server(token_server: TokenServer) -> Iterator[GceMetadataServer]:
    """A GCE metadata identity stand-in signing with ``token_server``."""
    from .metadata_server import GceMetadataServer

    with GceMetadataServer(token_server) as server:
        yield server
