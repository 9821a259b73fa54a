"""Tests that need no server: run in seconds (`python -m pytest tests/unit`)."""
