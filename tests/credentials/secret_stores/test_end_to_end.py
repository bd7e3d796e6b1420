"""Secret-store keys end to end: configure(), a receiver that accepts one key, rotations, outages.

The receiver is told which key it accepts (as a backend that revoked the old
key would be); after it rejects a key, that key is never sent again, and
exports go on with the new one. Stopping a store for longer than a lease
does not raise into the application and keeps the cache's backoff rules.
"""

from __future__ import annotations

import json
import logging
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

import workspace_otel
from tests.credentials.secret_stores.conftest import AwsSetup, VaultSetup, new_key, record_figures
from tests.harness.jwt_validation import StaticTokenValidator
from tests.harness.process import ROOT, instrumented_app, reset_otel_globals, subprocess_env
from tests.harness.receivers import HttpOtlpReceiver
from workspace_otel._setup import _configure
from workspace_otel.credentials import (
    AwsSecretsManagerSource,
    TokenSource,
    VaultSecretSource,
    shared_cache,
)
from workspace_otel.credentials._file_source import FileTokenSource

pytestmark = pytest.mark.slow

HEADER = "lightstep-access-token"


@pytest.fixture(autouse=True)
def _fresh_pipeline(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("WORKSPACE_OTEL_GIT", "off")
    monkeypatch.setenv("WORKSPACE_OTEL_TOKEN_HEADER", HEADER)
    monkeypatch.setenv("OTEL_EXPORTER_OTLP_TIMEOUT", "5")
    reset_otel_globals()
    yield
    _configure._reset_for_tests()
    reset_otel_globals()


def _export(telemetry: workspace_otel.Telemetry, name: str) -> bool:
    with telemetry.tracer_provider.get_tracer("e2e").start_as_current_span(name):
        pass
    return telemetry.force_flush(timeout=20)


def _sent_after_first_rejection(receiver: HttpOtlpReceiver) -> list[str | None]:
    """Credentials sent after the receiver first refused one (all of them if it never did)."""
    requests = list(receiver.requests)
    first = next((i for i, r in enumerate(requests) if r.status == 401), -1)
    return [r.token for r in requests[first + 1 :]]


def _rotation_through_configure(receiver: HttpOtlpReceiver, old: str, rotate: object) -> None:
    telemetry = workspace_otel.configure(
        service_name="shop", endpoint=receiver.endpoint, metrics=False, set_global=False
    )
    assert _export(telemetry, "before")
    assert receiver.wait_for_spans(1, timeout=10)[0].name == "before"
    new = rotate()  # type: ignore[operator]
    receiver.validator = StaticTokenValidator(new)  # the backend now accepts only the new key
    assert _export(telemetry, "after")
    assert _export(telemetry, "later")
    names = [s.name for s in receiver.wait_for_spans(3, timeout=20)]
    assert names == ["before", "after", "later"]
    assert receiver.rejected == 1
    sent = _sent_after_first_rejection(receiver)
    assert sent
    assert old not in sent
    assert set(sent) == {new}
    telemetry.shutdown()


def test_vault_rotation_after_a_401_through_configure(vault_setup: VaultSetup) -> None:
    """A new KV version and a receiver that rejects the old key: one 401, then the new key."""
    with HttpOtlpReceiver(header=HEADER, static_token=vault_setup.key) as receiver:

        def rotate() -> str:
            key = new_key("VaultRotated")
            vault_setup.bao.put_secret(key)
            return key

        _rotation_through_configure(receiver, vault_setup.key, rotate)


def test_aws_rotation_after_a_401_through_configure(aws_setup: AwsSetup) -> None:
    """Rotation stages moved to a new version: one 401, then the new key at once."""
    with HttpOtlpReceiver(header=HEADER, static_token=aws_setup.key) as receiver:

        def rotate() -> str:
            key = new_key("AwsRotated")
            aws_setup.moto.rotate_by_stages(aws_setup.secret_id, json.dumps({"access_token": key}))
            return key

        _rotation_through_configure(receiver, aws_setup.key, rotate)


def _outage(
    source: TokenSource,
    key: str,
    stop: object,
    start: object,
    rotate: object,
    outage_seconds: float,
    caplog: pytest.LogCaptureFixture,
    figures: tuple[pytest.TempPathFactory, str],
) -> None:
    caplog.set_level(logging.DEBUG, logger="workspace_otel.credentials")
    with HttpOtlpReceiver(header=HEADER, static_token=key) as receiver:
        telemetry = workspace_otel.configure(
            service_name="shop",
            endpoint=receiver.endpoint,
            credentials=source,
            metrics=False,
            set_global=False,
        )
        cache = shared_cache(source)
        assert _export(telemetry, "up")
        stop()  # type: ignore[operator]
        fetches_before = cache.fetch_count
        end = time.monotonic() + outage_seconds
        outage_exports = 0
        while time.monotonic() < end:  # the application keeps working and exporting
            assert _export(telemetry, "during")
            outage_exports += 1
            time.sleep(0.5)
        failed_fetches = cache.fetch_count - fetches_before
        start()  # type: ignore[operator]
        new = rotate()  # type: ignore[operator]
        receiver.validator = StaticTokenValidator(new)
        back = time.monotonic()
        deadline = back + 60
        # force_flush() says the queue was handled, not that the export succeeded: a
        # "back" span exported before the restarted store answered is lost, so
        # export until one arrives (the first is usually enough).
        while time.monotonic() < deadline:
            _export(telemetry, "back")
            if any(s.name == "back" for s in receiver.spans):
                break
            time.sleep(0.5)
        recovered = time.monotonic() - back
        names = [s.name for s in receiver.wait_for_spans(2 + outage_exports, timeout=20)]
        assert names.count("up") == 1
        assert names.count("during") == outage_exports  # nothing lost during the outage
        assert "back" in names
        assert new in receiver.tokens_seen
        telemetry.shutdown()
    # Backoff from 1 s doubling (full jitter): a handful of attempts, not one per export.
    assert 1 <= failed_fetches <= 2 + outage_seconds / 1.0
    assert key not in _sent_after_first_rejection(receiver)
    # One warning for the outage itself. A restarted dev store is empty until the
    # harness sets it up again (moto: the secret; OpenBao: the JWT auth mount and
    # the secret): a refresh landing in that window gets one needs-the-user ERROR
    # ("secret not found" / "is the JWT auth method mounted"), and the collector
    # refuses the old key once while the cache recovers. Neither repeats.
    warnings = [
        r.getMessage()
        for r in caplog.records
        if r.name == "workspace_otel.credentials"
        and r.levelno == logging.WARNING
        and "refused the token" not in r.getMessage()
    ]
    assert len(warnings) == 1, warnings
    errors = [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR]
    assert len(errors) <= 1, errors
    record_figures(
        figures[0],
        f"outage {figures[1]}",
        {
            "outage_s": outage_seconds,
            "exports_during_outage_all_succeeded": outage_exports,
            "fetch_attempts_during_outage": failed_fetches,
            "warnings": len(warnings),
            "errors": 0,
            "seconds_from_restart_and_rotation_to_first_export_with_new_key": round(recovered, 2),
        },
    )


def test_vault_outage_longer_than_a_lease(
    vault_setup: VaultSetup,
    jwt_file: Path,
    caplog: pytest.LogCaptureFixture,
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    """OpenBao down for longer than the Vault token's lease: exports go on, no raise, backoff."""
    bao = vault_setup.bao
    bao.admin().write_data(
        "auth/jwt/role/outage",
        data={
            "role_type": "jwt",
            "user_claim": "sub",
            "bound_audiences": ["vault"],
            "bound_claims": {"repository": "acme/shop"},
            "token_policies": ["otel-lightstep-read"],
            "token_ttl": 3,
        },
    )
    source = VaultSecretSource(
        "secret/otel/lightstep#access_token",
        role="outage",
        jwt_source=FileTokenSource(jwt_file),
        address=bao.address,
        revalidate_interval=1.0,
        timeout=2.0,
    )

    def start() -> None:
        bao.start()
        bao.admin().write_data(
            "auth/jwt/role/outage",
            data={
                "role_type": "jwt",
                "user_claim": "sub",
                "bound_audiences": ["vault"],
                "bound_claims": {"repository": "acme/shop"},
                "token_policies": ["otel-lightstep-read"],
                "token_ttl": 3,
            },
        )

    def rotate() -> str:
        key = new_key("AfterOutage")
        bao.put_secret(key)
        return key

    _outage(
        source, vault_setup.key, bao.stop, start, rotate, 6.0, caplog, (tmp_path_factory, "vault")
    )
    assert source.logins >= 2  # the old Vault token died with the server: a fresh login


def test_aws_outage(
    aws_setup: AwsSetup, caplog: pytest.LogCaptureFixture, tmp_path_factory: pytest.TempPathFactory
) -> None:
    """moto down and restarted: exports go on with the current key, then the rotated one."""
    source = AwsSecretsManagerSource(
        aws_setup.secret_id,
        field="access_token",
        role_arn=aws_setup.env["WORKSPACE_OTEL_AWS_ROLE_ARN"],
        web_identity_source=FileTokenSource(
            aws_setup.env["WORKSPACE_OTEL_AWS_WEB_IDENTITY_SOURCE"].removeprefix("file:")
        ),
        revalidate_interval=1.0,
        timeout=2.0,
    )

    def rotate() -> str:
        key = new_key("AwsAfterOutage")
        aws_setup.moto.put_value(aws_setup.secret_id, json.dumps({"access_token": key}))
        return key

    moto = aws_setup.moto
    _outage(
        source, aws_setup.key, moto.stop, moto.start, rotate, 6.0, caplog, (tmp_path_factory, "aws")
    )


APP = ROOT / "examples" / "flask_app" / "app.py"


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals")
@pytest.mark.parametrize("store", ["vault", "aws-secretsmanager"])
def test_opentelemetry_instrument_follows_a_rotation(
    store: str, request: pytest.FixtureRequest, tmp_path: Path
) -> None:
    """The real opentelemetry-instrument on the Flask example, key rotated mid-run."""
    setup: VaultSetup | AwsSetup = request.getfixturevalue(
        "vault_setup" if store == "vault" else "aws_setup"
    )
    with HttpOtlpReceiver(header=HEADER, static_token=setup.key) as receiver:
        env = subprocess_env(
            **setup.env,
            OTEL_EXPORTER_OTLP_ENDPOINT=receiver.endpoint,
            OTEL_BSP_SCHEDULE_DELAY="200",
            OTEL_METRICS_EXPORTER="none",
            WORKSPACE_OTEL_TOKEN_HEADER=HEADER,
            OTEL_SERVICE_NAME="shop",
        )
        with instrumented_app(APP, env, cwd=tmp_path, timeout=60) as app:
            base = app.base
            receiver.wait_for_spans(1, timeout=20)
            new = new_key("InstrumentRotated")
            if isinstance(setup, VaultSetup):
                setup.bao.put_secret(new)
            else:
                setup.moto.rotate_by_stages(setup.secret_id, json.dumps({"access_token": new}))
            receiver.validator = StaticTokenValidator(new)
            for _ in range(6):
                assert requests.get(f"{base}/chain", timeout=10).status_code == 200
                time.sleep(0.3)
            spans = receiver.wait_for_spans(1 + 3 * 6, timeout=30)
            out, err = app.stop()
    assert sum(1 for s in spans if s.name == "GET /chain") == 6
    assert receiver.rejected >= 1
    assert setup.key not in _sent_after_first_rejection(receiver)
    assert new in receiver.tokens_seen
    assert setup.key not in out + err
    assert new not in out + err
