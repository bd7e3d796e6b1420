"""Shared pytest configuration: load the harness fixtures for every test."""

pytest_plugins = ["tests.harness.fixtures"]
