"""`ringtrace load`: a dataset directory into Neo4j, every bad row kept in a rejects file."""
from __future__ import annotations

import functools
import itertools
import json
import os
import re
import shutil
import socket
import time
import uuid
from collections import Counter
from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Callable, Iterable, Iterator

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from graph.db import Graph, ensure_schema
from loaders import bulk, bulk_model, cells, cypher, logstore, reading, reserved
from loaders.aggregates import AggregateWriter
from loaders.bulk import BulkSink
from loaders.contract import LOAD_ORDER, TABLE_BY_NAME, Table
from loaders.networks import network_rows
from loaders.rows import props_and_times, stream
from loaders.validate import ROW, Reject, check_chunk
from loaders.writer import BatchWriter
from ringtrace import __version__
from ringtrace.core import config, processes, safecsv
from ringtrace.core.errors import RingtraceError
from ringtrace.core.memory import release_freed_memory
from ringtrace.core.progress import Progress, reporter
from ringtrace.server import home_lock, journal, local_import, local_neo4j

REJECT_COLUMNS = ("file", "row", "column", "reason", "values")


@dataclass
class TableSummary:
    table: str
    file: str
    read: int = 0
    loaded: int = 0
    rejected: int = 0
    seconds: float = 0.0
    error: str | None = None
    tokenised: dict[str, int] = field(default_factory=dict)  # id column -> card-number-like ids tokenised
    shared_emails: int = 0  # accounts: sign-up addresses two or more accounts share, made identifiers
    top_reject: tuple[str, str, int] | None = None  # the commonest reject reason: (column, reason, rows)
    renamed: dict[str, str] = field(default_factory=dict)  # extra column -> the property it is stored as

    @property
    def poor(self) -> bool:
        """Whether the table lost most of what it read: nothing loaded, or more than half rejected."""
        return not self.error and self.read > 0 and (self.loaded == 0 or self.rejected * 2 > self.read)

    def poor_message(self) -> str:
        """Why a `poor` table fails the load: what it lost and its commonest reject reason."""
        what = f"{self.file} ({self.table}): {self.loaded:,} of {self.read:,} rows loaded, {self.rejected:,} rejected"
        if self.top_reject is None:
            return what + "."
        column, reason, rows = self.top_reject
        return f"{what}; the commonest reason ({rows:,} rows) is {column}: {reason}"


QUOTED = re.compile(r"'(?:[^']|'')*'")
ROW_NUMBER = re.compile(r"\brow \d+")


def reason_kind(reason: str) -> str:
    """A reject reason without the values it quotes, so rows rejected for the same cause count together."""
    return ROW_NUMBER.sub("row N", QUOTED.sub("'…'", reason))


def commonest_reject(rejects: list[Reject]) -> tuple[str, str, int] | None:
    if not rejects:
        return None
    counts = Counter((r.column, reason_kind(cells.mask_pans(r.reason))) for r in rejects)
    (column, reason), rows = max(counts.items(), key=lambda kv: (kv[1], kv[0]))
    return column, reason, rows


@dataclass
class LoadSummary:
    run_id: str
    dataset: str
    rejects_file: str
    tables: list[TableSummary] = field(default_factory=list)
    ignored_files: list[tuple[str, str]] = field(default_factory=list)
    mode: str = "incremental"
    mode_reason: str = ""
    import_seconds: float | None = None     # the bulk path's neo4j-admin run, server stop and start included
    import_peak_rss: int | None = None
    phases: dict[str, float] = field(default_factory=dict)  # the bulk path's steps, wall seconds
    statements: dict[str, tuple[float, int]] = field(default_factory=dict)  # server seconds and rows, by name

    @property
    def read(self) -> int:
        return sum(t.read for t in self.tables)

    @property
    def loaded(self) -> int:
        return sum(t.loaded for t in self.tables)

    @property
    def rejected(self) -> int:
        return sum(t.rejected for t in self.tables)

    @property
    def failed_files(self) -> list[TableSummary]:
        return [t for t in self.tables if t.error]

    @property
    def poor_tables(self) -> list[TableSummary]:
        """Tables that loaded nothing of what they read, or rejected more than half of it."""
        return [t for t in self.tables if t.poor]


