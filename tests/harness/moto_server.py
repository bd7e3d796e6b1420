"""moto's standalone server on loopback, for STS and Secrets Manager.

:class:`MotoServer` runs ``moto_server`` (from ``moto[server]``, installed by
the ``test`` extra) on ``127.0.0.1`` and talks to it with botocore to set up
and rotate secrets. It answers ``AssumeRoleWithWebIdentity`` with temporary
credentials (moto does not validate the web identity token) and implements
``GetSecretValue``, ``PutSecretValue`` and ``UpdateSecretVersionStage`` with
real version stages.

:meth:`stop` / :meth:`start` end and restart the server on the same port;
moto keeps its state in memory, so :meth:`start` creates the secrets again
with their current values.
"""

from __future__ import annotations

import os
import uuid
from pathlib import Path
from typing import Any

import botocore.session

from ._serving import LOOPBACK
from .process import free_port
from .server_process import ServerProcess, executable

__all__ = ["REGION", "ROLE_ARN", "MotoServer"]

REGION = "eu-west-1"
ROLE_ARN = "arn:aws:iam::123456789012:role/otel-lightstep-reader"
ADMIN_KEY_ID = "AKIA" + "HARNESSADMIN0001"
ADMIN_SECRET = "harness-admin-" + "secret-key-not-real"


def moto_binary() -> str:
    """Return the ``moto_server`` executable next to this interpreter, or on ``PATH``."""
    return executable("moto_server", "pip install -e '.[test]' (moto[server])")


class MotoServer:
    """A moto server with Secrets Manager secrets for the ``aws-secretsmanager`` source.

    Attributes:
        endpoint: ``http://127.0.0.1:<port>`` for ``AWS_ENDPOINT_URL``.
        log_path: the server's own output.
    """

    def __init__(self, *, workdir: Path) -> None:
        self.port = free_port()
        self.endpoint = f"http://{LOOPBACK}:{self.port}"
        self.log_path = workdir / "moto.log"
        self._server = ServerProcess("moto_server", self.log_path, workdir)
        self._secrets: dict[str, str] = {}
        self.start()

    def __enter__(self) -> MotoServer:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    def __repr__(self) -> str:
        return f"MotoServer(endpoint={self.endpoint!r})"

    def start(self) -> None:
        """Start the server on :attr:`port` and create the known secrets again."""
        env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
        self._server.start(
            [moto_binary(), "-H", LOOPBACK, "-p", str(self.port)],
            env,
            lambda: self.client("sts").get_caller_identity(),
            interval=0.1,
        )
        for name, value in self._secrets.items():
            self.client("secretsmanager").create_secret(Name=name, SecretString=value)

    def stop(self) -> None:
        """Stop the server (connection refused until :meth:`start`)."""
        self._server.stop()

    def client(self, service: str) -> Any:
        """A botocore client for ``service`` on this server, with the admin keys."""
        from botocore.config import Config

        return botocore.session.Session().create_client(
            service,
            region_name=REGION,
            endpoint_url=self.endpoint,
            aws_access_key_id=ADMIN_KEY_ID,
            aws_secret_access_key=ADMIN_SECRET,
            config=Config(retries={"max_attempts": 1}, connect_timeout=2, read_timeout=5),
        )

    def create_secret(self, name: str, value: str) -> str:
        """Create a secret; return its version id."""
        self._secrets[name] = value
        return str(
            self.client("secretsmanager").create_secret(Name=name, SecretString=value)["VersionId"]
        )

    def put_value(self, name: str, value: str) -> str:
        """``PutSecretValue``: the new version becomes ``AWSCURRENT`` at once."""
        self._secrets[name] = value
        return str(
            self.client("secretsmanager").put_secret_value(SecretId=name, SecretString=value)[
                "VersionId"
            ]
        )

    def rotate_by_stages(self, name: str, value: str) -> str:
        """Rotate as a rotation function does: stage ``AWSPENDING``, then move ``AWSCURRENT``."""
        client = self.client("secretsmanager")
        current = client.describe_secret(SecretId=name)["VersionIdsToStages"]
        old = next(v for v, stages in current.items() if "AWSCURRENT" in stages)
        new = str(uuid.uuid4())
        client.put_secret_value(
            SecretId=name, ClientRequestToken=new, SecretString=value, VersionStages=["AWSPENDING"]
        )
        client.update_secret_version_stage(
            SecretId=name, VersionStage="AWSCURRENT", MoveToVersionId=new, RemoveFromVersionId=old
        )
        self._secrets[name] = value
        return new
