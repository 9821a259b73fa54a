"""The bulk load path (neo4j-admin import): the graph and rejects the incremental path makes, the path chosen
as documented, and a load killed at any point (bulk or incremental) recoverable to the clean load's counts."""
from __future__ import annotations

import dataclasses
import os
import shutil
import signal
import subprocess
import time
from pathlib import Path

import pandas as pd
import pytest

from graph import fingerprint
from loaders import bulk_model
from loaders.load import choose_mode, load_dataset
from ringtrace.core import config
from ringtrace.core.errors import RingtraceError
from ringtrace.server import journal
from sample_data.generators.scenarios import generate

pytestmark = pytest.mark.skipif(bool(os.environ.get("NEO4J_URI")),
                                reason="the bulk path imports into the project-run local server only")


REPO = Path(__file__).resolve().parents[2]


SAMPLE = REPO / "sample_data" / "small"


SAMPLED_PER_LABEL = 150


LABEL_KEYS = {label.name: label.key for label in bulk_model.LABELS}


REL_STARTS = {**{rel.name: rel.start for rel in bulk_model.RELATIONSHIPS}, bulk_model.IN_NETWORK_OF: "IPAddress"}


KILL_WAIT_S = 300


CARD_NUMBER = "4111111111111111"  # a well-known test number that passes Luhn


POLL_S = 0.2


def _empty(graph) -> None:
    graph.run_autocommit("MATCH (n) CALL (n) { DETACH DELETE n } IN TRANSACTIONS OF 10000 ROWS")
    for sub in ("logstore", "truth"):
        shutil.rmtree(config.home() / sub, ignore_errors=True)


_SAMPLE_COUNTS: dict[str, dict] = {}  # the sample's counts after a clean incremental load, once per session


def _clean_sample_counts(graph) -> dict:
    """The counts a clean incremental load of the sample makes (loaded here unless a test here already did)."""
    if "clean" not in _SAMPLE_COUNTS:
        _empty(graph)
        load_dataset(graph, SAMPLE, progress=False)
        _SAMPLE_COUNTS["clean"] = fingerprint.counts(graph)
    return _SAMPLE_COUNTS["clean"]


def _fingerprint(graph, keys: dict | None = None) -> tuple[dict, dict]:
    keys = keys or {label: (key, fingerprint.sample_keys(graph, label, key, SAMPLED_PER_LABEL))
                    for label, key in LABEL_KEYS.items()}
    found = fingerprint.sample(graph, keys, REL_STARTS, LABEL_KEYS)
    found.update(fingerprint.counts(graph))
    return found, keys


def _both_paths(graph, dataset: Path, tmp_path: Path) -> None:
    """Load `dataset` incrementally, then into an emptied database in bulk: same graph, same rejects."""
    _empty(graph)
    inc = load_dataset(graph, dataset, tmp_path / "incremental-rejects.csv", progress=False)
    assert inc.mode == "incremental"
    if dataset == SAMPLE:
        _SAMPLE_COUNTS.setdefault("clean", fingerprint.counts(graph))
    first, keys = _fingerprint(graph)
    _empty(graph)
    done = load_dataset(graph, dataset, tmp_path / "bulk-rejects.csv", progress=False, mode="bulk")
    assert done.mode == "bulk" and done.import_seconds is not None
    second, _ = _fingerprint(graph, keys)
    assert fingerprint.differences(first, second) == []
    assert sum(len(v) for k, v in first.items() if k.startswith("sample:")) > 0
    assert (tmp_path / "incremental-rejects.csv").read_bytes() == (tmp_path / "bulk-rejects.csv").read_bytes()
    assert [dataclasses.replace(t, seconds=0) for t in inc.tables] == \
        [dataclasses.replace(t, seconds=0) for t in done.tables]
    run = graph.read("MATCH (l:LoadRun {run_id: $r}) RETURN l.status AS s", {"r": done.run_id})
    assert run == [{"s": "completed_with_errors" if done.failed_files else "completed"}]


@pytest.fixture()
def home_env(neo4j_server, monkeypatch):
    """The server's own home (the bulk path stops and starts the server it finds there)."""
    monkeypatch.setenv("RINGTRACE_HOME", os.environ["RINGTRACE_HOME"])


