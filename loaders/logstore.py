"""The raw request and login logs, kept as Parquet beside the graph and queried with DuckDB.

The graph holds aggregates (per account, account and IP, account and template, account
and model); this store keeps every row so an investigator can drill down to the
requests behind an aggregate. Aggregates are recomputed from the whole store for the
accounts a load touched, so loading a file twice changes nothing.
"""
from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Iterable

import duckdb
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from loaders.contract import CATEGORIES, TABLE_BY_NAME, Table
from loaders.validate import ROW, Reject
from ringtrace.core import config

DUCKDB_THREADS = 2
STAGING_PREFIX = ".staging-"
PENDING = ".pending"  # under the store: a bulk load's log files, moved in only when its import is swapped in


def store_dir(table: str) -> Path:
    return config.home() / "logstore" / table


def pending_dir(run_id: str) -> Path:
    """Where a bulk load stages its log files until its import commits (ringtrace.server.journal
    moves them into the store with the database); a refused or killed load leaves nothing in the store."""
    return config.home() / "logstore" / PENDING / run_id


def drop_pending(keep: Iterable[str] = ()) -> None:
    """Remove the staged log files of bulk loads that never committed, except the runs holding a file of `keep`
    (a swap's journal still to move them in)."""
    root = config.home() / "logstore" / PENDING
    kept = [Path(k) for k in keep]
    if root.exists():
        for run in root.iterdir():
            if not any(k.is_relative_to(run) for k in kept):
                shutil.rmtree(run, ignore_errors=True)


def _sql_text(path: Path) -> str:
    """A file path as a SQL string literal (views and COPY cannot take parameters)."""
    return "'" + str(path).replace("'", "''") + "'"


def connect(memory: str | None = None) -> duckdb.DuckDBPyConnection:
    """An in-memory DuckDB held to `memory` (config.DUCKDB_MEMORY), spilling to the ringtrace home beyond it."""
    memory = memory or config.DUCKDB_MEMORY
    con = duckdb.connect()
    spill = config.home() / "tmp" / "duckdb"
    spill.mkdir(parents=True, exist_ok=True)
    con.execute(f"SET memory_limit = '{memory}'")
    con.execute(f"SET temp_directory = {_sql_text(spill)}")
    con.execute(f"SET threads = {DUCKDB_THREADS}")
    con.execute("SET enable_progress_bar = false")  # it would write into the loader's own output
    return con


