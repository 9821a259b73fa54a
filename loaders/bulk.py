"""The bulk path of `ringtrace load`: a new graph written by `neo4j-admin database import full`.

The loader validates exactly as on the incremental path, but its statements' rows go to a `BulkSink`,
which keeps them as Parquet; `convert` then builds, with DuckDB, one CSV per node label and relationship
type (loaders/bulk_model.py says which rows make what), and ringtrace.server.local_import imports them offline.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

import pyarrow as pa
import pyarrow.parquet as pq

from loaders import bulk_model as model
from loaders import logstore
from loaders.networks import network_rows
from ringtrace.core.errors import RingtraceError

ARRAY_DELIMITER = "chr(31)"       # U+001F in SQL: the importer's array delimiter (ringtrace.server.local_import)
PROP, TIME = "p:", "t:"           # staged columns: the row's props and times (ISO text)
SEQ, SOURCE = "__seq", "__source"
LIST_KEY = "list:"
SAFE_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
LOG_SEQ_BLOCK = 10 ** 12          # sequence numbers reserved for one log's aggregates (beyond any row count)
PART_SEQ_BLOCK = 10 ** 10         # ... and for one aggregate of it
UTC_ISO = "%Y-%m-%dT%H:%M:%S.%f+00:00"
NEO4J_TYPES = {"VARCHAR": "string", "BIGINT": "long", "INTEGER": "long", "HUGEINT": "long", "SMALLINT": "long",
               "DOUBLE": "double", "FLOAT": "double", "BOOLEAN": "boolean"}


class BulkUnsupported(RingtraceError):
    """The dataset holds something the bulk import cannot carry exactly; the incremental path can."""


def _q(name: str) -> str:
    """A SQL identifier, quoted."""
    return '"' + name.replace('"', '""') + '"'


def _lit(text: str) -> str:
    """A SQL string literal (DuckDB's COPY and read_parquet take no parameters for paths)."""
    return "'" + text.replace("'", "''") + "'"


def _flatten(row: dict[str, Any]) -> dict[str, Any]:
    flat = {k: v for k, v in row.items() if k not in ("props", "times")}
    flat.update({PROP + k: v for k, v in (row.get("props") or {}).items()})
    flat.update({TIME + k: str(v) for k, v in (row.get("times") or {}).items()})
    return flat


def _value_columns(owner: str, props: dict[str, tuple[str, bool]], prop_types: dict[str, bool]) -> list[str]:
    """A part's property columns (named v:<property>), recording in `prop_types` which are datetimes."""
    for prop, (_, is_time) in props.items():
        if prop_types.setdefault(prop, is_time) != is_time:
            raise BulkUnsupported(f"{owner}.{prop} is a timestamp in one table and not in another")
    return [f"{expr} AS {_q('v:' + prop)}" for prop, (expr, _) in props.items()]


@dataclass
class LogFile:
    table: str
    path: Path
    source: str
    seq: int


class BulkSink:
    """Stands in for loaders.writer.BatchWriter on the bulk path: keeps every statement's rows as Parquet,
    numbered in the order the incremental path would write them."""

    def __init__(self, stage: Path) -> None:
        self.stage = stage
        self.stage.mkdir(parents=True, exist_ok=True)
        self.seq = 0
        self.files = 0
        self.logs: list[LogFile] = []

    def submit(self, query: str, params: dict[str, Any], done: Callable[[], None] = lambda: None) -> None:
        if query in model.SHARED_NODE_STATEMENTS:
            return
        name = model.STATEMENTS[query]
        rows = [_flatten(r) for r in params["rows"]]
        for r in rows:
            self.seq += 1
            r[SEQ] = self.seq
            r[SOURCE] = params["source"]
        folder = self.stage / name
        folder.mkdir(exist_ok=True)
        self.files += 1
        names = list(dict.fromkeys(k for r in rows for k in r))  # every row's keys (a row leaves out empty ones)
        for k in names:
            if k.startswith((PROP, TIME)) and not SAFE_NAME.match(k[2:]):
                raise BulkUnsupported(f"the column {k[2:]!r} of {params['source']} cannot be named in an import "
                                      "header (letters, digits and _ only)")
        table = pa.table({k: [r.get(k) for r in rows] for k in names})
        pq.write_table(table, folder / f"{self.files:08d}.parquet")
        done()

    def add_log(self, table: str, path: Path, source: str) -> None:
        """A log file staged into the log store; its aggregates are computed at `convert`."""
        self.logs.append(LogFile(table, path, source, self.seq + 1))
        self.seq += LOG_SEQ_BLOCK

    def flush(self) -> None:
        pass

    def close(self) -> None:
        pass


@dataclass
class ImportFiles:
    """What `neo4j-admin database import full` reads: (label or type, header file, data file) triples."""

    nodes: list[tuple[str, Path, Path]] = field(default_factory=list)
    relationships: list[tuple[str, Path, Path]] = field(default_factory=list)
    multiline: bool = False
    counts: dict[str, int] = field(default_factory=dict)
    # The importer cannot write an empty list; these (label, node key, property) are set to [] afterwards.
    empty_lists: list[tuple[str, str, str]] = field(default_factory=list)


class Converter:
    """Builds the import CSVs from a `BulkSink`'s stage with DuckDB."""

    def __init__(self, sink: BulkSink, run_id: str, out: Path) -> None:
        self.sink = sink
        self.run_id = run_id
        self.out = out
        self.out.mkdir(parents=True, exist_ok=True)
        self.con = logstore.connect()
        self.columns: dict[str, dict[str, str]] = {}  # statement -> column -> DuckDB type

    # -- staged statements --------------------------------------------------------------
    def _read(self, statement: str) -> str:
        folder = self.sink.stage / statement
        return f"read_parquet({_lit(str(folder / '*.parquet'))}, union_by_name = true)"

    def _describe(self, statement: str) -> dict[str, str]:
        if statement not in self.columns:
            folder = self.sink.stage / statement
            if not folder.exists() or not any(folder.glob("*.parquet")):
                self.columns[statement] = {}
            else:
                rows = self.con.execute(f"DESCRIBE SELECT * FROM {self._read(statement)}").fetchall()
                self.columns[statement] = {r[0]: r[1] for r in rows}
        return self.columns[statement]

    def stage_aggregates(self) -> None:
        """Each log's aggregates (the same SQL the incremental path runs), flattened like a statement's rows."""
        for log in self.sink.logs:
            con, queries = logstore.aggregate_queries(log.table, log.path)
            try:
                for i, part in enumerate(model.AGGREGATES[log.table]):
                    sql = queries[part]
                    types = {r[0]: r[1] for r in con.execute(f"DESCRIBE {sql}").fetchall()}
                    key = next(iter(types))
                    cols = []
                    for c, t in types.items():
                        is_time = t.startswith("TIMESTAMP")
                        value = f"strftime({_q(c)} AT TIME ZONE 'UTC', {_lit(UTC_ISO)})" if is_time else _q(c)
                        if part == "account" and c != key:  # SET_ACCOUNT_ACTIVITY: every column is a property
                            name = (TIME if is_time else PROP) + c
                        else:
                            name = c
                        cols.append(f"{value} AS {_q(name)}")
                    seq = log.seq + i * PART_SEQ_BLOCK
                    folder = self.sink.stage / f"{log.table}:{part}"
                    folder.mkdir(exist_ok=True)
                    # an aggregate has one row per key, so one sequence number orders the whole of it
                    con.execute(f"COPY (SELECT {', '.join(cols)}, CAST({seq} AS BIGINT) AS {SEQ}, "
                                f"{_lit(log.source)} AS {SOURCE} FROM ({sql})) "
                                f"TO {_lit(str(folder / '00000001.parquet'))} (FORMAT parquet)")
            finally:
                con.close()

    # -- nodes -------------------------------------------------------------------------------
    def _part_props(self, statement: str, row_props: bool, columns: dict[str, str], times: dict[str, str]
                    ) -> dict[str, tuple[str, bool]]:
        """Property -> (SQL expression, is a datetime) for one part."""
        have = self._describe(statement)
        props: dict[str, tuple[str, bool]] = {}
        if row_props:
            for c in have:
                if c.startswith(PROP):
                    props[c[len(PROP):]] = (_q(c), False)
                elif c.startswith(TIME):
                    props[c[len(TIME):]] = (_q(c), True)
        for prop, col in columns.items():
            if col in have:
                props[prop] = (_q(col), False)
        for prop, col in times.items():
            if col in have:
                props[prop] = (_q(col), True)
        return props

    @staticmethod
    def _key_select(key: str, columns: dict[str, str]) -> str | None:
        """The id expression of a part's key (a list key is unnested), or None when the statement lacks the
        column; rows whose id is null are dropped by the caller."""
        col = key[len(LIST_KEY):] if key.startswith(LIST_KEY) else key
        if col not in columns:
            return None
        return f"unnest({_q(col)})" if key.startswith(LIST_KEY) else _q(col)

    def build_label(self, label: model.Label) -> tuple[str, dict[str, bool]]:
        """Create table n_<label>; returns its name and its properties (-> is a datetime)."""
        selects, prop_types, first_wins = [], {}, set()
        for part in label.parts:
            have = self._describe(part.statement)
            key = self._key_select(part.key, have)
            if not have or key is None:
                continue
            props = self._part_props(part.statement, part.row_props, part.columns, part.times)
            cols = [f"{key} AS id", f"{SEQ} AS seq", f"{SOURCE} AS source",
                    f"{'true' if part.provenance else 'false'} AS prov"]
            cols += _value_columns(label.name, props, prop_types)
            for prop, value in part.constants.items():
                prop_types.setdefault(prop, False)
                cols.append(f"{'true' if value else 'false'} AS {_q('v:' + prop)}")
            first_wins.update(part.first_wins)
            sub = f"SELECT {', '.join(cols)} FROM {self._read(part.statement)}"
            selects.append(f"SELECT * FROM ({sub}) WHERE id IS NOT NULL")
        table = f"n_{label.name}"
        if not selects:
            self.con.execute(f"CREATE OR REPLACE TABLE {table} AS SELECT NULL::VARCHAR AS id WHERE false")
            return table, {}
        prop_sql = ", ".join(
            f"{'arg_min' if p in first_wins else 'arg_max'}({_q('v:' + p)}, seq) "
            f"FILTER (WHERE {_q('v:' + p)} IS NOT NULL) AS {_q(p)}" for p in prop_types)
        self.con.execute(f"CREATE OR REPLACE TEMP TABLE contrib AS {' UNION ALL BY NAME '.join(selects)}")
        self.con.execute(f"""CREATE OR REPLACE TABLE {table} AS
            WITH props AS (SELECT id{', ' + prop_sql if prop_sql else ''} FROM contrib GROUP BY id),
                 prov AS (SELECT id, list(source ORDER BY first) AS sources FROM
                          (SELECT id, source, min(seq) AS first FROM contrib WHERE prov GROUP BY id, source)
                          GROUP BY id)
            SELECT props.*, CASE WHEN prov.sources IS NULL THEN NULL ELSE [{_lit(self.run_id)}] END AS load_runs,
                   prov.sources
            FROM props LEFT JOIN prov USING (id)""")
        self.con.execute("DROP TABLE contrib")
        return table, prop_types

    # -- relationships -------------------------------------------------------------------
    def build_type(self, rel: model.RelType) -> tuple[str, dict[str, bool]]:
        selects, prop_types, merge_keys = [], {}, ()
        for part in rel.parts:
            have = self._describe(part.statement)
            start = self._key_select(part.start, have)
            end = self._key_select(part.end, have)
            if not have or start is None or end is None:
                continue
            props = self._part_props(part.statement, part.row_props, part.columns, part.times)
            cols = [f"{start} AS start_id", f"{end} AS end_id", f"{SEQ} AS seq", f"{SOURCE} AS source"]
            cols += _value_columns(rel.name, props, prop_types)
            if part.release_of:
                prop_types.setdefault("release", False)
                cols.append(f"({_q(part.release_of)} = 'model_release') AS {_q('v:release')}")
            merge_keys = part.merge_keys
            where = "WHERE start_id IS NOT NULL AND end_id IS NOT NULL"
            if part.match_end:
                where += f" AND end_id IN (SELECT id FROM n_{rel.end})"
            selects.append(f"SELECT * FROM (SELECT {', '.join(cols)} FROM {self._read(part.statement)}) {where}")
        table = f"r_{rel.name}"
        if not selects:
            self.con.execute(f"CREATE OR REPLACE TABLE {table} AS SELECT NULL::VARCHAR AS start_id, "
                             "NULL::VARCHAR AS end_id WHERE false")
            return table, {}
        group = ["start_id", "end_id", *(_q('v:' + k) for k in merge_keys)]
        prop_sql = ", ".join(
            (f"{_q('v:' + p)} AS {_q(p)}" if p in merge_keys else
             f"arg_max({_q('v:' + p)}, seq) FILTER (WHERE {_q('v:' + p)} IS NOT NULL) AS {_q(p)}")
            for p in prop_types)
        rows = ' UNION ALL BY NAME '.join(selects)
        if len(selects) == 1:  # one statement merges the type: its sources are that statement's file
            sources = "list(DISTINCT source)"
        else:  # several (HAS_IDENTIFIER): each source once, in the order the incremental path appends them
            sources = "list(source ORDER BY seq) FILTER (WHERE first_of_source)"
            rows = (f"SELECT *, row_number() OVER (PARTITION BY {', '.join(group)}, source ORDER BY seq) = 1 "
                    f"AS first_of_source FROM ({rows})")
        self.con.execute(f"""CREATE OR REPLACE TABLE {table} AS
            SELECT start_id, end_id{', ' + prop_sql if prop_sql else ''},
                   [{_lit(self.run_id)}] AS load_runs, {sources} AS sources
            FROM ({rows}) GROUP BY {', '.join(group)}""")
        return table, prop_types

    # -- addresses in organisations' networks --------------------------------------------------
    def build_networks(self) -> str:
        """r_IN_NETWORK_OF from the staged organisations and every address (as link_networks does)."""
        table = f"r_{model.IN_NETWORK_OF}"
        have = self._describe("organisations")
        orgs = []
        if have:
            nb, asns = (_q(c) if c in have else "NULL" for c in (PROP + "netblocks", PROP + "asns"))
            orgs = [{"org_id": k, "netblocks": n, "asns": a} for k, n, a in self.con.execute(
                f"SELECT key, {nb}, {asns} FROM {self._read('organisations')} "
                f"WHERE {nb} IS NOT NULL OR {asns} IS NOT NULL ORDER BY {SEQ}").fetchall()]
        rows = []
        if orgs:
            ip_cols = self._table_columns("n_IPAddress")
            asn = "asn" if "asn" in ip_cols else "NULL"
            addresses = ({"ip": ip, "asn": a} for ip, a in
                         self.con.execute(f"SELECT id, {asn} FROM n_IPAddress").fetchall())
            rows = network_rows(orgs, addresses)
        frame = pa.table({"start_id": pa.array([r["ip"] for r in rows], pa.string()),
                          "end_id": pa.array([r["org_id"] for r in rows], pa.string()),
                          "via": pa.array([r["via"] for r in rows], pa.string()),
                          "netblock": pa.array([r["netblock"] for r in rows], pa.string()),
                          "asn": pa.array([r["asn"] for r in rows], pa.int64()),
                          "seq": pa.array(range(len(rows)), pa.int64())})
        self.con.register("network_rows", frame)
        self.con.execute(f"""CREATE OR REPLACE TABLE {table} AS
            SELECT start_id, end_id, arg_max(via, seq) AS via, arg_max(netblock, seq) AS netblock,
                   arg_max(asn, seq) AS asn, [{_lit(self.run_id)}] AS load_runs,
                   [{_lit(model.NETWORK_SOURCE)}] AS sources
            FROM network_rows GROUP BY start_id, end_id""")
        self.con.unregister("network_rows")
        return table

    # -- CSV files -------------------------------------------------------------------------
    def _table_columns(self, table: str) -> dict[str, str]:
        return {r[0]: r[1] for r in self.con.execute(f"DESCRIBE {table}").fetchall()}

    def _export(self, table: str, id_columns: dict[str, str], times: dict[str, bool], path: Path,
                free_text_ids: tuple[str, ...] = ()) -> tuple[Path, Path, bool, int]:
        """Write `table` as a header file and a data file; returns them, whether a value spans lines, rows.
        Only properties and the id columns in `free_text_ids` are searched for line breaks (validated ids,
        addresses and domains cannot hold one)."""
        types = self._table_columns(table)
        header, exprs, texts, lists = [], [], [], []
        for col, kind in types.items():
            if col in id_columns:
                header.append(id_columns[col])
                exprs.append(_q(col))
                if col in free_text_ids:
                    texts.append(_q(col))
                continue
            if not SAFE_NAME.match(col):
                raise BulkUnsupported(f"the property name {col!r} cannot be written in an import header")
            is_list = kind.endswith("[]")
            base = kind[:-2] if is_list else kind
            neo = "datetime" if times.get(col) else NEO4J_TYPES.get(base)
            if neo is None:
                raise BulkUnsupported(f"{table}.{col} has type {kind}, which the import does not carry")
            header.append(f"{col}:{neo}{'[]' if is_list else ''}")
            if is_list:
                text = f"array_to_string({_q(col)}, {ARRAY_DELIMITER})"
                lists.append(f"contains(array_to_string({_q(col)}, ''), {ARRAY_DELIMITER})")
                exprs.append(text)
                texts.append(text)
            else:
                exprs.append(_q(col))
                if base == "VARCHAR":
                    texts.append(_q(col))
        spans = " OR ".join(f"regexp_matches({t}, '[\\r\\n]')" for t in texts) or "false"
        holds = " OR ".join(lists) or "false"
        count, multiline, delimited = self.con.execute(
            f"SELECT count(*), coalesce(bool_or({spans}), false), coalesce(bool_or({holds}), false) "
            f"FROM {table}").fetchone()
        if delimited:
            raise BulkUnsupported(f"a list value in {table} holds the import's array delimiter (U+001F)")
        head, data = path.with_suffix(".header.csv"), path.with_suffix(".csv")
        head.write_text(",".join(header) + "\n", encoding="utf-8")
        self.con.execute(f"COPY (SELECT {', '.join(exprs)} FROM {table}) TO {_lit(str(data))} "
                         "(FORMAT csv, HEADER false, QUOTE '\"', ESCAPE '\"')")
        return head, data, multiline, count

    def convert(self) -> ImportFiles:
        files = ImportFiles()
        self.stage_aggregates()
        for label in model.LABELS:
            table, props = self.build_label(label)
            for col, kind in self._table_columns(table).items():
                if kind.endswith("[]"):
                    files.empty_lists += [(label.name, key, col) for (key,) in self.con.execute(
                        f"SELECT id FROM {table} WHERE len({_q(col)}) = 0").fetchall()]
            head, data, multi, n = self._export(table, {"id": f"{label.key}:ID({label.name})"}, props,
                                                self.out / f"node-{label.name}",
                                                ("id",) if label.name in model.FREE_TEXT_KEYS else ())
            files.multiline |= multi
            files.counts[label.name] = n
            if n:
                files.nodes.append((label.name, head, data))
        rels = [(rel, *self.build_type(rel)) for rel in model.RELATIONSHIPS]
        network = self.build_networks()
        for rel, table, props in rels + [(None, network, {})]:
            name = rel.name if rel else model.IN_NETWORK_OF
            start, end = (rel.start, rel.end) if rel else ("IPAddress", "Organisation")
            head, data, multi, n = self._export(
                table, {"start_id": f":START_ID({start})", "end_id": f":END_ID({end})"}, props,
                self.out / f"rel-{name}", tuple(c for c, label in (("start_id", start), ("end_id", end))
                                                if label in model.FREE_TEXT_KEYS))
            files.multiline |= multi
            files.counts[name] = n
            if n:
                files.relationships.append((name, head, data))
        self.con.close()
        return files


def convert(sink: BulkSink, run_id: str, out: Path) -> ImportFiles:
    """The import files for everything `sink` staged."""
    return Converter(sink, run_id, out).convert()
