"""P1 (imports), P2 / P3 (process start with configure()) and the added peak RSS."""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from tests.harness.platform_envs import CODESPACES

from benchmarks._common import (
    WORK,
    ChildRun,
    Options,
    Row,
    alternate,
    median,
    python,
    python_env,
    run_child,
)
from benchmarks._compare import count_both, count_instructions, paired
from benchmarks._repo import PLANTED, new_commit

HEAVY = ("git", "requests", "grpc")
TOKEN = "bench-static-token-0123456789abcdef"

_IMPORT_TIMER = (
    "import time, sys\n"
    "t = time.perf_counter()\n"
    "import {module}\n"
    "sys.stdout.write(repr(time.perf_counter() - t))\n"
)

# Peak RSS of the child's own address space (VmHWM), printed at exit after the SDK's own
# exit handlers (registered later, so run earlier). ru_maxrss would include the parent's
# pages inherited before exec.
_HWM = (
    "import atexit, sys\n"
    "def _hwm():\n"
    "    with open('/proc/self/status') as f:\n"
    "        sys.stderr.write(''.join(l for l in f if l.startswith('VmHWM')))\n"
    "atexit.register(_hwm)\n"
)

OURS = _HWM + "import workspace_otel\nworkspace_otel.configure()\n"

_PROBE = (
    "import json, sys\n"
    "import workspace_otel\n"
    "telemetry = workspace_otel.configure()\n"
    "print(json.dumps({'attributes': dict(telemetry.resource.attributes),"
    " 'gitpython': 'git' in sys.modules}))\n"
)

_HAND_WRITTEN = (
    _HWM
    + """\
from opentelemetry import metrics, trace
from opentelemetry.exporter.otlp.proto.http.metric_exporter import OTLPMetricExporter
from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import PeriodicExportingMetricReader
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor

ENDPOINT = {endpoint!r}
HEADERS = {{"authorization": "Bearer {token}"}}
resource = Resource.create({attributes})
tracer_provider = TracerProvider(resource=resource)
tracer_provider.add_span_processor(
    BatchSpanProcessor(OTLPSpanExporter(endpoint=ENDPOINT + "/v1/traces", headers=HEADERS))
)
trace.set_tracer_provider(tracer_provider)
reader = PeriodicExportingMetricReader(
    OTLPMetricExporter(endpoint=ENDPOINT + "/v1/metrics", headers=HEADERS)
)
metrics.set_meter_provider(MeterProvider(resource=resource, metric_readers=[reader]))
"""
)


def p1(options: Options) -> list[Row]:
    """Modules pulled in by ``import workspace_otel`` and its import time."""
    env = python_env(options)
    listing = run_child(
        [python(), "-c", "import sys, json, workspace_otel; print(json.dumps(list(sys.modules)))"],
        env=env,
    )
    modules = set(json.loads(listing.stdout))
    heavy = sorted(m for m in modules if m.split(".")[0] in HEAVY)
    sdk = any(m.startswith("opentelemetry.sdk") for m in modules)
    runs = 3 if options.quick else 15

    def timed(module: str) -> Callable[[], float]:
        code = _IMPORT_TIMER.format(module=module)
        return lambda: float(run_child([python(), "-c", code], env=env).stdout)

    ours, sdk_alone = alternate(runs, timed("workspace_otel"), timed("opentelemetry.sdk.resources"))
    return [
        Row(
            "P1",
            "`import workspace_otel` imports git / requests / grpc",
            "none" if not heavy else ", ".join(heavy[:5]),
            "none",
            not heavy,
            f"{len(modules)} modules; opentelemetry.sdk imported: {'yes' if sdk else 'no'}",
        ),
        Row(
            "P1",
            "import time: workspace_otel / opentelemetry.sdk.resources",
            f"{median(ours) * 1e3:.1f} ms / {median(sdk_alone) * 1e3:.1f} ms",
            "-",
            None,
            f"ratio {median(ours) / median(sdk_alone):.2f}x; medians of {runs}, ABAB",
        ),
    ]


@dataclass
class StartupSetup:
    """Everything the start-up comparisons share."""

    repo: Path
    env: dict[str, str]
    hand_written: str
    attributes: dict[str, object]
    gitpython_on_warm_start: bool


