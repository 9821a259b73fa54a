"""Run user-supplied and saved Cypher read-only, with a timeout and a row cap.

Layers, each of which alone refuses a write (Community Edition has no role-based access
control to lean on):
1. text checks (`queries/guard.py`): writes, LOAD CSV, USE, administration, procedures
   outside the allow-list (names normalised) and loops the timeout cannot stop;
2. `EXPLAIN` in a read transaction: anything but query type 'r', or a procedure the plan
   calls that is not on the allow-list, is refused;
3. the query itself runs in an auto-commit READ transaction (never retried) with a
   server-side timeout (`Query(timeout=...)`) and a row cap; the caller gets its answer
   within the timeout plus CLIENT_GRACE_S whatever the server does.
"""
from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Any

from neo4j import Query
from neo4j.exceptions import ClientError, Neo4jError

from graph.cluster_ids import resolve_campaign_id, resolve_cluster_id
from graph.db import Graph
from queries import library
from queries.guard import PROCEDURE_ALLOW_LIST, QueryRefused, check_plan_procedures, check_text
from ringtrace import config
from ringtrace.errors import RingtraceError

__all__ = ["PROCEDURE_ALLOW_LIST", "QueryRefused", "QueryResult", "check_text", "check_plan", "validate",
           "run_text", "run_saved", "resolve_params", "save_user_query"]
# The caller gets its answer this long after the timeout even if the server has not ended the query.
CLIENT_GRACE_S = 5.0


@dataclass
class QueryResult:
    columns: list[str]
    rows: list[dict[str, Any]]
    truncated: bool
    row_cap: int


def check_plan(graph: Graph, text: str, params: dict[str, Any]) -> None:
    """EXPLAIN the query in a read transaction and refuse anything but a read-only plan."""
    def explain(tx):
        return tx.run("EXPLAIN " + text, params).consume()

    try:
        with graph.session(read_only=True) as s:
            summary = s.execute_read(explain)
    except ClientError as exc:
        raise QueryRefused(f"The query does not compile: {exc.message}") from exc
    check_plan_procedures(summary.plan)
    if summary.query_type != "r":
        raise QueryRefused(f"Refused: the server classifies the query as '{summary.query_type}', "
                           "not read-only ('r').")


def validate(graph: Graph, text: str, params: dict[str, Any] | None = None) -> None:
    check_text(text)
    check_plan(graph, text, params or {})


def run_text(graph: Graph, text: str, params: dict[str, Any] | None = None,
             timeout: float = config.QUERY_TIMEOUT_S, row_cap: int = config.QUERY_ROW_CAP) -> QueryResult:
    """Validate, then run read-only with a timeout; at most `row_cap` rows come back."""
    params = params or {}
    validate(graph, text, params)

    outcome: dict[str, Any] = {}

    def work() -> None:
        # An auto-commit READ transaction: never retried (a memory-limit error is not transient here).
        try:
            with graph.session(read_only=True) as s:
                result = s.run(Query(text, timeout=timeout), params)
                rows, truncated = [], False
                for record in result:
                    if len(rows) == row_cap:
                        truncated = True
                        break
                    rows.append(record.data())
                outcome["value"] = (list(result.keys()), rows, truncated)
        except Exception as exc:  # handed to the caller's thread below
            outcome["error"] = exc

    worker = threading.Thread(target=work, name="ringtrace-query", daemon=True)
    worker.start()
    worker.join(timeout + CLIENT_GRACE_S)
    if worker.is_alive():
        raise RingtraceError(f"The query was stopped after its {timeout:g} s timeout (the server had not "
                             "ended it; it may still be finishing). Narrow it (add a LIMIT or a tighter "
                             "MATCH) or raise --timeout.")
    exc = outcome.get("error")
    if isinstance(exc, Neo4jError):
        code = exc.code or ""
        if "TransactionTimedOut" in code or "Terminated" in code or "timed out" in (exc.message or "").lower():
            raise RingtraceError(f"The query was stopped after its {timeout:g} s timeout. Narrow it "
                                 "(add a LIMIT or a tighter MATCH) or raise --timeout.") from exc
        if "AccessMode" in code or "ForbiddenDueToTransactionType" in code:
            raise QueryRefused("Refused by the server: the query tried to write in a read transaction.") from exc
        if "MemoryPool" in code or "OutOfMemory" in code:
            raise RingtraceError("The query needed more memory than the server allows for one transaction. "
                                 "Narrow it (add a LIMIT or a tighter MATCH).") from exc
        raise RingtraceError(f"The query failed: {exc.message}") from exc
    if exc is not None:
        raise exc
    columns, rows, truncated = outcome["value"]
    return QueryResult(columns, rows, truncated, row_cap)


LATEST_TOP_CLUSTER = """
MATCH (d:DetectionRun) WITH d ORDER BY d.started_at DESC LIMIT 1
MATCH (c:Cluster {run_id: d.run_id}) RETURN c.cluster_id AS id ORDER BY c.rank LIMIT 1
"""
LATEST_TOP_CAMPAIGN = """
MATCH (d:DetectionRun) WITH d ORDER BY d.started_at DESC LIMIT 1
MATCH (k:Campaign {run_id: d.run_id}) RETURN k.campaign_id AS id ORDER BY k.rank LIMIT 1
"""
# parameter type -> (resolver of a full or short id, query for the latest run's top one)
ID_PARAMS = {"cluster": (resolve_cluster_id, LATEST_TOP_CLUSTER),
             "campaign": (resolve_campaign_id, LATEST_TOP_CAMPAIGN)}


def resolve_params(graph: Graph, q: library.SavedQuery, raw: dict[str, Any]) -> dict[str, Any]:
    """Typed parameters; a `cluster` or `campaign` parameter takes a full or short id (an unknown one is an
    error), and an empty one is the latest run's top cluster or campaign."""
    params = q.typed_params(raw)
    for p in q.params:
        if p.type not in ID_PARAMS:
            continue
        resolve, top = ID_PARAMS[p.type]
        if params[p.name]:
            params[p.name] = resolve(graph, str(params[p.name]))
            continue
        rows = graph.read(top)
        if not rows:
            raise RingtraceError(f"{q.name} needs a {p.type} and the latest detection run has none: "
                                 f"run `ringtrace detect`, or pass --param {p.name}=...")
        params[p.name] = rows[0]["id"]
    return params


def run_saved(graph: Graph, name: str, raw_params: dict[str, Any] | None = None,
              timeout: float = config.QUERY_TIMEOUT_S, row_cap: int = config.QUERY_ROW_CAP) -> QueryResult:
    """Run a saved query by name with typed parameters (the CLI and the workbench use this)."""
    q = library.get(name)
    return run_text(graph, q.text, resolve_params(graph, q, raw_params or {}), timeout, row_cap)


def save_user_query(graph: Graph, text: str) -> library.SavedQuery:
    """Validate a user's query (header and read-only checks) and keep it in their library."""
    q = library.parse(text, shipped=False)
    existing = library.load_library().get(q.name)
    if existing is not None and existing.shipped:
        raise RingtraceError(f"{q.name} is a shipped query; give yours another name.")
    validate(graph, q.text, {p.name: p.default for p in q.params})
    target = library.user_dir() / f"{q.name}.cypher"
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(text if text.endswith("\n") else text + "\n")
    q.path = target
    return q
