"""Doctor runs against the real harness: a passing run per transport, one run per failure."""

from __future__ import annotations

import json
import re
import sys
import time
from pathlib import Path

import pytest

from tests.doctor.conftest import run, run_both
from tests.harness.fake_clis import FakeClis
from tests.harness.jwt_validation import JwtValidator
from tests.harness.platform_envs import GITPOD
from tests.harness.receivers import GrpcOtlpReceiver, HttpOtlpReceiver
from tests.harness.tls import TlsMaterial, make_tls_material
from tests.harness.token_server import TokenServer

pytestmark = pytest.mark.usefixtures("doctor_env")

ALL_OK = {
    "platform": "ok",
    "git": "ok",
    "configuration": "ok",
    "token": "ok",
    "endpoint": "ok",
    "end_to_end": "ok",
}


def _use_gitpod_platform(monkeypatch: pytest.MonkeyPatch, root: Path) -> None:
    for name, value in GITPOD.materialize(root).items():
        if name not in ("HOME", "USER", "WORKSPACE_OTEL_PLATFORM_ROOT"):
            monkeypatch.setenv(name, value)


def test_passing_run_in_a_gitpod_workspace(
    monkeypatch: pytest.MonkeyPatch,
    platform_root: Path,
    token_server: TokenServer,
    http_receiver: HttpOtlpReceiver,
    fake_cli_bin: FakeClis,
) -> None:
    _use_gitpod_platform(monkeypatch, platform_root)
    monkeypatch.setenv("WORKSPACE_OTEL_TOKEN_SOURCE", "gitpod")
    monkeypatch.setenv("WORKSPACE_OTEL_TOKEN_AUDIENCE", token_server.audience)
    monkeypatch.setenv("OTEL_EXPORTER_OTLP_ENDPOINT", http_receiver.endpoint)
    monkeypatch.setenv("WORKSPACE_OTEL_TRACE_URL", "http://localhost:16686/trace/{trace_id}")

    outcome, human = run_both()

    assert outcome.status == 0
    assert human.status == 0
    assert outcome.report is not None
    assert outcome.report["ok"] is True
    assert outcome.verdicts() == ALL_OK
    assert outcome.check("platform")["evidence"]["platform"] == "gitpod"
    assert outcome.check("git")["evidence"]["branch"] == "main"
    token = outcome.check("token")["evidence"]
    assert token["issuer"] == token_server.issuer
    assert token["audience"] == [token_server.audience]
    assert token["fingerprint"].startswith("sha256:")
    e2e = outcome.check("end_to_end")["evidence"]
    trace_ids = {span.trace_id for span in http_receiver.wait_for_spans(2)}
    assert e2e["trace id"] in trace_ids
    assert e2e["link"] == f"http://localhost:16686/trace/{e2e['trace id']}"
    # A platform credential planted in the workspace never shows up.
    for secret in GITPOD.secrets:
        assert secret not in outcome.text
        assert secret not in human.text
    for line in ("[ ok ] 1. Platform: gitpod workspace", "[ ok ] 6. End to end: test span"):
        assert line in human.text
    assert "All checks passed." in human.text


def test_passing_run_over_grpc_with_tls(
    monkeypatch: pytest.MonkeyPatch,
    token_server: TokenServer,
    grpc_receiver: GrpcOtlpReceiver,
    tls_material: TlsMaterial,
) -> None:
    monkeypatch.setenv("WORKSPACE_OTEL_TOKEN", token_server.mint())
    monkeypatch.setenv("OTEL_EXPORTER_OTLP_PROTOCOL", "grpc")
    monkeypatch.setenv("OTEL_EXPORTER_OTLP_ENDPOINT", grpc_receiver.endpoint)
    monkeypatch.setenv("OTEL_EXPORTER_OTLP_CERTIFICATE", str(tls_material.ca_cert))

    outcome = run()

    assert outcome.status == 0, outcome.text
    assert outcome.verdicts() == {**ALL_OK, "platform": "ok"}
    endpoint = outcome.check("endpoint")["evidence"]
    assert endpoint["answer"] == "OK"
    assert endpoint["certificate"]["tls version"].startswith("TLS")
    assert (
        grpc_receiver.wait_for_spans(1)[0].trace_id
        == outcome.check("end_to_end")["evidence"]["trace id"]
    )