class Stager:
    """Collects a file's validated chunks into one staging Parquet file."""

    def __init__(self, table: Table, digest: str, directory: Path | None = None) -> None:
        self.table = table
        self.dir = directory or store_dir(table.name)
        self.dir.mkdir(parents=True, exist_ok=True)
        self.path = self.dir / f"{STAGING_PREFIX}{digest}.parquet"
        self.final = self.dir / f"{digest}.parquet"
        self.writer: pq.ParquetWriter | None = None
        self.schema: pa.Schema | None = None

    def add(self, good: pd.DataFrame) -> None:
        frame = good.copy()
        for col in frame.columns:
            if col in ("input_tokens", "output_tokens", ROW):
                frame[col] = frame[col].astype("Int64")
            elif col == "ts":
                frame[col] = frame[col].dt.as_unit("us")  # DuckDB's TIMESTAMPTZ precision
            else:
                frame[col] = frame[col].astype("string")
        tbl = pa.Table.from_pandas(frame, preserve_index=False)
        if self.writer is None:
            self.schema = tbl.schema
            self.writer = pq.ParquetWriter(self.path, self.schema)
        self.writer.write_table(tbl.cast(self.schema))

    def finish(self, file_name: str) -> tuple[int, list[Reject]]:
        """Drop in-file duplicate keys (as rejects), move the file into the store."""
        if self.writer is None:
            return 0, []
        self.writer.close()
        key = ", ".join(self.table.key)
        con = connect(config.DUCKDB_CHECK_MEMORY)
        src = str(self.path)
        # the keys held twice, found by grouping the keys alone (sorting whole rows costs far more memory)
        con.execute(f"CREATE TEMP TABLE dup_keys AS SELECT {key} FROM read_parquet(?) GROUP BY ALL "
                    "HAVING count(*) > 1", [src])
        rejects = []
        if con.execute("SELECT count(*) FROM dup_keys").fetchone()[0]:
            same_key = " AND ".join(f"f.{k} IS NOT DISTINCT FROM d.{k}" for k in self.table.key)
            dups = con.execute(f"""
                SELECT * EXCLUDE (rn, first_row), first_row FROM (
                  SELECT *, row_number() OVER (PARTITION BY {key} ORDER BY {ROW}) AS rn,
                         min({ROW}) OVER (PARTITION BY {key}) AS first_row
                  FROM (SELECT f.* FROM read_parquet(?) f SEMI JOIN dup_keys d ON {same_key}))
                WHERE rn > 1""", [src]).df()
            for rec in dups.to_dict("records"):
                first = rec.pop("first_row")
                row = int(rec.pop(ROW))
                values = {k: "" if pd.isna(v) else str(v) for k, v in rec.items()}
                rejects.append(Reject(file_name, row, ",".join(self.table.key),
                                      f"duplicate of row {first}", json.dumps(values, ensure_ascii=False)))
        if rejects:
            con.execute(f"""COPY (SELECT * FROM read_parquet(?) WHERE {ROW} NOT IN (SELECT unnest(?)))
                            TO {_sql_text(self.final)} (FORMAT parquet)""", [src, [r.row for r in rejects]])
            self.path.unlink()
        else:
            self.path.replace(self.final)
        loaded = con.execute("SELECT count(*) FROM read_parquet(?)", [str(self.final)]).fetchone()[0]
        con.close()
        return int(loaded), rejects

    def abort(self) -> None:
        if self.writer is not None:
            self.writer.close()
        self.path.unlink(missing_ok=True)


def _stored_files(table: str) -> list[Path]:
    return sorted(p for p in store_dir(table).glob("*.parquet") if not p.name.startswith(STAGING_PREFIX))


def _file_list(files: list[Path]) -> str:
    return "[" + ", ".join(_sql_text(p) for p in files) + "]"


def _first_row_wins(key: str) -> str:
    """The QUALIFY clause keeping one row per key: the first file's, then the first row's."""
    return f"QUALIFY row_number() OVER (PARTITION BY {key} ORDER BY parse_filename(filename), {ROW}) = 1"


def source_view(con: duckdb.DuckDBPyConnection, table: str) -> str:
    """A view over every stored file of `table`, one row per key (first file row wins)."""
    files = _stored_files(table)
    if not files:
        raise FileNotFoundError(table)
    view = f"v_{table}"
    if len(files) == 1:
        con.execute(f"CREATE OR REPLACE TEMP VIEW {view} AS SELECT * FROM read_parquet({_file_list(files)})")
    else:
        key = ", ".join(TABLE_BY_NAME[table].key)
        con.execute(f"""CREATE OR REPLACE TEMP VIEW {view} AS SELECT * FROM
            read_parquet({_file_list(files)}, union_by_name = true) {_first_row_wins(key)}""")
    return view


CATEGORY_COUNTS = ", ".join(f"count(*) FILTER (WHERE category = '{c}') AS req_{c}" for c in CATEGORIES)


SCOPED = "scoped"    # the temp table of the rows a load's aggregates read
TOUCHED = "touched"  # the temp table of the accounts in the file being loaded


