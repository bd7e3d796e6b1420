"""The ``vault`` source against a real OpenBao dev server with JWT auth."""

from __future__ import annotations

import logging
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.credentials.helpers import FakeClock
from tests.credentials.secret_stores.conftest import VaultSetup, identity_jwt, new_key
from tests.harness.openbao import OpenBao
from tests.harness.process import subprocess_env
from tests.harness.token_server import TokenServer
from workspace_otel.credentials import RefreshingTokenCache, VaultSecretSource
from workspace_otel.credentials._file_source import FileTokenSource
from workspace_otel.credentials._from_env import token_source_from_env
from workspace_otel.errors import ConfigurationError, TokenError

SECRET = "secret/otel/lightstep#access_token"


def _source(setup: VaultSetup, **kwargs: object) -> VaultSecretSource:
    source = token_source_from_env()
    assert isinstance(source, VaultSecretSource)
    for name, value in kwargs.items():
        setattr(source, name, value)
    return source


def test_jwt_login_reads_the_field_and_reports_version_and_identity(
    vault_setup: VaultSetup,
) -> None:
    """A JWT login with bound claims reads the KV v2 field; status shows who and which version."""
    source = _source(vault_setup)
    token = source.fetch()
    assert token.value == vault_setup.key
    assert token.kind == "vault"
    assert token.expires_at is None
    status = source.status
    assert status is not None
    current = vault_setup.bao.admin().secrets.kv.v2.read_secret_version(
        path="otel/lightstep", mount_point="secret", raise_on_deleted_version=True
    )
    assert status.version == str(current["data"]["metadata"]["version"])
    assert "sub=repo:acme/shop" in status.identity
    assert status.login == "jwt role otel-reader at auth/jwt"
    assert status.created is not None
    assert vault_setup.key not in repr(source) + source.describe() + repr(status)
    assert source.logins == 1


def test_a_new_version_is_picked_up_within_the_revalidate_interval(
    vault_setup: VaultSetup, clock: FakeClock
) -> None:
    """The cache re-reads after revalidate_interval and serves the new KV version."""
    source = _source(vault_setup)
    source._monotonic = lambda: clock.mono_now
    cache = RefreshingTokenCache(source, clock=clock.clock, background=False)
    assert cache.token().value == vault_setup.key
    rotated = new_key("VaultTwo")
    vault_setup.bao.put_secret(rotated)
    assert cache.token().value == vault_setup.key  # not before the interval
    clock.advance(source.revalidate_interval)
    cache.poll()
    assert cache.token().value == rotated
    assert source.logins == 1  # one login served both reads


def test_the_vault_token_is_renewed_then_replaced_before_its_lease_ends(
    bao: OpenBao, identity_issuer: TokenServer, tmp_path: Path
) -> None:
    """Half the lease gone: renew-self; renewal capped by max TTL: a fresh login."""
    bao.write_role("short-lease", bound_claims={"repository": "acme/shop"})
    bao.admin().write_data(
        "auth/jwt/role/short-lease",
        data={
            "role_type": "jwt",
            "user_claim": "sub",
            "bound_audiences": ["vault"],
            "bound_claims": {"repository": "acme/shop"},
            "token_policies": ["otel-lightstep-read"],
            "token_ttl": 4,
            "token_max_ttl": 6,
        },
    )
    key = new_key("Lease")
    bao.put_secret(key)
    jwt = tmp_path / "jwt"
    jwt.write_text(identity_jwt(identity_issuer))
    source = VaultSecretSource(
        SECRET, role="short-lease", jwt_source=FileTokenSource(jwt), address=bao.address
    )
    assert source.fetch().value == key
    assert (source.logins, source.renewals) == (1, 0)
    # The cache is told to come back before the lease is half gone.
    assert source.revalidate_interval <= 2.0
    time.sleep(2.2)  # a real lease of a few seconds (server-side time)
    assert source.fetch().value == key
    assert (source.logins, source.renewals) == (1, 1)
    time.sleep(2.2)  # now max TTL allows < half a lease: renewal is useless, log in again
    assert source.fetch().value == key
    assert source.logins == 2


def test_a_revoked_vault_token_is_replaced_by_a_new_login(vault_setup: VaultSetup) -> None:
    """403 with a role: log in once more and read again before giving up."""
    source = _source(vault_setup)
    source.fetch()
    assert source._vault_token is not None
    vault_setup.bao.admin().auth.token.revoke(source._vault_token)
    assert source.fetch().value == vault_setup.key
    assert source.logins == 2


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (
            {"WORKSPACE_OTEL_VAULT_ROLE": "no-such-role"},
            "create the role or fix WORKSPACE_OTEL_VAULT_ROLE",
        ),
        ({"WORKSPACE_OTEL_VAULT_ROLE": "other-repo"}, "bound_claims"),
        (
            {"WORKSPACE_OTEL_VAULT_SECRET": "secret/otel/other#access_token"},
            'capabilities = ["read"]',
        ),
        ({"WORKSPACE_OTEL_VAULT_SECRET": "kv1/otel/lightstep#access_token"}, "KV version 1"),
        ({"WORKSPACE_OTEL_VAULT_SECRET": "secret/otel/lightstep#nope"}, "fix the #FIELD part"),
        ({"WORKSPACE_OTEL_VAULT_AUTH_MOUNT": "oidc-missing"}, "WORKSPACE_OTEL_VAULT_AUTH_MOUNT"),
    ],
)
def test_errors_that_need_the_user_are_reported_once_with_the_fix(
    vault_setup: VaultSetup,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
    clock: FakeClock,
    change: dict[str, str],
    expected: str,
) -> None:
    """Role not found, claims not matched, denied path, KV v1, no field: one ERROR with the fix."""
    vault_setup.bao.write_role("other-repo", bound_claims={"repository": "acme/other"})
    vault_setup.bao.put_kv1("otel/lightstep", new_key("KvOne"))
    for name, value in change.items():
        monkeypatch.setenv(name, value)
    source = _source(vault_setup)
    with pytest.raises(TokenError) as info:
        source.fetch()
    assert info.value.needs_user
    assert expected in str(info.value)
    cache = RefreshingTokenCache(source, clock=clock.clock, background=False)
    caplog.set_level(logging.DEBUG, logger="workspace_otel.credentials")
    for _ in range(3):
        with pytest.raises(TokenError):
            cache.token()
        clock.advance(61)
    errors = [r for r in caplog.records if r.levelno == logging.ERROR]
    assert len(errors) == 1, [r.getMessage() for r in errors]
    assert expected in errors[0].getMessage()


