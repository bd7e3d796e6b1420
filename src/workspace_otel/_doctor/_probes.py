"""Network probes for the endpoint check: DNS, TCP, TLS, and an empty OTLP export.

Every probe is bounded by a timeout and returns plain data; errors come back
as :class:`ProbeFailure` with a ``kind`` the endpoint check interprets.
Nothing here logs, and no header value is ever part of a result.
"""

from __future__ import annotations

import socket
import ssl
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

from workspace_otel._guards import safe_read
from workspace_otel._guards.bounded_call import call_within
from workspace_otel._guards.redaction import display_url, scrub

__all__ = [
    "GrpcAnswer",
    "HttpAnswer",
    "ProbeFailure",
    "TlsInfo",
    "call_with_timeout",
    "grpc_export",
    "http_export",
    "lookup_addresses",
    "tcp_connect",
    "tls_handshake",
]

_T = TypeVar("_T")
PROTOBUF = "application/x-protobuf"


class ProbeFailure(Exception):
    """A probe did not succeed.

    Attributes:
        kind: ``dns``, ``refused``, ``unreachable``, ``timeout``, ``tls_verify``,
            ``tls_hostname``, ``tls_protocol``, ``tls``, ``certificate_file``,
            ``connection`` or ``other``.
        detail: Non-secret description.
    """

    def __init__(self, kind: str, detail: str) -> None:
        super().__init__(f"{kind}: {detail}")
        self.kind = kind
        self.detail = detail


def call_with_timeout(fn: Callable[[], _T], timeout: float) -> _T:
    """Run ``fn`` on a daemon thread and wait at most ``timeout`` seconds.

    Raises:
        TimeoutError: ``fn`` did not finish in time (it keeps running, detached).
        BaseException: Whatever ``fn`` raised.
    """
    return call_within(fn, timeout, name="workspace-otel-doctor")


def lookup_addresses(host: str, port: int, timeout: float) -> list[str]:
    """Resolve ``host`` to its addresses (bounded by ``timeout``).

    Raises:
        ProbeFailure: kind ``dns`` or ``timeout``.
    """
    try:
        infos = call_with_timeout(
            lambda: socket.getaddrinfo(host, port, type=socket.SOCK_STREAM), timeout
        )
    except TimeoutError as exc:
        raise ProbeFailure("timeout", f"resolving {host} took longer than {timeout:g} s") from exc
    except socket.gaierror as exc:
        raise ProbeFailure("dns", f"cannot resolve {host}: {exc.strerror or exc}") from exc
    except OSError as exc:
        raise ProbeFailure("dns", f"cannot resolve {host}: {type(exc).__name__}") from exc
    addresses: list[str] = []
    for info in infos:
        address = str(info[4][0])
        if address not in addresses:
            addresses.append(address)
    return addresses


def tcp_connect(addresses: Sequence[str], port: int, timeout: float) -> tuple[str, socket.socket]:
    """Open a TCP connection to the first address that answers.

    Returns:
        The address connected to, and the connected socket (caller closes it).

    Raises:
        ProbeFailure: kind ``refused``, ``timeout`` or ``unreachable``.
    """
    last: ProbeFailure | None = None
    for address in addresses:
        try:
            sock = socket.create_connection((address, port), timeout=timeout)
        except ConnectionRefusedError:
            last = ProbeFailure("refused", f"connection to {address}:{port} refused")
        except TimeoutError:
            last = ProbeFailure("timeout", f"no TCP answer from {address}:{port} in {timeout:g} s")
        except OSError as exc:
            last = ProbeFailure(
                "unreachable", f"cannot connect to {address}:{port}: {exc.strerror or exc}"
            )
        else:
            return address, sock
    raise last or ProbeFailure("unreachable", "no address to connect to")


@dataclass(frozen=True)
class TlsInfo:
    """What the TLS handshake showed."""

    version: str | None
    subject: str | None
    issuer: str | None
    not_after: str | None
    alpn: str | None


def _name(entries: Any) -> str | None:
    if not entries:
        return None
    parts = []
    for rdn in entries:
        for key, value in rdn:
            if key in ("commonName", "organizationName"):
                parts.append(f"{key}={value}")
    return ", ".join(parts) or None


