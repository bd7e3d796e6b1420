"""The configure path: providers, exporters, lifecycle and console output."""