class RejectsWriter:
    """The rejects CSV of a load run: file, row, column, reason, original values (masked)."""

    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self.fh = open(path, "w", newline="", encoding="utf-8")
        self.writer = safecsv.writer(self.fh)
        self.writer.writerow(REJECT_COLUMNS)

    def write(self, rejects: Iterable[Reject]) -> int:
        n = 0
        for r in rejects:
            self.writer.writerow([r.file, r.row, r.column, cells.mask_pans(r.reason), r.values])
            n += 1
        return n

    def close(self) -> None:
        self.fh.close()


# --- rows for Cypher -----------------------------------------------------------------

def extra_columns(table: Table, columns: Iterable[str]) -> list[str]:
    """The columns of a file the contract does not define (stored as properties, see loaders/reserved.py)."""
    contract = {c.name for c in table.columns}
    return [c for c in columns if c not in contract and c != ROW]


def _node_rows(table: Table, good: pd.DataFrame, prop_cols: list[str], extras: list[str],
               add: Callable[[dict[str, Any], dict[str, Any]], None] | None = None) -> Iterator[dict[str, Any]]:
    key = table.key[0]
    extra_name = reserved.extra_names(extras, set(good.columns)).__getitem__
    for rec in stream(good):
        props, times = props_and_times(rec, prop_cols)
        extra_props, extra_times = props_and_times(rec, extras, extra_name)
        row = {"key": rec[key], "props": {**props, **extra_props}, "times": {**times, **extra_times}}
        if add:
            add(row, rec)
        yield row


def _add_org(row: dict, rec: dict) -> None:
    row["domains"] = [d.lower() for d in rec.get("domains") or []]


def name_key(name: str | None) -> str | None:
    """The form names are matched on (cards in a person's name): lower case, single spaces."""
    return " ".join(name.lower().split()) if name else None


def _add_person(row: dict, rec: dict) -> None:
    row["props"]["name_key"] = name_key(rec.get("name"))
    row["device_ids"] = rec.get("device_ids") or []
    row["ips"] = rec.get("ips") or []
    row["org_id"] = rec.get("org_id")


def _add_account(row: dict, rec: dict) -> None:
    row["email_domain"] = cells.email_domain(rec["email"]) if rec.get("email") else None
    row["signup_ip"] = rec.get("signup_ip")
    row["owner_person_id"] = rec.get("owner_person_id")


def identifier_value(kind: str, value: str) -> str:
    """The form identifiers are compared in: trimmed, and lower case for email addresses (nothing guessed)."""
    value = value.strip()
    return value.lower() if kind == "email" else value


def _add_proxy(row: dict, rec: dict) -> None:
    row["ip"] = rec["ip"]
    row["service_org_id"] = rec["service_org_id"]


def _add_card(row: dict, rec: dict) -> None:
    if rec.get("billing_name"):
        row["props"]["billing_name_key"] = name_key(rec["billing_name"])
    email = rec.get("billing_email")
    row["billing_domain"] = cells.email_domain(email) if email else None
    row["billing_org_id"] = rec.get("billing_org_id")


def _add_api_key(row: dict, rec: dict) -> None:
    row["account_id"] = rec["account_id"]
    row["created_from_ip"] = rec.get("created_from_ip")


def _add_event(row: dict, rec: dict) -> None:
    row["model"] = rec.get("model")


# Which contract columns become node properties, and the extra fields each row needs.
NODE_WRITES: dict[str, tuple[str | tuple[str, str], list[str], Callable | None]] = {
    "organisations": (cypher.UPSERT_ORGANISATIONS,
                      ["name", "kind", "country", "domains", "asns", "netblocks"], _add_org),
    "people": (cypher.UPSERT_PEOPLE, ["name", "role", "seniority", "emails", "device_ids", "ips", "org_id"],
               _add_person),
    "accounts": ((cypher.ACCOUNT_SHARED_NODES, cypher.UPSERT_ACCOUNTS),
                 ["email", "created_at", "country", "plan", "status", "verified", "signup_ip", "claimed_org",
                  "owner_person_id"], _add_account),
    "proxies": (cypher.UPSERT_PROXIES, ["ip", "service_org_id", "proxy_type", "first_seen", "last_seen"],
                _add_proxy),
    "ip_intel": (cypher.UPSERT_IP_INTEL, ["asn", "asn_org", "country", "is_datacenter", "is_vpn", "is_tor"],
                 None),
    "payment_cards": (cypher.UPSERT_PAYMENT_CARDS, ["bin", "last4", "issuer_country", "billing_name",
                                                    "billing_email", "billing_org_id"], _add_card),
    "api_keys": (cypher.UPSERT_API_KEYS, ["account_id", "created_at", "created_from_ip"], _add_api_key),
    "events": (cypher.UPSERT_EVENTS, ["ts", "kind", "model", "description"], _add_event),
}


