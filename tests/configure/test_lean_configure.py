"""What a usual ``configure()`` start imports; each part it skips still works when asked for.

Every module of this package a start imports is paid for on every process
start (budget P2). The console printer, the baggage rules, the declarative
configuration file, the helpers that tell ``workspace-otel env``'s exports
from the user's own, the SDK-variable table, the typo search, trace links and
the Lightstep preset are each needed only when their variable (or output) is
there: each is checked both ways in a fresh interpreter. The token cache, its
timing and the token itself are needed by the first export, and the actor's
modules only when a variable that can reveal an agent is set.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from tests.harness.process import unmeasured

_PROBE = """\
import json, os, sys
import workspace_otel
telemetry = workspace_otel.configure()
names = [type(p).__name__ for p in telemetry.span_processors]
sys.stdout.write(json.dumps({"modules": sorted(sys.modules), "processors": names}))
sys.stdout.flush()
os._exit(0)  # no export at exit: nothing listens on the endpoint
"""

_USUAL = {
    "OTEL_EXPORTER_OTLP_ENDPOINT": "https://collector.invalid:4318",
    "WORKSPACE_OTEL_TOKEN": "lean-start-token-0123456789",
}

_CONSOLE = "workspace_otel._setup._console"
_LINKS = "workspace_otel._settings._links"
# Imported by none of the usual starts above.
_SKIPPED = (
    "workspace_otel._setup._console",
    "workspace_otel._setup._baggage_rules",
    "workspace_otel._setup._declarative",
    "workspace_otel._settings._env_export",
    "workspace_otel.credentials._source",
    "workspace_otel._settings._sdk_variables",
    "workspace_otel._settings._typos",
    "workspace_otel._settings._links",
    "workspace_otel._settings._options._lightstep",
    "workspace_otel.credentials._jwt",
    "workspace_otel.resources._options",
    "workspace_otel.credentials._cache",
    "workspace_otel.credentials._cache_timing",
    "workspace_otel.credentials._token",
    "workspace_otel._guards.lazy_logging",
    "workspace_otel.resources._actor",
    "workspace_otel.resources._agent_markers",
)


def _environ() -> dict[str, str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("OTEL_", "WORKSPACE_OTEL_", "CODESPACE", "GITPOD_", "CODER"))
    }
    env.update(_USUAL)
    return env


def _run(
    extra: dict[str, str], tmp_path: object, before: str = ""
) -> subprocess.CompletedProcess[str]:
    env = _environ()
    env.update(extra)
    return subprocess.run(
        [sys.executable, "-c", before + _PROBE],
        env=unmeasured(env),
        cwd=str(tmp_path),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def _start(extra: dict[str, str], tmp_path: object, before: str = "") -> dict[str, list[str]]:
    done = _run(extra, tmp_path, before)
    assert done.returncode == 0, done.stderr[-2000:]
    result: dict[str, list[str]] = json.loads(done.stdout)
    return result


def test_a_usual_start_imports_none_of_the_optional_parts(tmp_path: object) -> None:
    modules = set(_start({}, tmp_path)["modules"])
    assert "workspace_otel._setup._pipeline" in modules  # the probe did configure
    assert [name for name in _SKIPPED if name in modules] == []


@pytest.mark.parametrize(
    ("variable", "value", "module"),
    [
        ("WORKSPACE_OTEL_BAGGAGE", "workspace.id", "workspace_otel._setup._baggage_rules"),
        ("WORKSPACE_OTEL_BAGGAGE_TO_SPANS", "app.*", "workspace_otel._setup._baggage_rules"),
        ("OTEL_RESOURCE_ATTRIBUTES", "team=core", "workspace_otel._settings._env_export"),
        ("OTEL_SERVICE_NAME", "checkout", "workspace_otel._settings._env_export"),
        (
            "WORKSPACE_OTEL_TRACE_URL",
            "https://ui.invalid/{trace_id}",
            "workspace_otel._setup._console",
        ),
        ("OTEL_TRACES_EXPORTER", "console", _CONSOLE),
        ("OTEL_BSP_MAX_QUEUE_SIZE", "4096", "workspace_otel._settings._sdk_variables"),
        ("OTEL_EXPORTER_OTLP_TIMEOUT", "5000", "workspace_otel._settings._sdk_variables"),
        (
            "WORKSPACE_OTEL_TRACE_URL",
            "https://ui.invalid/{trace_id}",
            "workspace_otel._settings._links",
        ),
        ("WORKSPACE_OTEL_TOKEN_HEADR", "x-token", "workspace_otel._settings._typos"),
        ("CLAUDECODE", "1", "workspace_otel.resources._agent_markers"),
        ("AI_AGENT", "crush", "workspace_otel.resources._actor"),
        ("WORKSPACE_OTEL_ACTOR", "off", "workspace_otel.resources._actor"),
    ],
)
def test_each_part_is_imported_when_its_variable_is_set(
    variable: str, value: str, module: str, tmp_path: object
) -> None:
    assert module in _start({variable: value}, tmp_path)["modules"]


def test_an_agent_is_still_found_and_a_bad_actor_switch_still_refused(tmp_path: object) -> None:
    actor = "telemetry.resource.attributes.get('workspace.actor.agent.name')"
    probe = "import sys, workspace_otel\ntelemetry = workspace_otel.configure()\n"
    done = subprocess.run(
        [sys.executable, "-c", probe + f"sys.stdout.write(str({actor}))\nimport os\nos._exit(0)\n"],
        env=unmeasured({**_environ(), "AI_AGENT": "claude-code"}),
        cwd=str(tmp_path),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert (done.returncode, done.stdout) == (0, "claude-code"), done.stderr[-2000:]
    refused = _run({"WORKSPACE_OTEL_ACTOR": "maybe"}, tmp_path)
    assert refused.returncode != 0
    assert "WORKSPACE_OTEL_ACTOR" in refused.stderr


def test_a_trace_link_template_still_prints_links_beside_otlp(tmp_path: object) -> None:
    result = _start({"WORKSPACE_OTEL_TRACE_URL": "https://ui.invalid/{trace_id}"}, tmp_path)
    assert "TraceLinkProcessor" in result["processors"]
    assert "TraceLinkProcessor" not in _start({}, tmp_path)["processors"]


def test_an_invalid_baggage_list_is_still_refused(tmp_path: object) -> None:
    done = _run({"WORKSPACE_OTEL_BAGGAGE": "api.token"}, tmp_path)
    assert done.returncode != 0
    assert "ConfigurationError" in done.stderr
    assert "WORKSPACE_OTEL_BAGGAGE" in done.stderr


def test_a_propagator_module_already_imported_brings_the_baggage_rules(tmp_path: object) -> None:
    # A wrapper of ours may then be the global propagator: configure() must see to it.
    modules = _start({}, tmp_path, before="import opentelemetry.propagate\n")["modules"]
    assert "workspace_otel._setup._baggage_rules" in modules


def test_a_declarative_file_is_still_taken_up(tmp_path: object) -> None:
    # Without the optional package or with an unreadable file, the error names the variable.
    done = _run({"OTEL_CONFIG_FILE": str(tmp_path) + "/missing.yaml"}, tmp_path)
    assert done.returncode != 0
    assert "OTEL_CONFIG_FILE" in done.stderr
    assert "_setup/_declarative.py" in done.stderr  # raised from that module
