"""``workspace-otel doctor`` against gateway.yaml run by the real Collector."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.doctor.conftest import Outcome, run
from tests.gateway.conftest import AUDIENCE, Gateway, Issuers
from tests.harness.fake_clis import install_fake_clis
from tests.harness.tls import TlsMaterial
from tests.harness.token_server import TokenServer

pytestmark = pytest.mark.slow


@pytest.fixture
def workspace(
    monkeypatch: pytest.MonkeyPatch, gateway: Gateway, issuers: Issuers, tmp_path: Path
) -> Iterator[pytest.MonkeyPatch]:
    """An Ona workspace pointed at the gateway over OTLP/HTTP with the test CA."""
    from workspace_otel.credentials import _cache

    root = tmp_path / "root"
    root.mkdir()
    clis = install_fake_clis(tmp_path / "bin", issuers.ona)
    monkeypatch.setenv("PATH", clis.path_env())
    monkeypatch.setenv("WORKSPACE_OTEL_PLATFORM_ROOT", str(root))
    monkeypatch.setenv("WORKSPACE_OTEL_GIT", "off")
    monkeypatch.setenv("GITPOD_ENVIRONMENT_ID", "0199b2c3-d4e5-7f6a-9b0c-1d2e3f4a5b6c")
    monkeypatch.setenv("WORKSPACE_OTEL_TOKEN_SOURCE", "gitpod")
    monkeypatch.setenv("WORKSPACE_OTEL_TOKEN_AUDIENCE", AUDIENCE)
    monkeypatch.setenv("OTEL_EXPORTER_OTLP_ENDPOINT", gateway.http_endpoint)
    monkeypatch.setenv("OTEL_EXPORTER_OTLP_CERTIFICATE", str(gateway.ca_file))
    monkeypatch.chdir(tmp_path)
    yield monkeypatch
    _cache.reset_shared_caches()


def doctor(protocol: str, gateway: Gateway, monkeypatch: pytest.MonkeyPatch) -> Outcome:
    """Run the doctor (JSON) over ``protocol``."""
    if protocol == "grpc":
        monkeypatch.setenv("OTEL_EXPORTER_OTLP_PROTOCOL", "grpc")
        monkeypatch.setenv("OTEL_EXPORTER_OTLP_ENDPOINT", gateway.grpc_endpoint)
    return run(as_json=True, timeout=5.0)


def token_file(tmp_path: Path, token: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """Use a fixed token from a file."""
    path = tmp_path / "token"
    path.write_text(token)
    monkeypatch.setenv("WORKSPACE_OTEL_TOKEN_SOURCE", f"file:{path}")


PROTOCOLS = ["http/protobuf", "grpc"]


@pytest.mark.parametrize("protocol", PROTOCOLS)
def test_passes_against_the_gateway(
    protocol: str, gateway: Gateway, workspace: pytest.MonkeyPatch
) -> None:
    """Token, endpoint and a real test span all accepted by the real Collector."""
    outcome = doctor(protocol, gateway, workspace)
    assert outcome.status == 0, outcome.text
    verdicts = outcome.verdicts()
    assert verdicts["token"] == "ok"
    assert verdicts["endpoint"] == "ok"
    assert verdicts["end_to_end"] == "ok"
    assert "eyJ" not in outcome.text  # issuer, subject, audience, expiry: never the token


@pytest.mark.parametrize("protocol", PROTOCOLS)
def test_wrong_audience_names_the_one_the_gateway_expects(
    protocol: str, gateway: Gateway, workspace: pytest.MonkeyPatch
) -> None:
    """The gateway's reason is read: the fix names the exact audience to set."""
    workspace.setenv("WORKSPACE_OTEL_TOKEN_AUDIENCE", "another-service")
    outcome = doctor(protocol, gateway, workspace)
    endpoint = outcome.check("endpoint")
    assert outcome.status != 0
    assert endpoint["verdict"] == "fail"
    expected = f"set WORKSPACE_OTEL_TOKEN_AUDIENCE={AUDIENCE}."
    assert endpoint["fix"] == f"The gateway expects the audience {AUDIENCE}: {expected}"


@pytest.mark.parametrize("protocol", PROTOCOLS)
def test_untrusted_issuer_says_the_gateway_must_list_it(
    protocol: str,
    gateway: Gateway,
    workspace: pytest.MonkeyPatch,
    tls_material: TlsMaterial,
    tmp_path: Path,
) -> None:
    """A token from an issuer the gateway does not list: the fix is on the gateway's side."""
    with TokenServer(audience=AUDIENCE, tls=tls_material) as rogue:
        token_file(tmp_path, rogue.mint(aud=AUDIENCE), workspace)
        issuer = rogue.issuer
    outcome = doctor(protocol, gateway, workspace)
    endpoint = outcome.check("endpoint")
    assert endpoint["verdict"] == "fail"
    assert f"The gateway does not trust the issuer {issuer}" in endpoint["fix"]
    assert "WORKSPACE_OTEL_TOKEN_AUDIENCE" not in endpoint["fix"]


