"""Loopback peers that record what reaches them: a redirecting server and a proxy.

* :class:`RecordingServer`: a WSGI server on ``127.0.0.1:<port>`` that
  records every request's method, path and headers. ``/redirect/<code>?to=URL``
  answers ``<code>`` with ``Location: URL``; everything else answers 200.
  Two instances are two origins (different ports).
* :class:`RecordingProxy`: a forward proxy on ``127.0.0.1:<port>`` that
  records every byte a client sends it. Plain-http requests (absolute-form
  request line) are answered 200 without contacting anyone; ``CONNECT`` is
  tunnelled to the target, so TLS through the proxy works and the proxy sees
  only the ``CONNECT`` preamble and ciphertext.
* :func:`echo_token_endpoint`: a WSGI OAuth2 token endpoint that answers
  ``invalid_client`` and echoes the credentials it received, in the encodings
  they arrived in (a hostile or careless identity provider).
"""

from __future__ import annotations

import base64
import json
import socket
import ssl
import threading
from typing import TYPE_CHECKING, Any

from tests.harness._serving import LOOPBACK, LoopbackServer

if TYPE_CHECKING:
    from collections.abc import Iterable

    from _typeshed.wsgi import StartResponse, WSGIEnvironment

__all__ = ["RecordingProxy", "RecordingServer", "echo_token_endpoint"]


class RecordingServer:
    """Records each request's headers; answers redirects on ``/redirect/<code>``."""

    def __init__(self, *, ssl_context: ssl.SSLContext | None = None) -> None:
        self.requests: list[tuple[str, str, dict[str, str]]] = []
        self._lock = threading.Lock()
        self._server = LoopbackServer(self._app, ssl_context=ssl_context, name="recording")

    @property
    def base_url(self) -> str:
        """``http(s)://127.0.0.1:<port>``."""
        return self._server.base_url

    @property
    def port(self) -> int:
        """The listening port."""
        return self._server.port

    def _app(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        from urllib.parse import parse_qs

        headers = {
            key[5:].replace("_", "-").lower(): str(value)
            for key, value in environ.items()
            if key.startswith("HTTP_")
        }
        path = str(environ.get("PATH_INFO", ""))
        with self._lock:
            self.requests.append((str(environ["REQUEST_METHOD"]), path, headers))
        length = int(environ.get("CONTENT_LENGTH") or 0)
        if length:
            environ["wsgi.input"].read(length)
        if path.startswith("/redirect/"):
            code = path.split("/")[2]
            target = parse_qs(str(environ.get("QUERY_STRING", ""))).get("to", [""])[0]
            start_response(f"{code} Moved", [("Location", target), ("Content-Length", "0")])
            return [b""]
        start_response("200 OK", [("Content-Type", "text/plain"), ("Content-Length", "2")])
        return [b"ok"]

    def all_header_text(self) -> str:
        """Every recorded header name and value, one per line."""
        with self._lock:
            lines = [
                f"{name}: {value}"
                for _, _, headers in self.requests
                for name, value in headers.items()
            ]
        return "\n".join(lines)

    def stop(self) -> None:
        """Stop serving."""
        self._server.stop()


class RecordingProxy:
    """A forward proxy on loopback that keeps every byte its clients send."""

    def __init__(self) -> None:
        self.received = bytearray()
        self._lock = threading.Lock()
        self._listener = socket.create_server((LOOPBACK, 0))
        self._listener.settimeout(0.05)
        self.port = self._listener.getsockname()[1]
        self._stopping = threading.Event()
        self._threads: list[threading.Thread] = []
        self._accept = threading.Thread(target=self._loop, name="recording-proxy", daemon=True)
        self._accept.start()

    @property
    def url(self) -> str:
        """``http://127.0.0.1:<port>``, for ``HTTP_PROXY`` / ``HTTPS_PROXY``."""
        return f"http://{LOOPBACK}:{self.port}"

    @property
    def text(self) -> str:
        """Everything received so far, decoded leniently."""
        with self._lock:
            return self.received.decode("latin-1")

    def _record(self, data: bytes) -> None:
        with self._lock:
            self.received += data

    def _loop(self) -> None:
        while not self._stopping.is_set():
            try:
                client, _ = self._listener.accept()
            except (TimeoutError, OSError):
                continue
            thread = threading.Thread(target=self._serve, args=(client,), daemon=True)
            self._threads.append(thread)
            thread.start()

    def _read_head(self, client: socket.socket) -> bytes:
        head = b""
        while b"\r\n\r\n" not in head:
            chunk = client.recv(65536)
            if not chunk:
                break
            head += chunk
            self._record(chunk)
        return head

    def _serve(self, client: socket.socket) -> None:
        client.settimeout(5.0)
        with client:
            try:
                head = self._read_head(client)
                line = head.split(b"\r\n", 1)[0].decode("latin-1")
                if line.upper().startswith("CONNECT "):
                    self._tunnel(client, line.split()[1])
                    return
                length = 0
                for header in head.split(b"\r\n"):
                    name, _, value = header.partition(b":")
                    if name.strip().lower() == b"content-length":
                        length = int(value.strip() or 0)
                body = head.partition(b"\r\n\r\n")[2]
                while len(body) < length:
                    chunk = client.recv(65536)
                    if not chunk:
                        break
                    body += chunk
                    self._record(chunk)
                client.sendall(
                    b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok"
                )
            except OSError:
                return

    def _tunnel(self, client: socket.socket, target: str) -> None:
        host, _, port = target.rpartition(":")
        upstream = socket.create_connection((host.strip("[]"), int(port)), timeout=5.0)
        client.sendall(b"HTTP/1.1 200 Connection established\r\n\r\n")
        done = threading.Event()

        def pump(source: socket.socket, sink: socket.socket, record: bool) -> None:
            try:
                while True:
                    data = source.recv(65536)
                    if not data:
                        break
                    if record:
                        self._record(data)
                    sink.sendall(data)
            except OSError:
                pass
            finally:
                done.set()

        back = threading.Thread(target=pump, args=(upstream, client, False), daemon=True)
        back.start()
        pump(client, upstream, True)
        done.wait(5.0)
        upstream.close()
        back.join(5.0)

    def stop(self, *_: Any) -> None:
        """Stop accepting and close the listener."""
        self._stopping.set()
        self._accept.join(5.0)
        self._listener.close()
        for thread in self._threads:
            thread.join(5.0)


def echo_token_endpoint(environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
    """A token endpoint that rejects the client and echoes, encoded, what it received.

    ``/basic``: the Basic header's base64 and its decoded ``id:secret`` pair
    (still percent-encoded); ``/form``: the ``subject_token`` field exactly as
    sent (form-encoded).
    """
    length = int(environ.get("CONTENT_LENGTH") or 0)
    body = environ["wsgi.input"].read(length).decode("latin-1")
    authorization = str(environ.get("HTTP_AUTHORIZATION", ""))
    if environ.get("PATH_INFO") == "/basic":
        encoded = authorization.partition(" ")[2]
        pair = base64.b64decode(encoded).decode("latin-1")
        description = f"unknown client {pair} ({encoded})"
    else:
        fields = dict(part.partition("=")[::2] for part in body.split("&"))
        description = f"bad subject {fields.get('subject_token', '')}"
    answer = {"error": "invalid_client", "error_description": description}
    data = json.dumps(answer).encode()
    start_response("401 Unauthorized", [("Content-Type", "application/json")])
    return [data]
