"""``service.instance.id`` on configure()'s resource: one per process, new in a forked child."""

from __future__ import annotations

import json
import subprocess
import uuid

import pytest

from tests.harness.process import PYTHON, subprocess_env

FORK_SCRIPT = """\
import json, os
from workspace_otel import configure

telemetry = configure(set_global=False, traces=True, metrics=False, environ={
    "OTEL_TRACES_EXPORTER": "none", "WORKSPACE_OTEL_GIT": "off"})
tracer = telemetry.tracer_provider.get_tracer("fork")

def instance():
    span = tracer.start_span("probe")
    span.end()
    return span.resource.attributes.get("service.instance.id")

before = instance()
read, write = os.pipe()
pid = os.fork()
if pid == 0:
    os.close(read)
    os.write(write, json.dumps(instance()).encode())
    os._exit(0)
os.close(write)
child = json.loads(os.read(read, 4096))
os.waitpid(pid, 0)
print(json.dumps({"before": before, "parent": instance(), "child": child}))
"""


def _resource(environ: dict[str, str]) -> dict[str, object]:
    from workspace_otel import configure
    from workspace_otel._setup import _configure

    _configure._reset_for_tests()
    try:
        telemetry = configure(
            set_global=False,
            traces=False,
            metrics=False,
            environ={"WORKSPACE_OTEL_GIT": "off", **environ},
        )
        return dict(telemetry.resource.attributes)
    finally:
        _configure._reset_for_tests()


def test_resource_has_a_uuid_service_instance_id() -> None:
    """configure() gives every process a service.instance.id, as the SDK's Resource.create does."""
    value = _resource({}).get("service.instance.id")
    assert isinstance(value, str)
    assert uuid.UUID(value).version == 4
    assert _resource({}).get("service.instance.id") == value  # the same all process long


def test_service_instance_id_can_be_set() -> None:
    """OTEL_RESOURCE_ATTRIBUTES still wins over the generated one."""
    attrs = _resource({"OTEL_RESOURCE_ATTRIBUTES": "service.instance.id=pod-7"})
    assert attrs["service.instance.id"] == "pod-7"


@pytest.mark.skipif(not hasattr(__import__("os"), "fork"), reason="needs os.fork")
def test_forked_worker_gets_its_own_service_instance_id() -> None:
    """A forked child's spans carry a new id; the parent's keep theirs."""
    done = subprocess.run(
        [PYTHON, "-c", FORK_SCRIPT],
        env=subprocess_env(),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    ids = json.loads(done.stdout.strip().splitlines()[-1])
    assert ids["before"]
    assert ids["parent"] == ids["before"]
    assert ids["child"]
    assert ids["child"] != ids["parent"]
