"""What the endpoint's answer to the empty export means, and the one fix for it.

HTTP status codes and gRPC status codes are read as the OTLP exporters would
meet them; a refusal of the credentials is explained by
:mod:`._rejection_advice`. A 404 / 405 tries the other known trace paths on
the same origin, with the same headers, to name the path that answers.
"""

from __future__ import annotations

from collections.abc import Mapping
from urllib.parse import urlsplit

from workspace_otel._doctor._context import Diagnosis
from workspace_otel._doctor._export_plan import ExportPlan
from workspace_otel._doctor._probes import GrpcAnswer, HttpAnswer, ProbeFailure, http_export
from workspace_otel._doctor._rejection_advice import rejection_fix, sent_description
from workspace_otel._doctor._report import Check, Finding

__all__ = ["interpret_grpc", "interpret_http"]

_HTTP_PATHS = ("/v1/traces", "/traces/otlp/v0.9")
_LIGHTSTEP_PATH = "/traces/otlp/v0.9"


def interpret_http(
    ctx: Diagnosis,
    plan: ExportPlan,
    check: Check,
    url: str,
    headers: Mapping[str, str],
    answer: HttpAnswer,
    token_sent: bool,
) -> None:
    """Judge the HTTP status of the empty export (accepted, refused credentials, wrong path...)."""
    status = answer.status
    label = f"{status} {answer.reason}".strip()
    if 200 <= status < 300:
        ctx.endpoint_accepted = True
        check.summary = f"accepted an empty OTLP/HTTP export ({label})"
        return
    if status in (401, 403):
        check.add(
            Finding(
                "fail",
                f"credentials rejected ({label}): {sent_description(ctx, plan, token_sent)}",
                rejection_fix(ctx, plan, token_sent, grpc_insecure=False, server_said=answer.body),
            )
        )
        return
    if status in (404, 405):
        _wrong_path(ctx, plan, check, url, headers, label)
        return
    if status == 415:
        check.add(
            Finding(
                "fail",
                f"the endpoint refused application/x-protobuf ({label})",
                "Point the endpoint at an OTLP/HTTP receiver (a collector's port 4318), or set "
                f"{plan.protocol_switch('grpc')} if this is a gRPC port.",
            )
        )
        return
    if status == 429:
        check.add(
            Finding(
                "warn",
                f"the endpoint is throttling ({label}"
                + (f", Retry-After {answer.retry_after}" if answer.retry_after else "")
                + "): exports are retried later",
                "Wait and run the doctor again; if it persists, ask the backend for a higher "
                "rate limit or sample more (OTEL_TRACES_SAMPLER).",
            )
        )
        return
    if 300 <= status < 400:
        where = answer.location or "elsewhere"
        check.add(
            Finding(
                "fail",
                f"the endpoint redirects ({label}) to {where}; the exporter does not follow "
                "redirects",
                f"Set {plan.endpoint.source} to the final URL ({where}).",
            )
        )
        return
    if status in (502, 503, 504):
        check.add(
            Finding(
                "fail",
                f"a proxy or load balancer answered {label}: the collector behind it is "
                "unavailable",
                "Check that the collector behind this address is running and healthy (its "
                "logs), then retry.",
            )
        )
        return
    if status >= 500:
        check.add(
            Finding(
                "fail",
                f"the collector failed ({label})",
                "Look at the collector's logs for this request's error.",
            )
        )
        return
    check.add(
        Finding(
            "fail",
            f"the endpoint refused an empty OTLP request ({label}): it may not be an OTLP/HTTP "
            "receiver",
            "Point the endpoint at an OTLP/HTTP receiver (a collector's port 4318, path "
            "/v1/traces).",
        )
    )


