"""Checks 1-3: platform, git, configuration (no network)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from workspace_otel import _env
from workspace_otel._doctor import _integrations
from workspace_otel._doctor._context import Context
from workspace_otel._doctor._report import Check, Finding
from workspace_otel._guards import egress
from workspace_otel._guards.redaction import display_url, fingerprint, scrub
from workspace_otel._links import trace_url_template
from workspace_otel.errors import ConfigurationError

__all__ = ["check_configuration", "check_git", "check_platform"]

_CI = ("github_actions", "gitlab_ci")
_NOT_PLATFORM = ("git", "workspace", "actor")
_PLATFORM_PREFIXES = ("workspace.", "cicd.", "user.", "deployment.", "service.")


def check_platform(ctx: Context, check: Check) -> None:
    """Which workspace platform this is, from which markers; near misses as warnings."""
    detected = _integrations.detect(ctx.environ, ctx.root, ctx.cwd)
    if detected is None:
        check.verdict = "skipped"
        check.summary = "resource detection is not available in this installation"
        return
    attributes, sources = detected
    ctx.attributes, ctx.attribute_sources = attributes, sources
    producers = [p for p in dict.fromkeys(sources.values()) if p not in _NOT_PLATFORM]
    ctx.platform = producers[0] if producers else None
    shown = {key: value for key, value in attributes.items() if key.startswith(_PLATFORM_PREFIXES)}
    if ctx.platform is None:
        check.summary = "no cloud workspace or CI platform detected (plain machine or container)"
        check.evidence["platform"] = None
    else:
        kind = "CI system" if ctx.platform in _CI else "workspace"
        check.summary = f"{ctx.platform} {kind}"
        check.evidence["platform"] = ctx.platform
        markers = _integrations.matched_markers(ctx.environ, ctx.root, ctx.platform)
        if markers:
            check.evidence["markers"] = markers
    actor = _integrations.actor(ctx.environ)
    if actor:
        advisory = "" if actor.startswith("off") else "; self-reported and advisory"
        check.evidence["actor"] = f"{actor}{advisory}"
    if shown:
        check.evidence["attributes"] = {
            key: f"{value} (from {sources.get(key, '?')})" for key, value in sorted(shown.items())
        }
    misses = _integrations.near_misses(ctx.environ, ctx.root) or []
    for platform, present, missing in misses:
        check.add(
            Finding(
                "warn",
                f"near miss: {', '.join(present)} set but {', '.join(missing)} missing, "
                f"so this is not treated as a {platform} workspace",
                f"If this is a {platform} workspace, run from a shell that inherits the "
                f"platform's variables ({', '.join(missing)}); otherwise unset "
                f"{', '.join(present)}.",
            )
        )
    if misses:
        check.evidence["near misses"] = {
            platform: {"present": present, "missing": missing}
            for platform, present, missing in misses
        }


_GIT_TIMEOUT = 3.0
"""Seconds the doctor lets one ``git`` process run (a hanging ``git`` must not hang it)."""


def _load_gitpython() -> Any:
    # The detector's import: no ``git version`` without a timeout, none without git.
    from workspace_otel.resources._git import import_gitpython

    return import_gitpython()


def check_git(ctx: Context, check: Check) -> None:
    """Repository found, branch / commit / remote read, or the git problem."""
    setting = ctx.environ.get("WORKSPACE_OTEL_GIT", "").strip().lower()
    if setting in ("off", "false", "0", "no"):
        check.verdict = "skipped"
        check.summary = "WORKSPACE_OTEL_GIT=off: the local repository is not read"
        return
    vcs = {k: v for k, v in ctx.attributes.items() if k.startswith("vcs.")}
    if vcs:
        check.evidence["attributes"] = {
            key: f"{value} (from {ctx.attribute_sources.get(key, '?')})"
            for key, value in sorted(vcs.items())
        }
    try:
        git = _load_gitpython()
    except ImportError:
        check.add(
            Finding(
                "warn",
                "GitPython is not importable, so the repository cannot be read",
                "Reinstall workspace-otel so its GitPython dependency is present: "
                "pip install --force-reinstall workspace-otel",
            )
        )
        return
    check.evidence["directory"] = str(ctx.cwd)
    from workspace_otel.resources._gitfiles import locate, unsafe_files

    location = locate([Path(ctx.cwd)])
    unsafe = unsafe_files(location) if location is not None else []
    if unsafe:  # GitPython would block on it (a FIFO) or exhaust memory (a device)
        check.add(
            Finding(
                "warn",
                f"the repository is not read: {unsafe[0]}",
                "Replace it with the regular file git writes, or set WORKSPACE_OTEL_GIT=off.",
            )
        )
        return
    try:
        repo = git.Repo(ctx.cwd, search_parent_directories=True)
    except (git.InvalidGitRepositoryError, git.NoSuchPathError):
        message = f"{ctx.cwd} is not inside a git repository"
        if vcs:
            check.summary = message + "; vcs.* come from the platform instead"
            return
        check.add(
            Finding(
                "warn",
                message + ": traces will carry no vcs.* attributes",
                "Run the application (and this doctor) from inside your repository's "
                "working tree, e.g. cd /workspaces/<repo>.",
            )
        )
        return
    try:
        _read_repo(git, repo, check)
    finally:
        repo.close()
    if "warn" not in check.verdict and not check.summary:
        branch = check.evidence.get("branch") or "detached HEAD"
        commit = str(check.evidence.get("commit") or "")[:12]
        check.summary = f"{branch} at {commit}" if commit else str(branch)


def _read_repo(git: Any, repo: Any, check: Check) -> None:
    check.evidence["repository"] = str(repo.working_tree_dir or repo.git_dir)
    if not _git_executable_works(git):
        check.add(
            Finding(
                "warn",
                "the git executable was not found: only what can be read from .git files is used",
                "Install git (for example: sudo apt-get install -y git) or put it on PATH.",
            )
        )
    try:
        if repo.head.is_detached:
            check.evidence["branch"] = None
        else:
            check.evidence["branch"] = repo.active_branch.name
        # From the ref files: ``repo.head.commit`` would start ``git cat-file`` without a timeout.
        check.evidence["commit"] = str(git.SymbolicReference.dereference_recursive(repo, "HEAD"))
    except ValueError:
        check.add(
            Finding(
                "warn",
                "the repository has no commits yet: no vcs.ref.head.revision",
                "Make a first commit: git commit --allow-empty -m 'initial commit'",
            )
        )
    except git.GitCommandError as exc:
        stderr = scrub(str(getattr(exc, "stderr", "") or exc))
        if "dubious ownership" in stderr or "safe.directory" in stderr:
            check.add(
                Finding(
                    "warn",
                    "git refuses the repository (dubious ownership: another user owns it)",
                    "Mark it safe: git config --global --add safe.directory "
                    f"{repo.working_tree_dir}",
                )
            )
        else:
            check.add(
                Finding(
                    "warn",
                    f"git could not read HEAD: {stderr}",
                    "Run git status in the repository and fix what it reports.",
                )
            )
    remotes: dict[str, str] = {}
    config = repo.config_reader()
    for remote in repo.remotes:
        try:  # the configuration, not ``git remote get-url`` (a process without a timeout)
            urls = [str(u) for u in config.get_values(f'remote "{remote.name}"', "url")]
        except Exception:  # noqa: BLE001 - a broken remote is only evidence
            urls = []
        if urls:
            raw = urls[0]
            remotes[remote.name] = display_url(raw)
            if "://" in raw and "@" in urlsplit(raw).netloc:
                check.add(
                    Finding(
                        "warn",
                        f"remote {remote.name} embeds a credential in its URL (kept in "
                        ".git/config); workspace_otel strips it from attributes",
                        f"Remove it: git remote set-url {remote.name} {display_url(raw)} "
                        "and use a credential helper instead.",
                    )
                )
    check.evidence["remotes"] = remotes or None


def _git_executable_works(git: Any) -> bool:
    from workspace_otel.credentials._run_command import run_command

    executable = os.environ.get("GIT_PYTHON_GIT_EXECUTABLE") or "git"
    try:  # bounded: own process group, killed at the timeout
        run_command([executable, "version"], timeout=_GIT_TIMEOUT, what="git")
    except Exception:  # noqa: BLE001 - any failure means the executable is unusable
        return False
    return True


_HEADER_VARIABLES = ("OTEL_EXPORTER_OTLP_TRACES_HEADERS", "OTEL_EXPORTER_OTLP_HEADERS")


def _unknown_variables(ctx: Context, check: Check) -> None:
    # The same rule configure() warns with at start (one home: _env.likely_typos).
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
                    "(see workspace-otel doctor --json or the README).",
                )
            )


def _settings_evidence(ctx: Context) -> dict[str, str]:
    rows: dict[str, str] = {}
    options = ctx.options
    describe = getattr(options, "describe", None)
    if callable(describe):
        for option, value, source in describe():
            rows[str(option)] = f"{value or '-'} (from {source})"
    else:
        for label, setting in ctx.settings.values.items():
            value = setting.value if setting.value is not None else "-"
            rows[label] = f"{display_url(value)} (from {setting.source})"
    # What the doctor itself will probe (full traces URL, user-info stripped).
    s = ctx.settings
    if s.traces_url:
        rows["probe url"] = f"{display_url(s.traces_url)} (from {s.endpoint.source})"
    for name in ("WORKSPACE_OTEL_TOKEN", "WORKSPACE_OTEL_OAUTH2_CLIENT_SECRET"):
        value = ctx.environ.get(name, "").strip()
        if value:
            rows[name] = f"{fingerprint(value)} (secret: fingerprint only)"
    if s.headers:
        rows["headers"] = (
            ", ".join(f"{name}={fingerprint(value)}" for name, value in s.headers.items())
            + f" (from {s.headers_source}; values as fingerprints)"
        )
    return rows


def check_configuration(ctx: Context, check: Check) -> None:
    """Effective settings with provenance, unknown variables, invalid values and conflicts."""
    _unknown_variables(ctx, check)
    if ctx.options_error:
        check.add(Finding("fail", ctx.options_error, ctx.options_error))
    for _variable, message in ctx.settings.errors:
        check.add(Finding("fail", message, message))
    try:
        trace_url_template(ctx.environ)
    except ConfigurationError as exc:
        check.add(Finding("fail", str(exc), str(exc)))
    check.evidence["settings"] = _settings_evidence(ctx)
    s = ctx.settings
    disabled = s.values.get("sdk disabled") or None
    if disabled is not None and (disabled.value or "").lower() in ("true", "1", "yes", "on"):
        check.add(
            Finding(
                "fail",
                "OTEL_SDK_DISABLED is true: nothing is exported",
                "Unset OTEL_SDK_DISABLED (or set it to false).",
            )
        )
    exporter = s.values.get("traces exporter")
    exporters = (
        {e.strip().lower() for e in (exporter.value or "").split(",")} if exporter else set()
    )
    if exporters == {"none"}:
        check.add(
            Finding(
                "fail",
                "OTEL_TRACES_EXPORTER=none: traces are switched off",
                "Unset OTEL_TRACES_EXPORTER (or set it to otlp).",
            )
        )
    if s.protocol not in ("http/protobuf", "grpc"):
        message = (
            f"protocol {s.protocol!r} ({s.values['protocol'].source}) is not supported by the "
            "Python OTLP exporters"
        )
        check.add(
            Finding("fail", message, f"Set {s.values['protocol'].source}=http/protobuf (or grpc).")
        )
    _check_endpoint_shape(ctx, check)
    _check_baggage(ctx, check)
    _check_conflicts(ctx, check)
    _check_certificates(ctx, check)
    if check.verdict == "ok" and not check.summary:
        endpoint = display_url(s.traces_url) if s.traces_url else "no endpoint (console)"
        check.summary = f"{s.protocol} to {endpoint}"


def _check_baggage(ctx: Context, check: Check) -> None:
    """WORKSPACE_OTEL_BAGGAGE / _TO_SPANS: valid, and baggage among OTEL_PROPAGATORS."""
    from workspace_otel import _baggage

    try:
        settings = _baggage.settings_from(ctx.environ)
    except ConfigurationError as exc:
        check.add(Finding("fail", str(exc), str(exc)))
        return
    rows: dict[str, str] = {}
    if settings.send:
        rows["sent on every outgoing request"] = (
            f"{', '.join(settings.send)} (WORKSPACE_OTEL_BAGGAGE; every downstream service, "
            "third parties included, receives them)"
        )
        propagators = ctx.environ.get("OTEL_PROPAGATORS", "tracecontext,baggage")
        # Jaeger (uberctx-*) and OT (ot-baggage-*) carry baggage entries too.
        carriers = {"baggage", "jaeger", "ottrace"}
        if carriers.isdisjoint(p.strip().lower() for p in propagators.split(",")):
            check.add(
                Finding(
                    "warn",
                    "WORKSPACE_OTEL_BAGGAGE is set but OTEL_PROPAGATORS has no baggage: "
                    "nothing is sent",
                    "Add baggage to OTEL_PROPAGATORS (e.g. tracecontext,baggage).",
                )
            )
    if settings.receive is not None:
        rows["copied from incoming baggage onto spans"] = (
            f"{settings.receive.describe()} (WORKSPACE_OTEL_BAGGAGE_TO_SPANS)"
        )
    if rows:
        check.evidence["baggage"] = rows


def _check_endpoint_shape(ctx: Context, check: Check) -> None:
    s = ctx.settings
    url = s.endpoint.value
    if not url:
        return
    parts = urlsplit(url if "://" in url else f"//{url}")
    if parts.username is not None or parts.password is not None:
        check.add(
            Finding(
                "fail",
                f"{s.endpoint.source} carries credentials in its URL (user-info), which end up "
                "in logs and are never refreshed",
                f"Remove user:password@ from {s.endpoint.source} and configure a token source "
                "(WORKSPACE_OTEL_TOKEN_SOURCE).",
            )
        )
    if (
        s.protocol == "http/protobuf"
        and s.endpoint.source == "OTEL_EXPORTER_OTLP_ENDPOINT"
        and parts.path.rstrip("/").endswith(("/v1/traces", "/traces/otlp/v0.9"))
    ):
        base = f"{parts.scheme}://{parts.netloc.rpartition('@')[2]}"
        check.add(
            Finding(
                "warn",
                "OTEL_EXPORTER_OTLP_ENDPOINT already ends with a signal path, and the exporter "
                f"appends /v1/traces to it ({display_url(s.traces_url or '')})",
                f"Set OTEL_EXPORTER_OTLP_ENDPOINT={base} (the exporter appends /v1/traces), or put "
                "the full URL in OTEL_EXPORTER_OTLP_TRACES_ENDPOINT instead.",
            )
        )


def _check_conflicts(ctx: Context, check: Check) -> None:
    s = ctx.settings
    source_configured = ctx.token_source is not None
    header = (s.token_header.value or "authorization").lower()
    if source_configured and header in s.headers:
        if s.protocol == "grpc":
            check.add(
                Finding(
                    "fail",
                    f"{s.headers_source} sets a static {header} header: over gRPC it is sent "
                    "before the token source's and the Collector's oidc authenticator reads the "
                    "first value",
                    f"Remove {header} from {s.headers_source}: the token source supplies it.",
                )
            )
        else:
            check.add(
                Finding(
                    "warn",
                    f"{s.headers_source} sets a static {header} header as well as a token "
                    "source: the library's token replaces it over HTTP, but plain exporters "
                    "and other processes would send the static value",
                    f"Remove {header} from {s.headers_source}: the token source supplies it.",
                )
            )
    if s.protocol == "grpc" and s.traces_url and source_configured and not s.grpc_secure:
        check.add(
            Finding(
                "fail",
                "the gRPC endpoint is plaintext (http:// or OTEL_EXPORTER_OTLP_INSECURE=true): "
                "the OTLP gRPC exporter never consults credential providers on an insecure "
                "channel, so the token is not sent",
                "Use an https:// endpoint (TLS) for gRPC, or set "
                "OTEL_EXPORTER_OTLP_PROTOCOL=http/protobuf with the collector's HTTP port.",
            )
        )
    if s.traces_url and source_configured and s.protocol == "http/protobuf":
        verdict = egress.check_route(s.traces_url)
        if not verdict:
            check.add(
                Finding(
                    "fail",
                    egress.refusal_message(s.traces_url, verdict.reason)
                    + ", so exports go out unauthenticated",
                    f"Use https:// in {s.endpoint.source}"
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


def _check_certificates(ctx: Context, check: Check) -> None:
    s = ctx.settings
    for setting in (s.certificate, s.client_certificate, s.client_key):
        if setting.value and not Path(setting.value).is_file():
            check.add(
                Finding(
                    "fail",
                    f"{setting.source} points at {setting.value}, which is not a readable file",
                    f"Set {setting.source} to the path of an existing PEM file.",
                )
            )
