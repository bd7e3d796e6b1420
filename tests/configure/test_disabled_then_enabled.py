"""A handle built under OTEL_SDK_DISABLED=true, shut down, then configure() again.

A notebook or a test that started with the SDK disabled, called shutdown()
and configured again got the disabled handle back (with an "already
configured" warning) and exported nothing.
"""

from __future__ import annotations

import warnings

from opentelemetry import trace

import workspace_otel
from tests.harness.receivers import HttpOtlpReceiver
from workspace_otel.errors import WorkspaceOtelWarning


def test_after_shutting_down_a_disabled_handle_configure_builds_a_working_pipeline() -> None:
    """The new pipeline is a different, enabled handle, installed silently, and it exports."""
    with HttpOtlpReceiver() as receiver:
        env = {"OTEL_EXPORTER_OTLP_ENDPOINT": receiver.endpoint, "WORKSPACE_OTEL_GIT": "off"}
        disabled = workspace_otel.configure(
            environ={**env, "OTEL_SDK_DISABLED": "true"}, metrics=False
        )
        assert disabled.disabled
        assert disabled.shutdown()
        with warnings.catch_warnings():
            warnings.simplefilter("error", WorkspaceOtelWarning)
            enabled = workspace_otel.configure(environ=env, metrics=False)
        try:
            assert enabled is not disabled
            assert not enabled.disabled
            with trace.get_tracer("t").start_as_current_span("after-disabled"):
                pass
            assert enabled.force_flush()
            spans = receiver.wait_for_spans(1, timeout=10)
        finally:
            enabled.shutdown()
    assert [span.name for span in spans] == ["after-disabled"]
