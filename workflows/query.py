"""Saved and ad-hoc read-only queries, and saving a query to one's library: rights (saving), the query,
audit (run, refused by the guard, or failed: each once)."""
from __future__ import annotations

from typing import Any, Callable

from graph.db import Graph
from queries import runner
from queries.guard import QueryRefused
from queries.library import SavedQuery
from queries.runner import QueryResult
from ringtrace.core import audit
from ringtrace.core.errors import RingtraceError
from ringtrace.core.rights import Actor
from workflows.guard import authorise


def _audited(actor: Actor, details: dict[str, Any], run: Callable[[], QueryResult]) -> QueryResult:
    try:
        result = run()
    except QueryRefused as exc:
        audit.record(actor.name, "query_refused", {**details, "reason": str(exc)})
        raise
    except Exception as exc:
        audit.record(actor.name, "query_failed", {**details, "error": str(exc) or type(exc).__name__})
        raise
    audit.record(actor.name, "query", {**details, "rows": len(result.rows)})
    return result


def run_saved(graph: Graph, actor: Actor, name: str, params: dict[str, Any] | None = None,
              timeout: float | None = None, row_cap: int | None = None) -> QueryResult:
    """Run a saved query with raw (text) parameters (the timeout and row cap: config's, unless given)."""
    return _audited(actor, {"name": name, "params": params or {}},
                    lambda: runner.run_saved(graph, name, params or {}, timeout, row_cap))


def run_text(graph: Graph, actor: Actor, text: str) -> QueryResult:
    """Run ad-hoc Cypher through the read-only guard."""
    return _audited(actor, {"text": text}, lambda: runner.run_text(graph, text))


def save_query(graph: Graph, actor: Actor, text: str, source: str | None = None) -> SavedQuery:
    """Validate a query file's text (header and read-only checks) and add it to the library."""
    details = {"file": source} if source else {}
    authorise(actor, "save_query", "save_query", details)
    try:
        saved = runner.save_user_query(graph, text)
    except (QueryRefused, RingtraceError) as exc:
        audit.record(actor.name, "save_query_refused", {**details, "reason": str(exc)})
        raise
    audit.record(actor.name, "save_query", {"name": saved.name, **details, "path": str(saved.path)})
    return saved