def test_receiver_down(monkeypatch: pytest.MonkeyPatch, token_server: TokenServer) -> None:
    with HttpOtlpReceiver(JwtValidator(token_server)) as receiver:
        endpoint, port = receiver.endpoint, receiver.port
    monkeypatch.setenv("WORKSPACE_OTEL_TOKEN", token_server.mint())
    monkeypatch.setenv("OTEL_EXPORTER_OTLP_ENDPOINT", endpoint)

    outcome = run()

    assert outcome.status == 1
    check = outcome.check("endpoint")
    assert check["verdict"] == "fail"
    assert check["fix"].startswith(f"Nothing listens on 127.0.0.1:{port}: start the collector")
    assert outcome.check("token")["verdict"] == "ok"
    assert outcome.check("end_to_end")["verdict"] == "skipped"


def test_localhost_inside_a_container(
    monkeypatch: pytest.MonkeyPatch, platform_root: Path, token_server: TokenServer
) -> None:
    (platform_root / ".dockerenv").write_text("")
    with HttpOtlpReceiver(JwtValidator(token_server)) as receiver:
        port = receiver.port
    monkeypatch.setenv("WORKSPACE_OTEL_TOKEN", token_server.mint())
    monkeypatch.setenv("OTEL_EXPORTER_OTLP_ENDPOINT", f"http://localhost:{port}")

    outcome, human = run_both()

    assert outcome.status == 1
    assert human.status == 1
    check = outcome.check("endpoint")
    assert check["verdict"] == "fail"
    assert check["evidence"]["localhost in a container"] == ["/.dockerenv"]
    assert "Inside a container, localhost is the container itself" in check["fix"]
    assert f"http://host.docker.internal:{port}" in check["fix"]
    assert "fix: Inside a container, localhost is the container itself" in human.text


def test_localhost_reachable_inside_a_container_is_fine(
    monkeypatch: pytest.MonkeyPatch, token_server: TokenServer, http_receiver: HttpOtlpReceiver
) -> None:
    monkeypatch.setenv("WORKSPACE_OTEL_TOKEN", token_server.mint())
    monkeypatch.setenv("OTEL_EXPORTER_OTLP_ENDPOINT", http_receiver.endpoint)
    import io

    from workspace_otel.cli._doctor import run_doctor

    out = io.StringIO()
    status = run_doctor(
        as_json=True, endpoint=None, timeout=3.0, out=out, container=lambda ctx: ["injected"]
    )
    check = next(c for c in json.loads(out.getvalue())["checks"] if c["id"] == "endpoint")
    assert status == 0
    assert check["verdict"] == "ok"
    assert check["evidence"]["localhost in a container"] == ["injected"]


@pytest.mark.parametrize(
    ("variable", "suffix", "expected_fix"),
    [
        (
            "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT",
            "/v1/trace",
            "Set OTEL_EXPORTER_OTLP_TRACES_ENDPOINT={base}/v1/traces (this path answers).",
        ),
        (
            "OTEL_EXPORTER_OTLP_ENDPOINT",
            "/v1/traces",
            "Set OTEL_EXPORTER_OTLP_ENDPOINT={base} (the exporter appends /v1/traces).",
        ),
    ],
)
def test_wrong_path(
    monkeypatch: pytest.MonkeyPatch,
    token_server: TokenServer,
    http_receiver: HttpOtlpReceiver,
    variable: str,
    suffix: str,
    expected_fix: str,
) -> None:
    monkeypatch.setenv("WORKSPACE_OTEL_TOKEN", token_server.mint())
    monkeypatch.setenv(variable, http_receiver.endpoint + suffix)

    outcome = run()

    assert outcome.status == 1
    check = outcome.check("endpoint")
    assert check["verdict"] == "fail"
    assert check["summary"].startswith("wrong path:")
    assert "404" in check["evidence"]["answer"]
    assert check["fix"] == expected_fix.format(base=http_receiver.endpoint)