class Loader:
    """One load run: validates each table, writes good rows, records rejects and a LoadRun."""

    def __init__(self, graph: Graph, dataset: Path, rejects_path: Path | None = None,
                 batch_rows: int | None = None, progress: Progress | None = None,
                 mode: str = "incremental") -> None:
        self.graph = graph
        self.mode = mode
        self.dataset = dataset
        self.run_id = datetime.now(timezone.utc).strftime("load-%Y%m%dT%H%M%SZ-") + uuid.uuid4().hex[:8]
        self.rejects_path = rejects_path or config.home() / "loads" / self.run_id / "rejects.csv"
        self.batch_rows = batch_rows or config.LOAD_BATCH_ROWS
        self.progress = reporter(progress)
        self.known: dict[str, set[str]] = {}  # referenced ids known to exist (loaded by this run or found)
        self.missing: dict[str, set[str]] = {}  # referenced ids looked up and not found
        self.known_arrays: dict[str, tuple[int, pa.Array]] = {}  # Arrow copies of `known`, by its size
        self.writer: BatchWriter | BulkSink | None = None
        self.had_accounts = False  # whether the graph held accounts before this run

    # -- reference checks --------------------------------------------------------------
    def _exists(self, ref: str, values: pd.Series) -> np.ndarray:
        """Which values exist in the referenced table: ids this run loaded, else looked up in the graph (the
        answer, yes or no, is kept for the rest of the run)."""
        known, missing = self.known.setdefault(ref, set()), self.missing.setdefault(ref, set())
        if self.mode == "bulk":  # the database is empty: only what this run loaded exists
            return self._isin(ref, values)
        unseen = [v for v in pd.unique(values.dropna()) if v not in known and v not in missing]
        for start in range(0, len(unseen), self.batch_rows):
            asked = unseen[start:start + self.batch_rows]
            found = {r["id"] for r in self.graph.read(cypher.EXISTING_IDS[ref], {"ids": asked})}
            known.update(found)
            missing.update(set(asked) - found)
        return self._isin(ref, values)

    def _isin(self, ref: str, values: pd.Series) -> np.ndarray:
        """Which values are known ids of `ref`, against an Arrow copy of the known ids made once per size of
        the set (pandas would copy a large set on every call for Arrow-backed strings)."""
        known = self.known[ref]
        cached = self.known_arrays.get(ref)
        if cached is None or cached[0] != len(known):
            cached = (len(known), pa.array(list(known), type=pa.large_string()))
            self.known_arrays[ref] = cached
        present = values.notna().to_numpy()
        text = pa.array(values.to_numpy(dtype=object)[present], type=pa.large_string()) \
            if values.dtype == object else pa.array(values[present]).cast(pa.large_string())
        found = np.zeros(len(values), dtype=bool)
        found[present] = pc.is_in(text, value_set=cached[1]).to_numpy(zero_copy_only=False)
        return found

    def _forget_ids(self) -> None:
        """Drop the id sets of the reference checks (validation is over) and hand their memory back."""
        self.known, self.missing, self.known_arrays = {}, {}, {}
        release_freed_memory()

    def _reference_checks(self) -> dict[str, Callable[[pd.Series], np.ndarray]]:
        return {ref: functools.partial(self._exists, ref) for ref in cypher.EXISTING_IDS}

    def _remember(self, table: Table, good: pd.DataFrame) -> None:
        for ref in cypher.EXISTING_IDS:
            t, col = ref.split(".")
            if t == table.name:
                ids = set(good[col].dropna().tolist())
                self.known.setdefault(ref, set()).update(ids)
                self.missing.setdefault(ref, set()).difference_update(ids)

    # -- writing -------------------------------------------------------------------------
    def _write_batches(self, query: str | tuple[str, str], rows: Iterable[dict[str, Any]], source: str,
                       progress: Progress, task: Any) -> None:
        """Hand the rows to the writer in batches, prepared while the previous batch is written. A (shared
        nodes, rows) pair first merges the batch's shared nodes from its rows."""
        it = iter(rows)
        while batch := list(itertools.islice(it, self.batch_rows)):
            params = {"rows": batch, "run": self.run_id, "source": source}
            done = functools.partial(progress.advance, task, len(batch))
            if isinstance(query, str):
                self.writer.submit(query, params, done)
                continue
            self.writer.submit(query[0], params)
            self.writer.submit(query[1], params, done)

    def _write_table(self, table: Table, good: pd.DataFrame, source: str, progress: Progress,
                     task: Any) -> None:
        extras = extra_columns(table, good.columns)
        extra_name = reserved.extra_names(extras, set(good.columns)).__getitem__
        if table.name == "account_cards":
            def card_rows() -> Iterator[dict[str, Any]]:
                for rec in stream(good):
                    props, times = props_and_times(rec, ("first_used", "last_used"))
                    extra_props, extra_times = props_and_times(rec, extras, extra_name)
                    yield {"account_id": rec["account_id"], "card_fingerprint": rec["card_fingerprint"],
                           "props": {**props, **extra_props}, "times": {**times, **extra_times}}
            self._write_batches(cypher.UPSERT_ACCOUNT_CARDS, card_rows(), source, progress, task)
            return
        if table.name == "account_identifiers":
            def identifier_rows() -> Iterator[dict[str, Any]]:
                for rec in stream(good):
                    props, times = props_and_times(rec, ("first_seen", "last_seen"))
                    extra_props, extra_times = props_and_times(rec, extras, extra_name)
                    value = identifier_value(rec["kind"], rec["value"])
                    yield {"account_id": rec["account_id"], "kind": rec["kind"], "value": value,
                           "identifier_id": f"{rec['kind']}:{value}",
                           "props": {**props, **extra_props}, "times": {**times, **extra_times}}
            self._write_batches(cypher.UPSERT_ACCOUNT_IDENTIFIERS, identifier_rows(), source, progress, task)
            return
        if table.name == "account_links":
            def link_rows() -> Iterator[dict[str, Any]]:
                for rec in stream(good):
                    props, times = props_and_times(rec, ("ts", "amount", "currency"))
                    extra_props, extra_times = props_and_times(rec, extras, extra_name)
                    yield {"src_account_id": rec["src_account_id"], "dst_account_id": rec["dst_account_id"],
                           "kind": rec["kind"], "link_key": times.get("ts") or "",
                           "props": {**props, **extra_props}, "times": {**times, **extra_times}}
            self._write_batches(cypher.UPSERT_ACCOUNT_LINKS, link_rows(), source, progress, task)
            return
        query, prop_cols, add = NODE_WRITES[table.name]
        self._write_batches(query, _node_rows(table, good, prop_cols, extras, add), source, progress, task)

    def _write_shared_emails(self, good: pd.DataFrame, source: str) -> int:
        """Make each sign-up address that two or more accounts share an identifier of kind email (the same
        node an account_identifiers row of that address makes); returns how many addresses are shared. On the
        bulk path (an empty database) and into a graph without accounts, only the file's own accounts can
        share; else each address of the file is looked up among the accounts of earlier loads too."""
        if "email" not in good.columns:
            return 0
        pairs = pd.DataFrame({"account_id": good["account_id"].to_numpy(dtype=object),
                              "email": good["email"].to_numpy(dtype=object)}).dropna()
        holders = pairs.groupby("email", sort=True)["account_id"].agg(list)
        if isinstance(self.writer, BulkSink) or not self.had_accounts:
            holders = holders[holders.map(len) > 1]
        rows = [{"identifier_id": f"email:{email}", "kind": "email", "value": email, "account_ids": ids}
                for email, ids in holders.items()]
        if isinstance(self.writer, BulkSink):
            for start in range(0, len(rows), self.batch_rows):
                self.writer.submit(cypher.UPSERT_SHARED_EMAILS, {"rows": rows[start:start + self.batch_rows],
                                                                 "run": self.run_id, "source": source})
            return len(rows)
        shared = 0
        for start in range(0, len(rows), self.batch_rows):
            batch = [{k: v for k, v in r.items() if k != "account_ids"} for r in rows[start:start + self.batch_rows]]
            found = self.writer.write_now(cypher.UPSERT_SHARED_EMAILS, {"rows": batch, "run": self.run_id,
                                                                        "source": source})
            shared += sum(r["shared"] for r in found)
        return shared

    def _write_aggregates(self, table: Table, new_file: Path, source: str, progress: Progress) -> None:
        AggregateWriter(self.graph, self.run_id, source, self.batch_rows, self.writer).write(
            table.name, new_file, progress)

    # -- one table -------------------------------------------------------------------------
    def load_table(self, table: Table, path: Path, rejects: RejectsWriter, progress: Progress) -> TableSummary:
        progress.note(f"{path.name}: loading...")  # one line per table, readable in a log as on a terminal
        try:
            summary = self._load_table(table, path, rejects, progress, tolerant=False)
        except reading.MalformedCSV:  # nothing of the file was written yet: read it again, tolerantly
            summary = self._load_table(table, path, rejects, progress, tolerant=True)
        outcome = f"stopped: {summary.error}" if summary.error else \
            f"{summary.read:,} rows read, {summary.loaded:,} loaded, {summary.rejected:,} rejected"
        progress.note(f"{path.name}: {outcome} ({summary.seconds:.1f} s)")
        return summary

    def _load_table(self, table: Table, path: Path, rejects: RejectsWriter, progress: Progress,
                    tolerant: bool) -> TableSummary:
        summary = TableSummary(table=table.name, file=path.name)
        started = time.monotonic()
        refs = self._reference_checks()
        task = progress.add_task(f"{table.name}: validating", total=None)
        goods: list[pd.DataFrame] = []
        staging = logstore.pending_dir(self.run_id) / table.name if self.mode == "bulk" else None
        stager = logstore.Stager(table, reading.file_digest(path), staging) if table.event_log else None
        file_rejects: list[Reject] = []
        try:
            for chunk in reading.read_chunks(table, path, tolerant=tolerant):
                checked = check_chunk(table, chunk, path.name, refs)
                summary.read += len(chunk)
                for column, n in checked.tokenised.items():
                    summary.tokenised[column] = summary.tokenised.get(column, 0) + n
                file_rejects.extend(checked.rejects)
                if stager:
                    stager.add(checked.good)
                else:
                    goods.append(checked.good)
                progress.update(task, completed=summary.read)
        except (reading.FileError, reading.MalformedCSV) as exc:
            if stager:
                stager.abort()
            progress.remove_task(task)
            if isinstance(exc, reading.MalformedCSV):
                raise
            summary.error = str(exc)
            summary.seconds = time.monotonic() - started
            return summary
        progress.remove_task(task)
        if stager:
            release_freed_memory()  # the validated chunks' pages, before DuckDB's duplicate check
            loaded, dup_rejects = stager.finish(path.name)
            file_rejects.extend(dup_rejects)
            summary.loaded = loaded
            if loaded and isinstance(self.writer, BulkSink):
                self.writer.add_log(table.name, stager.final, path.name)
            elif loaded:
                self._write_aggregates(table, stager.final, path.name, progress)
                self.writer.flush()
        elif table.graph:
            good = pd.concat(goods) if goods else pd.DataFrame()
            summary.loaded = len(good)
            summary.renamed = reserved.renamed(extra_columns(table, good.columns), set(good.columns))
            if len(good):
                wtask = progress.add_task(f"{table.name}: writing", total=len(good))
                self._write_table(table, good, path.name, progress, wtask)
                self.writer.flush()
                self._remember(table, good)
                if table.name == "accounts":
                    summary.shared_emails = self._write_shared_emails(good, path.name)
        else:  # truth: kept for scoring only, never written to the graph
            good = pd.concat(goods) if goods else pd.DataFrame()
            summary.loaded = len(good)
            _store_truth(good)
        summary.rejected = rejects.write(sorted(file_rejects, key=lambda r: r.row))
        summary.top_reject = commonest_reject(file_rejects)
        summary.seconds = time.monotonic() - started
        return summary

    # -- network ownership ---------------------------------------------------------------
    def link_networks(self, every_address: bool = True) -> int:
        """Link addresses to the organisations whose netblock or ASN holds them: every address when this run
        loaded organisations (their networks may be new), else only the addresses this run touched."""
        orgs = self.graph.read(cypher.ORGANISATION_NETWORKS)
        if not orgs:
            return 0
        addresses = self.graph.read(cypher.ALL_IPS) if every_address else \
            self.graph.read(cypher.RUN_IPS, {"run": self.run_id})
        rows = network_rows(orgs, addresses)
        for start in range(0, len(rows), self.batch_rows):
            self.graph.write(cypher.MERGE_IN_NETWORK_OF,
                             {"rows": rows[start:start + self.batch_rows], "run": self.run_id,
                              "source": "organisations"})
        return len(rows)

    # -- the whole dataset -----------------------------------------------------------------
    def run(self) -> LoadSummary:
        files = reading.find_tables(self.dataset)
        if self.mode == "bulk":
            return self._run_bulk(files)
        ensure_schema(self.graph)
        mark_interrupted_runs(self.graph)
        self.had_accounts = bool(self.graph.read(cypher.ANY_ACCOUNT))
        self._create_run(datetime.now(timezone.utc))
        summary = self._summary()
        rejects = RejectsWriter(self.rejects_path)
        status = "failed"
        self.writer = BatchWriter(self.graph)
        try:
            self._load_tables(files, summary, rejects, self.progress)
            self.link_networks(every_address="organisations" in files)
            status = "completed_with_errors" if summary.failed_files else "completed"
        finally:
            self.writer.close()
            rejects.close()
            self._finish_run(summary, status)
            summary.statements = statement_times(self.writer)
        return summary

    def _load_tables(self, files: dict[str, Path], summary: LoadSummary, rejects: RejectsWriter,
                     progress: Progress) -> None:
        """Validate (and on the incremental path write) every table present, in load order."""
        for name in LOAD_ORDER:
            if name in files:
                summary.tables.append(self.load_table(TABLE_BY_NAME[name], files[name], rejects, progress))

    def _summary(self) -> LoadSummary:
        return LoadSummary(run_id=self.run_id, dataset=str(self.dataset), rejects_file=str(self.rejects_path),
                           ignored_files=reading.ignored_files(self.dataset), mode=self.mode)

    def _create_run(self, started_at: datetime) -> None:
        self.graph.write(cypher.CREATE_LOAD_RUN, {
            "run": self.run_id, "started_at": started_at.isoformat(),
            "dataset": str(self.dataset.resolve()), "version": __version__,
            "host": socket.gethostname(), "pid": os.getpid()})

    def _finish_run(self, summary: LoadSummary, status: str) -> None:
        self.graph.write(cypher.FINISH_LOAD_RUN, {
            "run": self.run_id, "status": status,
            "summary": json.dumps([asdict(t) for t in summary.tables]),
            "read": summary.read, "loaded": summary.loaded, "rejected": summary.rejected,
            "files": [t.file for t in summary.tables]})

    def _set_empty_lists(self, empty: list[tuple[str, str, str]]) -> None:
        by_label: dict[str, list[dict[str, str]]] = {}
        for label, key, prop in empty:
            by_label.setdefault(label, []).append({"id": key, "prop": prop})
        for label, rows in by_label.items():
            spec = bulk_model.LABEL_BY_NAME[label]
            query = cypher.SET_EMPTY_LISTS.format(label=spec.name, key=spec.key)
            for start in range(0, len(rows), self.batch_rows):
                self.graph.write(query, {"rows": rows[start:start + self.batch_rows]})

    def _record_failed_bulk(self, started_at: datetime, summary: LoadSummary) -> None:
        """Leave a failed LoadRun when the server answers (the database itself is as it was)."""
        try:
            local_neo4j.start(quiet=True)
            self.graph.reconnect()
            self._create_run(started_at)
            self._finish_run(summary, "failed")
        except Exception:  # noqa: BLE001 - the original failure is what the user must see
            pass

    def _run_bulk(self, files: dict[str, Path]) -> LoadSummary:
        """Validate every table as the incremental path does, stage the rows, convert them with DuckDB and
        import them offline (ringtrace.server.local_import); then the schema and the LoadRun, as usual."""
        started_at, started = datetime.now(timezone.utc), time.monotonic()
        summary = self._summary()
        stage = config.home() / "loads" / self.run_id / "bulk"
        rejects = RejectsWriter(self.rejects_path)
        self.writer = BulkSink(stage / "rows")
        # The server runs until the rows are validated and converted, so a refusal (a column the import cannot
        # name) leaves it as it was; stopping it takes under a second.
        try:
            progress = self.progress
            self._load_tables(files, summary, rejects, progress)
            rejects.close()
            clock = time.monotonic()
            summary.phases["validate"] = clock - started
            progress.note("Converting the rows for neo4j-admin import (DuckDB)...")
            task = progress.add_task("converting", total=None)
            self._forget_ids()
            plan = bulk.convert(self.writer, self.run_id, stage / "import")
            summary.phases["convert"] = time.monotonic() - clock
            progress.remove_task(task)
            progress.note(f"Importing {sum(plan.counts.values()):,} nodes and relationships offline (the local "
                          "server stops meanwhile)...")
            task = progress.add_task("importing", total=None)
            logs = [(log.path, logstore.store_dir(log.table) / log.path.name) for log in self.writer.logs]
            if plan.nodes:
                result = local_import.import_database(plan.nodes, plan.relationships, plan.multiline,
                                                      logs=logs)
                summary.import_seconds, summary.import_peak_rss = result.seconds, result.peak_rss_bytes
            else:  # nothing valid to import: the database stays as it was
                journal.move_logs([(str(a), str(b)) for a, b in logs])
            progress.remove_task(task)
        except bulk.BulkUnsupported:
            raise  # nothing was imported, the server never stopped; the caller may take the incremental path
        except BaseException:
            self._record_failed_bulk(started_at, summary)
            raise
        finally:
            rejects.close()
            shutil.rmtree(stage, ignore_errors=True)
            if not any(Path(a).is_relative_to(logstore.pending_dir(self.run_id))
                       for a, _ in journal.journal_logs(config.local_paths())):
                # committed, or never to be: a refused or failed load's logs stay out of the store
                shutil.rmtree(logstore.pending_dir(self.run_id), ignore_errors=True)
        clock = time.monotonic()
        self.graph.reconnect()
        ensure_schema(self.graph)
        self._set_empty_lists(plan.empty_lists)
        summary.phases["import"] = summary.import_seconds or 0.0
        summary.phases["schema"] = time.monotonic() - clock
        self._create_run(started_at)
        self._finish_run(summary, "completed_with_errors" if summary.failed_files else "completed")
        return summary


