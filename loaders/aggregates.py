"""A log's aggregates written through the server (the incremental path): per account, per account and
address, template, model or device, and per API key, computed by DuckDB from the log store
(loaders/logstore.py) and streamed in record batches, so memory follows the batch, not the log.

Writes whose order does not matter run config.LOAD_AGGREGATE_WRITERS transactions at a time, so the server
uses more than one core. They are chosen so that concurrent transactions rarely wait on each other: each
part (activity, addresses, templates...) finishes before the next starts; shared nodes are merged, distinct
keys per transaction, before any relationship to them is written; relationships of accounts new to the
graph are created concurrently (one account per row), then those of accounts the graph held before are
merged by one transaction at a time (a merge locks both ends as it goes, so two merges sharing popular
addresses deadlocked). A deadlock the server still detects is a transient error the driver retries."""
from __future__ import annotations

import functools
import itertools
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, Callable, Iterator

import duckdb
import pyarrow as pa

from graph.db import Graph
from loaders import cypher, logstore
from loaders.rows import activity_row, records
from loaders.writer import BatchWriter
from ringtrace.core import config
from ringtrace.core.progress import Progress

AGGREGATE = "aggregate_rows"  # DuckDB table: the rows of the relationship aggregate being written, computed once
NODE_IDS = "node_ids"   # DuckDB table: (key, node) for the shared nodes of the aggregate being written
FRESH = "fresh"         # DuckDB table: the touched accounts this run created


def plan(table: str) -> list[tuple[str, str | cypher.AggregateLinks]]:
    """The aggregates of log `table` (names as in logstore.aggregate_queries) and the write of each."""
    if table == "exchanges":
        return [("account", cypher.SET_ACCOUNT_ACTIVITY), ("ip", cypher.MERGE_REQUESTED_FROM),
                ("template", cypher.MERGE_USED_TEMPLATE), ("model", cypher.MERGE_QUERIED_MODEL),
                ("api_key", cypher.SET_API_KEY_USAGE)]
    return [("account", cypher.SET_ACCOUNT_ACTIVITY), ("ip", cypher.MERGE_LOGGED_IN_FROM),
            ("device", cypher.MERGE_USED_DEVICE)]


