"""GCE metadata-server stand-in for identity tokens (platforms.md section 6).

:class:`GceMetadataServer` answers

* ``GET /computeMetadata/v1/instance/service-accounts/default/identity?audience=A[&format=full]``
  with header ``Metadata-Flavor: Google`` -> the raw JWT as ``text/html``
  (that is what GCE sends), with response header ``Metadata-Flavor: Google``;
  ``format=full`` adds the ``google.compute_engine`` claim;
* ``GET /`` (the ping google-auth does) and a few plain values:
  ``project/project-id``, ``project/numeric-project-id``, ``instance/id``,
  ``instance/zone``, ``instance/service-accounts/default/email``.

Errors like the real server: missing or wrong ``Metadata-Flavor`` -> 403,
missing/empty ``audience`` -> 400, unknown path -> 404, non-GET -> 405.

Tokens are minted by the given ``TokenServer`` (so its JWKS validates them)
with ``iss`` = ``issuer`` (default: the token server's issuer; a custom issuer
such as ``https://accounts.google.com`` is trusted on the token server for
token exchange), ``sub``/``azp`` the service account's numeric id, ``email``,
``email_verified`` and a 1-hour lifetime by default.

Faults (``fail_mode``): ``"500"``, ``"stall"`` (held ``stall_seconds``, ended by
:meth:`GceMetadataServer.stop`), ``"garbage"`` (200 with a non-JWT body).
Clients point at it with ``GCE_METADATA_HOST`` (see :attr:`GceMetadataServer.environ`).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal
from urllib.parse import quote

from werkzeug.wrappers import Request, Response

from ._serving import LoopbackServer

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIEnvironment

    from .token_server import TokenServer

__all__ = ["GceMetadataServer", "MetadataRequest"]

MetadataFailMode = Literal["500", "stall", "garbage"]

IDENTITY_PATH = "/computeMetadata/v1/instance/service-accounts/default/identity"


@dataclass(frozen=True)
class MetadataRequest:
    """One request to the metadata stand-in.

    Attributes:
        path: Request path.
        audience: ``audience`` query parameter, if any.
        format: ``format`` query parameter, if any.
        flavor_ok: Whether ``Metadata-Flavor: Google`` was sent.
        status: HTTP status answered.
        at: Wall-clock arrival time.
    """

    path: str
    audience: str | None
    format: str | None
    flavor_ok: bool
    status: int
    at: float


class GceMetadataServer:
    """GCE metadata identity endpoint on loopback (starts at construction).

    Args:
        token_server: Signs the tokens.
        issuer: ``iss`` of minted tokens (default: the token server's).
        lifetime: Token lifetime in seconds.
        email: Service-account email.
        project_id: Value of ``project/project-id``.
        stall_seconds: Hold time of the ``"stall"`` fault.

    Attributes:
        host: ``127.0.0.1:<port>`` (``GCE_METADATA_HOST``).
        base_url: ``http://127.0.0.1:<port>``.
        lifetime: Settable token lifetime.
        fail_mode: Current fault or ``None``.
        requests: One :class:`MetadataRequest` per request.
    """

    SERVICE_ACCOUNT_ID = "104857372958391728373"

    def __init__(
        self,
        token_server: TokenServer,
        *,
        issuer: str | None = None,
        lifetime: float = 3600.0,
        email: str = "workstation@example-project.iam.gserviceaccount.com",
        project_id: str = "example-project",
        stall_seconds: float = 10.0,
    ) -> None:
        self.token_server = token_server
        self.issuer = token_server.issuer if issuer is None else issuer
        if self.issuer != token_server.issuer:
            token_server.trust_issuer(self.issuer)
        self.lifetime = lifetime
        self.email = email
        self.project_id = project_id
        self.stall_seconds = stall_seconds
        self.fail_mode: MetadataFailMode | None = None
        self.requests: list[MetadataRequest] = []
        self._lock = threading.Lock()
        self._server = LoopbackServer(self._wsgi, name="gce-metadata")
        self.base_url = self._server.base_url
        self.host = f"127.0.0.1:{self._server.port}"

    def __enter__(self) -> GceMetadataServer:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    def __repr__(self) -> str:
        return f"GceMetadataServer(base_url={self.base_url!r}, issuer={self.issuer!r})"

    def stop(self) -> None:
        """Stop serving and release the port (idempotent)."""
        self._server.stop()

    @property
    def environ(self) -> dict[str, str]:
        """Variables google-auth style clients use to find the server."""
        return {"GCE_METADATA_HOST": self.host, "GCE_METADATA_IP": self.host}

    def identity_url(self, audience: str, *, full: bool = True) -> str:
        """Return the identity URL for ``audience``."""
        query = f"audience={quote(audience, safe='')}" + ("&format=full" if full else "")
        return f"{self.base_url}{IDENTITY_PATH}?{query}"

    @property
    def identity_requests(self) -> int:
        """Number of identity requests so far (any outcome)."""
        with self._lock:
            return sum(1 for r in self.requests if r.path == IDENTITY_PATH)

    def _wsgi(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        request = Request(environ)
        response = self._handle(request)
        response.headers["Metadata-Flavor"] = "Google"
        return response(environ, start_response)

    def _handle(self, request: Request) -> Response:
        arrived = time.time()
        flavor_ok = request.headers.get("Metadata-Flavor") == "Google"
        response = self._answer(request, flavor_ok)
        with self._lock:
            self.requests.append(
                MetadataRequest(
                    request.path,
                    request.args.get("audience"),
                    request.args.get("format"),
                    flavor_ok,
                    response.status_code,
                    arrived,
                )
            )
        return response

    def _answer(self, request: Request, flavor_ok: bool) -> Response:
        if request.method != "GET":
            return _text("Method not allowed", 405)
        plain = {
            "/": "computeMetadata/\n",
            "/computeMetadata/v1/project/project-id": self.project_id,
            "/computeMetadata/v1/project/numeric-project-id": "123456789012",
            "/computeMetadata/v1/instance/id": "4520031799277581759",
            "/computeMetadata/v1/instance/zone": "projects/123456789012/zones/us-central1-a",
            "/computeMetadata/v1/instance/service-accounts/default/email": self.email,
        }
        if request.path not in plain and request.path != IDENTITY_PATH:
            return _text("Not Found", 404)
        if not flavor_ok:
            return _text("Missing required header: Metadata-Flavor", 403)
        if request.path != IDENTITY_PATH:
            return _text(plain[request.path], 200)
        audience = request.args.get("audience", "")
        if not audience:
            return _text("non-empty audience parameter required", 400)
        mode = self.fail_mode
        if mode == "stall" and self._server.stopping.wait(self.stall_seconds):
            return _text("shutting down", 503)
        if mode == "500":
            return _text("Internal Server Error", 500)
        if mode == "garbage":
            return _text("<!DOCTYPE html><html>captive portal</html>", 200)
        extra: dict[str, object] = {
            "azp": self.SERVICE_ACCOUNT_ID,
            "email": self.email,
            "email_verified": True,
        }
        if request.args.get("format") == "full":
            extra["google"] = {
                "compute_engine": {
                    "instance_creation_timestamp": 1700000000,
                    "instance_id": "4520031799277581759",
                    "instance_name": "workstation-1",
                    "project_id": self.project_id,
                    "project_number": 123456789012,
                    "zone": "us-central1-a",
                }
            }
        token = self.token_server.mint(
            self.SERVICE_ACCOUNT_ID, audience, self.lifetime, extra, issuer=self.issuer
        )
        return Response(token, status=200, mimetype="text/html")


def _text(body: str, status: int) -> Response:
    return Response(body, status=status, mimetype="text/html")
