"""P4 (detection in process), P5 (token attach per request), P6 (export throughput)."""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from benchmarks._common import Options, Row, alternate, median, python_env


def _per_call(fn: Callable[[], object], iterations: int, repeats: int) -> float:
    """Median over ``repeats`` of the mean seconds per call of ``fn``."""
    samples = []
    for _ in range(repeats):
        start = time.perf_counter()
        for _ in range(iterations):
            fn()
        samples.append((time.perf_counter() - start) / iterations)
    return median(samples)


def p4(options: Options, environ: dict[str, str], repo: Path, root: Path) -> list[Row]:
    """Detection in process: environment only, and with git (cache warm)."""
    from workspace_otel.resources import detect_with_sources

    iterations = 50 if options.quick else 2000
    repeats = 3 if options.quick else 7

    def env_only() -> object:
        return detect_with_sources(environ, root=root, cwd=repo, git=False)

    def with_git() -> tuple[dict[str, Any], dict[str, str]]:
        return detect_with_sources(environ, root=root, cwd=repo)

    attrs, _ = with_git()  # warm: the cache file matches the repository
    if "vcs.ref.head.revision" not in attrs:
        raise RuntimeError("git detection found no revision")
    env_s = _per_call(env_only, iterations, repeats)
    git_s = _per_call(with_git, max(iterations // 4, 10), repeats)
    return [
        Row(
            "P4",
            "detection in process, environment only",
            f"{env_s * 1e3:.3f} ms",
            "<= 0.2 ms",
            env_s <= 0.2e-3,
            f"detect_with_sources(git=False), Codespace env; median of {repeats}",
        ),
        Row(
            "P4",
            "detection in process, with git (warm)",
            f"{git_s * 1e3:.3f} ms",
            "<= 1 ms",
            git_s <= 1e-3,
            f"detect_with_sources() on the {repo.name} repository, cache warm",
        ),
    ]


def p5(options: Options, cache: Any, url: str) -> list[Row]:
    """Per-request cost of BearerAuth with a cached token."""
    import requests

    from workspace_otel.credentials import BearerAuth

    auth = BearerAuth(cache, header="authorization")
    request = requests.Request(
        "POST", url, data=b"\x0a" * 256, headers={"Content-Type": "application/x-protobuf"}
    ).prepare()
    hooks = request.hooks["response"]
    auth(request)  # the first call may fetch
    iterations = 2000 if options.quick else 100_000
    repeats = 3 if options.quick else 7

    def attach() -> object:
        hooks.clear()
        return auth(request)

    def baseline() -> object:
        hooks.clear()
        return request

    per_call = _per_call(attach, iterations, repeats) - _per_call(baseline, iterations, repeats)
    return [
        Row(
            "P5",
            "token attach per HTTP request, cached token",
            f"{per_call * 1e6:.2f} µs",
            "<= 2 µs",
            per_call <= 2e-6,
            f"BearerAuth(prepared request), loop overhead subtracted; median of {repeats}",
        )
    ]


BATCH_SIZE = 64
"""Spans per export in P6 (timed and counted)."""


def span_batch(count: int) -> list[Any]:
    """``count`` finished spans of a real TracerProvider, to export again and again."""
    from opentelemetry.sdk.resources import Resource
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import SimpleSpanProcessor, SpanExporter, SpanExportResult

    spans: list[Any] = []

    class Keep(SpanExporter):
        def export(self, batch: Any) -> SpanExportResult:
            spans.extend(batch)
            return SpanExportResult.SUCCESS

    provider = TracerProvider(resource=Resource.create({"service.name": "bench"}))
    provider.add_span_processor(SimpleSpanProcessor(Keep()))
    tracer = provider.get_tracer("bench")
    for index in range(count):
        with tracer.start_as_current_span(f"span-{index}") as span:
            span.set_attribute("index", index)
    provider.shutdown()
    return spans


def _check_counted_requests(receiver: Any) -> None:
    """The count's premise: every counted export reached the receiver, token attached.

    A side that sent fewer or smaller requests (no token: the egress rule
    refused it, say) would look cheaper than it is.

    Raises:
        RuntimeError: a request is missing, failed or carried no token.
    """
    from benchmarks._export_count import FEW, MANY

    requests = list(receiver.requests)
    expected = 2 * (FEW + MANY)
    if len(requests) != expected or any(r.status != 200 or not r.token for r in requests):
        raise RuntimeError(
            f"P6 count: {len(requests)} requests reached the receiver (expected {expected}), "
            f"{sum(1 for r in requests if not r.token)} without a token"
        )


def p6(
    options: Options, source: Any, token: str, receiver: Any, token_service: Mapping[str, str]
) -> list[Row]:
    """Export throughput with the credential provider against a static header.

    Timed in this process (exports per second, alternating blocks) and, with
    valgrind, counted: instructions per export in child processes
    (:mod:`benchmarks._export_count`). With a count, the counted ratio decides:
    both sides send requests of the same shape and size, so the kernel and
    network work the count leaves out is the same on both, while the timed ratio moves by
    several per cent between runs on a shared machine.

    Args:
        token_service: ``P6_TOKEN_URL``, ``P6_CLIENT_ID`` and
            ``P6_CLIENT_SECRET`` of the token service ``source`` uses.
    """
    from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
    from opentelemetry.sdk.trace.export import SpanExportResult

    from benchmarks._export_count import per_export
    from workspace_otel.credentials import http_session

    batch = span_batch(BATCH_SIZE)
    ours = OTLPSpanExporter(endpoint=receiver.traces_url, session=http_session(source))
    static = OTLPSpanExporter(
        endpoint=receiver.traces_url, headers={"authorization": f"Bearer {token}"}
    )
    exports = 10 if options.quick else 60
    blocks = 2 if options.quick else 16

    def block(exporter: Any) -> Callable[[], float]:
        def run() -> float:
            receiver.reset()
            start = time.perf_counter()
            for _ in range(exports):
                if exporter.export(batch) is not SpanExportResult.SUCCESS:
                    raise RuntimeError("an export failed")
            return exports / (time.perf_counter() - start)

        return run

    block(ours)()
    block(static)()  # warm both connection pools
    with_provider, with_header = alternate(blocks, block(ours), block(static))
    ours.shutdown()  # type: ignore[no-untyped-call]
    static.shutdown()  # type: ignore[no-untyped-call]
    timed = median(with_provider) / median(with_header)
    detail = (
        f"timed {timed:.3f}x: {median(with_provider):.0f} vs {median(with_header):.0f} "
        f"exports/s of {BATCH_SIZE} spans to HttpOtlpReceiver; medians of {blocks} blocks of "
        f"{exports}, ABAB"
    )
    counted = None
    if options.instructions:
        env = python_env(
            options, {"P6_TRACES_URL": receiver.traces_url, "P6_TOKEN": token, **token_service}
        )
        receiver.reset()
        counted = per_export(env)
        _check_counted_requests(receiver)
    if counted is None:
        ratio, figure = timed, f"{timed:.3f}x"
    else:
        provider, header = counted
        ratio = header / provider  # throughput is the inverse of the work per export
        figure = f"{ratio:.3f}x instructions"
        detail = (
            f"{provider / 1e6:.2f}M vs {header / 1e6:.2f}M instructions per export "
            f"(counted in child processes); {detail}"
        )
    return [
        Row(
            "P6",
            "export throughput, credential provider / static header",
            figure,
            ">= 0.98x",
            ratio >= 0.98,
            detail,
        )
    ]
