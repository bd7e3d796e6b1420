"""Checks 5 and 6: the endpoint accepts a real (empty) export, then a real test span."""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping, Sequence
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from workspace_otel._doctor import _integrations
from workspace_otel._doctor._context import Context
from workspace_otel._doctor._probes import (
    GrpcAnswer,
    HttpAnswer,
    ProbeFailure,
    call_with_timeout,
    grpc_export,
    http_export,
    resolve,
    tcp_connect,
    tls_handshake,
)
from workspace_otel._doctor._redact import LogCapture
from workspace_otel._doctor._report import Check, Finding
from workspace_otel._guards import egress
from workspace_otel._guards.redaction import display_url, fingerprint
from workspace_otel._links import trace_link
from workspace_otel.errors import ConfigurationError

__all__ = ["check_end_to_end", "check_endpoint"]

_HTTP_PATHS = ("/v1/traces", "/traces/otlp/v0.9")
_LIGHTSTEP_PATH = "/traces/otlp/v0.9"
_NOT_SENT = "not sent: the OTLP gRPC exporter skips credential providers on insecure channels"


def _without_userinfo(url: str) -> str:
    try:
        parts = urlsplit(url)
    except ValueError:
        return url
    if "@" not in parts.netloc:
        return url
    return urlunsplit(parts._replace(netloc=parts.netloc.rpartition("@")[2]))


def _header_value(header: str, token: str) -> str:
    return f"Bearer {token}" if header == "authorization" else token


def _shown(header: str, value: str) -> str:
    scheme, _, rest = value.partition(" ")
    if header == "authorization" and rest:
        return f"{scheme} <{fingerprint(rest)}>"
    return f"<{fingerprint(value)}>"


def _skip_reason(ctx: Context) -> str | None:
    s = ctx.settings
    disabled = s.values.get("sdk disabled")
    if disabled is not None and (disabled.value or "").lower() in ("true", "1", "yes", "on"):
        return "OTEL_SDK_DISABLED is true"
    exporter = s.values.get("traces exporter")
    names = (
        {n.strip().lower() for n in (exporter.value or "otlp").split(",")} if exporter else set()
    )
    if names and not any(n.startswith("otlp") for n in names):
        return f"OTEL_TRACES_EXPORTER={exporter.value if exporter else ''} exports no OTLP"
    if s.backend == "console":
        return "WORKSPACE_OTEL_BACKEND=console prints spans instead of exporting them"
    if s.protocol not in ("http/protobuf", "grpc"):
        return f"unsupported protocol {s.protocol} (see check 3)"
    return None


