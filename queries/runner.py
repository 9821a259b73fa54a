"""Run user-supplied and saved Cypher read-only, with a timeout and a row cap.

Layers, each of which alone refuses a write (Community Edition has no role-based access
control to lean on):
1. text checks: LOAD CSV, USE, administration and schema commands, and procedures
   outside PROCEDURE_ALLOW_LIST are refused before the server sees the query;
2. `EXPLAIN` in a read transaction: anything but query type 'r' is refused;
3. the query itself runs in a managed read transaction (READ access mode), with a
   server-side timeout (`Query(timeout=...)`) and a row cap.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from neo4j import unit_of_work
from neo4j.exceptions import ClientError, Neo4jError

from graph.db import Graph
from queries import library
from ringtrace import config
from ringtrace.errors import RingtraceError

PROCEDURE_ALLOW_LIST = frozenset({
    "db.labels", "db.relationshiptypes", "db.propertykeys", "db.schema.visualization",
    "db.schema.nodetypeproperties", "db.schema.reltypeproperties",
})
_STRING_OR_COMMENT = re.compile(r"'(?:[^'\\]|\\.)*'|\"(?:[^\"\\]|\\.)*\"|`[^`]*`|//[^\n]*|/\*.*?\*/", re.S)
REFUSED = (
    (re.compile(r"\bLOAD\s+CSV\b", re.I), "LOAD CSV reads files and URLs from the server"),
    (re.compile(r"^\s*USE\b|\bUSE\s+\w+\s+(MATCH|RETURN|CALL|WITH)", re.I), "USE switches databases"),
    (re.compile(r"\b(CREATE|MERGE|SET|DELETE|DETACH|REMOVE|DROP|FOREACH)\b", re.I),
     "it writes to the database"),
    (re.compile(r"\b(ALTER|GRANT|DENY|REVOKE|SHOW|START|STOP|TERMINATE|ENABLE|DISABLE)\b", re.I),
     "administration and schema commands are not allowed"),
    (re.compile(r"\b(gds|apoc)(\s*\.\s*\w+)+\s*\(", re.I),
     "plugin functions (Graph Data Science, APOC) can build in-memory graphs or reach outside the database"),
)
# a procedure call, with or without parentheses (`CALL {` and `CALL (x) {` are subqueries)
CALL_RE = re.compile(r"\bCALL\s+([A-Za-z_][\w.]*)", re.I)


@dataclass
class QueryResult:
    columns: list[str]
    rows: list[dict[str, Any]]
    truncated: bool
    row_cap: int


class QueryRefused(RingtraceError):
    """A query that is not allowed to run; the message says why."""


def check_text(text: str) -> None:
    """Refuse, with the reason, what a read-only investigation query may not contain."""
    code = _STRING_OR_COMMENT.sub(" ", text)
    for pattern, why in REFUSED:
        m = pattern.search(code)
        if m:
            raise QueryRefused(f"Refused: the query uses {m.group(0).strip().upper()} and {why}. "
                               "Saved and user queries are read-only.")
    for m in CALL_RE.finditer(code):
        name = m.group(1).lower()
        if name not in PROCEDURE_ALLOW_LIST:
            raise QueryRefused(f"Refused: procedure {m.group(1)} is not on the allow-list "
                               f"({', '.join(sorted(PROCEDURE_ALLOW_LIST))}).")


def check_plan(graph: Graph, text: str, params: dict[str, Any]) -> None:
    """EXPLAIN the query in a read transaction and refuse anything but a read-only plan."""
    def explain(tx):
        return tx.run("EXPLAIN " + text, params).consume()

    try:
        with graph.session(read_only=True) as s:
            summary = s.execute_read(explain)
    except ClientError as exc:
        raise QueryRefused(f"The query does not compile: {exc.message}") from exc
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

    @unit_of_work(timeout=timeout)
    def work(tx):
        result = tx.run(text, params)
        rows = []
        for record in result:
            if len(rows) == row_cap:
                return list(result.keys()), rows, True
            rows.append(record.data())
        return list(result.keys()), rows, False

    try:
        with graph.session(read_only=True) as s:
            columns, rows, truncated = s.execute_read(work)
    except Neo4jError as exc:
        code = exc.code or ""
        if "TransactionTimedOut" in code or "Terminated" in code or "timed out" in (exc.message or "").lower():
            raise RingtraceError(f"The query was stopped after its {timeout:g} s timeout. Narrow it "
                                 "(add a LIMIT or a tighter MATCH) or raise --timeout.") from exc
        if "AccessMode" in code or "ForbiddenDueToTransactionType" in code:
            raise QueryRefused("Refused by the server: the query tried to write in a read transaction.") from exc
        raise RingtraceError(f"The query failed: {exc.message}") from exc
    return QueryResult(columns, rows, truncated, row_cap)


LATEST_TOP_CLUSTER = """
MATCH (d:DetectionRun) WITH d ORDER BY d.started_at DESC LIMIT 1
MATCH (c:Cluster {run_id: d.run_id}) RETURN c.cluster_id AS cluster_id ORDER BY c.rank LIMIT 1
"""


def resolve_params(graph: Graph, q: library.SavedQuery, raw: dict[str, Any]) -> dict[str, Any]:
    """Typed parameters, with an empty `cluster` parameter resolved to the latest top cluster."""
    params = q.typed_params(raw)
    for p in q.params:
        if p.type == "cluster" and not params[p.name]:
            rows = graph.read(LATEST_TOP_CLUSTER)
            if not rows:
                raise RingtraceError(f"{q.name} needs a cluster and there is no detection run yet: "
                                     "run `ringtrace detect`, or pass --param cluster_id=...")
            params[p.name] = rows[0]["cluster_id"]
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
