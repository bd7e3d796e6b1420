"""Exit, SIGTERM and fork handling for the configured providers.

* Normal exit: one ``atexit`` hook shuts the providers down within the flush
  deadline (the SDK's own per-provider atexit hooks are turned off, so nothing
  is shut down twice).
* SIGTERM: if the application had installed its own handler, ours flushes
  (bounded) and then calls it; the application decides what happens next. If
  the previous disposition was the default, ours ends the spans still open,
  shuts down (bounded), restores the default and re-raises SIGTERM, so the
  process still dies *of SIGTERM* (exit status -15 / 143). An ignored SIGTERM
  stays ignored: no handler is installed.
* fork: the SDK's batch processors restart their threads and drop the queue in
  the child (so nothing buffered before the fork is exported twice); here the
  child also drops HTTP connections inherited from the parent and gets fresh
  locks. Every process flushes its own telemetry at exit.

All of it runs with a deadline in a helper thread: a flush blocked on the
network, or on a lock the interrupted main thread holds, never hangs the exit.
"""

from __future__ import annotations

import atexit
import logging
import os
import signal
import threading
from collections.abc import Callable
from types import FrameType
from typing import TYPE_CHECKING, Any

from opentelemetry.sdk.trace import ReadableSpan, Span, SpanProcessor

from workspace_otel._guards.fork import on_fork_in_child

if TYPE_CHECKING:
    from opentelemetry.context import Context

_logger = logging.getLogger("workspace_otel")

_MAX_TRACKED = 10_000


def _key(span: ReadableSpan) -> tuple[int, int] | None:
    """The identity a span keeps from start to end: its (trace id, span id).

    The SDK hands ``on_end`` a fresh ``ReadableSpan`` snapshot, not the
    ``Span`` that ``on_start`` saw, so object identity cannot pair them.
    """
    context = span.get_span_context()
    if context is None:
        return None
    return (context.trace_id, context.span_id)


class OpenSpans(SpanProcessor):
    """Remembers started, not yet ended spans so a dying process can end them."""

    def __init__(self) -> None:
        self._open: dict[tuple[int, int], Span] = {}

    def on_start(self, span: Span, parent_context: Context | None = None) -> None:
        """Track ``span`` (dict operations are atomic: no lock on the hot path)."""
        key = _key(span)
        if key is not None and len(self._open) < _MAX_TRACKED:
            self._open[key] = span

    def on_end(self, span: ReadableSpan) -> None:
        """Forget ``span``."""
        key = _key(span)
        if key is not None:
            self._open.pop(key, None)

    def end_all(self, reason: str) -> int:
        """End every open span with an event naming ``reason``; return how many."""
        spans = list(self._open.values())
        self._open.clear()
        ended = 0
        for span in spans:
            if span.end_time is not None:  # ended while we were collecting
                continue
            try:
                span.add_event("workspace_otel.process_exit", {"reason": reason})
                span.end()
                ended += 1
            except Exception:
                _logger.debug("could not end an open span", exc_info=True)
        return ended

    def clear(self) -> None:
        """Forget everything (a forked child does not own its parent's spans)."""
        self._open = {}


def run_bounded(func: Callable[[], Any], timeout: float, what: str, *, warn: bool = True) -> bool:
    """Run ``func`` in a daemon thread and wait at most ``timeout`` seconds.

    Python 3.12 refuses new threads once interpreter shutdown has begun, which
    is when ``atexit`` callbacks run; ``func`` then runs on the calling thread,
    bounded only by the exporters' own timeouts, rather than not at all.

    Args:
        func: the work.
        timeout: seconds to wait.
        what: its name in the warning.
        warn: log a warning when the deadline passes (``False``: the caller says it better).

    Returns:
        ``True`` when ``func`` finished in time without raising.
    """
    done: list[bool] = []

    def target() -> None:
        try:
            func()
            done.append(True)
        except Exception:
            _logger.debug("%s failed", what, exc_info=True)

    thread = threading.Thread(target=target, name=f"workspace_otel {what}", daemon=True)
    try:
        thread.start()
    except RuntimeError:  # "can't create new thread at interpreter shutdown"
        target()
        return bool(done)
    thread.join(timeout)
    if thread.is_alive():
        if warn:
            _logger.warning("%s did not finish within %.1f s; continuing", what, timeout)
        return False
    return bool(done)


class Lifecycle:
    """Installs the exit, signal and fork hooks once per process.

    Args:
        flush: ``(timeout) -> bool`` flushing every provider.
        shutdown: ``(timeout) -> bool`` shutting every provider down.
        open_spans: the open-span tracker of the tracer provider.
        after_fork: extra work for a forked child (reset sessions, locks).
        timeout: the flush deadline in seconds.
    """

    def __init__(
        self,
        *,
        flush: Callable[[float], bool],
        shutdown: Callable[[float], bool],
        open_spans: OpenSpans,
        after_fork: Callable[[], None],
        timeout: float,
    ) -> None:
        self._flush = flush
        self._shutdown = shutdown
        self._open_spans = open_spans
        self._after_fork = after_fork
        self.timeout = timeout
        self.previous: Any = None
        self.installed_signal = False
        self.active = True

    def install(self) -> None:
        """Register atexit, SIGTERM (main thread only) and fork hooks."""
        atexit.register(self._at_exit)
        # One key: a new configuration replaces the old hook instead of adding one.
        on_fork_in_child(__name__, self._in_child)
        self._install_sigterm()

    def _install_sigterm(self) -> None:
        if threading.current_thread() is not threading.main_thread():
            _logger.debug("not on the main thread: no SIGTERM handler installed")
            return
        try:
            previous = signal.getsignal(signal.SIGTERM)
        except (ValueError, OSError):  # pragma: no cover - platform without SIGTERM
            return
        if previous is signal.SIG_IGN or previous is None:
            # Ignored on purpose, or installed outside Python: leave it alone.
            _logger.debug("SIGTERM is ignored or handled outside Python: left alone")
            return
        self.previous = previous
        signal.signal(signal.SIGTERM, self._on_sigterm)
        self.installed_signal = True

    def uninstall(self) -> None:
        """Undo the SIGTERM handler (if still ours) and stop acting at exit."""
        self.active = False
        atexit.unregister(self._at_exit)
        if self.installed_signal and threading.current_thread() is threading.main_thread():
            current = signal.getsignal(signal.SIGTERM)
            if getattr(current, "__self__", None) is self:
                signal.signal(signal.SIGTERM, self.previous)
            self.installed_signal = False

    def _at_exit(self) -> None:
        if self.active:
            self.active = False
            self._shutdown(self.timeout)

    def _in_child(self) -> None:
        self._open_spans.clear()
        try:
            self._after_fork()
        except Exception:
            _logger.debug("after-fork reset failed", exc_info=True)

    def _on_sigterm(self, signum: int, frame: FrameType | None) -> None:
        previous = self.previous
        if callable(previous):
            # The application's own handler decides what happens; flush first
            # so nothing is lost if it exits abruptly.
            if self.active:
                self._flush(self.timeout)
            previous(signum, frame)
            return
        # Default disposition: deliver everything, then die of SIGTERM.
        if self.active:
            self.active = False
            ended = self._open_spans.end_all("SIGTERM")
            if ended:
                _logger.info("ended %d span(s) still open at SIGTERM", ended)
            self._shutdown(self.timeout)
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
        os.kill(os.getpid(), signal.SIGTERM)
