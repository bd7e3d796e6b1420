"""TLS material and the clean-shutdown guarantees of every harness server."""

from __future__ import annotations

import socket
import ssl
import threading
from pathlib import Path

from cryptography import x509

from tests.harness._serving import port_is_refused
from tests.harness.actions_oidc import ActionsOidcServer
from tests.harness.fake_clis import FakeClis
from tests.harness.metadata_server import GceMetadataServer
from tests.harness.receivers import GrpcOtlpReceiver, HttpOtlpReceiver
from tests.harness.tls import TlsMaterial, make_tls_material
from tests.harness.token_server import TokenServer


def test_certificate_names_loopback(tmp_path: Path) -> None:
    material = make_tls_material(tmp_path / "tls")
    cert = x509.load_pem_x509_certificate(material.server_cert.read_bytes())
    san = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value

    assert san.get_values_for_type(x509.DNSName) == ["localhost"]
    assert [str(ip) for ip in san.get_values_for_type(x509.IPAddress)] == ["127.0.0.1"]
    assert material.server_key.stat().st_mode & 0o077 == 0


def test_strict_tls_handshake_with_both_names(tls_material: TlsMaterial) -> None:
    with HttpOtlpReceiver(tls=tls_material) as receiver:
        for name in ("127.0.0.1", "localhost"):
            context = tls_material.client_context()
            context.verify_flags |= ssl.VERIFY_X509_STRICT
            with (
                socket.create_connection(("127.0.0.1", receiver.port), timeout=5) as raw,
                context.wrap_socket(raw, server_hostname=name) as tls,
            ):
                assert tls.version() in ("TLSv1.2", "TLSv1.3")


_PREFIXES = ("harness", "token-", "otlp-", "actions-", "gce-")


def _harness_threads() -> set[threading.Thread]:
    return {t for t in threading.enumerate() if t.name.startswith(_PREFIXES)}


def test_every_server_releases_its_port_and_threads(tls_material: TlsMaterial) -> None:
    before = _harness_threads()
    token_server = TokenServer()
    servers: list[TokenServer | HttpOtlpReceiver | ActionsOidcServer | GceMetadataServer] = [
        token_server,
        HttpOtlpReceiver(),
        ActionsOidcServer(token_server),
        GceMetadataServer(token_server),
    ]
    grpc_receiver = GrpcOtlpReceiver(None, tls_material)
    ports = [token_server.port, grpc_receiver.port]

    for server in reversed(servers):
        server.stop()
        server.stop()  # idempotent
    grpc_receiver.stop()

    assert _harness_threads() <= before
    assert all(port_is_refused(port) for port in ports)


def test_fixtures_are_wired_together(
    fake_cli_bin: FakeClis,
    http_receiver: HttpOtlpReceiver,
    grpc_receiver: GrpcOtlpReceiver,
    actions_oidc: ActionsOidcServer,
    metadata_server: GceMetadataServer,
    token_server: TokenServer,
) -> None:
    assert fake_cli_bin.bin_dir.is_dir()
    assert http_receiver.validator is not None
    assert grpc_receiver.endpoint.startswith("https://127.0.0.1:")
    assert actions_oidc.token_server is token_server
    assert metadata_server.token_server is token_server