def _scoped(table: Table, new_file: Path) -> duckdb.DuckDBPyConnection:
    """A connection holding, as temp table SCOPED, the stored rows (one per key) of the accounts in `new_file`
    and, for the request log, of its API keys: read once, so each aggregate groups these rows, not the store.
    `new_file` is in the store, or a bulk load's staged file (`pending_dir`) read as if it were.

    When `new_file` is the whole store, SCOPED is a view of it. Across files a key's first row wins
    (`source_view`). When the key holds the account, all rows of a key share it and the filter comes first;
    otherwise (request_id, always present) the keys in scope are found first, all their rows deduplicated,
    then the winners filtered: exactly the rows of the deduplicated view that are in scope."""
    con = connect()
    files = _stored_files(table.name)
    if new_file not in files:  # a bulk load's file, not yet in the store: ordered as it will be there
        files = sorted([*files, new_file], key=lambda p: p.name)
    con.execute(f"CREATE TEMP TABLE {TOUCHED} AS SELECT DISTINCT account_id FROM read_parquet(?)", [str(new_file)])
    scope = f"account_id IN (SELECT account_id FROM {TOUCHED})"
    if table.name == "exchanges":
        con.execute("CREATE TEMP TABLE touched_keys AS SELECT DISTINCT api_key_id FROM read_parquet(?) "
                    "WHERE api_key_id IS NOT NULL", [str(new_file)])
        scope += " OR api_key_id IN (SELECT api_key_id FROM touched_keys)"
    if files == [new_file]:  # every stored row is in scope: read the file itself, nothing to copy
        con.execute(f"CREATE TEMP VIEW {SCOPED} AS SELECT * FROM read_parquet({_sql_text(new_file)})")
        return con
    source = f"read_parquet({_file_list(files)}, union_by_name = true)"
    key = ", ".join(table.key)
    if "account_id" in table.key:
        rows = f"SELECT * FROM {source} WHERE {scope} {_first_row_wins(key)}"
    else:
        rows = f"""SELECT * FROM (SELECT * FROM {source} WHERE ({key}) IN
                     (SELECT {key} FROM {source} WHERE {scope}) {_first_row_wins(key)}) WHERE {scope}"""
    con.execute(f"CREATE TEMP TABLE {SCOPED} AS {rows}")
    return con


def _exchange_queries(v: str, scope: str) -> dict[str, str]:
    """The request log's aggregates as SQL over view `v`, restricted by `scope`."""
    return {
        "account": f"""SELECT account_id, count(*) AS requests,
              CAST(coalesce(sum(input_tokens), 0) AS BIGINT) AS input_tokens,
              CAST(coalesce(sum(output_tokens), 0) AS BIGINT) AS output_tokens,
              min(ts) AS first_request, max(ts) AS last_request,
              count(DISTINCT ip) AS request_ips, count(DISTINCT prompt_fingerprint) AS prompt_templates,
              {CATEGORY_COUNTS} {scope} GROUP BY account_id""",
        "ip": f"""SELECT account_id, ip, count(*) AS requests, min(ts) AS first_seen,
              max(ts) AS last_seen {scope} AND ip IS NOT NULL GROUP BY account_id, ip""",
        "template": f"""SELECT account_id, prompt_fingerprint, count(*) AS requests,
              min(ts) AS first_seen, max(ts) AS last_seen {scope} AND prompt_fingerprint IS NOT NULL
              GROUP BY account_id, prompt_fingerprint""",
        "model": f"""SELECT account_id, model, count(*) AS requests, min(ts) AS first_seen,
              max(ts) AS last_seen, CAST(coalesce(sum(input_tokens), 0) AS BIGINT) AS input_tokens,
              CAST(coalesce(sum(output_tokens), 0) AS BIGINT) AS output_tokens {scope} AND model IS NOT NULL
              GROUP BY account_id, model""",
        "api_key": f"""SELECT api_key_id, count(*) AS requests, min(ts) AS first_seen,
              max(ts) AS last_seen FROM {v} WHERE api_key_id IN
              (SELECT api_key_id FROM touched_keys) GROUP BY api_key_id""",
    }


def _login_queries(v: str, scope: str) -> dict[str, str]:
    """The login log's aggregates as SQL over view `v`, restricted by `scope`."""
    return {
        "account": f"""SELECT account_id, count(*) AS logins, min(ts) AS first_login,
              max(ts) AS last_login, count(DISTINCT ip) AS login_ips,
              count(DISTINCT device_id) AS login_devices {scope} GROUP BY account_id""",
        "ip": f"""SELECT account_id, ip, count(*) AS count, min(ts) AS first_seen,
              max(ts) AS last_seen {scope} AND ip IS NOT NULL GROUP BY account_id, ip""",
        "device": f"""SELECT account_id, device_id, count(*) AS count, min(ts) AS first_seen,
              max(ts) AS last_seen {scope} AND device_id IS NOT NULL GROUP BY account_id, device_id""",
    }


