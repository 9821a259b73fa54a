"""Saved queries: every shipped query runs with its defaults; every write is refused."""
from __future__ import annotations

from queries import library


def test_library_has_at_least_15_documented_queries():
    assert sum(q.shipped for q in library.load_library().values()) >= 15
    for q in library.load_library().values():
        assert q.title and q.description and q.tags, q.name