def startup_setup(options: Options, repo: Path, endpoint: str) -> StartupSetup:
    """Build the Codespace-shaped environment and the hand-written equivalent script."""
    root = WORK / "platform-root"
    root.mkdir(parents=True, exist_ok=True)
    platform = {k: v for k, v in CODESPACES.environ.items() if k not in ("HOME", "PATH", "USER")}
    env = python_env(
        options,
        {
            **platform,
            "CODESPACE_VSCODE_FOLDER": str(repo),
            "WORKSPACE_OTEL_PLATFORM_ROOT": str(root),
            "XDG_CACHE_HOME": str(WORK / "cache"),
            "OTEL_EXPORTER_OTLP_ENDPOINT": endpoint,
            "OTEL_EXPORTER_OTLP_PROTOCOL": "http/protobuf",
            "WORKSPACE_OTEL_TOKEN": TOKEN,
        },
    )
    run_child([python(), "-c", OURS], env=env, cwd=repo)  # warm the cache and the pyc files
    probe = json.loads(run_child([python(), "-c", _PROBE], env=env, cwd=repo).stdout)
    attributes = {
        k: v for k, v in probe["attributes"].items() if not k.startswith("telemetry.sdk.")
    }
    if PLANTED in json.dumps(attributes):
        raise RuntimeError("the planted remote credential reached the resource")
    script = _HAND_WRITTEN.format(endpoint=endpoint, token=TOKEN, attributes=repr(attributes))
    run_child([python(), "-c", script], env=env, cwd=repo)
    return StartupSetup(repo, env, script, attributes, bool(probe["gitpython"]))


def _hwm_kib(run: ChildRun) -> float:
    for line in run.stderr.splitlines():
        if line.startswith("VmHWM:"):
            return float(line.split()[1])
    return float(run.max_rss_kib)


def p2_p3(
    options: Options,
    setup: StartupSetup,
    *,
    label: str = "",
    pairs: int | None = None,
    judged: bool = True,
) -> list[Row]:
    """Second start and first start after a commit, ours against the hand-written setup.

    ``judged=False`` (the git cache turned off): the same comparisons for
    information. Budgets P2 and P3 are the default start's; with the cache off
    every start reads the repository again, so the rows show what the cache
    saves rather than a budget.
    """
    warm_pairs = options.pairs_for(100) if pairs is None else pairs
    cold_pairs = options.pairs_for(200) if pairs is None else pairs
    env = setup.env

    def start(code: str) -> Callable[[], ChildRun]:
        return lambda: run_child([python(), "-c", code], env=env, cwd=setup.repo)

    ours, hand = start(OURS), start(setup.hand_written)
    counter = [0]

    def after_commit(run: Callable[[], ChildRun]) -> Callable[[], ChildRun]:
        def commit_then_run() -> ChildRun:
            new_commit(setup.repo, counter)
            return run()

        return commit_then_run

    def counted(code: str, *, commit: bool) -> Callable[[], int | None]:
        def count() -> int | None:
            if commit:
                new_commit(setup.repo, counter)
            return count_instructions([python(), "-c", code], env=env, cwd=setup.repo)

        return count

    ours()  # the cache now matches the repository
    warm = paired(warm_pairs, ours, hand)
    cold = paired(cold_pairs, after_commit(ours), after_commit(hand))
    if options.instructions:
        ours()  # back to a warm cache for the warm count
        warm.instructions = count_both(
            counted(OURS, commit=False), counted(setup.hand_written, commit=False)
        )
        cold.instructions = count_both(
            counted(OURS, commit=True), counted(setup.hand_written, commit=True)
        )
    rss_a = median([_hwm_kib(r) for r in warm.ours + cold.ours]) / 1024
    rss_b = median([_hwm_kib(r) for r in warm.theirs + cold.theirs]) / 1024
    suffix = f" {label}" if label else ""
    warm_note = "GitPython imported" if setup.gitpython_on_warm_start else "GitPython not imported"
    return [
        Row(
            "P2" if judged else "info",
            f"start with configure(), second start{suffix}",
            warm.figure,
            "<= 1.05x" if judged else "-",
            warm.holds(1.05) if judged else None,
            f"{warm.describe()}; hand-written setup; {warm_note}",
        ),
        Row(
            "P3" if judged else "info",
            f"start with configure(), first after a commit{suffix}",
            cold.figure,
            "<= 1.10x" if judged else "-",
            cold.holds(1.10) if judged else None,
            f"{cold.describe()}; hand-written setup; a new commit before every run",
        ),
        Row(
            "mem",
            f"peak RSS added by configure(){suffix}",
            f"{rss_a - rss_b:+.1f} MiB",
            "-",
            None,
            f"{rss_a:.1f} MiB vs {rss_b:.1f} MiB hand-written (medians of VmHWM at exit)",
        ),
    ]


def cache_off_env(setup: StartupSetup) -> StartupSetup:
    """The same setup with the git attribute cache turned off (GitPython on every start)."""
    env = dict(setup.env)
    env["WORKSPACE_OTEL_GIT_CACHE"] = "off"
    return StartupSetup(setup.repo, env, setup.hand_written, setup.attributes, True)


def describe_machine() -> dict[str, str]:
    """nproc, CPU model and Python version, for the report."""
    cpu = "unknown"
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as handle:
            for line in handle:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    import platform

    return {
        "nproc": str(os.cpu_count()),
        "cpu": cpu,
        "python": platform.python_version(),
        "implementation": platform.python_implementation(),
    }
