"""What a user deploys: examples/collector/*.yaml read as configuration, before any run.

The other gateway tests prove behaviour with the test environment; these prove
that nothing deployment-specific is a literal, that the pipelines keep the
order the Collector needs (memory_limiter first, batch last, identity stamped in
every pipeline) and that no deprecated component name is used.
"""

from __future__ import annotations

import importlib
import re
from collections.abc import Iterator
from typing import Any

import pytest

from tests.gateway.conftest import GATEWAY_YAML

#: PyYAML (through the test extra; no type stubs in the typecheck extra).
yaml: Any = importlib.import_module("yaml")
OVERLAY = GATEWAY_YAML.with_name("gateway-development.yaml")
#: Keys whose value differs between deployments.
DEPLOYMENT_KEYS = {
    "endpoint",
    "issuer_url",
    "audience",
    "issuer_ca_path",
    "cert_file",
    "key_file",
    "ca_file",
    "lightstep-access-token",
}
ENV_REFERENCE = re.compile(r"^\$\{env:[A-Z][A-Z0-9_]*(:-[^}]*)?\}$")
IDENTITY = ["attributes/verified-identity", "resource/verified-identity"]


def load(path: Any) -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load(path.read_text())
    return loaded


def leaves(node: Any, path: str = "") -> Iterator[tuple[str, str, Any]]:
    """Yield ``(dotted path, key, value)`` for every scalar."""
    if isinstance(node, dict):
        for key, value in node.items():
            if isinstance(value, (dict, list)):
                yield from leaves(value, f"{path}.{key}")
            else:
                yield f"{path}.{key}", str(key), value
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from leaves(value, f"{path}[{index}]")


@pytest.mark.parametrize("path", [GATEWAY_YAML, OVERLAY], ids=lambda p: p.name)
def test_every_deployment_value_comes_from_the_environment(path: Any) -> None:
    config = load(path)
    checked = 0
    for where, key, value in leaves(config):
        if key in DEPLOYMENT_KEYS:
            checked += 1
            assert ENV_REFERENCE.match(str(value)), f"{path.name}{where}: {value!r}"
    assert checked >= (3 if path == OVERLAY else 12)


def test_the_backend_keys_have_no_default() -> None:
    """An unset key must not silently become a literal sent upstream."""
    for path in (GATEWAY_YAML, OVERLAY):
        for where, key, value in leaves(load(path)):
            if key == "lightstep-access-token":
                assert ":-" not in str(value), f"{path.name}{where}"


def test_pipelines_order_and_identity() -> None:
    base = load(GATEWAY_YAML)
    overlay = load(OVERLAY)
    pipelines = dict(base["service"]["pipelines"])
    for name, pipeline in overlay["service"]["pipelines"].items():
        pipelines[name] = {**pipelines.get(name, {}), **pipeline}
    assert len(pipelines) == 6
    for name, pipeline in pipelines.items():
        processors = pipeline["processors"]
        assert processors[0] == "memory_limiter", name
        assert processors[-1] == "batch", name
        assert processors[-3:-1] == IDENTITY, name
        assert "transform/no-forged-identity" in processors[1:-3], name
        assert pipeline["receivers"] == ["otlp"], name
    assert base["service"]["extensions"] == ["health_check", "oidc"]


def test_both_receivers_use_tls_and_the_authenticator() -> None:
    protocols = load(GATEWAY_YAML)["receivers"]["otlp"]["protocols"]
    assert set(protocols) == {"grpc", "http"}
    for name, protocol in protocols.items():
        assert set(protocol["tls"]) >= {"cert_file", "key_file"}, name
        assert protocol["auth"] == {"authenticator": "oidc"}, name


def test_no_deprecated_component_names() -> None:
    for path in (GATEWAY_YAML, OVERLAY):
        for exporter in load(path)["exporters"]:
            assert exporter.split("/")[0] == "otlp_grpc", f"{path.name}: {exporter}"


def test_forged_keys_are_deleted_in_any_casing_before_insertion() -> None:
    actions = load(GATEWAY_YAML)["processors"]["attributes/verified-identity"]["actions"]
    assert actions[0]["action"] == "delete"
    assert actions[0]["pattern"].startswith("(?i)")
    assert all(a["action"] == "insert" for a in actions[1:])
    assert all(a["key"].startswith("workspace.verified.") for a in actions[1:])
    assert not any(a.get("from_context") == "auth.raw" for a in actions)