def statement_times(writer: BatchWriter) -> dict[str, tuple[float, int]]:
    """Server seconds and rows per loader statement (named as in loaders/cypher.py), slowest first."""
    names: dict[str, str] = {}
    for name, value in vars(cypher).items():
        if isinstance(value, str) and name.isupper():
            names[value] = name
        elif isinstance(value, cypher.AggregateLinks):
            names[value.nodes], names[value.links] = f"{name}.nodes", f"{name}.links"
    found = {names.get(q, "other"): (t, writer.rows.get(q, 0)) for q, t in writer.seconds.items()}
    return dict(sorted(found.items(), key=lambda kv: -kv[1][0]))


def mark_interrupted_runs(graph: Graph) -> list[str]:
    """Mark load runs left at 'running' by a killed loader as 'interrupted'; returns their ids.

    A run of this host whose process is gone is interrupted; a run of another host (or one that
    recorded no process) only once it is older than config.STALE_LOAD_RUN_S."""
    host, now = socket.gethostname(), datetime.now(timezone.utc)
    stale = []
    for r in graph.read(cypher.RUNNING_LOAD_RUNS):
        started = r["started_at"].to_native() if hasattr(r["started_at"], "to_native") else r["started_at"]
        if r["host"] == host and r["pid"] is not None:
            if not processes.pid_alive(int(r["pid"])):
                stale.append(r["run_id"])
        elif started is None or (now - started).total_seconds() > config.STALE_LOAD_RUN_S:
            stale.append(r["run_id"])
    if stale:
        graph.write(cypher.MARK_LOAD_RUNS_INTERRUPTED, {"runs": stale})
    return stale


