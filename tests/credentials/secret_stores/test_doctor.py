"""``workspace-otel doctor`` with a secret store: who logged in, which secret, version and age."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.credentials.secret_stores.conftest import AwsSetup, VaultSetup
from tests.harness.process import subprocess_env


def _doctor(env: dict[str, str], cwd: Path) -> tuple[dict[str, object], str]:
    result = subprocess.run(
        [sys.executable, "-m", "workspace_otel", "doctor", "--json"],
        env=subprocess_env(**env),
        capture_output=True,
        text=True,
        timeout=120,
        cwd=cwd,
    )
    report = json.loads(result.stdout)
    token_check = next(c for c in report["checks"] if c["id"] == "token")
    return token_check, result.stdout + result.stderr


@pytest.mark.parametrize("store", ["vault", "aws-secretsmanager"])
def test_doctor_shows_identity_path_version_and_age_never_the_value(
    store: str, request: pytest.FixtureRequest, tmp_path: Path
) -> None:
    """The token check passes and names the identity, the secret and its version."""
    setup: VaultSetup | AwsSetup = request.getfixturevalue(
        "vault_setup" if store == "vault" else "aws_setup"
    )
    check, output = _doctor(setup.env, tmp_path)
    evidence = check["evidence"]
    assert isinstance(evidence, dict)
    assert "sub=repo:acme/shop" in evidence["identity"]
    assert evidence["secret version"]
    assert "days ago" in evidence["secret written"]
    if store == "vault":
        assert evidence["login"] == "jwt role otel-reader at auth/jwt"
        assert evidence["secret"].startswith("secret/otel/lightstep#access_token")
    else:
        assert "assumed role" in evidence["login"]
        assert "#access_token" in evidence["secret"]
    assert setup.key not in output


def test_doctor_reports_a_denied_path_with_the_policy_fix(
    vault_setup: VaultSetup, tmp_path: Path
) -> None:
    """Permission denied on the path: the check fails with the policy line to add."""
    env = {**vault_setup.env, "WORKSPACE_OTEL_VAULT_SECRET": "secret/otel/other#access_token"}
    check, _ = _doctor(env, tmp_path)
    assert check["verdict"] == "fail"
    assert 'capabilities = ["read"]' in str(check["summary"])