def _edge_dataset(out: Path) -> Path:
    """A campaigns dataset with what an exact copy must survive: quotes, commas, new lines and non-ASCII in an
    extra column, a nanosecond timestamp, empty and upper-case lists, identifiers that normalise to one,
    links with and without a time, and rejected rows."""
    generate(out, 300, seed=13)
    acc = pd.read_csv(out / "accounts.csv", dtype=str, keep_default_na=False)
    acc["note"] = ""
    acc.loc[0, "note"] = 'said "hello", then left'
    acc.loc[1, "note"] = "line one\nline two"
    acc.loc[2, "note"] = "Zürich – 東京"
    acc.loc[3, "created_at"] = "2026-01-02T03:04:05.123456789Z"
    bad = acc.iloc[4].copy()
    bad["account_id"], bad["signup_ip"] = "acc-bad-ip", "300.1.2.3"
    acc.loc[0, "email"], acc.loc[1, "email"] = "Shared@Example.TEST", " shared@example.test"  # also identifiers
    acc.loc[7, "email"] = acc.loc[8, "email"].upper()  # a sign-up address two accounts share
    card = acc.iloc[6].copy()
    card["account_id"], card["claimed_org"] = "acc-card-number", f"paid with {CARD_NUMBER}"
    pd.concat([acc, pd.DataFrame([bad, card, acc.iloc[5]])], ignore_index=True).to_csv(out / "accounts.csv",
                                                                                     index=False)
    orgs = pd.read_csv(out / "organisations.csv", dtype=str, keep_default_na=False)
    orgs.loc[0, "domains"] = "Example-Upper.TEST;second.test"
    orgs.loc[1, "domains"] = ";"
    orgs.to_csv(out / "organisations.csv", index=False)
    people = pd.read_csv(out / "people.csv", dtype=str, keep_default_na=False)
    people.loc[0, "device_ids"] = ";"
    people.to_csv(out / "people.csv", index=False)
    ids = acc["account_id"].tolist()
    pd.DataFrame({
        "account_id": [ids[0], ids[1], ids[2], ids[3], "acc-nobody"],
        "kind": ["email", "email", "Loyalty Card", "phone", "phone"],
        "value": ["Shared@Example.TEST", "shared@example.test ", "LC-1", "+44 20 0000", "+1"],
        "first_seen": ["2026-01-01T00:00:00Z", "", "2026-02-01T00:00:00Z", "", ""],
        "source_system": ["crm", "crm", "shop", "", ""],
    }).to_csv(out / "account_identifiers.csv", index=False)
    pd.DataFrame({
        "src_account_id": [ids[0], ids[0], ids[1]], "dst_account_id": [ids[1], ids[1], ids[2]],
        "kind": ["transfer", "transfer", "referral"],
        "ts": ["2026-03-01T10:00:00Z", "2026-03-02T10:00:00Z", ""],
        "amount": ["12.5", "0.1", ""], "currency": ["usd", "EUR", ""],
    }).to_csv(out / "account_links.csv", index=False)
    return out


def test_bulk_and_incremental_paths_make_the_same_graph_from_the_sample(graph, home_env, tmp_path):
    _both_paths(graph, SAMPLE, tmp_path)
    bulk_counts = fingerprint.counts(graph)
    again = load_dataset(graph, SAMPLE, progress=False, mode="auto")  # a graph made in bulk takes re-loads
    assert again.mode == "incremental" and fingerprint.counts(graph) == bulk_counts


def test_both_paths_store_card_number_like_ids_as_the_same_tokens(graph, home_env, tmp_path):
    from integration.test_loaders import numeric_id_dataset, stored_nowhere

    dataset, ids = numeric_id_dataset(tmp_path / "paysim")
    _both_paths(graph, dataset, tmp_path)  # same graph, rejects and summary (tokenised counts included)
    done = load_dataset(graph, dataset, tmp_path / "again.csv", progress=False)
    assert {t.table: t.tokenised.get("account_id") for t in done.tables if t.table in ("accounts", "logins")} == \
        {"accounts": len(ids) + 1, "logins": len(ids)}
    assert graph.read("MATCH (a:Account) WHERE a.account_id STARTS WITH 'tok-' RETURN count(a) AS n") == \
        [{"n": len(ids)}]
    stored_nowhere(graph, config.home(), [(tmp_path / "bulk-rejects.csv").read_text()], ids + [CARD_NUMBER])


