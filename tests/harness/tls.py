"""Throwaway TLS material made at test time with ``cryptography``.

:func:`make_tls_material` writes a fresh CA and a server certificate signed by
it into a directory. The server certificate names ``localhost`` and
``127.0.0.1`` in its subjectAltName and carries the extensions strict
verifiers (Python 3.13's ``VERIFY_X509_STRICT``, gRPC/BoringSSL) insist on:
critical basicConstraints, keyUsage, serverAuth extendedKeyUsage, subject and
authority key identifiers. Keys are ECDSA P-256 (fast to generate).
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import ssl
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

if TYPE_CHECKING:
    import grpc

__all__ = ["TlsMaterial", "make_tls_material"]


@dataclass(frozen=True)
class TlsMaterial:
    """Paths of a test CA certificate and a server certificate/key (all PEM).

    Attributes:
        ca_cert: The CA certificate clients must trust.
        server_cert: The server certificate (SAN ``localhost``, ``127.0.0.1``).
        server_key: The server's private key (unencrypted PKCS#8).
    """

    ca_cert: Path
    server_cert: Path
    server_key: Path

    def ca_bytes(self) -> bytes:
        """Return the CA certificate as PEM bytes."""
        return self.ca_cert.read_bytes()

    def server_context(self) -> ssl.SSLContext:
        """Return a server-side :class:`ssl.SSLContext` for this certificate."""
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.minimum_version = ssl.TLSVersion.TLSv1_2
        context.load_cert_chain(self.server_cert, self.server_key)
        return context

    def client_context(self) -> ssl.SSLContext:
        """Return a verifying client-side context that trusts only the test CA."""
        return ssl.create_default_context(cafile=str(self.ca_cert))

    def grpc_server_credentials(self) -> grpc.ServerCredentials:
        """Return gRPC server credentials for this certificate."""
        import grpc

        return grpc.ssl_server_credentials(
            [(self.server_key.read_bytes(), self.server_cert.read_bytes())]
        )

    def grpc_channel_credentials(self) -> grpc.ChannelCredentials:
        """Return gRPC channel credentials trusting only the test CA."""
        import grpc

        return grpc.ssl_channel_credentials(root_certificates=self.ca_bytes())


def _name(common_name: str) -> x509.Name:
    return x509.Name(
        [
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "workspace-otel tests"),
            x509.NameAttribute(NameOID.COMMON_NAME, common_name),
        ]
    )


def make_tls_material(
    directory: Path | str,
    *,
    dns_names: Sequence[str] = ("localhost",),
    ip_addresses: Sequence[str] = ("127.0.0.1",),
    valid_for: dt.timedelta = dt.timedelta(days=2),
) -> TlsMaterial:
    """Create a CA and a server certificate under ``directory``.

    Args:
        directory: Folder to write ``ca.pem``, ``server.pem`` and
            ``server-key.pem`` into (created if missing).
        dns_names: DNS subjectAltNames of the server certificate.
        ip_addresses: IP subjectAltNames of the server certificate.
        valid_for: Validity period (starts one hour in the past).

    Returns:
        The paths of the written files.
    """
    folder = Path(directory)
    folder.mkdir(parents=True, exist_ok=True)
    now = dt.datetime.now(dt.timezone.utc)
    not_before = now - dt.timedelta(hours=1)
    not_after = now + valid_for

    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = _name("workspace-otel test CA")
    ca_ski = x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key())
    ca_cert = (
        x509.CertificateBuilder()
        .subject_name(ca_name)
        .issuer_name(ca_name)
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(not_before)
        .not_valid_after(not_after)
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=True,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(ca_ski, critical=False)
        .sign(ca_key, hashes.SHA256())
    )

    server_key = ec.generate_private_key(ec.SECP256R1())
    san: list[x509.GeneralName] = [x509.DNSName(name) for name in dns_names]
    san += [x509.IPAddress(ipaddress.ip_address(ip)) for ip in ip_addresses]
    server_cert = (
        x509.CertificateBuilder()
        .subject_name(_name(dns_names[0] if dns_names else ip_addresses[0]))
        .issuer_name(ca_name)
        .public_key(server_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(not_before)
        .not_valid_after(not_after)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=False,
                crl_sign=False,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .add_extension(x509.SubjectAlternativeName(san), critical=False)
        .add_extension(
            x509.SubjectKeyIdentifier.from_public_key(server_key.public_key()), critical=False
        )
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_subject_key_identifier(ca_ski),
            critical=False,
        )
        .sign(ca_key, hashes.SHA256())
    )

    material = TlsMaterial(
        ca_cert=folder / "ca.pem",
        server_cert=folder / "server.pem",
        server_key=folder / "server-key.pem",
    )
    material.ca_cert.write_bytes(ca_cert.public_bytes(serialization.Encoding.PEM))
    material.server_cert.write_bytes(server_cert.public_bytes(serialization.Encoding.PEM))
    material.server_key.write_bytes(
        server_key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    material.server_key.chmod(0o600)
    return material
