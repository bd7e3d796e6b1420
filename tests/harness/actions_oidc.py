"""GitHub Actions OIDC token-request endpoint on loopback (platforms.md 9.1).

Protocol (actions/toolkit ``oidc-utils``): the job gets
``ACTIONS_ID_TOKEN_REQUEST_URL`` (already carrying a query string) and
``ACTIONS_ID_TOKEN_REQUEST_TOKEN``; a client sends
``GET <url>&audience=<aud>`` with ``Authorization: Bearer <request token>``
and reads ``value`` from the JSON answer ``{"count": <len>, "value": <jwt>}``.

:class:`ActionsOidcServer` serves exactly that path. A wrong or missing
request token answers 401; another path 404; another method 405. Tokens are
minted by the given ``TokenServer`` (its key, so its JWKS validates them) with
``iss`` = ``issuer`` (default: the token server's issuer; a custom issuer such
as ``https://token.actions.githubusercontent.com`` is registered as trusted on
the token server for token exchange, and validators must then be given that
issuer and the token server's JWKS URL), ``aud`` = the requested audience or
the repository owner URL, a 5-minute lifetime by default, the ``repo:...``
``sub`` and the usual custom claims.

Faults (``fail_mode``): ``"500"``, ``"stall"`` (held ``stall_seconds``, ended by
:meth:`ActionsOidcServer.stop`), ``"garbage"`` (non-JSON 200), ``"no_value"``
(JSON without ``value``).
"""

from __future__ import annotations

import json
import secrets
import threading
import time
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

from werkzeug.wrappers import Request, Response

from ._serving import LoopbackServer

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIEnvironment

    from .token_server import TokenServer

__all__ = ["ActionsOidcServer", "ActionsTokenRequest"]

ActionsFailMode = Literal["500", "stall", "garbage", "no_value"]


@dataclass(frozen=True)
class ActionsTokenRequest:
    """One request to the Actions endpoint (no secrets).

    Attributes:
        audience: ``audience`` query parameter, if any.
        authorized: Whether the request token matched.
        status: HTTP status answered.
        at: Wall-clock arrival time.
    """

    audience: str | None
    authorized: bool
    status: int
    at: float


