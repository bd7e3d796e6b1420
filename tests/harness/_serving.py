"""Shared plumbing: a threaded WSGI server on 127.0.0.1 that stops cleanly.

Every HTTP stand-in of the harness (token server, OTLP/HTTP receiver, Actions
OIDC server, GCE metadata server) runs on :class:`LoopbackServer`:

* binds ``127.0.0.1:0`` (a free port chosen by the kernel) at construction;
* one thread per connection (werkzeug's dev server always answers with
  ``Connection: close``, so no idle keep-alive threads linger);
* optional TLS, with the handshake done in the connection thread so a silent
  client cannot block ``accept``;
* no request logging at all (the werkzeug access log would otherwise land in
  tests' ``caplog`` at INFO);
* :meth:`LoopbackServer.stop` sets :attr:`LoopbackServer.stopping` (handlers
  that deliberately stall wait on it), stops the accept loop, closes the
  listening socket and joins the connection threads, so no thread or port
  outlives the test;
* :meth:`LoopbackServer.suspend` / :meth:`LoopbackServer.resume` take the
  listening socket down and bring it back on the same port ("server down for a
  while" fault tests).
"""

from __future__ import annotations

import socket
import ssl
import sys
import threading
from typing import TYPE_CHECKING, Any

from werkzeug.serving import ThreadedWSGIServer, WSGIRequestHandler

if TYPE_CHECKING:
    from _typeshed.wsgi import WSGIApplication

__all__ = ["LOOPBACK", "LoopbackServer", "port_is_refused"]

LOOPBACK = "127.0.0.1"

# Upper bound for joining connection threads in stop(); handlers that stall
# wait on ``stopping`` so in practice they return at once.
_JOIN_TIMEOUT = 5.0
# How long a connection may stay silent before its thread gives up.
_CONNECTION_TIMEOUT = 15.0


class _QuietHandler(WSGIRequestHandler):
    """Request handler that never logs (access lines would reach caplog)."""

    timeout = _CONNECTION_TIMEOUT

    def log(self, type: str, message: str, *args: Any) -> None:
        """Drop werkzeug's per-request log lines."""


class _Server(ThreadedWSGIServer):
    """Werkzeug's threaded server, with connection threads tracked and joined."""

    def __init__(self, port: int, app: WSGIApplication) -> None:
        self._workers: set[threading.Thread] = set()
        self._workers_lock = threading.Lock()
        super().__init__(LOOPBACK, port, app, handler=_QuietHandler)

    def log(self, type: str, message: str, *args: Any) -> None:
        """Send server-level errors (app exceptions) to stderr, not logging."""
        if type == "error":
            print(message % args if args else message, file=sys.stderr)

    def process_request(self, request: Any, client_address: Any) -> None:
        """Handle each connection in a tracked daemon thread."""
        thread = threading.Thread(
            target=self._work,
            args=(request, client_address),
            name=f"harness-http-{self.port}",
            daemon=True,
        )
        with self._workers_lock:
            self._workers.add(thread)
        thread.start()

    def _work(self, request: Any, client_address: Any) -> None:
        try:
            self.process_request_thread(request, client_address)
        finally:
            with self._workers_lock:
                self._workers.discard(threading.current_thread())

    def handle_error(self, request: Any, client_address: Any) -> None:
        """Ignore errors of connections the client dropped; print the rest."""
        exc = sys.exc_info()[1]
        if isinstance(exc, (ConnectionError, TimeoutError, ssl.SSLError)):
            return
        super().handle_error(request, client_address)

    def join_workers(self, timeout: float) -> None:
        """Wait for the connection threads (bounded)."""
        with self._workers_lock:
            workers = list(self._workers)
        for worker in workers:
            worker.join(timeout)


class LoopbackServer:
    """A WSGI application served on ``127.0.0.1:<free port>`` in background threads.

    Args:
        app: The WSGI application.
        ssl_context: A server-side TLS context, or ``None`` for plain HTTP.
        name: A short name used for the accept-loop thread.
    """

    def __init__(
        self,
        app: WSGIApplication,
        *,
        ssl_context: ssl.SSLContext | None = None,
        name: str = "harness",
    ) -> None:
        self._app = app
        self._ssl_context = ssl_context
        self._name = name
        self._lock = threading.Lock()
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None
        self.stopping = threading.Event()
        self.port = 0
        self._closed = False
        self._start(0)

    @property
    def scheme(self) -> str:
        """``https`` when serving TLS, else ``http``."""
        return "http" if self._ssl_context is None else "https"

    @property
    def base_url(self) -> str:
        """``http(s)://127.0.0.1:<port>`` (no trailing slash)."""
        return f"{self.scheme}://{LOOPBACK}:{self.port}"

    @property
    def running(self) -> bool:
        """Whether the listening socket is open."""
        return self._server is not None

    def _start(self, port: int) -> None:
        server = _Server(port, self._app)
        if self._ssl_context is not None:
            server.socket = self._ssl_context.wrap_socket(
                server.socket, server_side=True, do_handshake_on_connect=False
            )
            server.ssl_context = self._ssl_context
        self.port = server.port
        thread = threading.Thread(
            target=server.serve_forever,
            kwargs={"poll_interval": 0.01},
            name=f"{self._name}-{self.port}",
            daemon=True,
        )
        self._server, self._thread = server, thread
        thread.start()

    def _halt(self) -> None:
        server, thread = self._server, self._thread
        self._server = self._thread = None
        if server is None or thread is None:
            return
        self.stopping.set()
        server.shutdown()
        thread.join(_JOIN_TIMEOUT)
        server.server_close()
        server.join_workers(_JOIN_TIMEOUT)

    def suspend(self) -> None:
        """Close the listening socket but keep the port for :meth:`resume`.

        While suspended, connections are refused (the port is free).
        """
        with self._lock:
            self._halt()

    def resume(self) -> None:
        """Listen again on the same port after :meth:`suspend`."""
        with self._lock:
            if self._closed:
                raise RuntimeError("server was stopped")
            if self._server is None:
                self.stopping.clear()
                self._start(self.port)

    def stop(self) -> None:
        """Stop serving, release the port and join all threads (idempotent)."""
        with self._lock:
            self._closed = True
            self._halt()


def port_is_refused(port: int) -> bool:
    """Return whether connecting to ``127.0.0.1:port`` is refused right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.settimeout(1.0)
        try:
            sock.connect((LOOPBACK, port))
        except ConnectionRefusedError:
            return True
        except OSError:
            return False
        return False
