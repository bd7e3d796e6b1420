"""Real secret stores for the ``vault`` and ``aws-secretsmanager`` tests.

One Authlib token server (the workspace identity issuer), one OpenBao dev
server trusting its JWKS, and one moto server per test session; each test
gets its own secret values (canary-shaped, so a leak is searchable) and a
JWT file the sources log in with.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.harness.moto_server import REGION, ROLE_ARN, MotoServer
from tests.harness.openbao import AUDIENCE, REPOSITORY, OpenBao
from tests.harness.token_server import TokenServer

SECRET_ID = "otel/lightstep"


def record_figures(
    tmp_path_factory: pytest.TempPathFactory, section: str, values: dict[str, Any]
) -> None:
    """Merge one section into ``secret-store-figures.json`` in pytest's base temporary folder."""
    path = Path(tmp_path_factory.getbasetemp()) / "secret-store-figures.json"
    data = json.loads(path.read_text()) if path.exists() else {}
    data[section] = values
    path.write_text(json.dumps(data, indent=2, sort_keys=True))


def new_key(label: str) -> str:
    """A fresh, recognisable, secret-looking Lightstep key."""
    return f"LsKey{label}{uuid.uuid4().hex}"


@pytest.fixture(scope="session")
def identity_issuer() -> Iterator[TokenServer]:
    with TokenServer(lifetime=600) as server:
        yield server


@pytest.fixture(scope="session")
def bao(
    identity_issuer: TokenServer, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[OpenBao]:
    with OpenBao(
        identity_issuer.jwks_url,
        identity_issuer.issuer,
        token_ttl=30,
        token_max_ttl=600,
        workdir=tmp_path_factory.mktemp("openbao"),
    ) as server:
        yield server


@pytest.fixture(scope="session")
def moto(tmp_path_factory: pytest.TempPathFactory) -> Iterator[MotoServer]:
    with MotoServer(workdir=tmp_path_factory.mktemp("moto")) as server:
        yield server


def identity_jwt(issuer: TokenServer, *, repository: str = REPOSITORY, aud: str = AUDIENCE) -> str:
    """A workspace identity token as a platform would mint it for this repository."""
    return issuer.mint(
        sub=f"repo:{repository}",
        aud=aud,
        lifetime=600,
        extra_claims={"repository": repository},
    )


@pytest.fixture
def jwt_file(identity_issuer: TokenServer, tmp_path: Path) -> Path:
    path = tmp_path / "identity.jwt"
    path.write_text(identity_jwt(identity_issuer))
    path.chmod(0o600)
    return path


@dataclass
class VaultSetup:
    """A fresh secret in OpenBao and the variables that point the source at it."""

    bao: OpenBao
    key: str
    env: dict[str, str]


@pytest.fixture
def vault_setup(bao: OpenBao, jwt_file: Path, monkeypatch: pytest.MonkeyPatch) -> VaultSetup:
    key = new_key("VaultOne")
    bao.put_secret(key)
    env = {
        "WORKSPACE_OTEL_TOKEN_SOURCE": "vault",
        "WORKSPACE_OTEL_VAULT_SECRET": "secret/otel/lightstep#access_token",
        "WORKSPACE_OTEL_VAULT_ROLE": "otel-reader",
        "WORKSPACE_OTEL_VAULT_JWT_SOURCE": f"file:{jwt_file}",
        "VAULT_ADDR": bao.address,
    }
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    return VaultSetup(bao, key, env)


@dataclass
class AwsSetup:
    """A fresh secret in moto and the variables that point the source at it."""

    moto: MotoServer
    secret_id: str
    key: str
    env: dict[str, str]


@pytest.fixture
def aws_setup(moto: MotoServer, jwt_file: Path, monkeypatch: pytest.MonkeyPatch) -> AwsSetup:
    key = new_key("AwsOne")
    secret_id = f"{SECRET_ID}/{uuid.uuid4().hex[:8]}"
    moto.create_secret(secret_id, json.dumps({"access_token": key, "note": "lightstep"}))
    env = {
        "WORKSPACE_OTEL_TOKEN_SOURCE": "aws-secretsmanager",
        "WORKSPACE_OTEL_AWS_SECRET_ID": secret_id,
        "WORKSPACE_OTEL_AWS_SECRET_FIELD": "access_token",
        "WORKSPACE_OTEL_AWS_ROLE_ARN": ROLE_ARN,
        "WORKSPACE_OTEL_AWS_WEB_IDENTITY_SOURCE": f"file:{jwt_file}",
        "AWS_REGION": REGION,
        "AWS_ENDPOINT_URL": moto.endpoint,
        # No ambient credentials: only the assumed role may work.
        "AWS_CONFIG_FILE": "/nonexistent/aws-config",
        "AWS_SHARED_CREDENTIALS_FILE": "/nonexistent/aws-credentials",
        "AWS_EC2_METADATA_DISABLED": "true",
    }
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    return AwsSetup(moto, secret_id, key, env)
