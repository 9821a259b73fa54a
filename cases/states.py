"""A case's statuses and priorities: the one list the store checks and every front end offers (it imports
nothing, so the CLI can build its options without loading the store)."""
from __future__ import annotations

STATUSES = ("new", "investigating", "confirmed", "false_positive", "closed")
OPEN_STATUSES = ("new", "investigating")
PRIORITIES = ("low", "medium", "high", "critical")
