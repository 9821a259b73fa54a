"""Tests against a real Neo4j server and a real browser."""