def _check_files(*paths: str | None) -> None:
    """Refuse a certificate path that OpenSSL could block on (a FIFO) or exhaust memory on.

    Raises:
        ProbeFailure: kind ``certificate_file``.
    """
    for path in paths:
        if path:
            try:
                safe_read.check_regular(path)
            except OSError as exc:
                raise ProbeFailure("certificate_file", f"cannot use {path}: {exc}") from exc


def client_context(
    cafile: str | None, certfile: str | None, keyfile: str | None, alpn: Sequence[str]
) -> ssl.SSLContext:
    """Build a verifying client context like the exporters do.

    Raises:
        ProbeFailure: kind ``certificate_file`` when a file cannot be loaded.
    """
    _check_files(cafile, certfile, keyfile)
    try:
        context = ssl.create_default_context(cafile=cafile)
    except (OSError, ssl.SSLError) as exc:
        raise ProbeFailure(
            "certificate_file", f"cannot load CA file {cafile}: {type(exc).__name__}"
        ) from exc
    if certfile:
        try:
            context.load_cert_chain(certfile, keyfile or None)
        except (OSError, ssl.SSLError) as exc:
            raise ProbeFailure(
                "certificate_file",
                f"cannot load client certificate {certfile}: {type(exc).__name__}",
            ) from exc
    if alpn:
        context.set_alpn_protocols(list(alpn))
    return context


def tls_handshake(
    sock: socket.socket,
    host: str,
    timeout: float,
    *,
    cafile: str | None,
    certfile: str | None = None,
    keyfile: str | None = None,
    alpn: Sequence[str] = (),
) -> TlsInfo:
    """Run a verifying TLS handshake on a connected socket (closed afterwards).

    Raises:
        ProbeFailure: kind ``tls_verify``, ``tls_hostname``, ``tls_protocol``,
            ``tls``, ``timeout`` or ``certificate_file``.
    """
    context = client_context(cafile, certfile, keyfile, alpn)
    sock.settimeout(timeout)
    try:
        with context.wrap_socket(sock, server_hostname=host) as tls:
            cert = tls.getpeercert() or {}
            return TlsInfo(
                version=tls.version(),
                subject=_name(cert.get("subject")),
                issuer=_name(cert.get("issuer")),
                not_after=str(cert["notAfter"]) if "notAfter" in cert else None,
                alpn=tls.selected_alpn_protocol(),
            )
    except ssl.SSLCertVerificationError as exc:
        message = str(exc.verify_message or exc.reason or "certificate not trusted")
        kind = "tls_hostname" if "match" in message.lower() else "tls_verify"
        raise ProbeFailure(kind, message) from exc
    except ssl.SSLError as exc:
        reason = str(exc.reason or type(exc).__name__)
        if reason.upper() in ("WRONG_VERSION_NUMBER", "UNKNOWN_PROTOCOL", "RECORD_LAYER_FAILURE"):
            raise ProbeFailure("tls_protocol", f"the server did not answer TLS ({reason})") from exc
        raise ProbeFailure("tls", reason) from exc
    except TimeoutError as exc:
        raise ProbeFailure("timeout", f"TLS handshake took longer than {timeout:g} s") from exc
    except OSError as exc:
        raise ProbeFailure(
            "tls", f"connection closed during TLS handshake ({type(exc).__name__})"
        ) from exc
    finally:
        sock.close()


@dataclass(frozen=True)
class HttpAnswer:
    """The answer to the empty OTLP/HTTP export."""

    status: int
    reason: str
    content_type: str
    body: str
    location: str | None
    retry_after: str | None


def empty_trace_request() -> bytes:
    """Return a serialised, empty ``ExportTraceServiceRequest``."""
    from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import (
        ExportTraceServiceRequest,
    )

    data: bytes = ExportTraceServiceRequest().SerializeToString()
    return data