def _store_truth(good: pd.DataFrame) -> None:
    """Keep the evaluation labels beside the log store; detection never opens this file."""
    path = config.home() / "truth" / "truth.parquet"
    path.parent.mkdir(parents=True, exist_ok=True)
    frame = good.drop(columns=[ROW]).astype({"is_fraud": bool})
    if path.exists():
        old = pd.read_parquet(path)
        frame = pd.concat([old[~old["account_id"].isin(frame["account_id"])], frame])
    frame.astype({c: "string" for c in frame.columns if c != "is_fraud"}).to_parquet(path, index=False)


def choose_mode(graph: Graph, dataset: Path, requested: str = "auto") -> tuple[str, str]:
    """The load path for `dataset` and why: bulk only into an empty database of the project's own server;
    under auto also only for an input large enough to repay stopping and starting the server."""
    if requested not in config.LOAD_MODES:
        raise RingtraceError(f"Unknown load mode {requested!r}: use one of {', '.join(config.LOAD_MODES)}.")
    if requested == "incremental":
        return "incremental", "asked for"
    if graph.settings is not None and graph.settings.external:
        # NEO4J_URI may name this home's own server (`ringtrace neo4j env` prints such settings): bulk as usual
        why_not = local_neo4j.not_own_server(graph.settings)
        if why_not is not None:
            if requested == "bulk":
                raise RingtraceError(
                    f"The bulk import writes the project's local server offline, and NEO4J_URI "
                    f"({graph.settings.uri}) does not name it: {why_not}. Use --mode incremental, or unset "
                    "NEO4J_URI to load into the local server.")
            return "incremental", (f"NEO4J_URI names a server other than this home's local one ({why_not}); "
                                   "bulk runs only on the local server: unset NEO4J_URI, or set RINGTRACE_HOME to "
                                   "the home of the server it names, to take it")
    if graph.read(cypher.ANY_NODE):
        if requested == "bulk":
            raise RingtraceError("The bulk import only creates a new graph, and the database already holds data. "
                                 "Load into it with --mode incremental, or empty it first.")
        return "incremental", "the database already holds data"
    size = sum(p.stat().st_size for p in reading.find_tables(dataset).values())
    if requested == "auto" and size < config.BULK_MIN_INPUT_BYTES:
        return "incremental", f"input of {size >> 20} MB, under the bulk threshold"
    return "bulk", "empty local database"


