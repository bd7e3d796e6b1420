"""Check 3: the settings ``configure()`` resolves, each with the fact that decided it.

Every row comes from :meth:`workspace_otel._settings._options.Settings.describe` (the
library's resolution); invalid settings are the library's own
``ConfigurationError``; typos are :func:`workspace_otel._settings._env.likely_typos`, the
rule ``configure()`` warns with; the token's route is judged by
:mod:`workspace_otel._guards.egress`. This module only interprets them.
"""

from __future__ import annotations

from pathlib import Path

from workspace_otel._doctor._context import Diagnosis
from workspace_otel._doctor._export_plan import ExportPlan, effective_propagators, explain_error
from workspace_otel._doctor._report import Check, Finding
from workspace_otel._guards import egress
from workspace_otel._guards.redaction import display_url, fingerprint
from workspace_otel._settings import _env, _options
from workspace_otel._settings._links import trace_url_template
from workspace_otel.errors import ConfigurationError

__all__ = ["check_configuration"]


def _unknown_variables(ctx: Diagnosis, check: Check) -> None:
    for name, closest in _env.likely_typos(ctx.environ):
        if closest:
            check.add(
                Finding(
                    "fail",
                    f"unknown variable {name} is ignored (did you mean {closest}?)",
                    f"Rename {name} to {closest}.",
                )
            )
        else:
            check.add(
                Finding(
                    "fail",
                    f"unknown variable {name} is ignored by this version of workspace-otel",
                    f"Unset {name}, or set one of the documented WORKSPACE_OTEL_* variables "
                    "(see workspace-otel env or the README).",
                )
            )


def _error(check: Check, exc: ConfigurationError) -> None:
    problem, fix = explain_error(exc)
    check.add(Finding("fail", problem, fix))


def _settings_rows(ctx: Diagnosis, plan: ExportPlan) -> dict[str, str]:
    rows: dict[str, str] = {}
    for option, value, source in plan.options.describe():
        if plan.endpoint_given and option.endswith("_endpoint") and source == _options.ARGUMENT:
            source = "--endpoint"  # the doctor's flag stands for configure(endpoint=...)
        rows[option] = f"{value or '-'} (from {source})"
    if plan.endpoint_given and "traces_endpoint" in rows:
        rows["traces_endpoint"] = f"{_options.endpoint_display(plan.traces_url)} (from --endpoint)"
    propagators = effective_propagators(ctx.environ)
    rows["propagators"] = f"{propagators.value} (from {propagators.source})"
    token_source = plan.token_source
    if token_source is not None:
        # The same words check 4 uses for this source.
        rows["credentials"] = f"{token_source.kind} (from {plan.options.credentials.source})"
    if plan.traces_url:
        rows["probe url"] = f"{display_url(plan.traces_url)} (from {plan.endpoint.source})"
    for name in ("WORKSPACE_OTEL_TOKEN", "WORKSPACE_OTEL_OAUTH2_CLIENT_SECRET"):
        value = ctx.environ.get(name, "").strip()
        if value:
            rows[name] = f"{fingerprint(value)} (secret: fingerprint only)"
    if plan.headers:
        rows["headers"] = (
            ", ".join(f"{name}={fingerprint(value)}" for name, value in plan.headers.items())
            + f" (from {plan.headers_source}; values as fingerprints)"
        )
    return rows


def check_configuration(ctx: Diagnosis, check: Check) -> None:
    """Effective settings with provenance, unknown variables, invalid values and conflicts."""
    _unknown_variables(ctx, check)
    if ctx.plan_error is not None and str(ctx.plan_error) != ctx.token_source_error:
        _error(check, ctx.plan_error)
    try:
        trace_url_template(ctx.environ)
    except ConfigurationError as exc:
        _error(check, exc)
    _check_baggage(ctx, check)
    plan = ctx.plan
    if plan is None:
        return
    check.evidence["settings"] = _settings_rows(ctx, plan)
    if plan.options.disabled.value:
        check.add(
            Finding(
                "fail",
                f"{plan.options.disabled.source} is true: nothing is exported",
                f"Unset {plan.options.disabled.source} (or set it to false).",
            )
        )
    elif not plan.traces.exporters.value:
        check.add(
            Finding(
                "fail",
                f"traces are switched off ({plan.traces.exporters.source})",
                "Unset OTEL_TRACES_EXPORTER (or set it to otlp).",
            )
        )
    _check_endpoint_path(plan, check)
    _check_conflicts(ctx, plan, check)
    _check_certificates(plan, check)
    if check.verdict == "ok" and not check.summary:
        if plan.traces_url:
            check.summary = f"{plan.protocol} to {display_url(plan.traces_url)}"
        else:
            names = ",".join(plan.traces.exporters.value) or "off"
            check.summary = f"traces: {names} ({plan.traces.exporters.source})"