class ActionsOidcServer:
    """Stand-in for the Actions ID-token endpoint (starts at construction).

    Args:
        token_server: Signs the tokens.
        request_token: Expected bearer request token (random by default).
        issuer: ``iss`` of minted tokens (default: the token server's).
        lifetime: Token lifetime in seconds (GitHub: 300).
        repository: ``OWNER/REPO`` used for ``sub`` and claims.
        ref: Git ref used for ``sub`` and claims.
        stall_seconds: Hold time of the ``"stall"`` fault.

    Attributes:
        request_url: ``ACTIONS_ID_TOKEN_REQUEST_URL`` value (has a query string).
        request_token: ``ACTIONS_ID_TOKEN_REQUEST_TOKEN`` value.
        issuer: ``iss`` of minted tokens.
        lifetime: Settable token lifetime.
        fail_mode: Current fault or ``None``.
        requests: One :class:`ActionsTokenRequest` per request.
    """

    PATH = (
        "/00000000-0000-0000-0000-000000000000/_apis/distributedtask/hubs/Actions"
        "/plans/7c1f0e9a-58a1-4b37-9a52-2d4c1a6f0b11/jobs/3d8f2a64-6b0e-5c2d-8e4f-0a1b2c3d4e5f"
        "/idtoken"
    )

    def __init__(
        self,
        token_server: TokenServer,
        *,
        request_token: str | None = None,
        issuer: str | None = None,
        lifetime: float = 300.0,
        repository: str = "octo-org/octo-repo",
        ref: str = "refs/heads/main",
        stall_seconds: float = 10.0,
    ) -> None:
        self.token_server = token_server
        self.request_token = request_token or secrets.token_urlsafe(32)
        self.issuer = token_server.issuer if issuer is None else issuer
        if self.issuer != token_server.issuer:
            token_server.trust_issuer(self.issuer)
        self.lifetime = lifetime
        self.repository = repository
        self.ref = ref
        self.stall_seconds = stall_seconds
        self.fail_mode: ActionsFailMode | None = None
        self.requests: list[ActionsTokenRequest] = []
        self._lock = threading.Lock()
        self._server = LoopbackServer(self._wsgi, name="actions-oidc")
        self.request_url = f"{self._server.base_url}{self.PATH}?api-version=2.0"

    def __enter__(self) -> ActionsOidcServer:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    def __repr__(self) -> str:
        return f"ActionsOidcServer(request_url={self.request_url!r}, issuer={self.issuer!r})"

    def stop(self) -> None:
        """Stop serving and release the port (idempotent)."""
        self._server.stop()

    @property
    def environ(self) -> dict[str, str]:
        """The two variables a job with ``id-token: write`` gets (plus the marker)."""
        return {
            "GITHUB_ACTIONS": "true",
            "ACTIONS_ID_TOKEN_REQUEST_URL": self.request_url,
            "ACTIONS_ID_TOKEN_REQUEST_TOKEN": self.request_token,
        }

    @property
    def default_audience(self) -> str:
        """``aud`` when no audience is requested: the repository owner URL."""
        return f"https://github.com/{self.repository.split('/')[0]}"

    @property
    def request_count(self) -> int:
        """Number of requests so far."""
        with self._lock:
            return len(self.requests)

    def claims(self) -> dict[str, object]:
        """Return the custom claims GitHub puts in an Actions ID token."""
        owner = self.repository.split("/")[0]
        ref_type = "tag" if self.ref.startswith("refs/tags/") else "branch"
        return {
            "ref": self.ref,
            "ref_type": ref_type,
            "sha": "0123456789abcdef0123456789abcdef01234567",
            "repository": self.repository,
            "repository_id": "123456789",
            "repository_owner": owner,
            "repository_owner_id": "987654",
            "repository_visibility": "private",
            "run_id": "1658821493",
            "run_number": "7",
            "run_attempt": "1",
            "actor": "octocat",
            "actor_id": "583231",
            "workflow": "CI",
            "workflow_ref": f"{self.repository}/.github/workflows/ci.yml@{self.ref}",
            "event_name": "push",
            "job_workflow_ref": f"{self.repository}/.github/workflows/ci.yml@{self.ref}",
            "runner_environment": "github-hosted",
        }

    def _wsgi(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        request = Request(environ)
        response = self._handle(request)
        return response(environ, start_response)

    def _handle(self, request: Request) -> Response:
        if request.path != self.PATH:
            return Response("not found", status=404, mimetype="text/plain")
        if request.method != "GET":
            return Response("method not allowed", status=405, headers={"Allow": "GET"})
        arrived = time.time()
        audience = request.args.get("audience") or None
        presented = request.headers.get("Authorization", "")
        authorized = secrets.compare_digest(
            presented.encode(), f"Bearer {self.request_token}".encode()
        )
        response = self._answer(authorized, audience)
        with self._lock:
            self.requests.append(
                ActionsTokenRequest(audience, authorized, response.status_code, arrived)
            )
        return response

    def _answer(self, authorized: bool, audience: str | None) -> Response:
        if not authorized:
            return _json({"message": "Bad credentials"}, 401)
        mode = self.fail_mode
        if mode == "stall" and self._server.stopping.wait(self.stall_seconds):
            return Response("shutting down", status=503, mimetype="text/plain")
        if mode == "500":
            return Response("internal server error", status=500, mimetype="text/plain")
        if mode == "garbage":
            return Response("<html>unicorn</html>", status=200, mimetype="text/html")
        if mode == "no_value":
            return _json({"count": 0}, 200)
        sub = f"repo:{self.repository}:ref:{self.ref}"
        token = self.token_server.mint(
            sub,
            audience or self.default_audience,
            self.lifetime,
            {**self.claims(), "jti": str(uuid.uuid4())},
            issuer=self.issuer,
        )
        return _json({"count": len(token), "value": token}, 200)


def _json(body: object, status: int) -> Response:
    return Response(json.dumps(body), status=status, mimetype="application/json")
