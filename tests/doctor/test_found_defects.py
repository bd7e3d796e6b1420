"""Each line shows the effective value and what decided it; each problem has its own fix.

One test per defect a review found in the doctor when it kept a second model
of the library: each failed against that doctor.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.doctor.conftest import run
from tests.harness.platform_envs import CODESPACES, GITHUB_ACTIONS, GITLAB_CI, PlatformEnv
from tests.harness.receivers import GrpcOtlpReceiver, HttpOtlpReceiver
from tests.harness.tls import TlsMaterial
from tests.harness.token_server import TokenServer

pytestmark = pytest.mark.usefixtures("doctor_env")


def _use_codespaces(monkeypatch: pytest.MonkeyPatch, root: Path) -> None:
    for name, value in CODESPACES.materialize(root).items():
        if name not in ("HOME", "USER", "WORKSPACE_OTEL_PLATFORM_ROOT"):
            monkeypatch.setenv(name, value)


def test_traces_exporter_otlp_proto_grpc_is_probed_over_grpc(
    monkeypatch: pytest.MonkeyPatch,
    token_server: TokenServer,
    grpc_receiver: GrpcOtlpReceiver,
    tls_material: TlsMaterial,
) -> None:
    """configure() exports over gRPC here; the doctor used to probe HTTP /v1/traces."""
    monkeypatch.setenv("OTEL_TRACES_EXPORTER", "otlp_proto_grpc")
    monkeypatch.setenv("WORKSPACE_OTEL_TOKEN", token_server.mint())
    monkeypatch.setenv("OTEL_EXPORTER_OTLP_ENDPOINT", grpc_receiver.endpoint)
    monkeypatch.setenv("OTEL_EXPORTER_OTLP_CERTIFICATE", str(tls_material.ca_cert))

    outcome = run()

    assert outcome.status == 0, outcome.text
    endpoint = outcome.check("endpoint")["evidence"]
    assert endpoint["protocol"] == "grpc"
    assert endpoint["answer"] == "OK"
    e2e = outcome.check("end_to_end")["evidence"]
    assert "grpc" in e2e["exporter"]
    assert grpc_receiver.wait_for_spans(1)[0].trace_id == e2e["trace id"]


def test_end_to_end_uses_the_exporter_configure_builds_over_http(
    monkeypatch: pytest.MonkeyPatch, token_server: TokenServer, http_receiver: HttpOtlpReceiver
) -> None:
    """The test span goes through build_exporters: the same session and token as configure()."""
    monkeypatch.setenv("WORKSPACE_OTEL_TOKEN", token_server.mint())
    monkeypatch.setenv("OTEL_EXPORTER_OTLP_ENDPOINT", http_receiver.endpoint)

    outcome = run()

    assert outcome.status == 0, outcome.text
    e2e = outcome.check("end_to_end")["evidence"]
    assert "built as configure() builds it" in e2e["exporter"]
    assert "http/protobuf" in e2e["exporter"]
    assert e2e["trace id"] in {span.trace_id for span in http_receiver.wait_for_spans(1)}


@pytest.mark.parametrize("host", ["0.0.0.0", "127.example.com"])
def test_non_loopback_plain_http_gets_no_token(
    monkeypatch: pytest.MonkeyPatch, token_server: TokenServer, host: str
) -> None:
    """0.0.0.0 and 127.example.com are not loopback: the library sends no token there."""
    monkeypatch.setenv("WORKSPACE_OTEL_TOKEN", token_server.mint())
    monkeypatch.setenv("OTEL_EXPORTER_OTLP_ENDPOINT", f"http://{host}:9")

    outcome = run(timeout=1.0)

    config = outcome.check("configuration")
    assert config["verdict"] == "fail"
    assert "not sending the token" in config["summary"]
    assert "exports go out unauthenticated" in config["summary"]


def test_propagators_line_shows_the_effective_value(monkeypatch: pytest.MonkeyPatch) -> None:
    """Unset: the API's default; set: the variable's value, each with what decided it."""
    settings = run().check("configuration")["evidence"]["settings"]
    assert settings["propagators"] == (
        "tracecontext,baggage (from default (OTEL_PROPAGATORS unset))"
    )
    monkeypatch.setenv("OTEL_PROPAGATORS", "tracecontext")
    settings = run().check("configuration")["evidence"]["settings"]
    assert settings["propagators"] == "tracecontext (from OTEL_PROPAGATORS)"


def test_credentials_line_agrees_with_the_token_check(
    monkeypatch: pytest.MonkeyPatch, http_receiver: HttpOtlpReceiver
) -> None:
    """No token source: both lines say none, and the same reason."""
    monkeypatch.setenv("OTEL_EXPORTER_OTLP_ENDPOINT", http_receiver.endpoint)

    outcome = run()

    settings = outcome.check("configuration")["evidence"]["settings"]
    token = outcome.check("token")["evidence"]
    assert settings["credentials"] == token["token source"] == "none (from default)"
    assert "auto" not in outcome.check("token")["summary"]


def test_credentials_line_names_the_source_check_4_uses(
    monkeypatch: pytest.MonkeyPatch, token_server: TokenServer, http_receiver: HttpOtlpReceiver
) -> None:
    monkeypatch.setenv("WORKSPACE_OTEL_TOKEN", token_server.mint())
    monkeypatch.setenv("OTEL_EXPORTER_OTLP_ENDPOINT", http_receiver.endpoint)

    outcome = run()

    settings = outcome.check("configuration")["evidence"]["settings"]
    kind = settings["credentials"].split(" ", 1)[0]
    assert kind == "env"
    assert outcome.check("token")["evidence"]["source"].startswith("env")


def test_platform_check_names_the_marker_that_matched(
    monkeypatch: pytest.MonkeyPatch, platform_root: Path
) -> None:
    _use_codespaces(monkeypatch, platform_root)

    check = run().check("platform")

    assert check["evidence"]["platform"] == "codespaces"
    assert check["evidence"]["markers"]
    for marker in check["evidence"]["markers"]:
        assert marker in check["summary"]
    assert "CODESPACES" in check["summary"]


def test_no_fix_repeats_its_problem(monkeypatch: pytest.MonkeyPatch) -> None:
    """An invalid value: the fix says what to do, not the problem again."""
    monkeypatch.setenv("WORKSPACE_OTEL_BACKEND", "jaeger")

    outcome = run()

    assert outcome.report is not None
    config = outcome.check("configuration")
    assert config["verdict"] == "fail"
    assert "WORKSPACE_OTEL_BACKEND" in config["summary"]
    for check in outcome.report["checks"]:
        for fix in check["fixes"]:
            assert fix.rstrip(".") != check["summary"].rstrip(".")
            assert check["summary"] not in fix


def test_two_typos_get_two_fixes(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("WORKSPACE_OTEL_TOKEN_SORCE", "auto")
    monkeypatch.setenv("WORKSPACE_OTEL_BACKNED", "otlp")

    outcome = run(as_json=True)
    human = run(as_json=False)

    fixes = outcome.check("configuration")["fixes"]
    assert "Rename WORKSPACE_OTEL_TOKEN_SORCE to WORKSPACE_OTEL_TOKEN_SOURCE." in fixes
    assert "Rename WORKSPACE_OTEL_BACKNED to WORKSPACE_OTEL_BACKEND." in fixes
    assert "fix: Rename WORKSPACE_OTEL_TOKEN_SORCE" in human.text
    assert "fix: Rename WORKSPACE_OTEL_BACKNED" in human.text


def test_github_token_advice_in_a_codespace_does_not_suggest_gitpod(
    monkeypatch: pytest.MonkeyPatch, platform_root: Path
) -> None:
    _use_codespaces(monkeypatch, platform_root)
    monkeypatch.setenv("WORKSPACE_OTEL_TOKEN_SOURCE", "env:GITHUB_TOKEN")
    monkeypatch.setenv("OTEL_EXPORTER_OTLP_ENDPOINT", "https://collector.example:4318")

    check = run(timeout=1.0).check("token")

    assert "platform credential" in " ".join(check["evidence"]["problems"])
    advice = " ".join(check["fixes"])
    assert "telemetry-only credential" in advice
    assert "gitpod" not in advice.lower()


def test_no_endpoint_end_to_end_says_so() -> None:
    """Not 'the endpoint did not accept an export' when there is no endpoint at all."""
    check = run().check("end_to_end")

    assert check["verdict"] == "skipped"
    assert "no endpoint configured" in check["summary"]
    assert "did not accept" not in check["summary"]


def test_end_to_end_names_why_the_endpoint_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    """With an endpoint that does not answer, check 6 repeats check 5's outcome, not a guess."""
    monkeypatch.setenv("OTEL_EXPORTER_OTLP_ENDPOINT", "http://127.0.0.1:9")

    outcome = run(timeout=1.0)

    endpoint = outcome.check("endpoint")
    e2e = outcome.check("end_to_end")
    assert endpoint["verdict"] == "fail"
    assert e2e["verdict"] == "skipped"
    assert endpoint["summary"] in e2e["summary"]


