"""The report model, its renderings, redaction helpers and the never-a-traceback guarantee."""

from __future__ import annotations

import io
import json
from typing import Any

import pytest

from workspace_otel._doctor import _runner
from workspace_otel._doctor._context import Diagnosis
from workspace_otel._doctor._report import Check, Finding, Report, render_json, render_text
from workspace_otel._guards.redaction import (
    display_url,
    fingerprint,
    register_secret,
    register_url,
    scrub,
    scrub_known,
)
from workspace_otel.cli._doctor import run_doctor

pytestmark = pytest.mark.usefixtures("doctor_env")


def _report() -> Report:
    ok = Check("platform", "Platform", summary="gitpod workspace", evidence={"platform": "gitpod"})
    bad = Check("endpoint", "Endpoint")
    bad.add(Finding("warn", "throttled", "wait"))
    bad.add(Finding("fail", "wrong path: /v1/trace answered 404", "Set X=/v1/traces."))
    bad.add(Finding("fail", "second failure", "second fix"))
    return Report([ok, bad, Check("end_to_end", "End to end", "skipped", "not run")])


def test_worst_finding_wins_and_gives_the_one_fix() -> None:
    report = _report()
    endpoint = report.get("endpoint")
    assert endpoint.verdict == "fail"
    assert endpoint.summary == "wrong path: /v1/trace answered 404"
    assert endpoint.fix == "Set X=/v1/traces."
    assert endpoint.evidence["problems"] == [
        "warn: throttled",
        "fail: wrong path: /v1/trace answered 404",
        "fail: second failure",
    ]
    assert report.ok is False


def test_json_document_shape() -> None:
    out = io.StringIO()
    render_json(_report(), out, lambda s: s)
    document = json.loads(out.getvalue())
    assert list(document) == ["version", "ok", "checks"]
    assert document["version"] == 1
    assert document["ok"] is False
    for check in document["checks"]:
        assert set(check) == {"id", "title", "verdict", "summary", "evidence", "fix", "fixes"}
        assert check["verdict"] in ("ok", "warn", "fail", "skipped")
        assert isinstance(check["evidence"], dict)


def test_text_rendering_without_colour() -> None:
    out = io.StringIO()
    render_text(_report(), out, lambda s: s)
    text = out.getvalue()
    assert "[ ok ] 1. Platform: gitpod workspace\n" in text
    assert "[FAIL] 2. Endpoint: wrong path: /v1/trace answered 404\n" in text
    assert "       fix: Set X=/v1/traces.\n" in text
    assert "[skip] 3. End to end: not run\n" in text
    assert "\x1b[" not in text
    assert text.rstrip().endswith("1 check(s) failed, 0 warning(s): apply the fixes above.")


class _Tty(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_colour_only_on_a_tty_and_never_with_no_color(monkeypatch: pytest.MonkeyPatch) -> None:
    tty = _Tty()
    run_doctor(as_json=False, endpoint=None, timeout=1.0, out=tty)
    assert "\x1b[32m[ ok ]\x1b[0m" in tty.getvalue()

    monkeypatch.setenv("NO_COLOR", "1")
    plain = _Tty()
    run_doctor(as_json=False, endpoint=None, timeout=1.0, out=plain)
    assert "\x1b[" not in plain.getvalue()

    piped = io.StringIO()
    monkeypatch.delenv("NO_COLOR")
    run_doctor(as_json=False, endpoint=None, timeout=1.0, out=piped)
    assert "\x1b[" not in piped.getvalue()


def test_a_crashing_check_becomes_a_fail_verdict(monkeypatch: pytest.MonkeyPatch) -> None:
    secret = "s3cr3t-in-an-exception-message"

    def explode(ctx: Diagnosis, check: Check) -> None:
        raise RuntimeError(f"boom with {secret}")

    checks: list[Any] = list(_runner.CHECKS)
    checks[1] = ("git", "Git", explode)
    monkeypatch.setattr(_runner, "CHECKS", tuple(checks))
    out = io.StringIO()

    status = run_doctor(as_json=True, endpoint=None, timeout=1.0, out=out)

    document = json.loads(out.getvalue())
    git = document["checks"][1]
    assert status == 1
    assert git["verdict"] == "fail"
    assert git["evidence"]["error"] == "RuntimeError"
    assert secret not in out.getvalue()
    assert [c["id"] for c in document["checks"]] == [
        "platform",
        "git",
        "configuration",
        "token",
        "endpoint",
        "end_to_end",
    ]


def test_an_unexpected_startup_error_is_reported_not_raised(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def broken(**kwargs: Any) -> Any:
        raise KeyError("nope")

    monkeypatch.setattr(_runner, "build_context", broken)
    out = io.StringIO()
    assert run_doctor(as_json=True, endpoint=None, timeout=1.0, out=out) == 1
    assert json.loads(out.getvalue())["checks"][0]["evidence"] == {"error": "KeyError"}


def test_redaction_helpers() -> None:
    assert fingerprint("abc") == "sha256:ba7816bf"
    register_secret("Bearer tok-123456789")
    assert "tok-123456789" not in scrub_known("sent tok-123456789 and Bearer tok-123456789")
    register_url("https://alice:pa55word-x@host/v1?api_key=qs-secret-77")
    assert "pa55word-x" not in scrub_known("alice:pa55word-x")
    assert "qs-secret-77" not in scrub_known(
        "Max retries exceeded with url: /v1?api_key=qs-secret-77"
    )
    assert display_url("https://alice:pw@host:4318/v1/traces") == "https://host:4318/v1/traces"
    assert display_url("https://host:4318/v1/traces?api_key=x#f") == "https://host:4318/v1/traces"
    assert display_url("not a url") == "not a url"
    jwt = "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ4In0.c2lnbmF0dXJlLXBhcnQ"
    cleaned = scrub(f"bad token {jwt}; Bearer abcdef123456 ghp_{'a' * 36} api_key=zzzz9")
    for leaked in (jwt, "abcdef123456", "ghp_", "zzzz9"):
        assert leaked not in cleaned
    assert "api_key=<redacted sha256:" in cleaned
