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
import shutil
import subprocess
import sys
import time
import uuid
from pathlib import Path
from typing import Any

import botocore.session

from ._serving import LOOPBACK
from .openbao import _free_port

__all__ = ["REGION", "ROLE_ARN", "MotoServer"]

REGION = "eu-west-1"
ROLE_ARN = "arn:aws:iam::123456789012:role/otel-lightstep-reader"
ADMIN_KEY_ID = "AKIA" + "HARNESSADMIN0001"
ADMIN_SECRET = "harness-admin-" + "secret-key-not-real"
_START_TIMEOUT = 30.0


def moto_binary() -> str:
    """Return the ``moto_server`` executable next to this interpreter, or on ``PATH``."""
    beside = Path(sys.executable).with_name("moto_server")
    if beside.exists():
        return str(beside)
    found = shutil.which("moto_server")
    if found is None:
        raise RuntimeError("moto_server not found: pip install -e '.[test]' (moto[server])")
    return found


class MotoServer:
    """A moto server with Secrets Manager secrets for the ``aws-secretsmanager`` source.

    Attributes:
        endpoint: ``http://127.0.0.1:<port>`` for ``AWS_ENDPOINT_URL``.
        log_path: the server's own output.
    """

    def __init__(self, *, workdir: Path) -> None:
        self.port = _free_port()
        self.endpoint = f"http://{LOOPBACK}:{self.port}"
        self.log_path = workdir / "moto.log"
        self._workdir = workdir
        self._process: subprocess.Popen[bytes] | None = None
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
        log = self.log_path.open("ab")
        try:
            self._process = subprocess.Popen(
                [moto_binary(), "-H", LOOPBACK, "-p", str(self.port)],
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                env=env,
                cwd=self._workdir,
            )
        finally:
            log.close()
        self._wait_ready()
        for name, value in self._secrets.items():
            self.client("secretsmanager").create_secret(Name=name, SecretString=value)

    def stop(self) -> None:
        """Stop the server (connection refused until :meth:`start`)."""
        process, self._process = self._process, None
        if process is None:
            return
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)

    def _wait_ready(self) -> None:
        deadline = time.monotonic() + _START_TIMEOUT
        while time.monotonic() < deadline:
            if self._process is not None and self._process.poll() is not None:
                raise RuntimeError(f"moto_server exited: {self.log_path.read_text()[-2000:]}")
            try:
                self.client("sts").get_caller_identity()
                return
            except Exception:
                time.sleep(0.1)
        raise RuntimeError(f"moto_server did not start: {self.log_path.read_text()[-2000:]}")

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
