"""The soak test's load generator and process sampler.

The load generator is a bounded loop: it sends at most ``rate * seconds``
requests, paced on a fixed schedule, to ``127.0.0.1`` only, and stops by itself
when they are sent or ``seconds`` have passed, whichever comes first (on a busy
machine the achieved rate is lower, never the measured time shorter).
The sampler reads ``/proc/<pid>`` (resident memory, threads, open files) of the
app's processes once per ``interval`` while the load runs.
"""

from __future__ import annotations

import http.client
import os
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

LOOPBACK = "127.0.0.1"


@dataclass(frozen=True)
class Sample:
    """One reading of one process, ``at`` seconds after the load started."""

    at: float
    pid: int
    rss_kib: int
    threads: int
    fds: int


def read_process(pid: int, at: float) -> Sample:
    """Read resident memory, thread count and open file descriptors of ``pid``."""
    rss = threads = -1
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                rss = int(line.split()[1])
            elif line.startswith("Threads:"):
                threads = int(line.split()[1])
    return Sample(at, pid, rss, threads, len(os.listdir(f"/proc/{pid}/fd")))


def children(pid: int) -> list[int]:
    """The direct children of ``pid`` (gunicorn's workers)."""
    found: list[int] = []
    for task in os.listdir(f"/proc/{pid}/task"):
        try:
            with open(f"/proc/{pid}/task/{task}/children") as f:
                found.extend(int(c) for c in f.read().split())
        except FileNotFoundError:
            continue
    return sorted(found)


@dataclass
class LoadResult:
    """What the load generator did."""

    sent: int = 0
    failed: int = 0
    answered: set[int] = field(default_factory=set)
    failures: list[str] = field(default_factory=list)
    seconds: float = 0.0
    max_lag: float = 0.0
    samples: list[Sample] = field(default_factory=list)


def run_load(
    port: int,
    *,
    rate: float,
    seconds: float,
    pids: Callable[[], Sequence[int]],
    concurrency: int = 4,
    interval: float = 0.2,
) -> LoadResult:
    """Send ``GET /work?seq=N`` for N in ``range(int(rate * seconds))`` on a fixed schedule.

    Request N is due at ``N / rate`` seconds after the start; ``concurrency``
    threads take the next N, wait for its time and send it on a new connection
    to ``127.0.0.1:port``; none is started after ``seconds``. Meanwhile the
    processes ``pids()`` names are sampled every ``interval`` seconds. Returns
    when every request started was answered or failed.
    """
    total = int(rate * seconds)
    result = LoadResult()
    lock = threading.Lock()
    next_seq = iter(range(total))
    done = threading.Event()
    start = time.monotonic()
    deadline = start + seconds

    def one(seq: int) -> None:
        conn = http.client.HTTPConnection(LOOPBACK, port, timeout=30)
        try:
            conn.request("GET", f"/work?seq={seq}")
            response = conn.getresponse()
            body = response.read()
            if response.status != 200 or not body.startswith(f"{seq} ".encode()):
                raise RuntimeError(f"seq {seq}: HTTP {response.status} {body[:80]!r}")
        finally:
            conn.close()

    def worker() -> None:
        while True:
            with lock:
                seq = next(next_seq, None)
            if seq is None:
                return
            due = start + seq / rate
            delay = due - time.monotonic()
            if delay > 0:
                time.sleep(delay)
            now = time.monotonic()
            if now >= deadline:
                return
            lag = now - due
            try:
                one(seq)
                with lock:
                    result.answered.add(seq)
            except (OSError, http.client.HTTPException, RuntimeError) as exc:
                with lock:
                    result.failed += 1
                    if len(result.failures) < 10:
                        result.failures.append(f"{type(exc).__name__}: {exc}")
            with lock:
                result.sent += 1
                result.max_lag = max(result.max_lag, lag)

    def sampler() -> None:
        while not done.is_set():
            at = time.monotonic() - start
            for pid in pids():
                try:
                    result.samples.append(read_process(pid, at))
                except (FileNotFoundError, ProcessLookupError):
                    continue
            done.wait(interval)

    watcher = threading.Thread(target=sampler, name="soak-sampler", daemon=True)
    watcher.start()
    workers = [
        threading.Thread(target=worker, name=f"soak-load-{i}", daemon=True)
        for i in range(concurrency)
    ]
    for thread in workers:
        thread.start()
    for thread in workers:
        thread.join()
    result.seconds = time.monotonic() - start
    done.set()
    watcher.join()
    return result