def _wrong_path(
    ctx: Diagnosis, s: ExportPlan, check: Check, url: str, headers: Mapping[str, str], label: str
) -> None:
    parts = urlsplit(url)
    base = f"{parts.scheme}://{parts.netloc.rpartition('@')[2]}"
    found = None
    for candidate in _HTTP_PATHS:
        if candidate == parts.path.rstrip("/"):
            continue
        try:
            other = http_export(
                base + candidate,
                headers,
                ctx.timeout,
                cafile=s.certificate.value,
                certfile=s.client_certificate.value,
                keyfile=s.client_key.value,
            )
        except ProbeFailure:
            continue
        if other.status not in (404, 405):
            found = candidate
            check.evidence["path probe"] = f"{candidate} answered {other.status}"
            break
    source = s.endpoint.source
    if found is not None:
        if found == "/v1/traces" and source == "OTEL_EXPORTER_OTLP_ENDPOINT":
            fix = f"Set OTEL_EXPORTER_OTLP_ENDPOINT={base} (the exporter appends /v1/traces)."
        else:
            fix = f"Set OTEL_EXPORTER_OTLP_TRACES_ENDPOINT={base}{found} (this path answers)."
    else:
        path = _LIGHTSTEP_PATH if "lightstep" in base else "/v1/traces"
        fix = (
            f"Set OTEL_EXPORTER_OTLP_TRACES_ENDPOINT={base}{path} (OTLP/HTTP uses /v1/traces; "
            f"Lightstep uses {_LIGHTSTEP_PATH})."
        )
    check.add(
        Finding(
            "fail",
            f"wrong path: {parts.path or '/'} answered {label}",
            fix,
        )
    )


_GRPC_UNAVAILABLE_TLS = ("ssl", "handshake", "certificate", "tls")


_GRPC_UNAVAILABLE_TLS = ("ssl", "handshake", "certificate", "tls")


def interpret_grpc(
    ctx: Diagnosis,
    plan: ExportPlan,
    check: Check,
    answer: GrpcAnswer,
    secure: bool,
    token_sent: bool,
) -> None:
    code = answer.code
    if code == "OK":
        ctx.endpoint_accepted = True
        check.summary = "accepted an empty OTLP/gRPC export (OK)"
        return
    if code in ("UNAUTHENTICATED", "PERMISSION_DENIED"):
        check.add(
            Finding(
                "fail",
                f"credentials rejected ({code}): {sent_description(ctx, plan, token_sent)}",
                rejection_fix(
                    ctx, plan, token_sent, grpc_insecure=not secure, server_said=answer.details
                ),
            )
        )
        return
    if code == "UNIMPLEMENTED":
        check.add(
            Finding(
                "fail",
                "no OTLP TraceService at this address (UNIMPLEMENTED): is it the HTTP port?",
                "Use the collector's gRPC port (4317), or set "
                f"{plan.protocol_switch('http/protobuf')} for port 4318.",
            )
        )
        return
    if code == "RESOURCE_EXHAUSTED":
        check.add(
            Finding(
                "warn",
                "the endpoint is throttling (RESOURCE_EXHAUSTED): exports are retried later",
                "Wait and run the doctor again; if it persists, ask for a higher rate limit.",
            )
        )
        return
    if code == "DEADLINE_EXCEEDED":
        check.add(
            Finding(
                "fail",
                f"no answer within {ctx.timeout:g} s (DEADLINE_EXCEEDED)",
                "Allow more time with --timeout, or check what sits between here and the "
                "collector.",
            )
        )
        return
    if code == "UNAVAILABLE" and any(w in answer.details.lower() for w in _GRPC_UNAVAILABLE_TLS):
        check.add(
            Finding(
                "fail",
                "the gRPC channel could not be secured (UNAVAILABLE)",
                "Set OTEL_EXPORTER_OTLP_CERTIFICATE to the CA that signed the collector's "
                "certificate, or use http:// for a plaintext collector.",
            )
        )
        return
    check.add(
        Finding(
            "fail",
            f"the export call failed ({code})",
            "Check the collector is running and healthy (its logs), then retry.",
        )
    )
