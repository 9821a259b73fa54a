"""Loaders: every table and format into Neo4j, bad rows rejected with reasons, idempotent."""
from __future__ import annotations

import csv
import json
import threading
import time
from pathlib import Path

import pandas as pd
import pytest

from loaders.load import load_dataset
from sample_data.generators.scenarios import generate

SMALL = 400


VISA_TEST_PAN = "4111111111111111"  # a well-known test number that passes Luhn


@pytest.fixture(scope="module")
def tiny_dataset(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("tiny")
    generate(out, SMALL, seed=3)
    return out


def _frames(dataset: Path) -> dict[str, pd.DataFrame]:
    frames = {}
    for path in dataset.iterdir():
        name = path.name.split(".")[0]
        frames[name] = (pd.read_parquet(path) if path.name.endswith(".parquet")
                        else pd.read_csv(path, dtype=str, keep_default_na=False))
    return frames


def _write_as(frames: dict[str, pd.DataFrame], out: Path, fmt: str) -> Path:
    out.mkdir(parents=True, exist_ok=True)
    for name, frame in frames.items():
        if fmt == "csv":
            frame.to_csv(out / f"{name}.csv", index=False)
        elif fmt == "csv.gz":
            frame.to_csv(out / f"{name}.csv.gz", index=False, compression="gzip")
        else:
            frame.to_parquet(out / f"{name}.parquet", index=False)
    return out


def _count(graph, query: str) -> int:
    return graph.read(query)[0]["c"]


def counts(graph) -> dict[str, int]:
    """Node counts by label and relationship counts by type, LoadRun excluded."""
    nodes = {r["l"]: r["c"] for r in graph.read(
        "MATCH (n) WHERE NOT n:LoadRun RETURN labels(n)[0] AS l, count(*) AS c")}
    rels = {r["t"]: r["c"] for r in graph.read("MATCH ()-[r]->() RETURN type(r) AS t, count(*) AS c")}
    sums = graph.read("MATCH (a:Account) RETURN sum(a.requests) AS req, sum(a.logins) AS logins")[0]
    return {**nodes, **{f"rel:{k}": v for k, v in rels.items()}, "sum:requests": sums["req"],
            "sum:logins": sums["logins"]}


@pytest.mark.parametrize("fmt", ["csv", "csv.gz", "parquet"])
def test_every_table_loads_in_every_format(graph, tiny_dataset, tmp_path, fmt, monkeypatch):
    monkeypatch.setenv("RINGTRACE_HOME", str(tmp_path / "home"))
    frames = _frames(tiny_dataset)
    dataset = _write_as(frames, tmp_path / fmt, fmt)
    summary = load_dataset(graph, dataset, progress=False)
    assert not summary.failed_files
    by_table = {t.table: t for t in summary.tables}
    assert set(by_table) == set(frames), "every table of the contract was read"
    c = counts(graph)
    assert c["Account"] == len(frames["accounts"])
    assert c["Organisation"] == len(frames["organisations"])
    assert c["Person"] == len(frames["people"])
    assert c["Proxy"] == len(frames["proxies"])
    assert c["PaymentCard"] == len(frames["payment_cards"])
    assert c["APIKey"] == len(frames["api_keys"])
    assert c["Event"] == len(frames["events"])
    assert c["rel:PAID_WITH"] == len(frames["account_cards"].drop_duplicates(["account_id", "card_fingerprint"]))
    assert c["rel:WORKS_FOR"] == (frames["people"]["org_id"] != "").sum()
    assert c["rel:EXIT_IP"] == len(frames["proxies"])
    assert c["sum:requests"] == len(frames["exchanges"]) - by_table["exchanges"].rejected
    logins = frames["logins"]
    assert c["sum:logins"] == len(logins) - by_table["logins"].rejected
    assert by_table["logins"].rejected == logins.duplicated(["account_id", "ts", "ip", "device_id"]).sum()
    ip_count = _count(graph, "MATCH (i:IPAddress) WHERE i.asn IS NOT NULL RETURN count(i) AS c")
    assert ip_count == len(frames["ip_intel"])
    # the truth table never reaches the graph
    assert _count(graph, "MATCH (n) WHERE n.is_fraud IS NOT NULL OR n.campaign_id IS NOT NULL "
                         "RETURN count(n) AS c") == 0
    # provenance on nodes and relationships
    assert _count(graph, "MATCH (a:Account) WHERE a.load_runs IS NULL OR a.sources IS NULL "
                         "RETURN count(a) AS c") == 0
    assert _count(graph, "MATCH ()-[r:PAID_WITH]->() WHERE r.load_runs IS NULL RETURN count(r) AS c") == 0
    run = graph.read("MATCH (l:LoadRun) RETURN l.status AS s, l.rows_loaded AS n")[0]
    assert run["s"] == "completed" and run["n"] == summary.loaded


def test_reload_changes_no_count_and_second_dataset_adds(graph, tiny_dataset, tmp_path, monkeypatch):
    monkeypatch.setenv("RINGTRACE_HOME", str(tmp_path / "home"))
    load_dataset(graph, tiny_dataset, progress=False)
    first = counts(graph)
    load_dataset(graph, tiny_dataset, progress=False)
    assert counts(graph) == first
    assert _count(graph, "MATCH (l:LoadRun) RETURN count(l) AS c") == 2
    # a second, disjoint dataset adds to the first
    other = tmp_path / "other"
    frames = _frames(tiny_dataset)
    extra = frames["accounts"].head(5).copy()
    extra["account_id"] = extra["account_id"] + "-second"
    other.mkdir()
    extra.to_csv(other / "accounts.csv", index=False)
    load_dataset(graph, other, progress=False)
    assert counts(graph)["Account"] == first["Account"] + 5


BAD_ACCOUNTS = [
    # (column values overriding a good row, column expected in the rejects row, reason fragment)
    ({"created_at": "yesterday"}, "created_at", "not an ISO 8601 timestamp"),
    ({"signup_ip": "300.1.2.3"}, "signup_ip", "not an IPv4 or IPv6 address"),
    ({"plan": "platinum"}, "plan", "not one of"),
    ({"email": "not-an-email"}, "email", "not an email address"),
    ({"account_id": ""}, "account_id", "required value is missing"),
    ({"country": "XX"}, "country", "ISO 3166-1"),
    ({"verified": "maybe"}, "verified", "not a boolean"),
    ({"owner_person_id": "person-nobody"}, "owner_person_id", "does not exist in people"),
    ({"claimed_org": "x" * 1_000_000}, "claimed_org", "over the"),
    ({"claimed_org": f"card {VISA_TEST_PAN}"}, "claimed_org", "card number"),
]


def _reject_rows(path: Path) -> list[dict[str, str]]:
    csv.field_size_limit(1 << 30)  # the rejects file keeps the 1 MB cell whole
    with open(path, newline="", encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


def test_malformed_rows_are_rejected_with_reasons_and_good_rows_load(graph, tmp_path, monkeypatch):
    monkeypatch.setenv("RINGTRACE_HOME", str(tmp_path / "home"))
    ds = tmp_path / "bad"
    generate(ds, 300, seed=11)
    accounts = pd.read_csv(ds / "accounts.csv", dtype=str, keep_default_na=False)
    n_good = len(accounts)
    bad_rows = []
    for i, (override, _, _) in enumerate(BAD_ACCOUNTS):
        row = accounts.iloc[0].copy()
        row["account_id"] = f"acc-bad-{i}"
        for k, v in override.items():
            row[k] = v
        bad_rows.append(row)
    dup = accounts.iloc[1].copy()  # a duplicate id
    frame = pd.concat([accounts, pd.DataFrame(bad_rows), pd.DataFrame([dup])], ignore_index=True)
    frame.to_csv(ds / "accounts.csv", index=False)
    # non-UTF-8 bytes in one row of api_keys
    raw = (ds / "api_keys.csv").read_bytes().splitlines(keepends=True)
    raw[3] = raw[3].replace(b"key-", b"key-\xff\xfe", 1)
    (ds / "api_keys.csv").write_bytes(b"".join(raw))
    # a full card number as a fingerprint: an id, stored as its token
    cards = pd.read_csv(ds / "payment_cards.csv", dtype=str, keep_default_na=False)
    cards.loc[0, "card_fingerprint"] = VISA_TEST_PAN
    cards.to_csv(ds / "payment_cards.csv", index=False)
    # a row with more fields than the header (breaks the fast CSV parser)
    with open(ds / "account_cards.csv", "a") as fh:
        fh.write('acc-00000001,card-fp-00000001,,,"one too many"\n')
    n_account_cards = len(pd.read_csv(ds / "account_cards.csv", dtype=str, on_bad_lines="skip"))
    # a required column missing from a whole file, and an empty file
    pd.read_csv(ds / "proxies.csv", dtype=str).drop(columns=["service_org_id"]).to_csv(ds / "proxies.csv", index=False)
    (ds / "events.csv").write_bytes(b"")

    summary = load_dataset(graph, ds, progress=False)
    by_table = {t.table: t for t in summary.tables}
    rejects = _reject_rows(Path(summary.rejects_file))
    acc_rejects = {r["row"]: r for r in rejects if r["file"] == "accounts.csv"}
    for i, (_, column, reason) in enumerate(BAD_ACCOUNTS):
        row_no = str(n_good + 2 + i)  # header is row 1
        assert row_no in acc_rejects, f"bad row {i} ({reason}) not rejected"
        assert acc_rejects[row_no]["column"] == column
        assert reason in acc_rejects[row_no]["reason"]
    dup_row = str(n_good + 2 + len(BAD_ACCOUNTS))
    assert "duplicate of row 3" in acc_rejects[dup_row]["reason"]
    assert by_table["accounts"].loaded == n_good
    assert _count(graph, "MATCH (a:Account) RETURN count(a) AS c") == n_good
    assert any(r["file"] == "api_keys.csv" and r["reason"] == "not valid UTF-8" for r in rejects)
    assert _count(graph, "MATCH (k:APIKey) RETURN count(k) AS c") == by_table["api_keys"].loaded
    assert by_table["api_keys"].rejected >= 1
    # the card number is nowhere in clear: not in the rejects file, not in the graph
    text = Path(summary.rejects_file).read_text()
    assert VISA_TEST_PAN not in text and "1111" in text
    holds_pan = graph.read(
        "MATCH (n) WHERE any(k IN keys(n) WHERE toStringOrNull(n[k]) CONTAINS $pan OR "
        "(n[k] IS :: LIST<ANY> AND any(x IN n[k] WHERE toStringOrNull(x) CONTAINS $pan))) "
        "RETURN count(n) AS c", {"pan": VISA_TEST_PAN})[0]["c"]
    assert holds_pan == 0
    # ... and the card number given as a fingerprint (an id) loaded as its keyed token
    assert _count(graph, "MATCH (c:PaymentCard) WHERE c.card_fingerprint STARTS WITH 'tok-' "
                         "RETURN count(c) AS c") == 1
    # whole-file errors: named file and column, nothing of the file loaded
    assert "proxies.csv" in by_table["proxies"].error and "service_org_id" in by_table["proxies"].error
    assert _count(graph, "MATCH (x:Proxy) RETURN count(x) AS c") == 0
    assert "events.csv" in by_table["events"].error and "empty" in by_table["events"].error
    shape = [r for r in rejects if r["file"] == "account_cards.csv" and "fields" in r["reason"]]
    assert len(shape) == 1 and shape[0]["column"] == "(row)"
    other = [r for r in rejects if r["file"] == "account_cards.csv" and "fields" not in r["reason"]]
    assert by_table["account_cards"].loaded == n_account_cards - len(other)
    # the summary counts every rejected row
    assert summary.rejected == len(rejects)
    status = graph.read("MATCH (l:LoadRun) RETURN l.status AS s")[0]["s"]
    assert status == "completed_with_errors"


def test_extra_columns_become_properties(graph, tmp_path, monkeypatch):
    monkeypatch.setenv("RINGTRACE_HOME", str(tmp_path / "home"))
    ds = tmp_path / "extra"
    generate(ds, 300, seed=5)
    acc = pd.read_csv(ds / "accounts.csv", dtype=str, keep_default_na=False)
    acc["risk_note"] = "seen in partner report"
    acc.to_csv(ds / "accounts.csv", index=False)
    load_dataset(graph, ds, progress=False)
    assert _count(graph, "MATCH (a:Account {risk_note: 'seen in partner report'}) RETURN count(a) AS c") == len(acc)


def test_missing_accounts_table_is_a_clear_error(graph, tmp_path):
    from ringtrace.core.errors import RingtraceError

    (tmp_path / "empty").mkdir()
    with pytest.raises(RingtraceError, match="no accounts table"):
        load_dataset(graph, tmp_path / "empty", progress=False)


def test_load_interrupted_by_restart_then_rerun_matches_clean_load(graph, tiny_dataset, tmp_path, monkeypatch):
    """A Neo4j restart in the middle of a load; the rerun ends with the clean load's counts."""
    import os

    from graph.db import connect
    from ringtrace.server import local_neo4j

    if os.environ.get("NEO4J_URI"):
        pytest.skip("restarts the project-run local server")
    monkeypatch.setenv("RINGTRACE_HOME", os.environ["RINGTRACE_HOME"])
    load_dataset(graph, tiny_dataset, progress=False)
    clean = counts(graph)
    graph.run_autocommit("MATCH (n) CALL (n) { DETACH DELETE n } IN TRANSACTIONS OF 10000 ROWS")

    outcome: dict[str, object] = {}

    def interrupted_load() -> None:
        try:
            with connect() as g:
                load_dataset(g, tiny_dataset, progress=False)
            outcome["result"] = "finished"
        except Exception as exc:  # the restart may break the load; that is the point
            outcome["result"] = exc

    worker = threading.Thread(target=interrupted_load)
    worker.start()
    deadline = time.monotonic() + 120
    while not graph.read("MATCH (n) RETURN count(n) > 0 AS any")[0]["any"] and time.monotonic() < deadline:
        time.sleep(0.02)
    # the restart must land while the load is writing, or this test proves nothing
    assert "result" not in outcome, "the load finished before the restart: make the dataset bigger"
    local_neo4j.stop()
    local_neo4j.start(quiet=True)
    worker.join(timeout=600)
    assert "result" in outcome
    with connect() as g:
        load_dataset(g, tiny_dataset, progress=False)
        assert counts(g) == clean


def test_token_sums_and_counts_stay_integers(graph, tiny_dataset, tmp_path, monkeypatch):
    monkeypatch.setenv("RINGTRACE_HOME", str(tmp_path / "home"))
    load_dataset(graph, tiny_dataset, progress=False)
    types = graph.read("""
        MATCH (a:Account) WHERE a.requests IS NOT NULL
        RETURN collect(DISTINCT valueType(a.input_tokens)) + collect(DISTINCT valueType(a.output_tokens))
             + collect(DISTINCT valueType(a.requests)) AS account_types""")[0]["account_types"]
    assert set(types) == {"INTEGER NOT NULL"}, types
    rel = graph.read("""
        MATCH ()-[r:QUERIED_MODEL]->()
        RETURN collect(DISTINCT valueType(r.input_tokens)) + collect(DISTINCT valueType(r.requests)) AS t""")[0]["t"]
    assert set(rel) == {"INTEGER NOT NULL"}, rel


def test_the_background_writer_keeps_order_and_reports_a_failed_write(graph):
    from neo4j.exceptions import Neo4jError

    from loaders.writer import BatchWriter

    writer = BatchWriter(graph)
    done = []
    for i in range(20):
        writer.submit("MATCH (c:WriterTest) WITH count(c) AS n CREATE (:WriterTest {i: $i, seen: n})", {"i": i},
                      lambda i=i: done.append(i))
    writer.flush()
    rows = graph.read("MATCH (c:WriterTest) RETURN c.i AS i, c.seen AS seen ORDER BY i")
    assert [(r["i"], r["seen"]) for r in rows] == [(i, i) for i in range(20)] and done == list(range(20))
    writer.submit("THIS IS NOT CYPHER", {})
    with pytest.raises(Neo4jError):
        writer.flush()
    with pytest.raises(Neo4jError):
        writer.submit("RETURN 1", {})
    writer.close()
    graph.write("MATCH (c:WriterTest) DELETE c")


def test_two_batches_make_the_graph_one_load_makes(graph, tiny_dataset, tmp_path, monkeypatch):
    """The last third of the accounts loaded after the rest gives the same nodes, relationships (network links
    included: the second batch links only its own addresses), sums and rejects as one load of everything;
    references to accounts of the first batch are found in the graph."""
    from loaders.batches import split_by_accounts

    monkeypatch.setenv("RINGTRACE_HOME", str(tmp_path / "home"))
    whole = load_dataset(graph, tiny_dataset, progress=False)
    expected = counts(graph)
    graph.run_autocommit("MATCH (n) CALL (n) { DETACH DELETE n } IN TRANSACTIONS OF 10000 ROWS")
    accounts = _frames(tiny_dataset)["accounts"]["account_id"]
    first, second = split_by_accounts(tiny_dataset, accounts.iloc[-len(accounts) // 3:], tmp_path / "batches")
    a = load_dataset(graph, first, progress=False)
    b = load_dataset(graph, second, progress=False)  # a new loader: it remembers nothing of the first batch
    assert counts(graph) == expected
    assert a.rejected + b.rejected == whole.rejected
    assert expected.get("rel:IN_NETWORK_OF", 0) > 0


AGGREGATES = """
MATCH (a:Account)-[r:REQUESTED_FROM|USED_TEMPLATE|QUERIED_MODEL|LOGGED_IN_FROM|USED_DEVICE]->(x)
RETURN a.account_id AS account, type(r) AS rel, coalesce(x.ip, x.prompt_fingerprint, x.name, x.device_id) AS key,
       r.requests AS requests, r.count AS count, r.input_tokens AS input_tokens, r.first_seen AS first_seen,
       r.last_seen AS last_seen
ORDER BY account, rel, key
"""


ACTIVITY = """
MATCH (a:Account)
RETURN a.account_id AS account, a.requests AS requests, a.logins AS logins, a.first_request AS first_request,
       a.last_login AS last_login, a.request_ips AS request_ips, a.prompt_templates AS prompt_templates
ORDER BY account
"""


def test_a_later_log_of_old_and_new_accounts_gives_the_aggregates_of_one_load(graph, tiny_dataset, tmp_path,
                                                                               monkeypatch):
    """A second batch whose request and login logs hold later rows of accounts loaded before (their
    relationships merged, one transaction at a time) and every row of accounts new to the graph (theirs
    created, concurrently) ends with the aggregates one load of everything gives."""
    from loaders.batches import read_table, split_by_accounts, write_table

    monkeypatch.setenv("RINGTRACE_HOME", str(tmp_path / "home"))
    load_dataset(graph, tiny_dataset, progress=False)
    expected = (graph.read(AGGREGATES), graph.read(ACTIVITY), counts(graph))
    graph.run_autocommit("MATCH (n) CALL (n) { DETACH DELETE n } IN TRANSACTIONS OF 10000 ROWS")
    monkeypatch.setenv("RINGTRACE_HOME", str(tmp_path / "home-batches"))
    accounts = _frames(tiny_dataset)["accounts"]["account_id"]
    first, second = split_by_accounts(tiny_dataset, accounts.iloc[-len(accounts) // 4:], tmp_path / "batches")
    moved = 0
    for log in ("exchanges", "logins"):
        for path in first.glob(f"{log}.*"):
            rows = read_table(path)
            later = rows.index % 2 == 1  # every other row of the old accounts arrives with the second batch
            extra = next(second.glob(f"{log}.*"))
            write_table(pd.concat([read_table(extra), rows[later]]), extra)
            write_table(rows[~later], path)
            moved += int(later.sum())
    assert moved > 0
    load_dataset(graph, first, progress=False)
    load_dataset(graph, second, progress=False)
    assert (graph.read(AGGREGATES), graph.read(ACTIVITY), counts(graph)) == expected


def luhn_number(prefix: str) -> str:
    """`prefix` and the check digit that makes it pass the Luhn check."""
    from loaders.cells import luhn_ok

    return next(prefix + d for d in "0123456789" if luhn_ok(prefix + d))


def card_number_ids(n: int) -> list[str]:
    """PaySim-like client ids: 16-digit numbers, every one passing the Luhn check."""
    return [luhn_number(f"4{i:014d}") for i in range(1, n + 1)]


def numeric_id_dataset(out: Path, n: int = 40) -> tuple[Path, list[str]]:
    """Accounts whose ids are 16-digit Luhn-valid numbers, used as references by every kind of table (a log, a
    relationship table, links, identifiers, the truth), plus a duplicate row and a card number in free text."""
    ids = card_number_ids(n)
    out.mkdir(parents=True, exist_ok=True)
    accounts = pd.DataFrame({"account_id": ids, "email": [f"client{i}@bank.test" for i in range(n)],
                             "created_at": "2026-01-01T00:00:00Z", "country": "GB", "claimed_org": ""})
    dup = accounts.iloc[[3]].copy()
    free_text = accounts.iloc[[4]].copy()
    free_text["account_id"], free_text["claimed_org"] = "acc-free-text", f"paid with {VISA_TEST_PAN}"
    pd.concat([accounts, dup, free_text]).to_csv(out / "accounts.csv", index=False)
    pd.DataFrame({"account_id": ids, "ts": "2026-02-01T00:00:00Z",
                  "ip": [f"10.0.{i // 10}.{i % 10 + 1}" for i in range(n)]}).to_csv(out / "logins.csv", index=False)
    pd.DataFrame({"card_fingerprint": ["card-fp-1"], "last4": ["1234"]}).to_csv(out / "payment_cards.csv", index=False)
    pd.DataFrame({"account_id": ids[:10], "card_fingerprint": "card-fp-1"}).to_csv(out / "account_cards.csv",
                                                                                  index=False)
    pd.DataFrame({"src_account_id": ids[:5], "dst_account_id": ids[5:10], "kind": "transfer",
                  "ts": "2026-03-01T00:00:00Z"}).to_csv(out / "account_links.csv", index=False)
    pd.DataFrame({"account_id": ids[:3], "kind": "bank_account", "value": ids[20]}).to_csv(
        out / "account_identifiers.csv", index=False)
    pd.DataFrame({"account_id": ids, "is_fraud": ["true" if i < 10 else "false" for i in range(n)]}).to_csv(
        out / "truth.csv", index=False)
    return out, ids


def stored_nowhere(graph, home: Path, texts: list[str], ids: list[str]) -> None:
    """None of `ids` is in the graph, the log store, the truth copy, or any of `texts` (rejects, output)."""
    found = graph.read("""
        CALL () { MATCH (n) RETURN properties(n) AS p UNION ALL MATCH ()-[r]->() RETURN properties(r) AS p }
        RETURN collect(p) AS all""")[0]["all"]
    stored = json.dumps(found, default=str)
    for path in home.rglob("*.parquet"):
        stored += pd.read_parquet(path).astype(str).to_csv()
        stored += path.read_bytes().decode("latin-1")
    for text in texts:
        stored += text
    leaked = [i for i in ids if i in stored]
    assert not leaked, f"{len(leaked)} card-number-like ids stored in clear, e.g. {leaked[0][:4]}..."


def test_card_number_like_ids_load_every_row_as_keyed_tokens(graph, tmp_path):
    """PaySim's case: 16-digit Luhn-valid client ids. Every row loads, references join through the same
    token, the number is stored nowhere, and the summary says how many ids were tokenised."""
    from click.testing import CliRunner

    from loaders import tokens
    from ringtrace.cli import main as cli
    from ringtrace.core import config

    home = config.home()  # the server's own: the command connects through it
    dataset, ids = numeric_id_dataset(tmp_path / "paysim")
    rejects = tmp_path / "rejects.csv"
    res = CliRunner().invoke(cli, ["load", str(dataset), "--rejects", str(rejects), "--no-progress"],
                             env={"COLUMNS": "200"})
    assert res.exit_code == 0, res.output
    output = " ".join(res.output.split())
    assert "accounts.csv: 41 account_id value(s) looked like card numbers" in output, output
    assert "logins.csv: 40 account_id value(s)" in output and "truth.csv: 40 account_id" in output
    assert "account_identifiers.csv: 3 value value(s)" in output
    assert "account_links.csv: 5 src_account_id" in output and "5 dst_account_id" in output
    n = len(ids)
    accounts = graph.read("MATCH (a:Account) RETURN a.account_id AS id")
    assert len(accounts) == n and all(a["id"].startswith("tok-") for a in accounts)
    assert {a["id"] for a in accounts} == {tokens.token(i) for i in ids}
    joined = graph.read("""RETURN COUNT { (:Account)-[:PAID_WITH]->(:PaymentCard) } AS cards,
                                  COUNT { (:Account)-[:LINKED_TO]->(:Account) } AS links,
                                  COUNT { (:Account)-[:LOGGED_IN_FROM]->() } AS logins,
                                  COUNT { (:Account)-[:HAS_IDENTIFIER]->() } AS identifiers""")[0]
    assert joined == {"cards": 10, "links": 5, "logins": n, "identifiers": 3}
    assert pd.read_parquet(home / "truth" / "truth.parquet")["account_id"].isin(
        {tokens.token(i) for i in ids}).sum() == n
    rows = _reject_rows(rejects)
    assert sorted(r["reason"].split(" (")[0] for r in rows) == [
        "duplicate of row 5", "holds what looks like a full card number"]
    assert tokens.token(ids[3]) in rejects.read_text()  # the duplicate's id, as its token
    stored_nowhere(graph, home, [rejects.read_text(), res.output], ids + [VISA_TEST_PAN])
    key = tokens.key_path()
    assert key.parent == home and key.stat().st_mode & 0o777 == 0o600
    # the same home gives the same tokens: a re-load changes nothing, and a later batch's references join
    before = counts(graph)
    load_dataset(graph, dataset, progress=False)
    assert counts(graph) == before


def test_a_table_that_loses_most_of_its_rows_fails_the_load(graph, tmp_path):
    from click.testing import CliRunner

    from ringtrace.cli import main as cli

    data = tmp_path / "data"
    data.mkdir()

    def load(rows: list[str]) -> tuple[int, str]:
        (data / "accounts.csv").write_text("account_id,country\n" + "".join(f"{r}\n" for r in rows))
        res = CliRunner().invoke(cli, ["load", str(data), "--no-progress"], env={"COLUMNS": "200"})
        return res.exit_code, " ".join(res.output.split())

    code, out = load(["a1,XX", "a2,YY", "a3,ZZ"])  # nothing loads
    assert code == 1, out
    assert "Error: accounts.csv (accounts): 0 of 3 rows loaded, 3 rejected; the commonest reason (3 rows) is " \
           "country: '…' is not an ISO 3166-1 alpha-2 country code" in out, out
    code, out = load(["b1,GB", "b2,YY", "b3,ZZ"])  # two thirds rejected
    assert code == 1 and "1 of 3 rows loaded, 2 rejected" in out, out
    code, out = load(["c1,GB", "c2,GB", "c3,ZZ", "c4,ZZ"])  # half: a warning in the rejects file, not a failure
    assert code == 0 and "Error" not in out, out