def test_bulk_and_incremental_paths_agree_on_awkward_values_and_rejects(graph, home_env, tmp_path):
    dataset = _edge_dataset(tmp_path / "edge")
    _both_paths(graph, dataset, tmp_path)
    assert CARD_NUMBER not in (tmp_path / "bulk-rejects.csv").read_text()
    assert graph.read("MATCH (a:Account) WHERE a.claimed_org CONTAINS '4111' RETURN count(a) AS n") == [{"n": 0}]
    note = graph.read("MATCH (a:Account) WHERE a.note CONTAINS 'line one' RETURN a.note AS n")
    assert note == [{"n": "line one\nline two"}]
    shared = graph.read("MATCH (x:Identifier {identifier_id: 'email:shared@example.test'})<-[r]-() "
                        "RETURN count(r) AS n, collect(r.sources) AS sources")
    assert shared == [{"n": 2, "sources": [["accounts.csv", "account_identifiers.csv"]] * 2}]
    signup = graph.read("MATCH (x:Identifier {kind: 'email'})<-[r:HAS_IDENTIFIER]-() "
                        "WHERE x.identifier_id <> 'email:shared@example.test' RETURN count(DISTINCT x) AS x, "
                        "count(r) AS n, collect(DISTINCT r.sources) AS sources")
    assert signup == [{"x": 1, "n": 2, "sources": [["accounts.csv"]]}]


def test_bulk_and_incremental_paths_agree_on_a_marketplace_without_a_request_log(graph, home_env, tmp_path):
    dataset = tmp_path / "marketplace"
    generate(dataset, 800, seed=5, scenario="marketplace")
    _both_paths(graph, dataset, tmp_path)


def test_auto_takes_bulk_only_for_a_large_input_into_an_empty_local_database(graph, home_env, monkeypatch):
    assert choose_mode(graph, SAMPLE)[0] == "incremental"  # the sample is under the size threshold
    monkeypatch.setenv("RINGTRACE_BULK_MIN_BYTES", "0")
    assert choose_mode(graph, SAMPLE) == ("bulk", "empty local database")
    assert choose_mode(graph, SAMPLE, "incremental")[0] == "incremental"
    elsewhere = dataclasses.replace(graph.settings, uri="bolt://neo4j.example:7687", external=True)
    external = dataclasses.replace(graph, settings=elsewhere)
    mode, why = choose_mode(external, SAMPLE)
    assert mode == "incremental" and "neo4j.example is not a loopback address" in why and "unset NEO4J_URI" in why
    with pytest.raises(RingtraceError, match="does not name it: neo4j.example is not a loopback address"):
        choose_mode(external, SAMPLE, "bulk")
    wrong = dataclasses.replace(graph, settings=dataclasses.replace(graph.settings, password="x", external=True))
    assert "NEO4J_PASSWORD are not those" in choose_mode(wrong, SAMPLE)[1]
    own = dataclasses.replace(graph, settings=dataclasses.replace(graph.settings, external=True))
    assert choose_mode(own, SAMPLE) == ("bulk", "empty local database")  # NEO4J_URI naming the local server
    graph.write("CREATE (:Account {account_id: 'acc-already-here'})")
    assert choose_mode(graph, SAMPLE)[0] == "incremental"
    with pytest.raises(RingtraceError, match="already holds data"):
        choose_mode(graph, SAMPLE, "bulk")