def http_export(
    url: str,
    headers: Mapping[str, str],
    timeout: float,
    *,
    cafile: str | None,
    certfile: str | None = None,
    keyfile: str | None = None,
) -> HttpAnswer:
    """POST an empty ``ExportTraceServiceRequest`` (protobuf) to ``url``.

    Raises:
        ProbeFailure: The request did not get an HTTP answer.
    """
    import requests

    _check_files(cafile, certfile, keyfile)
    verify: bool | str = cafile if cafile else True
    cert: tuple[str, str] | str | None = None
    if certfile:
        cert = (certfile, keyfile) if keyfile else certfile
    send_headers = {"Content-Type": PROTOBUF, **headers}
    try:
        with requests.Session() as session:
            response = session.post(
                url,
                data=empty_trace_request(),
                headers=send_headers,
                timeout=timeout,
                verify=verify,
                cert=cert,
                allow_redirects=False,
            )
    except requests.exceptions.SSLError as exc:
        raise ProbeFailure("tls", scrub(str(exc))) from exc
    except requests.exceptions.Timeout as exc:
        raise ProbeFailure("timeout", f"no HTTP answer within {timeout:g} s") from exc
    except requests.exceptions.ConnectionError as exc:
        raise ProbeFailure("connection", scrub(str(exc))) from exc
    except (requests.exceptions.RequestException, OSError) as exc:
        raise ProbeFailure("other", type(exc).__name__) from exc
    content_type = response.headers.get("Content-Type", "")
    if content_type.startswith(PROTOBUF):
        from workspace_otel.credentials._rejections import http_reason

        # An error answer is a google.rpc.Status: its message is the server's reason.
        message = http_reason(response.content, content_type) if response.status_code >= 400 else ""
        body = (
            scrub(message, limit=300) if message else f"<{len(response.content)} bytes of protobuf>"
        )
    else:
        body = scrub(response.text or "")
    location = response.headers.get("Location")
    return HttpAnswer(
        status=response.status_code,
        reason=response.reason or "",
        content_type=content_type,
        body=body,
        location=display_url(location) if location else None,
        retry_after=response.headers.get("Retry-After"),
    )


@dataclass(frozen=True)
class GrpcAnswer:
    """The answer to the empty OTLP/gRPC ``Export`` call."""

    code: str
    details: str


def grpc_export(
    target: str,
    metadata: Sequence[tuple[str, str]],
    timeout: float,
    *,
    secure: bool,
    cafile: str | None,
    certfile: str | None = None,
    keyfile: str | None = None,
) -> GrpcAnswer:
    """Call ``TraceService/Export`` with an empty request.

    Args:
        target: ``host:port``.
        metadata: Call metadata, in the order the exporter sends it.
        timeout: Deadline of the call.
        secure: TLS channel (else plaintext).
        cafile: Root certificates for TLS (``None``: the system's).
        certfile: Client certificate for mTLS.
        keyfile: Client key for mTLS.

    Raises:
        ImportError: grpc is not installed.
        ProbeFailure: kind ``certificate_file`` when a file cannot be read.
    """
    import grpc
    from opentelemetry.proto.collector.trace.v1 import trace_service_pb2, trace_service_pb2_grpc

    if secure:
        try:
            root = safe_read.read_bytes(cafile) if cafile else None
            chain = safe_read.read_bytes(certfile) if certfile else None
            key = safe_read.read_bytes(keyfile) if keyfile else None
        except OSError as exc:
            raise ProbeFailure("certificate_file", f"cannot read {exc.filename or exc}") from exc
        credentials = grpc.ssl_channel_credentials(
            root_certificates=root, private_key=key, certificate_chain=chain
        )
        channel = grpc.secure_channel(target, credentials)
    else:
        channel = grpc.insecure_channel(target)
    try:
        stub = trace_service_pb2_grpc.TraceServiceStub(channel)  # type: ignore[no-untyped-call]
        stub.Export(
            trace_service_pb2.ExportTraceServiceRequest(),
            metadata=tuple(metadata),
            timeout=timeout,
        )
    except grpc.RpcError as exc:
        code = exc.code() if hasattr(exc, "code") else None
        details = exc.details() if hasattr(exc, "details") else ""
        return GrpcAnswer(
            code=code.name if code is not None else "UNKNOWN",
            details=scrub(str(details or "")),
        )
    finally:
        channel.close()
    return GrpcAnswer(code="OK", details="")
