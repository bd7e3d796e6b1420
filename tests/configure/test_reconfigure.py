"""configure() after telemetry.shutdown() starts a new pipeline (a notebook, a test)."""

from __future__ import annotations

import warnings

import pytest
from opentelemetry import trace

import workspace_otel
from tests.harness.receivers import HttpOtlpReceiver
from workspace_otel.errors import WorkspaceOtelWarning


def test_configure_after_shutdown_builds_a_new_pipeline_that_exports() -> None:
    """The second pipeline is new, global, silent about double configuration, and exports."""
    with HttpOtlpReceiver() as receiver:
        first = workspace_otel.configure(endpoint=receiver.endpoint, metrics=False)
        with trace.get_tracer("t").start_as_current_span("before-shutdown"):
            pass
        assert first.shutdown()
        with warnings.catch_warnings():
            warnings.simplefilter("error", WorkspaceOtelWarning)
            second = workspace_otel.configure(endpoint=receiver.endpoint, metrics=False)
        assert second is not first
        assert trace.get_tracer_provider() is second.tracer_provider
        with trace.get_tracer("t").start_as_current_span("after-reconfigure"):
            pass
        assert second.force_flush()
        spans = receiver.wait_for_spans(2, timeout=10)
    assert sorted(s.name for s in spans) == ["after-reconfigure", "before-shutdown"]
    assert second.installed["traces"] is True


def test_before_shutdown_a_second_call_still_returns_the_same_handle() -> None:
    """Without shutdown(), nothing is rebuilt: same handle, one warning."""
    first = workspace_otel.configure(backend="console")
    with pytest.warns(WorkspaceOtelWarning, match="already configured"):
        assert workspace_otel.configure(backend="console") is first


def test_a_foreign_provider_is_not_released_by_reconfiguring() -> None:
    """Only globals the dead handle installed are released; someone else's stay."""
    from opentelemetry.sdk.trace import TracerProvider

    theirs = TracerProvider()
    trace.set_tracer_provider(theirs)
    with pytest.warns(WorkspaceOtelWarning, match="did not replace"):
        first = workspace_otel.configure(backend="console")
    first.shutdown()
    with pytest.warns(WorkspaceOtelWarning, match="did not replace"):
        second = workspace_otel.configure(backend="console")
    assert second is not first
    assert trace.get_tracer_provider() is theirs