def test_wrong_audience(
    monkeypatch: pytest.MonkeyPatch, token_server: TokenServer, http_receiver: HttpOtlpReceiver
) -> None:
    monkeypatch.setenv("WORKSPACE_OTEL_TOKEN", token_server.mint(aud="billing-api"))
    monkeypatch.setenv("OTEL_EXPORTER_OTLP_ENDPOINT", http_receiver.endpoint)

    outcome = run()

    assert outcome.status == 1
    assert outcome.check("token")["verdict"] == "ok"
    check = outcome.check("endpoint")
    assert check["verdict"] == "fail"
    assert check["evidence"]["answer"] == "401 UNAUTHORIZED"
    assert check["evidence"]["server said"] == "Unauthorized"
    assert "sent header authorization: Bearer <sha256:" in check["summary"]
    assert "aud=billing-api" in check["fix"]
    assert "set WORKSPACE_OTEL_TOKEN_AUDIENCE to the audience" in check["fix"]


def test_key_rotated_without_fetching_the_unverified_issuer(
    monkeypatch: pytest.MonkeyPatch, token_server: TokenServer, http_receiver: HttpOtlpReceiver
) -> None:
    token = token_server.mint()
    old_kid = token_server.kid
    token_server.rotate_key()
    monkeypatch.setenv("WORKSPACE_OTEL_TOKEN", token)
    monkeypatch.setenv("OTEL_EXPORTER_OTLP_ENDPOINT", http_receiver.endpoint)

    outcome = run()

    assert outcome.status == 1
    check = outcome.check("endpoint")
    assert check["verdict"] == "fail"
    assert "401" in check["evidence"]["answer"]
    assert old_kid != token_server.kid
    assert "make sure it trusts this issuer" in check["fix"]


def test_unverified_issuer_is_never_fetched(
    monkeypatch: pytest.MonkeyPatch, http_receiver: HttpOtlpReceiver
) -> None:
    """A token naming some issuer URL: refused, and the doctor never contacts that issuer.

    The claims of a token are not verified, so the URLs they name are not trusted
    (the doctor once fetched the issuer's discovery document and JWKS).
    """
    from tests.harness.token_server import TokenServer

    with TokenServer() as named_issuer:
        monkeypatch.setenv("WORKSPACE_OTEL_TOKEN", named_issuer.mint())
        monkeypatch.setenv("OTEL_EXPORTER_OTLP_ENDPOINT", http_receiver.endpoint)

        outcome = run()

        check = outcome.check("endpoint")
        assert check["verdict"] == "fail"
        assert "401" in check["evidence"]["answer"]
        assert named_issuer.jwks_requests == 0
        assert named_issuer.issuer in check["fix"]


def test_token_server_refuses_the_client(
    monkeypatch: pytest.MonkeyPatch, token_server: TokenServer, http_receiver: HttpOtlpReceiver
) -> None:
    token_server.fail_mode = "invalid_client"
    monkeypatch.setenv("WORKSPACE_OTEL_TOKEN_SOURCE", "oauth2")
    monkeypatch.setenv("WORKSPACE_OTEL_OAUTH2_TOKEN_URL", token_server.token_url)
    monkeypatch.setenv("WORKSPACE_OTEL_OAUTH2_CLIENT_ID", "test-client")
    monkeypatch.setenv("WORKSPACE_OTEL_OAUTH2_CLIENT_SECRET", "test-secret")
    monkeypatch.setenv("OTEL_EXPORTER_OTLP_ENDPOINT", http_receiver.endpoint)

    outcome = run()

    assert outcome.status == 1
    check = outcome.check("token")
    assert check["verdict"] == "fail"
    assert check["evidence"]["needs user"] is True
    assert "answered 400" in check["summary"]
    assert check["fix"].startswith(
        "The token server rejected the client: check WORKSPACE_OTEL_OAUTH2_CLIENT_ID and "
        "WORKSPACE_OTEL_OAUTH2_CLIENT_SECRET"
    )
    endpoint = outcome.check("endpoint")
    assert endpoint["verdict"] == "skipped"
    assert "no export attempted without a token" in endpoint["summary"]
    assert http_receiver.requests == []


def test_platform_cli_missing(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, http_receiver: HttpOtlpReceiver
) -> None:
    empty_bin = tmp_path / "bin"
    empty_bin.mkdir()
    monkeypatch.setenv("PATH", str(empty_bin))
    monkeypatch.setenv("WORKSPACE_OTEL_TOKEN_SOURCE", "gitpod")
    monkeypatch.setenv("WORKSPACE_OTEL_TOKEN_AUDIENCE", "workspace-otel-test")
    monkeypatch.setenv("OTEL_EXPORTER_OTLP_ENDPOINT", http_receiver.endpoint)

    outcome = run()

    assert outcome.status == 1
    check = outcome.check("token")
    assert check["verdict"] == "fail"
    assert "none is on PATH" in check["summary"]
    assert check["fix"].startswith("Run inside a Gitpod / Ona workspace terminal where gp")


