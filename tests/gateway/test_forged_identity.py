"""A hostile workspace forging ``workspace.verified.*`` at every level the gateway stamps.

Raw OTLP/HTTP requests carry forged keys on the resource and on each span, log
record and metric data point, in the canonical spelling and in other casings (a
backend that folds case, or a person searching for the key, would read them as
the verified identity). Only the values the gateway took from the token may
reach the upstream.
"""

from __future__ import annotations

import re
from typing import Any

import pytest
import requests
from opentelemetry.proto.collector.logs.v1 import logs_service_pb2
from opentelemetry.proto.collector.metrics.v1 import metrics_service_pb2
from opentelemetry.proto.collector.trace.v1 import trace_service_pb2
from opentelemetry.proto.common.v1 import common_pb2

from tests.gateway.conftest import AUDIENCE, UPSTREAM_KEY, Gateway, Issuers
from tests.harness.receivers import GrpcOtlpReceiver

pytestmark = pytest.mark.slow

SUBJECT = "org:0198a1b2/env:0199b2c3"
CREATOR_ID = "0195e5f6-a7b8"
FORGED_KEYS = (
    "workspace.verified.subject",
    "workspace.verified.actor",
    "Workspace.Verified.Subject",
    "WORKSPACE.VERIFIED.CREATOR.EMAIL",
    "workspace.Verified.actor",
)
VERIFIED = re.compile(r"^workspace\.verified\.", re.IGNORECASE)


def forged() -> list[common_pb2.KeyValue]:
    """The forged attributes a hostile client sends."""
    return [
        common_pb2.KeyValue(key=key, value=common_pb2.AnyValue(string_value="forged"))
        for key in FORGED_KEYS
    ]


def post(gateway: Gateway, path: str, message: Any, token: str) -> None:
    """Send one OTLP/HTTP request with ``token``; it must be accepted."""
    answer = requests.post(
        f"{gateway.http_endpoint}{path}",
        data=message.SerializeToString(),
        headers={
            "Content-Type": "application/x-protobuf",
            "Authorization": f"Bearer {token}",
            # A workspace trying its own backend key: the gateway must not pass it on.
            "lightstep-access-token": "workspace-chosen-key",
        },
        verify=str(gateway.ca_file),
        timeout=10,
    )
    assert answer.status_code == 200, answer.text


def assert_only_proven(attributes: dict[str, Any], where: str) -> None:
    """Every ``workspace.verified.*`` key, in any casing, is one the gateway stamped."""
    found = {key: value for key, value in attributes.items() if VERIFIED.match(key)}
    assert found == {
        "workspace.verified.subject": SUBJECT,
        "workspace.verified.issuer": found.get("workspace.verified.issuer"),
        "workspace.verified.creator.id": CREATOR_ID,
    }, where
    assert str(found["workspace.verified.issuer"]).startswith("https://127.0.0.1:"), where


def forged_left(attributes: dict[str, Any]) -> dict[str, Any]:
    """The ``workspace.verified.*`` keys, in any casing, still present."""
    return {key: value for key, value in attributes.items() if VERIFIED.match(key)}


def _attributes(key_values: Any) -> dict[str, Any]:
    return {kv.key: kv.value.string_value for kv in key_values}


def test_forged_verified_keys_are_removed_everywhere_in_any_casing(
    gateway: Gateway, issuers: Issuers, upstream: GrpcOtlpReceiver
) -> None:
    """Resource, span, log record and data point attributes: forged keys gone, proven ones set."""
    token = issuers.ona.mint(sub=SUBJECT, aud=AUDIENCE, extra_claims={"creator_id": CREATOR_ID})
    resource = {"resource": {"attributes": forged()}}
    traces = trace_service_pb2.ExportTraceServiceRequest()
    spans = traces.resource_spans.add(**resource)
    scope = {"scope": {"name": "forger", "attributes": forged()}}
    span = spans.scope_spans.add(**scope).spans.add(
        trace_id=b"\x01" * 16, span_id=b"\x02" * 8, name="forger", attributes=forged()
    )
    span.events.add(name="forged-event", time_unix_nano=1, attributes=forged())
    logs = logs_service_pb2.ExportLogsServiceRequest()
    records = logs.resource_logs.add(**resource)
    records.scope_logs.add(**scope).log_records.add(
        body=common_pb2.AnyValue(string_value="forger"), attributes=forged()
    )
    metrics = metrics_service_pb2.ExportMetricsServiceRequest()
    metric = (
        metrics.resource_metrics.add(**resource)
        .scope_metrics.add(**scope)
        .metrics.add(name="forger")
    )
    metric.gauge.data_points.add(as_int=1, time_unix_nano=1, attributes=forged())

    post(gateway, "/v1/traces", traces, token)
    post(gateway, "/v1/logs", logs, token)
    post(gateway, "/v1/metrics", metrics, token)

    (received_span,) = upstream.wait_for_spans(1, timeout=20)
    (record,) = upstream.wait_for_logs(1, timeout=20)
    (received_metric,) = upstream.wait_for_metrics(1, timeout=20)
    assert_only_proven(received_span.resource, "span resource")
    assert_only_proven(received_span.attributes, "span")
    (event,) = received_span.proto.events
    assert not forged_left(_attributes(event.attributes)), "span event"
    assert_only_proven(record.resource, "log resource")
    assert_only_proven(record.attributes, "log record")
    assert_only_proven(received_metric.resource, "metric resource")
    (point,) = received_metric.proto.gauge.data_points
    assert_only_proven(_attributes(point.attributes), "data point")
    # The instrumentation scope is no place for a proven identity: forged keys are just gone.
    assert not forged_left(received_span.scope_attributes), "span scope"
    assert not forged_left(record.scope_attributes), "log scope"
    assert not forged_left(received_metric.scope_attributes), "metric scope"
    assert set(upstream.tokens_seen) == {UPSTREAM_KEY}
    # The deployed configuration uses no deprecated component or syntax.
    assert "deprecated" not in gateway.process.log_text().lower()


def test_only_string_claims_are_stamped(
    gateway: Gateway, issuers: Issuers, upstream: GrpcOtlpReceiver
) -> None:
    """A number or boolean claim is skipped without a word; the request still passes."""
    token = issuers.ona.mint(
        sub=SUBJECT, aud=AUDIENCE, extra_claims={"creator_id": 12345, "creator_email": True}
    )
    traces = trace_service_pb2.ExportTraceServiceRequest()
    traces.resource_spans.add().scope_spans.add().spans.add(
        trace_id=b"\x03" * 16, span_id=b"\x04" * 8, name="typed-claims"
    )
    post(gateway, "/v1/traces", traces, token)
    (span,) = upstream.wait_for_spans(1, timeout=20)
    assert span.resource["workspace.verified.subject"] == SUBJECT
    assert "workspace.verified.creator.id" not in span.resource
    assert "workspace.verified.creator.email" not in span.resource