def check_endpoint(ctx: Context, check: Check) -> None:
    """DNS, TCP, TLS, then an empty OTLP export request carrying the token."""
    reason = _skip_reason(ctx)
    if reason:
        check.verdict, check.summary = "skipped", reason
        return
    s = ctx.settings
    if not s.traces_url:
        check.add(
            Finding(
                "warn",
                "no endpoint configured: configure() prints spans to the console",
                "Set OTEL_EXPORTER_OTLP_ENDPOINT to your collector, e.g. "
                "https://collector.example:4318 (or pass --endpoint to try one).",
            )
        )
        return
    grpc = s.protocol == "grpc"
    # Never send the URL's user-info (check 3 reports it); keep its query, as the
    # exporter does, so the probe is the real request. Show it only as display_url().
    url = _without_userinfo(s.traces_url)
    parts = urlsplit(url if "://" in url else f"//{url}")
    secure = s.grpc_secure if grpc else parts.scheme == "https"
    host = parts.hostname or ""
    try:
        port = parts.port or (443 if secure or not grpc else 4317)
    except ValueError:
        check.add(
            Finding(
                "fail", "the endpoint has an invalid port", f"Fix the port in {s.endpoint.source}."
            )
        )
        return
    if not grpc and parts.scheme not in ("http", "https"):
        check.add(
            Finding(
                "fail",
                f"the endpoint {display_url(url)} is not an http(s) URL",
                f"Set {s.endpoint.source} to an http:// or https:// URL.",
            )
        )
        return
    if not grpc and parts.port is None:
        port = 443 if secure else 80
    check.evidence.update(
        {
            "protocol": s.protocol,
            "url": display_url(url),
            "from": s.endpoint.source,
            "tls": secure,
        }
    )
    hints = ctx.container(ctx) if egress.is_loopback_host(host) else []
    if hints:
        check.evidence["localhost in a container"] = hints
    if not _reach(ctx, check, host, port, secure, grpc, hints):
        return
    if ctx.token_source is not None and ctx.token is None:
        check.verdict = "skipped"
        check.summary = (
            f"{host}:{port} is reachable; no export attempted without a token (see check 4)"
        )
        return
    header = (s.token_header.value or "authorization").lower()
    # HTTP: the library's requests auth replaces a static header of the same name.
    # gRPC: static metadata first, then the credentials plugin's (both are sent).
    sent: list[tuple[str, str]] = [(k, v) for k, v in s.headers.items() if grpc or k != header]
    token_value = str(ctx.token.value) if ctx.token is not None else None
    # Like the library: gRPC sends no token on insecure channels, and the HTTP auth
    # asks the egress rule (plain http only to loopback, never through a proxy).
    verdict = egress.check_route(s.traces_url or "") if not grpc else None
    token_sent = bool(token_value) and (secure if grpc else bool(verdict))
    if token_value and token_sent:
        sent.append((header, _header_value(header, token_value)))
    check.evidence["headers sent"] = [f"{name}: {_shown(name, value)}" for name, value in sent]
    if token_value and not token_sent:
        check.evidence["token"] = (
            _NOT_SENT
            if verdict is None
            else egress.refusal_message(s.traces_url or "", verdict.reason)
        )
    if grpc:
        _grpc(ctx, check, f"{_bracket(host)}:{port}", sent, secure, token_sent)
    else:
        _http(ctx, check, url, dict(sent), token_sent)


def _bracket(host: str) -> str:
    return f"[{host}]" if ":" in host else host


def _reach(
    ctx: Context, check: Check, host: str, port: int, secure: bool, grpc: bool, hints: list[str]
) -> bool:
    s = ctx.settings
    source = s.endpoint.source
    try:
        addresses = resolve(host, port, ctx.timeout)
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
        check.add(Finding("fail", f"TLS: {exc.detail}", _tls_fix(ctx, exc, host, grpc)))
        return False
    check.evidence["certificate"] = {
        "subject": info.subject,
        "issuer": info.issuer,
        "valid until": info.not_after,
        "tls version": info.version,
    }
    return True


def _tls_fix(ctx: Context, exc: ProbeFailure, host: str, grpc: bool) -> str:
    s = ctx.settings
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
    ctx: Context, check: Check, url: str, headers: Mapping[str, str], token_sent: bool
) -> None:
    s = ctx.settings
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
    _interpret_http(ctx, check, url, headers, answer, token_sent)