def test_vault_token_from_the_environment_or_the_token_file(bao: OpenBao, tmp_path: Path) -> None:
    """Without a role: VAULT_TOKEN, else ~/.vault-token (re-read at each fetch)."""
    key = new_key("OwnToken")
    bao.put_secret(key)
    token = bao.create_token(policies=["otel-lightstep-read"])
    by_env = VaultSecretSource(SECRET, address=bao.address, environ={"VAULT_TOKEN": token})
    assert by_env.fetch().value == key
    assert by_env.status is not None
    assert "otel-lightstep-read" in by_env.status.identity
    helper_file = tmp_path / ".vault-token"
    by_file = VaultSecretSource(SECRET, address=bao.address, environ={}, token_file=helper_file)
    with pytest.raises(TokenError, match="vault login") as info:
        by_file.fetch()
    assert info.value.needs_user
    helper_file.write_text(token + "\n")
    assert by_file.fetch().value == key


def test_revalidate_interval_follows_the_lease(
    bao: OpenBao, vault_setup: VaultSetup, clock: FakeClock
) -> None:
    """The cache is asked back before half the lease is gone, never later than the interval."""
    source = _source(vault_setup)
    source._monotonic = lambda: clock.mono_now
    source.fetch()  # lease 30 s (the harness role)
    assert source.revalidate_interval == pytest.approx(15.0)
    clock.advance(10)
    assert source.revalidate_interval == pytest.approx(5.0)
    clock.advance(10)
    assert source.revalidate_interval == 1.0  # overdue: soon, but not a busy loop


@pytest.mark.parametrize(
    ("env", "variable"),
    [
        ({"WORKSPACE_OTEL_VAULT_SECRET": ""}, "WORKSPACE_OTEL_VAULT_SECRET"),
        ({"WORKSPACE_OTEL_VAULT_SECRET": "secret#field"}, "MOUNT/PATH#FIELD"),
        ({"WORKSPACE_OTEL_VAULT_SECRET": "secret/otel/lightstep"}, "MOUNT/PATH#FIELD"),
        ({"VAULT_ADDR": "http://vault.example.com:8200"}, "VAULT_ADDR"),
        ({"WORKSPACE_OTEL_VAULT_JWT_SOURCE": ""}, "WORKSPACE_OTEL_VAULT_JWT_SOURCE"),
        ({"WORKSPACE_OTEL_VAULT_JWT_SOURCE": "vault"}, "WORKSPACE_OTEL_VAULT_JWT_SOURCE"),
    ],
)
def test_bad_configuration_names_the_variable(
    vault_setup: VaultSetup, monkeypatch: pytest.MonkeyPatch, env: dict[str, str], variable: str
) -> None:
    """Invalid settings raise ConfigurationError at construction, naming the variable."""
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    with pytest.raises(ConfigurationError, match=variable.replace("#", "\\#")):
        token_source_from_env()


def test_never_picked_by_auto(vault_setup: VaultSetup, monkeypatch: pytest.MonkeyPatch) -> None:
    """With every vault variable set, auto still does not choose it."""
    monkeypatch.setenv("WORKSPACE_OTEL_TOKEN_SOURCE", "auto")
    assert token_source_from_env() is None


def test_missing_extra_names_the_pip_line(
    vault_setup: VaultSetup, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Without hvac the first fetch raises ConfigurationError with the install line."""
    source = _source(vault_setup)
    monkeypatch.setitem(sys.modules, "hvac", None)
    with pytest.raises(ConfigurationError, match=r"pip install 'workspace-otel\[vault\]'"):
        source.fetch()


def test_hvac_is_imported_only_at_the_first_fetch(vault_setup: VaultSetup) -> None:
    """Building the source from the environment imports no hvac; fetching does."""
    code = (
        "import sys\n"
        "from workspace_otel.credentials import token_source_from_env, shared_cache\n"
        "source = token_source_from_env()\n"
        "before = 'hvac' in sys.modules\n"
        "shared_cache(source).token(timeout=20)\n"
        "print(before, 'hvac' in sys.modules)\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code],
        env=subprocess_env(**vault_setup.env),
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    assert out.stdout.split() == ["False", "True"]
    assert vault_setup.key not in out.stdout + out.stderr


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs fork")
def test_a_forked_child_gets_its_own_connections_and_keeps_the_vault_token(
    vault_setup: VaultSetup,
) -> None:
    """After fork the child opens new connections, logs in no more, and reads the secret."""
    source = _source(vault_setup)
    source.fetch()
    pid = os.fork()
    if pid == 0:  # the child: report through the exit status only
        ok = source._client is None and source._vault_token is not None
        ok = ok and source.fetch().value == vault_setup.key and source.logins == 1
        os._exit(0 if ok else 1)
    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0
    assert source.fetch().value == vault_setup.key
