"""The ``aws-secretsmanager`` source against a real moto server (STS and Secrets Manager)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.credentials.helpers import FakeClock
from tests.credentials.secret_stores.conftest import AwsSetup, new_key
from tests.harness.egress_peers import RecordingProxy
from tests.harness.process import subprocess_env
from workspace_otel.credentials import AwsSecretsManagerSource, RefreshingTokenCache
from workspace_otel.credentials._from_env import token_source_from_env
from workspace_otel.errors import ConfigurationError, TokenError


def _source() -> AwsSecretsManagerSource:
    source = token_source_from_env()
    assert isinstance(source, AwsSecretsManagerSource)
    return source


def test_assumed_role_reads_the_json_field_and_reports_identity(aws_setup: AwsSetup) -> None:
    """AssumeRoleWithWebIdentity, then GetSecretValue(AWSCURRENT) and one JSON field."""
    source = _source()
    token = source.fetch()
    assert token.value == aws_setup.key
    assert token.kind == "aws-secretsmanager"
    assert source.assumptions == 1
    status = source.status
    assert status is not None
    assert "assumed-role/otel-lightstep-reader/workspace-otel" in status.identity
    assert "sub=repo:acme/shop" in status.identity
    described = aws_setup.moto.client("secretsmanager").describe_secret(
        SecretId=aws_setup.secret_id
    )
    current = [v for v, s in described["VersionIdsToStages"].items() if "AWSCURRENT" in s]
    assert [status.version] == current
    assert aws_setup.key not in repr(source) + source.describe() + repr(status)


def test_the_whole_string_without_a_field(
    aws_setup: AwsSetup, monkeypatch: pytest.MonkeyPatch
) -> None:
    """No WORKSPACE_OTEL_AWS_SECRET_FIELD: the secret string itself is the token."""
    plain = new_key("Plain")
    aws_setup.moto.create_secret(aws_setup.secret_id + "-plain", plain)
    monkeypatch.setenv("WORKSPACE_OTEL_AWS_SECRET_ID", aws_setup.secret_id + "-plain")
    monkeypatch.delenv("WORKSPACE_OTEL_AWS_SECRET_FIELD")
    assert _source().fetch().value == plain


@pytest.mark.parametrize("how", ["put_value", "rotate_by_stages"])
def test_a_rotation_is_picked_up_within_the_revalidate_interval(
    aws_setup: AwsSetup, clock: FakeClock, how: str
) -> None:
    """PutSecretValue, or AWSPENDING moved to AWSCURRENT: served after one interval."""
    source = _source()
    source._monotonic = lambda: clock.mono_now
    cache = RefreshingTokenCache(source, clock=clock.clock, background=False)
    assert cache.token().value == aws_setup.key
    rotated = new_key("AwsTwo")
    getattr(aws_setup.moto, how)(aws_setup.secret_id, json.dumps({"access_token": rotated}))
    assert cache.token().value == aws_setup.key
    clock.advance(source.revalidate_interval)
    cache.poll()
    assert cache.token().value == rotated
    assert source.assumptions == 1  # the assumed credentials served both reads


def test_credentials_are_assumed_again_after_half_their_lifetime(
    aws_setup: AwsSetup, clock: FakeClock
) -> None:
    """STS credentials (1 h from moto) are replaced once half their life has gone."""
    source = _source()
    source._monotonic = lambda: clock.mono_now
    source.fetch()
    assert source.revalidate_interval == 60.0
    clock.advance(1801)
    assert source.revalidate_interval == 1.0
    source.fetch()
    assert source.assumptions == 2


def test_the_standard_chain_without_a_role(
    aws_setup: AwsSetup, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Keys from the environment (the first link of botocore's chain) read the secret."""
    monkeypatch.delenv("WORKSPACE_OTEL_AWS_ROLE_ARN")
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIA" + "CHAINKEY00000001")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "chain-secret-" + "0123456789abcdef")
    source = _source()
    assert source.fetch().value == aws_setup.key
    assert source.assumptions == 0
    assert source.status is not None
    assert source.status.login == "AWS credential chain"


def test_no_credentials_at_all_needs_the_user(
    aws_setup: AwsSetup, monkeypatch: pytest.MonkeyPatch
) -> None:
    """No role and an empty chain: one needs-user error naming the role variable."""
    monkeypatch.delenv("WORKSPACE_OTEL_AWS_ROLE_ARN")
    with pytest.raises(TokenError, match="WORKSPACE_OTEL_AWS_ROLE_ARN") as info:
        _source().fetch()
    assert info.value.needs_user


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (
            {"WORKSPACE_OTEL_AWS_SECRET_ID": "otel/no-such-secret"},
            "fix WORKSPACE_OTEL_AWS_SECRET_ID",
        ),
        ({"WORKSPACE_OTEL_AWS_SECRET_FIELD": "nope"}, "fix WORKSPACE_OTEL_AWS_SECRET_FIELD"),
    ],
)
def test_errors_that_need_the_user(
    aws_setup: AwsSetup, monkeypatch: pytest.MonkeyPatch, change: dict[str, str], expected: str
) -> None:
    """A missing secret or field is a needs-user error with the fix."""
    for name, value in change.items():
        monkeypatch.setenv(name, value)
    with pytest.raises(TokenError) as info:
        _source().fetch()
    assert info.value.needs_user
    assert expected in str(info.value)


