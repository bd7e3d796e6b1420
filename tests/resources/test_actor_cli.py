"""`workspace-otel detect` and `doctor` show the actor and the baggage settings."""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.doctor.conftest import run
from tests.harness.agent_envs import CLAUDE_CODE, CODEX
from tests.harness.platform_envs import find_canaries
from workspace_otel.cli import main
from workspace_otel.cli._detect import run_detect
from workspace_otel.credentials import _cache


@pytest.fixture(name="bare")
def _bare(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[pytest.MonkeyPatch]:
    """No platform files, no repository, git off."""
    root = tmp_path / "root"
    root.mkdir()
    monkeypatch.setenv("WORKSPACE_OTEL_PLATFORM_ROOT", str(root))
    monkeypatch.setenv("WORKSPACE_OTEL_GIT", "off")
    monkeypatch.chdir(tmp_path)
    yield monkeypatch
    _cache.reset_shared_caches()


def _detect(as_json: bool) -> str:
    out = io.StringIO()
    assert run_detect(as_json=as_json, out=out) == 0
    return out.getvalue()


def test_detect_shows_the_actor_with_its_source(bare: pytest.MonkeyPatch) -> None:
    """The agent's attributes appear with producer 'actor'; the no-platform hint stays."""
    for key, value in CLAUDE_CODE.environ.items():
        bare.setenv(key, value)
    document = json.loads(_detect(as_json=True))
    for key, value in CLAUDE_CODE.expected.items():
        assert document["attributes"][key] == value
        assert document["sources"][key] == "actor"
    text = _detect(as_json=False)
    assert "workspace.actor.agent.name" in text
    assert "No workspace or CI platform detected" in text
    assert find_canaries(text) == []


def test_detect_shows_the_baggage_settings(bare: pytest.MonkeyPatch) -> None:
    """The table ends with what is sent and what is copied onto spans."""
    bare.setenv("OTEL_RESOURCE_ATTRIBUTES", "workspace.id=ws-1")
    bare.setenv("WORKSPACE_OTEL_BAGGAGE", "workspace.id,workspace.class")
    bare.setenv("WORKSPACE_OTEL_BAGGAGE_TO_SPANS", "workspace.*,user.name")
    text = _detect(as_json=False)
    assert "on every outgoing request (WORKSPACE_OTEL_BAGGAGE): workspace.id\n" in text
    assert "onto spans (WORKSPACE_OTEL_BAGGAGE_TO_SPANS): user.name, workspace.*" in text


def test_detect_exits_2_on_an_invalid_baggage_list(
    bare: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """A secret-shaped name is refused with the variable named and exit status 2."""
    bare.setenv("WORKSPACE_OTEL_BAGGAGE", "github.token")
    assert main(["detect"]) == 2
    assert "WORKSPACE_OTEL_BAGGAGE lists 'github.token'" in capsys.readouterr().err


def test_doctor_names_the_agent_and_its_markers(bare: pytest.MonkeyPatch) -> None:
    """doctor's platform check shows the agent, the deciding variables, never their values."""
    for key, value in CODEX.environ.items():
        bare.setenv(key, value)
    outcome = run()
    check = outcome.check("platform")
    assert check["evidence"]["actor"] == (
        "codex (from CODEX_THREAD_ID=<uuid>); self-reported and advisory"
    )
    assert check["evidence"]["platform"] is None
    human = run(as_json=False).text
    assert "self-reported and advisory" in human
    assert find_canaries(human) == []


def test_doctor_shows_baggage_and_warns_when_propagators_drop_it(
    bare: pytest.MonkeyPatch,
) -> None:
    """The configuration check lists both directions and warns if baggage is not propagated."""
    bare.setenv("WORKSPACE_OTEL_BAGGAGE", "workspace.id")
    bare.setenv("WORKSPACE_OTEL_BAGGAGE_TO_SPANS", "vcs.*")
    bare.setenv("OTEL_PROPAGATORS", "tracecontext")
    check = run().check("configuration")
    evidence = check["evidence"]["baggage"]
    assert evidence["sent on every outgoing request"].startswith("workspace.id (")
    assert "third parties included" in evidence["sent on every outgoing request"]
    assert evidence["copied from incoming baggage onto spans"].startswith("vcs.*")
    assert check["verdict"] == "warn"
    assert "OTEL_PROPAGATORS has no baggage" in json.dumps(check)


@pytest.mark.parametrize("carrier", ["jaeger", "ottrace"])
def test_doctor_does_not_claim_nothing_is_sent_when_another_format_carries_baggage(
    bare: pytest.MonkeyPatch, carrier: str
) -> None:
    """Jaeger (uberctx-*) and OT (ot-baggage-*) send baggage entries too: no false all-clear."""
    bare.setenv("WORKSPACE_OTEL_BAGGAGE", "workspace.id")
    bare.setenv("OTEL_PROPAGATORS", f"tracecontext,{carrier}")
    check = run().check("configuration")
    assert "nothing is sent" not in json.dumps(check)
    assert check["evidence"]["baggage"]["sent on every outgoing request"].startswith("workspace.id")


def test_doctor_fails_an_invalid_baggage_list(bare: pytest.MonkeyPatch) -> None:
    """A user.* pattern fails the configuration check with the fix."""
    bare.setenv("WORKSPACE_OTEL_BAGGAGE_TO_SPANS", "user.*")
    outcome = run()
    check = outcome.check("configuration")
    assert check["verdict"] == "fail"
    assert "list user.* keys by exact name" in json.dumps(check)
    assert outcome.status == 1


def test_doctor_says_when_the_actor_is_switched_off(bare: pytest.MonkeyPatch) -> None:
    """WORKSPACE_OTEL_ACTOR=off: doctor says so instead of naming an agent."""
    for key, value in CODEX.environ.items():
        bare.setenv(key, value)
    bare.setenv("WORKSPACE_OTEL_ACTOR", "off")
    evidence = run().check("platform")["evidence"]
    assert evidence["actor"] == "off (WORKSPACE_OTEL_ACTOR=off)"
    assert "workspace.actor.agent.name" not in json.dumps(evidence)
