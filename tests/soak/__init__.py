"""Soak test: a Flask app under load for several token lifetimes, then SIGTERM."""