def _interpret_http(
    ctx: Context,
    check: Check,
    url: str,
    headers: Mapping[str, str],
    answer: HttpAnswer,
    token_sent: bool,
) -> None:
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
                f"credentials rejected ({label}): {_sent_description(ctx, token_sent)}",
                _rejection_fix(ctx, token_sent, grpc_insecure=False, server_said=answer.body),
            )
        )
        return
    if status in (404, 405):
        _wrong_path(ctx, check, url, headers, label)
        return
    if status == 415:
        check.add(
            Finding(
                "fail",
                f"the endpoint refused application/x-protobuf ({label})",
                "Point the endpoint at an OTLP/HTTP receiver (a collector's port 4318), or use "
                "OTEL_EXPORTER_OTLP_PROTOCOL=grpc if this is a gRPC port.",
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
                f"Set {ctx.settings.endpoint.source} to the final URL ({where}).",
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
    ctx: Context, check: Check, url: str, headers: Mapping[str, str], label: str
) -> None:
    s = ctx.settings
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


def _sent_description(ctx: Context, token_sent: bool) -> str:
    header = (ctx.settings.token_header.value or "authorization").lower()
    if token_sent and ctx.token is not None:
        value = _header_value(header, str(ctx.token.value))
        return f"sent header {header}: {_shown(header, value)}"
    static = ctx.settings.headers.get(header)
    if static:
        return f"sent static header {header} from {ctx.settings.headers_source}"
    return f"no {header} header was sent"


def _issuer_kids(ctx: Context, issuer: str) -> list[str] | None:
    """Return the key ids the issuer publishes now (``None`` if unknown)."""
    if not issuer.startswith(("https://", "http://")):
        return None
    import requests

    def fetch() -> list[str] | None:
        with requests.Session() as session:
            discovery = session.get(
                issuer.rstrip("/") + "/.well-known/openid-configuration", timeout=ctx.timeout
            )
            jwks_uri = discovery.json().get("jwks_uri") if discovery.ok else None
            if not isinstance(jwks_uri, str):
                return None
            keys = session.get(jwks_uri, timeout=ctx.timeout).json().get("keys", [])
            return [str(k.get("kid")) for k in keys if isinstance(k, dict)]

    try:
        return call_with_timeout(fetch, ctx.timeout * 2)
    except Exception:  # noqa: BLE001 - the lookup only refines the advice
        return None


def _oidc_reason_fix(ctx: Context, server_said: str) -> str | None:
    """The fix for a refusal the Collector's ``oidc`` authenticator explained, if it did."""
    claims = ctx.token_claims or {}
    issuer = str(claims.get("iss") or "-")
    expected = re.search(r'expected audience \\?"([^"\\]+)\\?"', server_said)
    if expected:
        return (
            f"The gateway expects the audience {expected.group(1)}: set "
            f"WORKSPACE_OTEL_TOKEN_AUDIENCE={expected.group(1)}."
        )
    if "no OIDC provider configured for the issuer" in server_said or (
        "issued by a different provider" in server_said
    ):
        return (
            f"The gateway does not trust the issuer {issuer}: add it to the oidc "
            "authenticator's providers on the gateway, or use a token source whose issuer "
            "it lists (WORKSPACE_OTEL_TOKEN_SOURCE)."
        )
    if "token is expired" in server_said:
        return (
            "The token had expired when the gateway checked it (the gateway allows no clock "
            "leeway): sync this machine's clock with NTP, and use a refreshing token source."
        )
    return None


def _rejection_fix(
    ctx: Context, token_sent: bool, *, grpc_insecure: bool, server_said: str = ""
) -> str:
    header = (ctx.settings.token_header.value or "authorization").lower()
    if grpc_insecure and ctx.token is not None:
        return (
            "Use an https:// (TLS) endpoint for gRPC so the token is sent, or switch to "
            "OTEL_EXPORTER_OTLP_PROTOCOL=http/protobuf."
        )
    if ctx.token_source is None:
        static = ctx.settings.headers.get(header)
        if static:
            return (
                f"The static {header} in {ctx.settings.headers_source} is not accepted: replace "
                "it with a valid credential, or better, configure a token source "
                "(WORKSPACE_OTEL_TOKEN_SOURCE)."
            )
        return (
            "The endpoint requires credentials: set WORKSPACE_OTEL_TOKEN_SOURCE (e.g. gitpod "
            "with WORKSPACE_OTEL_TOKEN_AUDIENCE, oauth2, or file:/path/to/key)."
        )
    if not grpc_insecure and ctx.settings.protocol == "grpc" and header in ctx.settings.headers:
        return (
            f"Remove {header} from {ctx.settings.headers_source}: over gRPC that static value "
            "is sent first and the server judged it, not the token."
        )
    explained = _oidc_reason_fix(ctx, server_said) if token_sent else None
    if explained is not None:
        return explained
    claims = ctx.token_claims
    if not claims:
        if header == "authorization" and (
            ctx.settings.backend == "lightstep" or "lightstep" in (ctx.settings.traces_url or "")
        ):
            return (
                "Lightstep expects its key in lightstep-access-token: set "
                "WORKSPACE_OTEL_TOKEN_HEADER=lightstep-access-token."
            )
        return (
            f"The endpoint does not accept this token: put a valid key for it behind "
            f"WORKSPACE_OTEL_TOKEN_SOURCE, and check the header ({header}; set "
            "WORKSPACE_OTEL_TOKEN_HEADER if the backend expects another one)."
        )
    if ctx.clock_skew is not None and abs(ctx.clock_skew) > 300:
        return (
            "The clocks disagree (see check 4): sync this machine's clock with NTP "
            "(sudo timedatectl set-ntp true) so tokens are valid when they arrive."
        )
    issuer = str(claims.get("iss") or "")
    kid = ctx.token_header.get("kid")
    kids = _issuer_kids(ctx, issuer) if issuer else None
    if kids is not None and kid is not None and str(kid) not in kids:
        return (
            f"The issuer no longer publishes the key that signed this token (kid {kid}): its "
            "signing key was rotated. Get a fresh token: restart the application (or replace "
            f"the stored token behind {ctx.environ.get('WORKSPACE_OTEL_TOKEN_SOURCE', 'auto')})."
        )
    aud = claims.get("aud")
    audiences = ", ".join([aud] if isinstance(aud, str) else [str(a) for a in aud or []])
    return (
        f"The collector does not accept this token's audience or issuer (aud={audiences or '-'}, "
        f"iss={issuer or '-'}): set WORKSPACE_OTEL_TOKEN_AUDIENCE to the audience the "
        "collector's oidc authenticator expects, and make sure it trusts this issuer."
    )


_GRPC_UNAVAILABLE_TLS = ("ssl", "handshake", "certificate", "tls")


def _grpc(
    ctx: Context,
    check: Check,
    target: str,
    metadata: Sequence[tuple[str, str]],
    secure: bool,
    token_sent: bool,
) -> None:
    s = ctx.settings
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
        check.add(Finding("fail", exc.detail, _tls_fix(ctx, exc, target, True)))
        return
    check.evidence["answer"] = answer.code
    if answer.details:
        check.evidence["server said"] = answer.details
    _interpret_grpc(ctx, check, answer, secure, token_sent)


def _interpret_grpc(
    ctx: Context, check: Check, answer: GrpcAnswer, secure: bool, token_sent: bool
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
                f"credentials rejected ({code}): {_sent_description(ctx, token_sent)}",
                _rejection_fix(
                    ctx, token_sent, grpc_insecure=not secure, server_said=answer.details
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
                "OTEL_EXPORTER_OTLP_PROTOCOL=http/protobuf for port 4318.",
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


def check_end_to_end(ctx: Context, check: Check) -> None:
    """Send one real span through the SDK exporter with the library's authentication."""
    if not ctx.endpoint_accepted:
        check.verdict = "skipped"
        check.summary = "the endpoint did not accept an export (see check 5)"
        return
    from opentelemetry.sdk.resources import Resource
    from opentelemetry.sdk.trace import ReadableSpan, SpanProcessor, TracerProvider
    from opentelemetry.sdk.trace.export import SpanExportResult
    from opentelemetry.trace import format_trace_id

    ended: list[ReadableSpan] = []

    class _Keep(SpanProcessor):
        def on_end(self, span: ReadableSpan) -> None:
            ended.append(span)

    attributes: dict[str, Any] = dict(ctx.attributes)
    attributes.setdefault(
        "service.name", ctx.environ.get("OTEL_SERVICE_NAME") or "workspace-otel-doctor"
    )
    provider = TracerProvider(resource=Resource.create(attributes))
    provider.add_span_processor(_Keep())
    provider.get_tracer("workspace_otel.doctor").start_span(
        "workspace-otel doctor test span", attributes={"workspace_otel.doctor": True}
    ).end()
    provider.shutdown()
    span = ended[0]
    trace_id = format_trace_id(span.context.trace_id) if span.context else ""
    capture = LogCapture()
    loggers = [logging.getLogger(n) for n in ("opentelemetry", "workspace_otel", "grpc")]
    saved = [(lg.propagate, lg.level) for lg in loggers]
    for lg in loggers:
        lg.addHandler(capture)
        lg.propagate = False
    try:
        exporter, how = _exporter(ctx)
        check.evidence["exporter"] = how
        try:
            result = exporter.export([span])
        finally:
            exporter.shutdown()
    finally:
        for lg, (propagate, level) in zip(loggers, saved, strict=True):
            lg.removeHandler(capture)
            lg.propagate = propagate
            lg.setLevel(level)
    check.evidence["trace id"] = trace_id
    if capture.messages:
        check.evidence["exporter log"] = capture.messages[:5]
    if result != SpanExportResult.SUCCESS:
        check.add(
            Finding(
                "fail",
                "the SDK exporter could not deliver the test span although the endpoint "
                "accepted the doctor's own request",
                "Compare the exporter log above with check 5; run the application with "
                "OTEL_LOG_LEVEL=debug to see each export's answer.",
            )
        )
        return
    try:
        link = trace_link(trace_id, ctx.environ)
    except (ConfigurationError, ValueError):
        link = None
    if link:
        check.evidence["link"] = link
    check.summary = f"test span delivered: trace id {trace_id}" + (f" ({link})" if link else "")


def _exporter(ctx: Context) -> tuple[Any, str]:
    s = ctx.settings
    header = (s.token_header.value or "authorization").lower()
    source = ctx.token_source
    static = dict(s.headers)
    if s.protocol == "grpc":
        from opentelemetry.exporter.otlp.proto.grpc.trace_exporter import OTLPSpanExporter

        secure = s.grpc_secure
        credentials = None
        how = "OTLP/gRPC exporter"
        if secure and source is not None:
            credentials = _integrations.grpc_credentials(source, header)
            how += " with workspace_otel.credentials.grpc_credentials()"
        if secure and credentials is None:
            import grpc

            root = _read(s.certificate.value)
            credentials = grpc.ssl_channel_credentials(
                root_certificates=root,
                private_key=_read(s.client_key.value),
                certificate_chain=_read(s.client_certificate.value),
            )
            if source is not None and ctx.token is not None:
                static[header] = _header_value(header, str(ctx.token.value))
                how += " (library gRPC credentials unavailable: token sent as metadata)"
        metadata: Sequence[tuple[str, str]] | None = tuple(static.items()) or None
        exporter = OTLPSpanExporter(
            endpoint=s.traces_url,
            insecure=not secure,
            credentials=credentials,
            headers=metadata,
            timeout=ctx.timeout,
        )
        return exporter, how
    from opentelemetry.exporter.otlp.proto.http.trace_exporter import (
        OTLPSpanExporter as HttpExporter,
    )

    session = None
    how = "OTLP/HTTP exporter"
    if source is not None:
        session = _integrations.http_session(source, header)
        if session is None and ctx.token is not None:
            static[header] = _header_value(header, str(ctx.token.value))
            how += " (library session unavailable: token sent as a header)"
        else:
            how += " with workspace_otel.credentials.http_session()"
    exporter_http = HttpExporter(
        endpoint=s.traces_url,
        certificate_file=s.certificate.value,
        client_key_file=s.client_key.value,
        client_certificate_file=s.client_certificate.value,
        headers=static,
        timeout=ctx.timeout,
        session=session,
    )
    return exporter_http, how


def _read(path: str | None) -> bytes | None:
    if not path:
        return None
    from workspace_otel._guards import safe_read

    return safe_read.read_bytes(path)
