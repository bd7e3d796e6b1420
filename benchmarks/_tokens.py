"""P7 (token fetches per lifetime under load) and P8 (exports that waited on a refresh)."""

from __future__ import annotations

import threading
import time
from typing import Any

from benchmarks._common import Options, Row, percentile


def _max_in_window(times: list[float], window: float) -> int:
    """Largest number of ``times`` inside any half-open interval of length ``window``."""
    best = 0
    ordered = sorted(times)
    for index, start in enumerate(ordered):
        count = sum(1 for t in ordered[index:] if t < start + window)
        best = max(best, count)
    return best


def p7_p8(options: Options, receiver: Any) -> list[Row]:
    """64 threads over three exporters' sessions sharing one source, for a few token lifetimes."""
    from tests.harness.token_server import TokenServer

    from workspace_otel.credentials import OAuth2ClientCredentialsSource, http_session, shared_cache

    lifetime = 3.0 if options.quick else 6.0
    duration = 4.0 if options.quick else 2.5 * lifetime
    threads_count = 64
    with TokenServer(lifetime=lifetime) as server:
        source = OAuth2ClientCredentialsSource(server.token_url, "test-client", "test-secret")
        cache = shared_cache(source)
        fetch_times: list[float] = []
        real_fetch = source.fetch

        def counted_fetch() -> Any:
            token = real_fetch()
            fetch_times.append(time.monotonic())
            return token

        source.fetch = counted_fetch  # type: ignore[method-assign]
        waited: list[float] = []
        token_latency: list[float] = []
        lock = threading.Lock()
        real_slow = cache._token_slow
        real_token = cache.token

        def counted_slow(timeout: float) -> Any:
            start = time.perf_counter()
            try:
                return real_slow(timeout)
            finally:
                with lock:
                    waited.append(time.perf_counter() - start)

        def timed_token(timeout: float | None = None) -> Any:
            start = time.perf_counter()
            try:
                return real_token(timeout)
            finally:
                elapsed = time.perf_counter() - start
                with lock:
                    token_latency.append(elapsed)

        sessions = [http_session(source) for _ in range(3)]  # traces, metrics, logs exporters
        urls = [receiver.traces_url, receiver.metrics_url, receiver.logs_url]
        headers = {"Content-Type": "application/x-protobuf"}
        for session, url in zip(sessions, urls, strict=True):
            session.post(url, data=b"", headers=headers, timeout=10).raise_for_status()
        # Steady state from here: a token is cached; count only what follows.
        cache._token_slow = counted_slow  # type: ignore[method-assign]
        cache.token = timed_token  # type: ignore[method-assign]
        fetch_times.clear()
        receiver.reset()
        requests_before = server.token_requests
        started = time.monotonic()
        deadline = started + duration
        errors: list[BaseException] = []
        sent = [0] * threads_count

        def worker(index: int) -> None:
            session = sessions[index % 3]
            url = urls[index % 3]
            try:
                while time.monotonic() < deadline:
                    session.post(url, data=b"", headers=headers, timeout=10).raise_for_status()
                    sent[index] += 1
            except BaseException as exc:  # reported below
                errors.append(exc)

        workers = [threading.Thread(target=worker, args=(i,)) for i in range(threads_count)]
        for thread in workers:
            thread.start()
        for thread in workers:
            thread.join()
        elapsed = time.monotonic() - started
        fetched = server.token_requests - requests_before
        cache.token = real_token  # type: ignore[method-assign]
        cache._token_slow = real_slow  # type: ignore[method-assign]
        for session in sessions:
            session.close()
        if errors:
            raise RuntimeError(f"{len(errors)} export(s) failed: {type(errors[0]).__name__}")
    per_window = _max_in_window([t - started for t in fetch_times], lifetime)
    rate = fetched / (elapsed / lifetime)
    p99 = percentile(token_latency, 99) * 1e6
    p50 = percentile(token_latency, 50) * 1e6
    worst = max(token_latency) * 1e6 if token_latency else 0.0
    total = sum(sent)
    return [
        Row(
            "P7",
            "token fetches per token lifetime, 64 threads x 3 exporters",
            f"{per_window}",
            "<= 2",
            per_window <= 2,
            f"most fetches in any {lifetime:g} s window; {fetched} fetches in {elapsed:.1f} s "
            f"({rate:.2f} per lifetime on average), {total} exports",
        ),
        Row(
            "P8",
            "exports that waited on a refresh, steady state",
            f"{len(waited)}",
            "0",
            not waited,
            f"token wait per export p50 {p50:.1f} µs, p99 {p99:.1f} µs, max {worst:.0f} µs "
            f"over {len(token_latency)} exports",
        ),
    ]
