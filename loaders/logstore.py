"""The raw request and login logs, kept as Parquet beside the graph and queried with DuckDB.

The graph holds aggregates (per account, account and IP, account and template, account
and model); this store keeps every row so an investigator can drill down to the
requests behind an aggregate. Aggregates are recomputed from the whole store for the
accounts a load touched, so loading a file twice changes nothing.
"""
from __future__ import annotations

import json
from pathlib import Path
from typing import Iterable

import duckdb
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from loaders.contract import CATEGORIES, Table
from loaders.validate import ROW, Reject
from ringtrace import config

DUCKDB_THREADS = 2
STAGING_PREFIX = ".staging-"


def store_dir(table: str) -> Path:
    return config.home() / "logstore" / table


def _sql_text(path: Path) -> str:
    """A file path as a SQL string literal (views and COPY cannot take parameters)."""
    return "'" + str(path).replace("'", "''") + "'"


def connect() -> duckdb.DuckDBPyConnection:
    """An in-memory DuckDB held to config.DUCKDB_MEMORY, spilling to the ringtrace home beyond it."""
    con = duckdb.connect()
    spill = config.home() / "tmp" / "duckdb"
    spill.mkdir(parents=True, exist_ok=True)
    con.execute(f"SET memory_limit = '{config.DUCKDB_MEMORY}'")
    con.execute(f"SET temp_directory = {_sql_text(spill)}")
    con.execute(f"SET threads = {DUCKDB_THREADS}")
    con.execute("SET enable_progress_bar = false")  # it would write into the loader's own output
    return con


class Stager:
    """Collects a file's validated chunks into one staging Parquet file."""

    def __init__(self, table: Table, digest: str) -> None:
        self.table = table
        self.dir = store_dir(table.name)
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
        con = connect()
        src = str(self.path)
        dups = con.execute(f"""
            SELECT * EXCLUDE (rn, first_row), first_row FROM (
              SELECT *, row_number() OVER (PARTITION BY {key} ORDER BY {ROW}) AS rn,
                     min({ROW}) OVER (PARTITION BY {key}) AS first_row
              FROM read_parquet(?)) WHERE rn > 1""", [src]).df()
        rejects = []
        for rec in dups.to_dict("records"):
            first = rec.pop("first_row")
            row = int(rec.pop(ROW))
            values = {k: "" if pd.isna(v) else str(v) for k, v in rec.items()}
            rejects.append(Reject(file_name, row, ",".join(self.table.key),
                                  f"duplicate of row {first}", json.dumps(values, ensure_ascii=False)))
        if rejects:
            con.execute(f"""COPY (SELECT * EXCLUDE (rn) FROM (
                  SELECT *, row_number() OVER (PARTITION BY {key} ORDER BY {ROW}) AS rn
                  FROM read_parquet(?)) WHERE rn = 1) TO {_sql_text(self.final)} (FORMAT parquet)""", [src])
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


def source_view(con: duckdb.DuckDBPyConnection, table: str) -> str:
    """A view over every stored file of `table`, one row per key (first file row wins)."""
    files = sorted(p for p in store_dir(table).glob("*.parquet") if not p.name.startswith(STAGING_PREFIX))
    if not files:
        raise FileNotFoundError(table)
    file_list = "[" + ", ".join(_sql_text(p) for p in files) + "]"
    view = f"v_{table}"
    if len(files) == 1:
        con.execute(f"CREATE OR REPLACE TEMP VIEW {view} AS SELECT * FROM read_parquet({file_list})")
    else:
        from loaders.contract import TABLE_BY_NAME
        key = ", ".join(TABLE_BY_NAME[table].key)
        con.execute(f"""CREATE OR REPLACE TEMP VIEW {view} AS SELECT * FROM
            read_parquet({file_list}, union_by_name = true)
            QUALIFY row_number() OVER (PARTITION BY {key} ORDER BY filename, {ROW}) = 1""")
    return view


CATEGORY_COUNTS = ", ".join(f"count(*) FILTER (WHERE category = '{c}') AS req_{c}" for c in CATEGORIES)


def _scoped(table: str, new_file: Path) -> tuple[duckdb.DuckDBPyConnection, str, str]:
    """A connection, the table's view, and a FROM/WHERE clause over the accounts in `new_file`."""
    con = connect()
    v = source_view(con, table)
    con.execute("CREATE OR REPLACE TEMP TABLE touched AS SELECT DISTINCT account_id FROM read_parquet(?)",
                [str(new_file)])
    return con, v, f"FROM {v} WHERE account_id IN (SELECT account_id FROM touched)"


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
              (SELECT DISTINCT api_key_id FROM touched_keys) GROUP BY api_key_id""",
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
    con, v, scope = _scoped(table, new_file)
    if table == "exchanges":
        con.execute("CREATE OR REPLACE TEMP TABLE touched_keys AS SELECT DISTINCT api_key_id FROM read_parquet(?)",
                    [str(new_file)])
        return con, _exchange_queries(v, scope)
    return con, _login_queries(v, scope)


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