class AggregateWriter:
    """Writes every aggregate of one log file for one load run; statement times go to `profile`."""

    def __init__(self, graph: Graph, run_id: str, source: str, batch_rows: int, profile: BatchWriter) -> None:
        self.graph = graph
        self.run_id = run_id
        self.source = source
        self.batch_rows = batch_rows
        self.profile = profile

    def _params(self, **values: Any) -> dict[str, Any]:
        return {"run": self.run_id, "source": self.source, **values}

    def write(self, table: str, new_file: Path, progress: Progress) -> None:
        """Every aggregate of `new_file` (a stored file of log `table`) for the accounts it touches."""
        con, queries = logstore.aggregate_queries(table, new_file)
        concurrent = BatchWriter(self.graph, threads=config.LOAD_AGGREGATE_WRITERS)
        in_order = BatchWriter(self.graph)
        try:
            self._find_fresh_accounts(con)
            for part, write in plan(table):
                task = progress.add_task(f"  {table}: {part} aggregates", total=None)
                advance = functools.partial(progress.advance, task)
                if isinstance(write, cypher.AggregateLinks):
                    con.execute(f"CREATE OR REPLACE TEMP TABLE {AGGREGATE} AS {queries[part]}")
                    self._merge_nodes(con, write, concurrent)
                    self._write_links(con, write, True, concurrent, advance)
                    concurrent.flush()  # merges of old accounts never run beside the creates
                    self._write_links(con, write, False, in_order, advance)
                else:
                    self._write_rows(con, write, queries[part], concurrent, advance)
                concurrent.flush()
                in_order.flush()
        finally:
            for writer in (concurrent, in_order):
                writer.close()
                self.profile.absorb(writer)
            con.close()

    def _find_fresh_accounts(self, con: duckdb.DuckDBPyConnection) -> None:
        """Table FRESH: the touched accounts whose only load run is this one (asked of the graph)."""
        con.execute(f"CREATE TEMP TABLE {FRESH} (account_id VARCHAR)")
        touched = [row[0] for row in con.execute(f"SELECT account_id FROM {logstore.TOUCHED}").fetchall()]
        for start in range(0, len(touched), self.batch_rows):
            found = self.graph.read(cypher.FRESH_ACCOUNTS, self._params(ids=touched[start:start + self.batch_rows]))
            if found:
                _insert(con, FRESH, pa.table({"account_id": [r["id"] for r in found]}))

    def _merge_nodes(self, con: duckdb.DuckDBPyConnection, write: cypher.AggregateLinks, writer: BatchWriter
                     ) -> None:
        """Merge the aggregate's distinct keys (each once) and keep their node ids in table NODE_IDS (memory:
        the distinct keys of one aggregate, not its rows)."""
        keys = [row[0] for row in con.execute(f"SELECT DISTINCT {write.row_key} FROM {AGGREGATE}").fetchall()]
        slices = [keys[start:start + self.batch_rows] for start in range(0, len(keys), self.batch_rows)]
        with ThreadPoolExecutor(config.LOAD_AGGREGATE_WRITERS) as pool:
            found = [r for rs in pool.map(lambda part: writer.write_now(write.nodes, self._params(keys=part)), slices)
                     for r in rs]
        con.execute(f"CREATE OR REPLACE TEMP TABLE {NODE_IDS} (key VARCHAR, node VARCHAR)")
        _insert(con, NODE_IDS, pa.table({"key": pa.array([r["key"] for r in found], pa.string()),
                                         "node": pa.array([r["node"] for r in found], pa.string())}))

    def _write_links(self, con: duckdb.DuckDBPyConnection, write: cypher.AggregateLinks, fresh: bool,
                     writer: BatchWriter, advance: Callable[[int], None]) -> None:
        """The aggregate's relationships of fresh (or of other) accounts, one row per account carrying its
        items with their nodes' ids, in batches of about `batch_rows` items (a larger account is split)."""
        joined = (f"SELECT f.*, n.node FROM {AGGREGATE} f JOIN {NODE_IDS} n ON n.key = f.{write.row_key} "
                  f"WHERE f.account_id {'' if fresh else 'NOT '}IN (SELECT account_id FROM {FRESH})")
        reader = logstore.record_batches(con, logstore.by_account(joined, write.counts), self.batch_rows)
        pending: list[dict[str, Any]] = []
        size = 0
        for batch in reader:
            for row in batch.to_pylist():
                items = row["items"]
                for start in range(0, len(items), self.batch_rows):
                    part = items[start:start + self.batch_rows]
                    pending.append({"account_id": row["account_id"], "items": part})
                    size += len(part)
                    if size >= self.batch_rows:
                        writer.submit(write.links, self._params(rows=pending), functools.partial(advance, size),
                                      count=size)
                        pending, size = [], 0
        if pending:
            writer.submit(write.links, self._params(rows=pending), functools.partial(advance, size), count=size)

    def _write_rows(self, con: duckdb.DuckDBPyConnection, query: str, sql: str, writer: BatchWriter,
                    advance: Callable[[int], None]) -> None:
        """An aggregate of one row per account or API key (properties set on that node)."""
        def rows() -> Iterator[dict[str, Any]]:
            for batch in logstore.record_batches(con, sql, self.batch_rows):
                found = records(batch.to_pandas())
                yield from (map(activity_row, found) if query is cypher.SET_ACCOUNT_ACTIVITY else found)
        it = rows()
        while batch := list(itertools.islice(it, self.batch_rows)):
            writer.submit(query, self._params(rows=batch), functools.partial(advance, len(batch)))


def _insert(con: duckdb.DuckDBPyConnection, table: str, rows: pa.Table) -> None:
    con.register("arrow_rows", rows)
    con.execute(f"INSERT INTO {table} SELECT * FROM arrow_rows")
    con.unregister("arrow_rows")
