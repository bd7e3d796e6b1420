"""The machinery behind ``workspace-otel doctor`` (private).

The entry point is :func:`workspace_otel.cli._doctor.run_doctor`.
"""