def test_an_unreachable_endpoint_is_transient(
    aws_setup: AwsSetup, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Connection refused is retried by the cache, not reported as needing the user."""
    from tests.harness.process import free_port

    monkeypatch.setenv("AWS_ENDPOINT_URL", f"http://127.0.0.1:{free_port()}")
    source = _source()
    source.timeout = 1.0
    with pytest.raises(TokenError) as info:
        source.fetch()
    assert not info.value.needs_user


@pytest.mark.parametrize(
    ("env", "variable"),
    [
        ({"WORKSPACE_OTEL_AWS_SECRET_ID": ""}, "WORKSPACE_OTEL_AWS_SECRET_ID"),
        ({"AWS_ENDPOINT_URL": "http://aws.example.com"}, "AWS_ENDPOINT_URL"),
        ({"AWS_ENDPOINT_URL_SECRETS_MANAGER": "http://sm.example.com"}, "AWS_ENDPOINT_URL_SECRETS"),
        ({"WORKSPACE_OTEL_AWS_WEB_IDENTITY_SOURCE": ""}, "WORKSPACE_OTEL_AWS_WEB_IDENTITY_SOURCE"),
        ({"WORKSPACE_OTEL_AWS_WEB_IDENTITY_SOURCE": "aws-secretsmanager"}, "cannot be"),
    ],
)
def test_bad_configuration_names_the_variable(
    aws_setup: AwsSetup, monkeypatch: pytest.MonkeyPatch, env: dict[str, str], variable: str
) -> None:
    """Invalid settings raise ConfigurationError at construction, naming the variable."""
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    with pytest.raises(ConfigurationError, match=variable):
        token_source_from_env()


def test_aws_region_is_honoured_before_aws_default_region(
    aws_setup: AwsSetup, monkeypatch: pytest.MonkeyPatch
) -> None:
    """AWS_REGION (which botocore itself ignores) wins; AWS_DEFAULT_REGION is the fallback."""
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-2")
    assert _source().region == "eu-west-1"
    monkeypatch.delenv("AWS_REGION")
    assert _source().region == "us-east-2"


def test_never_picked_by_auto(aws_setup: AwsSetup, monkeypatch: pytest.MonkeyPatch) -> None:
    """With every aws variable set, auto still does not choose it."""
    monkeypatch.setenv("WORKSPACE_OTEL_TOKEN_SOURCE", "auto")
    assert token_source_from_env() is None


def test_missing_extra_names_the_pip_line(
    aws_setup: AwsSetup, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Without botocore the first fetch raises ConfigurationError with the install line."""
    source = _source()
    monkeypatch.setitem(sys.modules, "botocore.session", None)
    with pytest.raises(ConfigurationError, match=r"pip install 'workspace-otel\[aws\]'"):
        source.fetch()


def test_botocore_is_imported_only_at_the_first_fetch(aws_setup: AwsSetup, tmp_path: Path) -> None:
    """Building the source from the environment imports no botocore; fetching does."""
    code = (
        "import sys\n"
        "from workspace_otel.credentials import token_source_from_env, shared_cache\n"
        "source = token_source_from_env()\n"
        "before = 'botocore' in sys.modules\n"
        "shared_cache(source).token(timeout=30)\n"
        "print(before, 'botocore' in sys.modules)\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code],
        env=subprocess_env(**aws_setup.env),
        capture_output=True,
        text=True,
        timeout=90,
        check=True,
        cwd=tmp_path,
    )
    assert out.stdout.split() == ["False", "True"]
    assert aws_setup.key not in out.stdout + out.stderr


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs fork")
def test_a_forked_child_gets_its_own_session(aws_setup: AwsSetup) -> None:
    """After fork the child builds its own botocore session and reads the secret."""
    source = _source()
    source.fetch()
    pid = os.fork()
    if pid == 0:  # the child: report through the exit status only
        ok = source._client is None and source._session is None
        ok = ok and source.fetch().value == aws_setup.key
        os._exit(0 if ok else 1)
    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0
    assert source.fetch().value == aws_setup.key


def test_an_endpoint_from_the_aws_config_file_obeys_the_egress_rule(
    aws_setup: AwsSetup, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """``endpoint_url`` in AWS_CONFIG_FILE, plain http, HTTP_PROXY set: no key reaches the proxy."""
    proxy = RecordingProxy()
    try:
        session_token = "SessionTok" + "Zq9Wm4Lk7Xp2Rv8Tn3"
        config = tmp_path / "aws-config"
        config.write_text(f"[default]\nendpoint_url = {aws_setup.moto.endpoint}\n")
        monkeypatch.delenv("AWS_ENDPOINT_URL")
        monkeypatch.delenv("WORKSPACE_OTEL_AWS_ROLE_ARN")
        monkeypatch.setenv("AWS_CONFIG_FILE", str(config))
        monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIA" + "CONFIGKEY0000001")
        monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "config-secret-" + "0123456789abcdef")
        monkeypatch.setenv("AWS_SESSION_TOKEN", session_token)
        monkeypatch.setenv("HTTP_PROXY", proxy.url)
        monkeypatch.setenv("NO_PROXY", "")
        with pytest.raises((TokenError, ConfigurationError)) as caught:
            _source().fetch()
        assert "NO_PROXY" in str(caught.value)
    finally:
        proxy.stop()
    assert session_token not in proxy.text
    assert "AKIA" not in proxy.text
