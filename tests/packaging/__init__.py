"""Tests of the built distributions (sdist and wheel)."""
