"""Run user-supplied and saved Cypher read-only, with a timeout and a row cap.

Layers, each of which alone refuses a write or a read of a file or URL (Community Edition has no
role-based access control to lean on):
1. text checks (`queries/guard.py`) on the tokens as Cypher's lexer reads them: size caps (length,
   tokens, nesting) so a query the server's parser chokes on is never sent, writes, LOAD CSV, USE,
   administration, procedures outside the allow-list, plugin functions and loops the timeout cannot stop;
2. `EXPLAIN`, run as the query is (an auto-commit READ transaction, never retried, with the query's own
   server-side timeout, the caller answered within the timeout plus CLIENT_GRACE_S): anything but query
   type 'r' is refused, and so is a plan holding any operator but the read operators (LoadCSV,
   updates, SHOW, ...), a procedure off the allow-list or an expression loop in an operator's details;
3. the query itself runs in an auto-commit READ transaction (never retried) with a server-side timeout
   (`Query(timeout=...)`) and a row cap; the caller gets its answer within the timeout plus
   CLIENT_GRACE_S whatever the server does.
"""
from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Any, Callable, TypeVar

from neo4j import Query
from neo4j.exceptions import Neo4jError

from graph.cluster_ids import resolve_campaign_id, resolve_cluster_id
from graph.db import Graph
from queries import library
from queries.guard import PROCEDURE_ALLOW_LIST, QueryRefused, check_plan_tree, check_text
from ringtrace.core import config
from ringtrace.core.errors import RingtraceError

__all__ = ["PROCEDURE_ALLOW_LIST", "QueryRefused", "QueryResult", "check_text", "check_plan", "validate",
           "run_text", "run_saved", "resolve_params", "save_user_query"]
# The caller gets its answer this long after the timeout even if the server has not ended the query.
CLIENT_GRACE_S = 5.0
T = TypeVar("T")


@dataclass
class QueryResult:
    columns: list[str]
    rows: list[dict[str, Any]]
    truncated: bool
    row_cap: int


def _timed_out(timeout: float, ended: bool) -> RingtraceError:
    still = "" if ended else " (the server had not ended it; it may still be finishing)"
    return RingtraceError(f"The query was stopped after its {timeout:g} s timeout{still}. Narrow it (add a "
                          "LIMIT or a tighter MATCH) or raise --timeout.")


def _bounded(graph: Graph, text: str, params: dict[str, Any], timeout: float,
             read: Callable[[Any], T], explain: bool = False) -> T:
    """Run `text` once in an auto-commit READ transaction with a server-side timeout (never retried, unlike
    a managed transaction) and hand its result to `read`, in a worker thread: the caller is answered within
    the timeout plus CLIENT_GRACE_S whatever the server does. Server errors become ringtrace errors (a
    client error of an EXPLAIN: the query does not compile)."""
    if not timeout or timeout <= 0:
        raise RingtraceError("The timeout must be more than 0 seconds.")
    outcome: dict[str, Any] = {}

    def work() -> None:
        try:
            with graph.session(read_only=True) as s:
                outcome["value"] = read(s.run(Query(text, timeout=timeout), params))
        except Exception as exc:  # handed to the caller's thread below
            outcome["error"] = exc

    worker = threading.Thread(target=work, name="ringtrace-query", daemon=True)
    worker.start()
    worker.join(timeout + CLIENT_GRACE_S)
    if worker.is_alive():
        raise _timed_out(timeout, ended=False)
    exc = outcome.get("error")
    if isinstance(exc, Neo4jError):
        code = exc.code or ""
        if "TransactionTimedOut" in code or "Terminated" in code or "timed out" in (exc.message or "").lower():
            raise _timed_out(timeout, ended=True) from exc
        if "AccessMode" in code or "ForbiddenDueToTransactionType" in code:
            raise QueryRefused("Refused by the server: the query tried to write in a read transaction.") from exc
        if "MemoryPool" in code or "OutOfMemory" in code:
            raise RingtraceError("The query needed more memory than the server allows for one transaction. "
                                 "Narrow it (add a LIMIT or a tighter MATCH).") from exc
        if explain and code.startswith("Neo.ClientError."):
            raise QueryRefused(f"The query does not compile: {exc.message}") from exc
        raise RingtraceError(f"The query failed: {exc.message}") from exc
    if exc is not None:
        raise exc
    return outcome["value"]


def check_plan(graph: Graph, text: str, params: dict[str, Any],
               timeout: float | None = None) -> None:
    """EXPLAIN the query as it will run (READ, auto-commit, the same timeout, no retry) and refuse anything
    but a read-only plan of read operators (`guard.check_plan_tree`)."""
    timeout = config.QUERY_TIMEOUT_S if timeout is None else timeout
    summary = _bounded(graph, "EXPLAIN " + text, params, timeout, lambda result: result.consume(),
                       explain=True)
    if summary.query_type != "r":
        raise QueryRefused(f"Refused: the server classifies the query as '{summary.query_type}', "
                           "not read-only ('r').")
    check_plan_tree(summary.plan)


def validate(graph: Graph, text: str, params: dict[str, Any] | None = None,
             timeout: float | None = None) -> None:
    check_text(text)
    check_plan(graph, text, params or {}, timeout)


def run_text(graph: Graph, text: str, params: dict[str, Any] | None = None,
             timeout: float | None = None, row_cap: int | None = None) -> QueryResult:
    """Validate, then run read-only with a timeout; at most `row_cap` rows come back (config.QUERY_TIMEOUT_S
    and config.QUERY_ROW_CAP unless given)."""
    timeout = config.QUERY_TIMEOUT_S if timeout is None else timeout
    row_cap = config.QUERY_ROW_CAP if row_cap is None else row_cap
    params = params or {}
    validate(graph, text, params, timeout)

    def read(result) -> tuple[list[str], list[dict[str, Any]], bool]:
        rows, truncated = [], False
        for record in result:
            if len(rows) == row_cap:
                truncated = True
                break
            rows.append(record.data())
        return list(result.keys()), rows, truncated

    columns, rows, truncated = _bounded(graph, text, params, timeout, read)
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
              timeout: float | None = None, row_cap: int | None = None) -> QueryResult:
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
