"""Check 5: the endpoint ``configure()`` would export traces to accepts an empty export.

Where to send, over which protocol, with which headers and whether the token
goes along all come from the export plan (the library's resolution) and the
library's rules: :mod:`workspace_otel._guards.egress` for plain HTTP and
loopback, :func:`workspace_otel._setup._exporters.grpc_uses_tls` for gRPC. The probe
then goes step by step (DNS, TCP, TLS, one empty OTLP request) so a failure
names its step. Refusals are explained by :mod:`._rejection_advice`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from urllib.parse import urlsplit

from workspace_otel._doctor._context import Diagnosis
from workspace_otel._doctor._endpoint_answers import interpret_grpc, interpret_http
from workspace_otel._doctor._export_plan import ExportPlan
from workspace_otel._doctor._probes import (
    ProbeFailure,
    grpc_export,
    http_export,
    lookup_addresses,
    tcp_connect,
    tls_handshake,
)
from workspace_otel._doctor._rejection_advice import (
    header_value,
    shown,
)
from workspace_otel._doctor._report import Check, Finding
from workspace_otel._guards import egress
from workspace_otel._guards.redaction import display_url

__all__ = ["check_endpoint", "skip_reason"]

_NOT_SENT = "not sent: the OTLP gRPC exporter skips credential providers on insecure channels"
NO_ENDPOINT = "no endpoint configured"


def skip_reason(ctx: Diagnosis) -> str | None:
    """Why no OTLP export of traces would happen (``None``: one would), from the plan."""
    plan = ctx.plan
    if plan is None:
        return "the settings are invalid, so configure() would not start (see check 3)"
    options = plan.options
    if options.disabled.value:
        return f"{options.disabled.source} is true"
    if not plan.exports_otlp:
        names = ",".join(plan.traces.exporters.value) or "none"
        if plan.traces.exporters.source.startswith(NO_ENDPOINT):
            return f"{NO_ENDPOINT}: configure() prints traces to the console"
        return f"traces go to {names} ({plan.traces.exporters.source}), not to an OTLP endpoint"
    return None


def check_endpoint(ctx: Diagnosis, check: Check) -> None:
    """DNS, TCP, TLS, then an empty OTLP export request carrying the token."""
    try:
        _probe(ctx, check)
    finally:
        ctx.endpoint_outcome = check.summary


def _probe(ctx: Diagnosis, check: Check) -> None:
    reason = skip_reason(ctx)
    plan = ctx.plan
    if plan is not None and reason is not None and reason.startswith(NO_ENDPOINT):
        check.add(
            Finding(
                "warn",
                reason,
                "Set OTEL_EXPORTER_OTLP_ENDPOINT to your collector, e.g. "
                "https://collector.example:4318 (or pass --endpoint to try one).",
            )
        )
        return
    if reason or plan is None or not plan.traces_url:
        check.verdict, check.summary = "skipped", reason or NO_ENDPOINT
        return
    grpc = plan.protocol == "grpc"
    url = plan.traces_url
    parts = urlsplit(url if "://" in url else f"//{url}")
    secure = plan.grpc_secure if grpc else parts.scheme == "https"
    host = parts.hostname or ""
    port = parts.port or (443 if secure else (4317 if grpc else 80))
    check.evidence.update(
        {
            "protocol": plan.protocol,
            "url": display_url(url),
            "from": plan.endpoint.source,
            "tls": secure,
        }
    )
    hints = ctx.container(ctx) if egress.is_loopback_host(host) else []
    if hints:
        check.evidence["localhost in a container"] = hints
    if not _reach(ctx, plan, check, host, port, secure, grpc, hints):
        return
    if plan.token_source is not None and ctx.token is None:
        check.verdict = "skipped"
        check.summary = (
            f"{host}:{port} is reachable; no export attempted without a token (see check 4)"
        )
        return
    header = plan.token_header
    # HTTP: the library's requests auth replaces a static header of the same name.
    # gRPC: static metadata first, then the credentials plugin's (both are sent).
    sent: list[tuple[str, str]] = [(k, v) for k, v in plan.headers.items() if grpc or k != header]
    token = ctx.token if plan.token_source is not None else None
    token_value = str(token.value) if token is not None else None
    # Like the library: gRPC sends no token on insecure channels, and the HTTP auth
    # asks the egress rule (plain http only to loopback, never through a proxy).
    verdict = egress.check_route(url) if not grpc else None
    token_sent = bool(token_value) and (secure if grpc else bool(verdict))
    if token_value and token_sent:
        sent.append((header, header_value(header, token_value)))
    check.evidence["headers sent"] = [f"{name}: {shown(name, value)}" for name, value in sent]
    if token_value and not token_sent:
        check.evidence["token"] = (
            _NOT_SENT if verdict is None else egress.refusal_message(url, verdict.reason)
        )
    if grpc:
        _grpc(ctx, plan, check, f"{_bracket(host)}:{port}", sent, secure, token_sent)
    else:
        _http(ctx, plan, check, url, dict(sent), token_sent)


def _bracket(host: str) -> str:
    return f"[{host}]" if ":" in host else host


def _reach(
    ctx: Diagnosis,
    s: ExportPlan,
    check: Check,
    host: str,
    port: int,
    secure: bool,
    grpc: bool,
    hints: list[str],
) -> bool:
    source = s.endpoint.source
    try:
        addresses = lookup_addresses(host, port, ctx.timeout)
        check.evidence["addresses"] = addresses
        address, sock = tcp_connect(addresses, port, ctx.timeout)
    except ProbeFailure as exc:
        if exc.kind == "dns":
            fix = f"Check the host name in {source}: {host} does not resolve (typo, VPN, DNS?)."
        elif hints:
            scheme = "https" if secure else "http"  # an example must not drop TLS
            fix = (
                f"Inside a container, {host} is the container itself and nothing listens on port "
                f"{port} here: set {source} to the collector's reachable address (e.g. "
                f"{scheme}://host.docker.internal:{port} from Docker, the compose service "
                f"name such as {scheme}://otel-collector:{port}, or your workspace's "
                "forwarded-port URL)."
            )
        elif exc.kind == "refused":
            fix = (
                f"Nothing listens on {host}:{port}: start the collector, or fix the host / port in "
                f"{source}."
            )
        else:
            fix = (
                f"{host}:{port} does not answer: check firewalls and proxies between here and "
                f"the collector, or allow more time with --timeout."
            )
        check.add(Finding("fail", exc.detail, fix))
        return False
    check.evidence["connected to"] = f"{address}:{port}"
    if not secure:
        sock.close()
        return True
    try:
        info = tls_handshake(
            sock,
            host,
            ctx.timeout,
            cafile=s.certificate.value,
            certfile=s.client_certificate.value,
            keyfile=s.client_key.value,
            alpn=("h2",) if grpc else ("http/1.1",),
        )
    except ProbeFailure as exc:
        check.add(Finding("fail", f"TLS: {exc.detail}", _tls_fix(s, exc, host, grpc)))
        return False
    check.evidence["certificate"] = {
        "subject": info.subject,
        "issuer": info.issuer,
        "valid until": info.not_after,
        "tls version": info.version,
    }
    return True


def _tls_fix(s: ExportPlan, exc: ProbeFailure, host: str, grpc: bool) -> str:
    ca_variable = s.certificate.source if s.certificate.value else "OTEL_EXPORTER_OTLP_CERTIFICATE"
    if exc.kind == "tls_verify":
        return (
            f"Set {ca_variable} to the CA certificate (PEM) that signed the collector's "
            "certificate."
        )
    if exc.kind == "tls_hostname":
        return (
            f"Use the host name the certificate names, or reissue it with {host} in its "
            "subjectAltName."
        )
    if exc.kind == "tls_protocol":
        if grpc:
            return (
                "The endpoint speaks plaintext: use http:// (note: gRPC then sends no token), "
                "or enable TLS on the collector."
            )
        return f"The endpoint speaks plaintext HTTP: use http:// in {s.endpoint.source}."
    if exc.kind == "certificate_file":
        return f"Point {ca_variable} (and the client certificate variables) at readable PEM files."
    return "Check the collector's TLS settings (certificate, protocols) and its logs."


def _http(
    ctx: Diagnosis,
    s: ExportPlan,
    check: Check,
    url: str,
    headers: Mapping[str, str],
    token_sent: bool,
) -> None:
    try:
        answer = http_export(
            url,
            headers,
            ctx.timeout,
            cafile=s.certificate.value,
            certfile=s.client_certificate.value,
            keyfile=s.client_key.value,
        )
    except ProbeFailure as exc:
        fix = (
            "Allow more time with --timeout, or check proxies (HTTPS_PROXY / NO_PROXY) between "
            "here and the collector."
            if exc.kind == "timeout"
            else "Check the collector is running and reachable, then retry."
        )
        check.add(Finding("fail", f"export request failed: {exc.detail}", fix))
        return
    check.evidence["answer"] = f"{answer.status} {answer.reason}".strip()
    if answer.body:
        check.evidence["server said"] = answer.body
    interpret_http(ctx, s, check, url, headers, answer, token_sent)


def _grpc(
    ctx: Diagnosis,
    s: ExportPlan,
    check: Check,
    target: str,
    metadata: Sequence[tuple[str, str]],
    secure: bool,
    token_sent: bool,
) -> None:
    try:
        answer = grpc_export(
            target,
            metadata,
            ctx.timeout,
            secure=secure,
            cafile=s.certificate.value,
            certfile=s.client_certificate.value,
            keyfile=s.client_key.value,
        )
    except ImportError:
        check.verdict = "skipped"
        check.summary = "grpc is not installed, so the OTLP/gRPC export cannot be tried"
        check.fix = "pip install 'workspace-otel[grpc]'"
        return
    except ProbeFailure as exc:
        check.add(Finding("fail", exc.detail, _tls_fix(s, exc, target, True)))
        return
    check.evidence["answer"] = answer.code
    if answer.details:
        check.evidence["server said"] = answer.details
    interpret_grpc(ctx, s, check, answer, secure, token_sent)