def test_protocol_fix_names_the_setting_that_decided_the_protocol(
    monkeypatch: pytest.MonkeyPatch, token_server: TokenServer
) -> None:
    """The exporter name beats OTEL_EXPORTER_OTLP_PROTOCOL: the fix changes the exporter name."""
    monkeypatch.setenv("OTEL_TRACES_EXPORTER", "otlp_proto_grpc")
    monkeypatch.setenv("WORKSPACE_OTEL_TOKEN", token_server.mint())
    monkeypatch.setenv("OTEL_EXPORTER_OTLP_ENDPOINT", "http://127.0.0.1:9")

    check = run(timeout=1.0).check("configuration")

    assert "the token is not sent" in check["summary"]
    assert "OTEL_TRACES_EXPORTER=otlp_proto_http" in check["fix"]
    assert "OTEL_EXPORTER_OTLP_PROTOCOL" not in check["fix"]


@pytest.mark.parametrize(
    "variables",
    [
        {"WORKSPACE_OTEL_TOKEN_SOURCE": "bogus-kind"},
        {"WORKSPACE_OTEL_TOKEN_SOURCE": "oauth2"},
        {"OTEL_EXPORTER_OTLP_ENDPOINT": "ftp://collector.example"},
        {"OTEL_EXPORTER_OTLP_PROTOCOL": "thrift"},
    ],
    ids=["unknown source", "oauth2 without settings", "ftp endpoint", "unknown protocol"],
)
def test_no_check_repeats_its_summary_as_its_fix(
    monkeypatch: pytest.MonkeyPatch, variables: dict[str, str]
) -> None:
    for name, value in variables.items():
        monkeypatch.setenv(name, value)

    outcome = run(timeout=1.0)

    assert outcome.report is not None
    assert not outcome.report["ok"]
    for check in outcome.report["checks"]:
        for fix in check["fixes"]:
            assert fix.rstrip(".") != check["summary"].rstrip("."), check


@pytest.mark.parametrize(
    ("platform", "kind"),
    [(CODESPACES, "workspace"), (GITHUB_ACTIONS, "CI system"), (GITLAB_CI, "CI system")],
    ids=["codespaces", "github actions", "gitlab ci"],
)
def test_platform_kind_comes_from_what_the_detector_found(
    monkeypatch: pytest.MonkeyPatch, platform_root: Path, platform: PlatformEnv, kind: str
) -> None:
    for name, value in platform.materialize(platform_root).items():
        if name not in ("HOME", "USER", "WORKSPACE_OTEL_PLATFORM_ROOT"):
            monkeypatch.setenv(name, value)

    check = run().check("platform")

    assert check["summary"].startswith(f"{check['evidence']['platform']} {kind} (matched: ")