def _check_baggage(ctx: Diagnosis, check: Check) -> None:
    """WORKSPACE_OTEL_BAGGAGE / _TO_SPANS: valid, and baggage among the effective propagators."""
    from workspace_otel._setup import _baggage

    try:
        settings = _baggage.settings_from(ctx.environ)
    except ConfigurationError as exc:
        _error(check, exc)
        return
    rows: dict[str, str] = {}
    if settings.send:
        rows["sent on every outgoing request"] = (
            f"{', '.join(settings.send)} (WORKSPACE_OTEL_BAGGAGE; every downstream service, "
            "third parties included, receives them)"
        )
        propagators = effective_propagators(ctx.environ)
        # Jaeger (uberctx-*) and OT (ot-baggage-*) carry baggage entries too.
        carriers = {"baggage", "jaeger", "ottrace"}
        if carriers.isdisjoint(p.strip().lower() for p in propagators.value.split(",")):
            check.add(
                Finding(
                    "warn",
                    "WORKSPACE_OTEL_BAGGAGE is set but OTEL_PROPAGATORS has no baggage "
                    f"({propagators.value}, from {propagators.source}): nothing is sent",
                    "Add baggage to OTEL_PROPAGATORS (e.g. tracecontext,baggage).",
                )
            )
    if settings.receive is not None:
        rows["copied from incoming baggage onto spans"] = (
            f"{settings.receive.describe()} (WORKSPACE_OTEL_BAGGAGE_TO_SPANS)"
        )
    if rows:
        check.evidence["baggage"] = rows


_SIGNAL_PATHS = ("/v1/traces", "/traces/otlp/v0.9")


def _check_endpoint_path(plan: ExportPlan, check: Check) -> None:
    """A base URL that already ends with a signal path gets a second one appended."""
    url = plan.traces_url or ""
    if plan.protocol != "http/protobuf" or plan.endpoint.source != "OTEL_EXPORTER_OTLP_ENDPOINT":
        return
    base = url.rsplit("/v1/traces", 1)[0]
    if not base.rstrip("/").endswith(_SIGNAL_PATHS):
        return
    root = base.rstrip("/")
    for path in _SIGNAL_PATHS:
        root = root.removesuffix(path)
    check.add(
        Finding(
            "warn",
            "OTEL_EXPORTER_OTLP_ENDPOINT already ends with a signal path, and the exporter "
            f"appends /v1/traces to it ({display_url(url)})",
            f"Set OTEL_EXPORTER_OTLP_ENDPOINT={display_url(root)} (the exporter appends "
            "/v1/traces), or put the full URL in OTEL_EXPORTER_OTLP_TRACES_ENDPOINT instead.",
        )
    )


def _check_conflicts(ctx: Diagnosis, plan: ExportPlan, check: Check) -> None:
    source_configured = plan.token_source is not None
    header = plan.token_header
    grpc = plan.protocol == "grpc"
    if source_configured and header in plan.headers:
        if grpc:
            check.add(
                Finding(
                    "fail",
                    f"{plan.headers_source} sets a static {header} header: over gRPC it is sent "
                    "before the token source's and the Collector's oidc authenticator reads the "
                    "first value",
                    f"Remove {header} from {plan.headers_source}: the token source supplies it.",
                )
            )
        else:
            check.add(
                Finding(
                    "warn",
                    f"{plan.headers_source} sets a static {header} header as well as a token "
                    "source: the library's token replaces it over HTTP, but plain exporters "
                    "and other processes would send the static value",
                    f"Remove {header} from {plan.headers_source}: the token source supplies it.",
                )
            )
    if grpc and plan.traces_url and source_configured and not plan.grpc_secure:
        check.add(
            Finding(
                "fail",
                "the gRPC endpoint is plaintext (http:// or OTEL_EXPORTER_OTLP_INSECURE=true): "
                "the OTLP gRPC exporter never consults credential providers on an insecure "
                "channel, so the token is not sent",
                "Use an https:// endpoint (TLS) for gRPC, or set "
                f"{plan.protocol_switch('http/protobuf')} with the collector's HTTP port.",
            )
        )
    if plan.traces_url and source_configured and not grpc:
        verdict = egress.check_route(plan.traces_url)
        if not verdict:
            check.add(
                Finding(
                    "fail",
                    egress.refusal_message(plan.traces_url, verdict.reason)
                    + ", so exports go out unauthenticated",
                    f"Use https:// in {plan.endpoint.source}"
                    + (", or add the host to NO_PROXY." if "NO_PROXY" in verdict.reason else "."),
                )
            )
    spec = ctx.environ.get("WORKSPACE_OTEL_TOKEN_SOURCE", "").strip().lower()
    if ctx.environ.get("WORKSPACE_OTEL_TOKEN", "").strip() and spec not in ("", "auto"):
        check.add(
            Finding(
                "warn",
                "WORKSPACE_OTEL_TOKEN is set but ignored because "
                f"WORKSPACE_OTEL_TOKEN_SOURCE={spec}",
                "Unset WORKSPACE_OTEL_TOKEN (or set WORKSPACE_OTEL_TOKEN_SOURCE=auto to use it).",
            )
        )


def _check_certificates(plan: ExportPlan, check: Check) -> None:
    for setting in (plan.certificate, plan.client_certificate, plan.client_key):
        if setting.value and not Path(setting.value).is_file():
            check.add(
                Finding(
                    "fail",
                    f"{setting.source} points at {setting.value}, which is not a readable file",
                    f"Set {setting.source} to the path of an existing PEM file.",
                )
            )
