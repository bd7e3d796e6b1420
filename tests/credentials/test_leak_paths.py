"""Secrets that used to leave the process: each path, on real peers, with neighbours.

* an OAuth2 error body echoing the client secret in the encodings the library
  sends (form percent-encoding, the Basic header's base64);
* a failing token command echoing its own token on stderr;
* the gRPC plugin's egress check (configured origin, TLS only).

The configure() paths (query-string endpoints, headers variables, the
plain-http sentence) are in tests/configure/test_configure_secrets.py.
"""

from __future__ import annotations

import base64
import json
import logging
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import quote, quote_plus

import pytest

from tests.harness._serving import LoopbackServer
from tests.harness.egress_peers import echo_token_endpoint
from workspace_otel._guards import redaction
from workspace_otel.credentials import (
    CommandTokenSource,
    EnvTokenSource,
    OAuth2ClientCredentialsSource,
    RefreshingTokenCache,
)
from workspace_otel.credentials._grpc import TokenMetadataPlugin
from workspace_otel.credentials._http import BearerAuth, OtlpSession
from workspace_otel.errors import TokenError

if TYPE_CHECKING:
    pass

# Characters that percent-encoding changes, so the raw secret never appears verbatim.
CLIENT_ID = "svc/ingest+ci"
CLIENT_SECRET = "s3cr/t+p@ss word!~xyz"


@pytest.fixture
def echo_server() -> Iterator[LoopbackServer]:
    server = LoopbackServer(echo_token_endpoint, name="echo-token")
    yield server
    server.stop()


def _encodings(user: str, secret: str) -> list[str]:
    pair = f"{quote(user, safe='')}:{quote(secret, safe='')}"
    return [
        secret,
        quote(secret, safe=""),
        quote_plus(secret),
        base64.b64encode(pair.encode()).decode(),
        base64.b64encode(f"{user}:{secret}".encode()).decode(),
    ]


@pytest.mark.parametrize("with_secret", [True, False])
def test_oauth2_error_body_echoing_the_secret_is_redacted(
    echo_server: LoopbackServer, with_secret: bool
) -> None:
    """Basic header (confidential client) or form (public client + subject): nothing echoes."""
    subject_value = "subject+token/with=and~more!xyz"
    if with_secret:
        source = OAuth2ClientCredentialsSource(
            f"{echo_server.base_url}/basic", CLIENT_ID, CLIENT_SECRET
        )
        secrets = _encodings(CLIENT_ID, CLIENT_SECRET)
    else:
        subject = EnvTokenSource("SUBJECT", environ={"SUBJECT": subject_value})
        source = OAuth2ClientCredentialsSource(
            f"{echo_server.base_url}/form", CLIENT_ID, subject_source=subject
        )
        secrets = [subject_value, quote(subject_value, safe=""), quote_plus(subject_value)]
    with pytest.raises(TokenError) as caught:
        source.fetch()
    message = str(caught.value)
    assert "invalid_client" in message
    for form in secrets:
        assert form not in message, form


def test_registered_secret_is_masked_in_every_encoding() -> None:
    redaction.register_basic_credentials(CLIENT_ID, CLIENT_SECRET)
    redaction.register_secret("Bearer jwt.payload.signaturepart")
    text = " ".join([*_encodings(CLIENT_ID, CLIENT_SECRET), "signaturepart"])
    cleaned = redaction.scrub_known(text)
    for form in [*_encodings(CLIENT_ID, CLIENT_SECRET), "signaturepart"]:
        assert form not in cleaned


def test_scrub_known_is_a_no_op_when_nothing_is_registered() -> None:
    text = "nothing secret here"
    assert redaction.scrub_known(text) is text


@pytest.mark.parametrize("ending", ["\n", "\r\n", "", "\n\n"])
def test_failing_command_echoing_its_token_on_stderr(tmp_path: Path, ending: str) -> None:
    """stdout holds the token (any line ending), stderr repeats it: masked in the error."""
    token = "lowercasetokenvalue"
    script = tmp_path / "helper.py"
    script.write_text(
        "import sys\n"
        f"sys.stdout.write({token + ending!r})\n"
        f"sys.stderr.write('refusing to hand out {token} today\\n')\n"
        "sys.exit(3)\n"
    )
    source = CommandTokenSource([sys.executable, str(script)])
    with pytest.raises(TokenError) as caught:
        source.fetch()
    assert "status 3" in str(caught.value)
    assert token not in str(caught.value)


EXPORTER_LOGGER = "opentelemetry.exporter.otlp.proto.http.trace_exporter"
SERVICE = "opentelemetry.proto.collector.trace.v1.TraceService"


class _Context:
    def __init__(self, service_url: str) -> None:
        self.service_url = service_url
        self.method_name = "Export"


class _Callback:
    def __init__(self) -> None:
        self.calls: list[tuple[object, object]] = []

    def __call__(self, metadata: object, error: object) -> None:
        self.calls.append((metadata, error))


@pytest.mark.parametrize(
    ("service_url", "sent"),
    [
        (
            "https://collector.example:4317/opentelemetry.proto.collector.trace.v1.TraceService",
            True,
        ),
        ("https://collector.example/opentelemetry.proto.collector.trace.v1.TraceService", False),
        ("https://evil.example:4317/opentelemetry.proto.collector.trace.v1.TraceService", False),
        (
            "http://collector.example:4317/opentelemetry.proto.collector.trace.v1.TraceService",
            False,
        ),
    ],
)
def test_grpc_plugin_sends_only_to_the_configured_origin_over_tls(
    service_url: str, sent: bool
) -> None:
    source = EnvTokenSource("T", environ={"T": "grpcoriginvalue"})
    plugin = TokenMetadataPlugin(source, endpoint="collector.example:4317")
    callback = _Callback()
    plugin(_Context(service_url), callback)  # type: ignore[arg-type]
    assert len(callback.calls) == 1
    metadata, error = callback.calls[0]
    assert error is None
    assert (metadata == (("authorization", "Bearer grpcoriginvalue"),)) is sent
    if not sent:
        assert metadata == ()