def test_missing_audience(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("WORKSPACE_OTEL_TOKEN_SOURCE", "gitpod")
    monkeypatch.setenv("OTEL_EXPORTER_OTLP_ENDPOINT", "http://127.0.0.1:9")

    outcome = run()

    assert outcome.status == 1
    check = outcome.check("token")
    assert check["verdict"] == "fail"
    assert "WORKSPACE_OTEL_TOKEN_AUDIENCE" in check["fix"]
    assert outcome.check("configuration")["verdict"] == "ok"


def test_clock_skewed(
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    token_server: TokenServer,
    http_receiver: HttpOtlpReceiver,
) -> None:
    future = token_server.mint(now=time.time() + 3600, lifetime=600)
    script = tmp_path / "print_token.py"
    script.write_text(f"print({future!r})\n")
    monkeypatch.setenv("WORKSPACE_OTEL_TOKEN_SOURCE", f"command:{sys.executable} {script}")
    monkeypatch.setenv("OTEL_EXPORTER_OTLP_ENDPOINT", http_receiver.endpoint)

    outcome, human = run_both()

    assert outcome.status == 1
    token = outcome.check("token")
    assert token["verdict"] == "fail"
    assert re.match(
        r"clock skew: this machine's clock is about 3\d{3} s behind the token issuer's",
        token["summary"],
    )
    assert token["fix"].startswith("Sync this machine's clock with NTP")
    endpoint = outcome.check("endpoint")
    assert endpoint["verdict"] == "fail"
    assert "The clocks disagree (see check 4)" in endpoint["fix"]
    assert future not in outcome.text
    assert future not in human.text


def test_typo_in_a_variable_name(
    monkeypatch: pytest.MonkeyPatch, token_server: TokenServer, http_receiver: HttpOtlpReceiver
) -> None:
    monkeypatch.setenv("WORKSPACE_OTEL_TOKEN_SORCE", "gitpod")
    monkeypatch.setenv("WORKSPACE_OTEL_TOKEN", token_server.mint())
    monkeypatch.setenv("OTEL_EXPORTER_OTLP_ENDPOINT", http_receiver.endpoint)

    outcome, human = run_both()

    assert outcome.status == 1
    assert human.status == 1
    check = outcome.check("configuration")
    assert check["verdict"] == "fail"
    assert check["summary"] == (
        "unknown variable WORKSPACE_OTEL_TOKEN_SORCE is ignored "
        "(did you mean WORKSPACE_OTEL_TOKEN_SOURCE?)"
    )
    assert check["fix"] == "Rename WORKSPACE_OTEL_TOKEN_SORCE to WORKSPACE_OTEL_TOKEN_SOURCE."
    assert "fix: Rename WORKSPACE_OTEL_TOKEN_SORCE to WORKSPACE_OTEL_TOKEN_SOURCE." in human.text
    # A setting word in a secret-sounding variable is not mistaken for a secret.
    assert "<redacted" not in human.text
    # everything else still works, so the typo is the one thing to fix
    assert outcome.check("endpoint")["verdict"] == "ok"


def test_static_authorization_header_conflicts_with_the_token_source_over_grpc(
    monkeypatch: pytest.MonkeyPatch,
    token_server: TokenServer,
    grpc_receiver: GrpcOtlpReceiver,
    tls_material: TlsMaterial,
) -> None:
    monkeypatch.setenv("WORKSPACE_OTEL_TOKEN", token_server.mint())
    monkeypatch.setenv("OTEL_EXPORTER_OTLP_PROTOCOL", "grpc")
    monkeypatch.setenv("OTEL_EXPORTER_OTLP_ENDPOINT", grpc_receiver.endpoint)
    monkeypatch.setenv("OTEL_EXPORTER_OTLP_CERTIFICATE", str(tls_material.ca_cert))
    monkeypatch.setenv("OTEL_EXPORTER_OTLP_HEADERS", "authorization=Bearer%20stale-static-key")

    outcome = run()

    assert outcome.status == 1
    config = outcome.check("configuration")
    assert config["verdict"] == "fail"
    assert config["fix"] == (
        "Remove authorization from OTEL_EXPORTER_OTLP_HEADERS: the token source supplies it."
    )
    # The Collector reads the first value: the stale static one is refused.
    endpoint = outcome.check("endpoint")
    assert endpoint["verdict"] == "fail"
    assert endpoint["evidence"]["headers sent"][0].startswith("authorization: Bearer <sha256:")
    assert endpoint["fix"].startswith("Remove authorization from OTEL_EXPORTER_OTLP_HEADERS")
    assert "stale-static-key" not in outcome.text


def test_insecure_grpc_skips_the_token(
    monkeypatch: pytest.MonkeyPatch, token_server: TokenServer
) -> None:
    with GrpcOtlpReceiver(JwtValidator(token_server)) as receiver:
        monkeypatch.setenv("WORKSPACE_OTEL_TOKEN", token_server.mint())
        monkeypatch.setenv("OTEL_EXPORTER_OTLP_PROTOCOL", "grpc")
        monkeypatch.setenv("OTEL_EXPORTER_OTLP_ENDPOINT", receiver.endpoint)

        outcome = run()

    assert outcome.status == 1
    assert "never consults credential providers" in outcome.check("configuration")["summary"]
    endpoint = outcome.check("endpoint")
    assert endpoint["verdict"] == "fail"
    assert endpoint["evidence"]["answer"] == "UNAUTHENTICATED"
    assert endpoint["fix"].startswith("Use an https:// (TLS) endpoint for gRPC")


def test_untrusted_certificate(
    monkeypatch: pytest.MonkeyPatch, token_server: TokenServer, tls_material: TlsMaterial
) -> None:
    with HttpOtlpReceiver(JwtValidator(token_server), tls=tls_material) as receiver:
        monkeypatch.setenv("WORKSPACE_OTEL_TOKEN", token_server.mint())
        monkeypatch.setenv("OTEL_EXPORTER_OTLP_ENDPOINT", receiver.endpoint)
        outcome = run()
        monkeypatch.setenv("OTEL_EXPORTER_OTLP_CERTIFICATE", str(tls_material.ca_cert))
        trusted = run()

    check = outcome.check("endpoint")
    assert outcome.status == 1
    assert check["summary"].startswith("TLS:")
    assert check["fix"].startswith("Set OTEL_EXPORTER_OTLP_CERTIFICATE to the CA certificate")
    assert trusted.status == 0, trusted.text


def test_platform_credential_as_telemetry_token(
    monkeypatch: pytest.MonkeyPatch, http_receiver: HttpOtlpReceiver
) -> None:
    monkeypatch.setenv("GITHUB_TOKEN", "ghu_" + "A" * 36)
    monkeypatch.setenv("WORKSPACE_OTEL_TOKEN_SOURCE", "env:GITHUB_TOKEN")
    monkeypatch.setenv("OTEL_EXPORTER_OTLP_ENDPOINT", http_receiver.endpoint)

    outcome = run()

    token = outcome.check("token")
    assert token["verdict"] == "warn"
    assert (
        "would hand a code-hosting / workspace credential to a telemetry backend"
        in token["summary"]
    )
    assert token["fix"].startswith("Use a telemetry-only credential instead")
    assert "ghu_" not in outcome.text


def test_no_endpoint_configured_is_a_warning() -> None:
    outcome = run()

    assert outcome.status == 0
    check = outcome.check("endpoint")
    assert check["verdict"] == "warn"
    assert check["fix"].startswith("Set OTEL_EXPORTER_OTLP_ENDPOINT to your collector")
    assert outcome.check("token")["verdict"] == "skipped"
    assert outcome.check("end_to_end")["verdict"] == "skipped"


def test_endpoint_option_overrides_the_configuration(
    monkeypatch: pytest.MonkeyPatch, token_server: TokenServer, http_receiver: HttpOtlpReceiver
) -> None:
    monkeypatch.setenv("WORKSPACE_OTEL_TOKEN", token_server.mint())
    monkeypatch.setenv("OTEL_EXPORTER_OTLP_ENDPOINT", "http://127.0.0.1:9")

    outcome = run(endpoint=http_receiver.endpoint)

    assert outcome.status == 0, outcome.text
    evidence = outcome.check("endpoint")["evidence"]
    assert evidence["url"] == http_receiver.traces_url
    assert evidence["from"] == "--endpoint"
    settings = outcome.check("configuration")["evidence"]["settings"]
    assert settings["traces_endpoint"].endswith("(from --endpoint)")


def test_requests_ca_bundle_does_not_replace_the_exporter_certificate(
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    token_server: TokenServer,
    tls_material: TlsMaterial,
) -> None:
    """A machine-wide REQUESTS_CA_BUNDLE no longer hides OTEL_EXPORTER_OTLP_CERTIFICATE."""
    other_ca = make_tls_material(tmp_path / "other").ca_cert
    with HttpOtlpReceiver(JwtValidator(token_server), tls=tls_material) as receiver:
        monkeypatch.setenv("WORKSPACE_OTEL_TOKEN", token_server.mint())
        monkeypatch.setenv("OTEL_EXPORTER_OTLP_ENDPOINT", receiver.endpoint)
        monkeypatch.setenv("OTEL_EXPORTER_OTLP_CERTIFICATE", str(tls_material.ca_cert))
        monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(other_ca))
        outcome = run(timeout=2.0)

    assert outcome.status == 0, outcome.text
    assert outcome.check("configuration")["verdict"] == "ok"
    assert outcome.check("end_to_end")["verdict"] == "ok"