@pytest.mark.parametrize("protocol", PROTOCOLS)
def test_expired_token_is_caught_before_the_gateway(
    protocol: str,
    gateway: Gateway,
    workspace: pytest.MonkeyPatch,
    issuers: Issuers,
    tmp_path: Path,
) -> None:
    """An expired stored token fails the token check, with the fix to replace it."""
    token_file(tmp_path, issuers.ona.mint(aud=AUDIENCE, lifetime=-30), workspace)
    outcome = doctor(protocol, gateway, workspace)
    token = outcome.check("token")
    assert token["verdict"] == "fail"
    assert "expired" in token["summary"]
    assert "Replace the token in the file" in token["fix"]
    assert outcome.check("endpoint")["verdict"] == "fail"


@pytest.mark.parametrize("protocol", PROTOCOLS)
def test_tls_mismatch_names_the_certificate_variable(
    protocol: str, gateway: Gateway, workspace: pytest.MonkeyPatch
) -> None:
    """No CA for the gateway's private certificate: the fix names OTEL_EXPORTER_OTLP_CERTIFICATE."""
    workspace.delenv("OTEL_EXPORTER_OTLP_CERTIFICATE")
    outcome = doctor(protocol, gateway, workspace)
    endpoint = outcome.check("endpoint")
    assert endpoint["verdict"] == "fail"
    assert endpoint["summary"].startswith("TLS:")
    assert "OTEL_EXPORTER_OTLP_CERTIFICATE" in endpoint["fix"]


def _fail_lines(outcome: Outcome, check: str) -> tuple[str, str]:
    assert "eyJ" not in outcome.text  # no JWT, whole or in part, in any report
    result = outcome.check(check)
    assert result["verdict"] == "fail", outcome.text
    return str(result["summary"]), str(result["fix"])


@pytest.mark.parametrize("protocol", PROTOCOLS)
def test_unreachable_gateway_has_its_own_fix(
    protocol: str, gateway: Gateway, workspace: pytest.MonkeyPatch
) -> None:
    """The gateway stopped: the endpoint check says it cannot be reached, and what to do."""
    gateway.process.stop()
    outcome = doctor(protocol, gateway, workspace)
    _summary, fix = _fail_lines(outcome, "endpoint")
    assert outcome.status != 0
    assert fix
    assert "WORKSPACE_OTEL_TOKEN_AUDIENCE" not in fix
    assert "OTEL_EXPORTER_OTLP_CERTIFICATE" not in fix
    # The gateway is https: an example address must not drop TLS (the token would stay home).
    assert "http://" not in fix, fix


@pytest.mark.parametrize("protocol", PROTOCOLS)
def test_each_failure_class_has_a_distinct_fix_that_does_not_repeat_the_summary(
    protocol: str,
    gateway: Gateway,
    workspace: pytest.MonkeyPatch,
    issuers: Issuers,
    tls_material: TlsMaterial,
    tmp_path: Path,
) -> None:
    """Wrong audience, untrusted issuer, expired, TLS mismatch, unreachable: five fixes."""
    fixes: dict[str, tuple[str, str]] = {}
    workspace.setenv("WORKSPACE_OTEL_TOKEN_AUDIENCE", "another-service")
    fixes["audience"] = _fail_lines(doctor(protocol, gateway, workspace), "endpoint")
    workspace.setenv("WORKSPACE_OTEL_TOKEN_AUDIENCE", AUDIENCE)
    with TokenServer(audience=AUDIENCE, tls=tls_material) as rogue:
        token_file(tmp_path, rogue.mint(aud=AUDIENCE), workspace)
    fixes["issuer"] = _fail_lines(doctor(protocol, gateway, workspace), "endpoint")
    token_file(tmp_path, issuers.ona.mint(aud=AUDIENCE, lifetime=-30), workspace)
    fixes["expired"] = _fail_lines(doctor(protocol, gateway, workspace), "token")
    token_file(tmp_path, issuers.ona.mint(aud=AUDIENCE), workspace)
    workspace.delenv("OTEL_EXPORTER_OTLP_CERTIFICATE")
    fixes["tls"] = _fail_lines(doctor(protocol, gateway, workspace), "endpoint")
    workspace.setenv("OTEL_EXPORTER_OTLP_CERTIFICATE", str(gateway.ca_file))
    gateway.process.stop()
    fixes["unreachable"] = _fail_lines(doctor(protocol, gateway, workspace), "endpoint")
    for case, (summary, fix) in fixes.items():
        assert fix, case
        assert summary.rstrip(".").strip() not in fix, (case, summary, fix)
    assert len({fix for _summary, fix in fixes.values()}) == len(fixes), fixes