def test_log_filter_scrubs_message_args_and_exception_text(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """After install, records of ours and the exporters' loggers carry no registered secret."""
    secret = "filtersecretvalue42"
    redaction.register_secret(secret)
    redaction.install_log_filter()
    caplog.set_level(logging.DEBUG)
    for name in ("workspace_otel", "workspace_otel.credentials", EXPORTER_LOGGER):
        logger = logging.getLogger(name)
        logger.warning("failed for %s", f"https://h/?api_key={secret}")
        try:
            raise ValueError(f"boom {secret}")
        except ValueError:
            logger.exception("export failed")
    assert len(caplog.records) == 6
    assert secret not in caplog.text
    assert "<redacted sha256:" in caplog.text


def test_registry_forgets_the_oldest_forms_beyond_its_bound() -> None:
    """A long-lived process rotating tokens keeps a bounded registry (newest kept)."""
    for number in range(3000):
        redaction.register_secret(f"rotating-token-{number:06d}")
    assert "rotating-token-002999" not in redaction.scrub_known("rotating-token-002999")
    assert "rotating-token-000000" in redaction.scrub_known("rotating-token-000000")


def test_register_url_registers_secret_query_values_not_plain_settings() -> None:
    redaction.register_url(
        "https://u:pass-word-1@h/v1?format=protobuf&api_key=k%2By-123&tenant=acme-corporation"
    )
    text = "format=protobuf api_key=k+y-123 k%2By-123 tenant=acme-corporation pass-word-1"
    cleaned = redaction.scrub_known(text)
    assert "protobuf" in cleaned
    for hidden in ("k+y-123", "k%2By-123", "acme-corporation", "pass-word-1"):
        assert hidden not in cleaned


@pytest.mark.parametrize(
    ("value", "credential"),
    [
        ("3f2a9c1e-8b7d-4e6f-9a0b-1c2d3e4f5a6b", False),  # a UUID id
        ("a7b330d5c5b0b6e7f1d1f4c0d4b8e6a2f0c9d3e1", False),  # a git revision
        ("20251201_093000", False),
        ("feature/AddLoginPage", False),
        ("fluffy-giggle-vw699r4p6p9cxx94", False),  # a Codespace name
        ("ghp_16C7e42F292c6912E7710c838347Ae178B4a", True),
        ("eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0In0.c2lnbmF0dXJl", True),
        ("sk-ant-api03-AbCdEf0123456789AbCdEf0123456789", True),
        ("1.0.63-AKIAIOSFODNN7EXAMPLEab12cd34", True),
    ],
)
def test_looks_like_credential_tells_ids_from_keys(value: str, credential: bool) -> None:
    """Values that become data (ids, baggage) are dropped when key-shaped, kept when id-shaped."""
    assert redaction.looks_like_credential(value) is credential


def test_looks_like_credential_knows_registered_secrets() -> None:
    """A registered secret counts whatever its shape."""
    redaction.register_secret("plain-words-secret")
    try:
        assert redaction.looks_like_credential("x plain-words-secret y")
    finally:
        redaction.forget_all()


def _reject_echoing_the_token(environ: dict[str, Any], start_response: Any) -> list[bytes]:
    """A collector that answers 401 with a JSON body quoting the token it received."""
    received = str(environ.get("HTTP_AUTHORIZATION", "")).partition(" ")[2]
    body = json.dumps({"error": f"token {received} is not valid"}).encode()
    start_response("401 Unauthorized", [("Content-Type", "application/json")])
    return [body]


@pytest.mark.parametrize(
    "token", ['quo"te-Tk7Qx9Lm2Vb8', "back\\slash-Tk7Qx9Lm", '  both\\"-Tk7Qx9Lm2\n']
)
def test_a_401_body_quoting_the_token_json_escaped_is_redacted(
    caplog: pytest.LogCaptureFixture, token: str
) -> None:
    """The rejection log shows the collector's JSON body; the escaped token is masked."""
    caplog.set_level(logging.DEBUG)
    server = LoopbackServer(_reject_echoing_the_token, name="echo-401")
    try:
        cache = RefreshingTokenCache(
            EnvTokenSource("JSON_TOKEN", environ={"JSON_TOKEN": token}), background=False
        )
        session = OtlpSession()
        session.auth = BearerAuth(cache)
        response = session.post(f"{server.base_url}/v1/traces", data=b"x")
    finally:
        server.stop()
    assert response.status_code == 401
    assert "is not valid" in caplog.text, "the rejection and its reason were logged"
    escaped = json.dumps(token.strip())[1:-1]
    assert escaped not in caplog.text


def test_a_basic_header_value_masks_the_password_it_carries() -> None:
    """``authorization=Basic <b64>`` in the headers variable: the decoded password is known too."""
    from workspace_otel.credentials._headers import check_headers_variables

    encoded = base64.b64encode(b"ingest:BasicPw-Tk7Qx9Lm2").decode()
    check_headers_variables({"OTEL_EXPORTER_OTLP_HEADERS": f"authorization=Basic%20{encoded}"})
    echoed = "401: unknown credentials ingest:BasicPw-Tk7Qx9Lm2"
    cleaned = redaction.scrub_known(echoed)
    assert "BasicPw-Tk7Qx9Lm2" not in cleaned
    assert "unknown credentials" in cleaned