def test_gitlab_ci_without_a_token_source_suggests_id_tokens(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("GITLAB_CI", "true")
    monkeypatch.setenv("WORKSPACE_OTEL_TOKEN_AUDIENCE", "https://collector.example")

    outcome = run()

    token = outcome.check("token")
    assert token["verdict"] == "warn"
    assert token["fix"] == (
        "In GitLab CI declare an ID token in .gitlab-ci.yml (id_tokens: TELEMETRY_ID_TOKEN: "
        "aud: https://collector.example) and set "
        "WORKSPACE_OTEL_TOKEN_SOURCE=env:TELEMETRY_ID_TOKEN."
    )


def test_a_token_variable_named_by_env_source_is_not_a_typo(
    monkeypatch: pytest.MonkeyPatch, token_server: TokenServer, http_receiver: HttpOtlpReceiver
) -> None:
    monkeypatch.setenv("WORKSPACE_OTEL_MY_TOKEN", token_server.mint())
    monkeypatch.setenv("WORKSPACE_OTEL_TOKEN_SOURCE", "env:WORKSPACE_OTEL_MY_TOKEN")
    monkeypatch.setenv("OTEL_EXPORTER_OTLP_ENDPOINT", http_receiver.endpoint)

    outcome = run()

    assert outcome.status == 0, outcome.text
    assert outcome.check("configuration")["verdict"] == "ok"


def test_expired_static_token(
    monkeypatch: pytest.MonkeyPatch, token_server: TokenServer, http_receiver: HttpOtlpReceiver
) -> None:
    monkeypatch.setenv("WORKSPACE_OTEL_TOKEN", token_server.mint(lifetime=-120))
    monkeypatch.setenv("OTEL_EXPORTER_OTLP_ENDPOINT", http_receiver.endpoint)

    outcome = run()

    assert outcome.status == 1
    token = outcome.check("token")
    assert token["verdict"] == "fail"
    assert token["summary"].startswith("the token expired at ")
    assert token["fix"].startswith("Replace the token in WORKSPACE_OTEL_TOKEN with a fresh one")
    assert outcome.check("endpoint")["verdict"] == "fail"


def test_plain_http_to_a_remote_host_carries_no_token(
    monkeypatch: pytest.MonkeyPatch, token_server: TokenServer
) -> None:
    monkeypatch.setenv("WORKSPACE_OTEL_TOKEN", token_server.mint())
    monkeypatch.setenv("OTEL_EXPORTER_OTLP_ENDPOINT", "http://collector.invalid:4318")

    outcome = run(timeout=1.0)

    assert outcome.status == 1
    config = outcome.check("configuration")
    assert config["verdict"] == "fail"
    assert config["fix"] == "Use https:// in OTEL_EXPORTER_OTLP_ENDPOINT."
    assert outcome.check("endpoint")["verdict"] == "fail"