def test_a_column_the_import_cannot_name_falls_back_to_incremental(graph, home_env, tmp_path, monkeypatch):
    dataset = tmp_path / "odd-column"
    generate(dataset, 300, seed=5)
    acc = pd.read_csv(dataset / "accounts.csv", dtype=str, keep_default_na=False)
    acc["risk: note"] = "partner report"
    acc.to_csv(dataset / "accounts.csv", index=False)
    _empty(graph)
    with pytest.raises(RingtraceError, match="--mode incremental"):
        load_dataset(graph, dataset, progress=False, mode="bulk")
    assert graph.read("MATCH (n) RETURN count(n) AS n") == [{"n": 0}]
    monkeypatch.setenv("RINGTRACE_BULK_MIN_BYTES", "0")
    summary = load_dataset(graph, dataset, progress=False, mode="auto")
    assert summary.mode == "incremental"
    assert graph.read("MATCH (a:Account) WHERE a.`risk: note` = 'partner report' RETURN count(a) AS n") == \
        [{"n": len(acc)}]


def _start_load(dataset: Path, mode: str) -> subprocess.Popen:
    return subprocess.Popen(["ringtrace", "load", str(dataset), "--mode", mode, "--no-progress"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)


def _kill_when(proc: subprocess.Popen, ready) -> None:
    """SIGKILL the load's whole process group (the loader and an importer it started) once `ready()`."""
    deadline = time.monotonic() + KILL_WAIT_S
    while not ready():
        assert proc.poll() is None, "the load finished before it could be killed"
        assert time.monotonic() < deadline
        time.sleep(POLL_S)
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()


def test_a_bulk_load_killed_during_the_import_leaves_the_old_database_and_reruns_clean(graph, home_env, tmp_path):
    """A bulk load killed while the importer runs leaves the old database; the rerun goes as the README's
    `ringtrace neo4j env` (for Neo4j Browser) leaves the shell, NEO4J_URI naming the local server, and a load
    then recognises the server as the project's own and takes the bulk path."""
    from graph.db import connect
    from ringtrace.server import local_neo4j

    clean = _clean_sample_counts(graph)
    _empty(graph)
    work = config.home() / journal.WORK_DIR
    proc = _start_load(SAMPLE, "bulk")
    _kill_when(proc, lambda: (work / "import.log").exists())  # the server is stopped, the importer runs
    assert work.exists()  # the killed import's staging, never swapped in
    local_neo4j.start(quiet=True)  # the next start drops it
    assert not work.exists()
    with connect() as g:
        assert g.read("MATCH (n) WHERE NOT n:LoadRun RETURN count(n) AS n") == [{"n": 0}]
        _empty(g)
    exports = subprocess.run(["ringtrace", "neo4j", "env"], capture_output=True, text=True, check=True).stdout
    env = dict(os.environ, RINGTRACE_BULK_MIN_BYTES="0", COLUMNS="200")
    env.update(line.removeprefix("export ").split("=", 1) for line in exports.splitlines())
    assert env["NEO4J_URI"].startswith("bolt://127.0.0.1:")
    rerun = subprocess.run(["ringtrace", "load", str(SAMPLE), "--no-progress"], capture_output=True, text=True,
                           env=env)
    assert rerun.returncode == 0, rerun.stderr
    said = " ".join(rerun.stdout.split())  # the terminal may wrap the summary line
    assert "Path: bulk (validate" in said and "importer peak RSS" in said, said[-400:]
    with connect() as g:
        assert fingerprint.counts(g) == clean
        assert g.read("MATCH (l:LoadRun) RETURN count(l) AS n") == [{"n": 1}]


def test_an_incremental_load_killed_mid_way_reruns_to_the_clean_counts(graph, home_env, tmp_path):
    from graph.db import connect

    clean = _clean_sample_counts(graph)
    _empty(graph)
    proc = _start_load(SAMPLE, "incremental")
    _kill_when(proc, lambda: graph.read("MATCH (a:APIKey) RETURN count(a) > 0 AS started")[0]["started"])
    with connect() as g:
        partial = fingerprint.counts(g)
        assert partial != clean  # it was killed mid-way
        assert subprocess.run(["ringtrace", "load", str(SAMPLE), "--mode", "incremental", "--no-progress"],
                              stdout=subprocess.DEVNULL).returncode == 0
        assert fingerprint.counts(g) == clean
        statuses = sorted(r["s"] for r in g.read("MATCH (l:LoadRun) RETURN l.status AS s"))
        assert statuses == ["completed", "interrupted"]
