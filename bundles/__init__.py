"""Exported, verifiable evidence bundles."""