def aggregate_queries(table: str, new_file: Path) -> tuple[duckdb.DuckDBPyConnection, dict[str, str]]:
    """A connection and the SQL of every aggregate of log `table` for the accounts in `new_file`: the one
    definition both load paths use (record batches for Bolt, COPY to Parquet for the bulk import)."""
    con = _scoped(TABLE_BY_NAME[table], new_file)
    scope = f"FROM {SCOPED} WHERE account_id IN (SELECT account_id FROM {TOUCHED})"
    if table == "exchanges":
        return con, _exchange_queries(SCOPED, scope)
    return con, _login_queries(SCOPED, scope)


MICROS = 1_000_000


def _epoch_parts(column: str, name: str) -> str:
    """A timestamp column as whole epoch seconds and the nanoseconds past them (never negative)."""
    micros = f"(((epoch_us({column}) % {MICROS}) + {MICROS}) % {MICROS})"
    return f"{name}_s := (epoch_us({column}) - {micros}) // {MICROS}, {name}_ns := {micros} * 1000"


def by_account(sql: str, counts: tuple[str, ...]) -> str:
    """An aggregate `sql` with one row per (account, node) as one row per account: its `items`, each the node
    id, the counts, and first/last seen as epoch parts (loaders/cypher.py AggregateLinks)."""
    fields = ["node := node", *(f"{c} := {c}" for c in counts),
              _epoch_parts("first_seen", "first"), _epoch_parts("last_seen", "last")]
    return f"SELECT account_id, list(struct_pack({', '.join(fields)})) AS items FROM ({sql}) GROUP BY account_id"


def record_batches(con: duckdb.DuckDBPyConnection, sql: str, rows: int) -> pa.RecordBatchReader:
    """The result of `sql` as Arrow record batches of `rows` rows, streamed without a copy (DuckDB 2 names the
    call `to_arrow_reader`, DuckDB 1 `record_batch`)."""
    relation = con.sql(sql)
    read = getattr(relation, "to_arrow_reader", None) or relation.record_batch
    return read(rows)


def requests_of(account_ids: Iterable[str], limit: int = 1000) -> pd.DataFrame:
    """The individual requests behind the aggregates, newest first (drill-down)."""
    con = connect()
    try:
        v = source_view(con, "exchanges")
    except FileNotFoundError:
        return pd.DataFrame()
    df = con.execute(f"SELECT * EXCLUDE ({ROW}) FROM {v} WHERE account_id IN (SELECT unnest(?)) "
                     "ORDER BY ts DESC LIMIT ?", [list(account_ids), limit]).df()
    con.close()
    return df


TIME_BUCKETS = ("minute", "hour", "day", "week")


def activity(account_ids: Iterable[str] | None, bucket: str = "hour") -> pd.DataFrame:
    """Requests per time bucket (and model), for some accounts or all (timelines)."""
    if bucket not in TIME_BUCKETS:
        raise ValueError(f"bucket must be one of {', '.join(TIME_BUCKETS)}")
    con = connect()
    try:
        v = source_view(con, "exchanges")
    except FileNotFoundError:
        return pd.DataFrame(columns=["bucket", "model", "requests"])
    where = "WHERE account_id IN (SELECT unnest(?))" if account_ids is not None else ""
    params = [list(account_ids)] if account_ids is not None else []
    df = con.execute(f"SELECT date_trunc('{bucket}', ts) AS bucket, model, count(*) AS requests "
                     f"FROM {v} {where} GROUP BY ALL ORDER BY bucket", params).df()
    con.close()
    return df


def has(table: str) -> bool:
    d = store_dir(table)
    return d.exists() and any(not p.name.startswith(STAGING_PREFIX) for p in d.glob("*.parquet"))
