"""Applications the soak test runs (no OpenTelemetry code of their own)."""