def load_dataset(graph: Graph, dataset: Path, rejects_path: Path | None = None,
                 progress: Progress | None = None, mode: str = "incremental") -> LoadSummary:
    """Load a dataset directory; see `Loader` (`mode`: auto, bulk or incremental; see `choose_mode`). One load
    at a time per ringtrace home (ringtrace/server/home_lock.py): a bulk load stops and starts the server."""
    with home_lock.hold("ringtrace load"):
        return _load_dataset(graph, dataset, rejects_path, progress, mode)


def _load_dataset(graph: Graph, dataset: Path, rejects_path: Path | None, progress: Progress | None, mode: str
                  ) -> LoadSummary:
    # the log files of bulk loads killed before they committed
    logstore.drop_pending(a for a, _ in journal.journal_logs(config.local_paths()))
    chosen, why = ("incremental", "asked for") if mode == "incremental" else choose_mode(graph, dataset, mode)
    loader = Loader(graph, dataset, rejects_path, progress=progress, mode=chosen)
    try:
        summary = loader.run()
        summary.mode_reason = why
        return summary
    except bulk.BulkUnsupported as exc:
        if mode == "bulk":
            raise RingtraceError(f"The bulk import cannot carry this dataset exactly: {exc}. Nothing was written "
                                 "to the graph; load it with --mode incremental.") from exc
        if rejects_path is None:  # the incremental run writes its own rejects file
            shutil.rmtree(loader.rejects_path.parent, ignore_errors=True)
        reporter(progress).note(f"Bulk import not possible ({exc}); loading incrementally instead.")
        summary = Loader(graph, dataset, rejects_path, progress=progress, mode="incremental").run()
        summary.mode_reason = f"the bulk import cannot carry this dataset: {exc}"
        return summary
