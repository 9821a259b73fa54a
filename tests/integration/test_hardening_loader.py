"""Issue 26, items 6, 12 and 13, attacked as a tester would: a dataset file linked to the home's password, an
unknown file's first line, extra columns forging ringtrace's own properties, rows with too few or too many
fields, a refused or killed bulk load's log rows, and two loads (or a load and `neo4j stop`) at once."""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest

from loaders import logstore
from loaders.load import load_dataset
from ringtrace.core import config, processes
from ringtrace.core.errors import RingtraceError
from ringtrace.server import journal
from sample_data.generators.scenarios import generate

SECRET = "rtPASSWORD-of-the-home-0123456789"
FORGED = {"decision": "false_positive", "requests": "many", "decision_case": "CASE-FORGED"}
KILL_WAIT_S = 300
POLL_S = 0.2
bulk_only = pytest.mark.skipif(bool(os.environ.get("NEO4J_URI")),
                               reason="the bulk path imports into the project-run local server only")


def _tmp_home(monkeypatch, tmp_path: Path) -> Path:
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("RINGTRACE_HOME", str(home))
    return home


def _load_runs_text(graph) -> str:
    return json.dumps(graph.read("MATCH (l:LoadRun) RETURN properties(l) AS p"), default=str)


# --- item 6: files outside the dataset, unknown files ---------------------------------------------

def test_a_table_file_linked_to_the_home_password_is_refused(graph, tmp_path, monkeypatch):
    home = _tmp_home(monkeypatch, tmp_path)
    (home / "neo4j-password").write_text(SECRET + "\n")
    ds = tmp_path / "linked"
    generate(ds, 300, seed=2)
    (ds / "api_keys.csv").unlink()
    (ds / "api_keys.csv").symlink_to(home / "neo4j-password")
    with pytest.raises(RingtraceError, match="outside the dataset directory") as refused:
        load_dataset(graph, ds, progress=False)
    assert SECRET not in str(refused.value)
    assert SECRET not in _load_runs_text(graph)
    assert graph.read("MATCH (a:Account) RETURN count(a) AS n") == [{"n": 0}]  # refused before anything


def test_a_link_inside_the_dataset_directory_still_loads(graph, tmp_path, monkeypatch):
    _tmp_home(monkeypatch, tmp_path)
    ds = tmp_path / "inner-link"
    generate(ds, 300, seed=2)
    (ds / "api_keys.csv").rename(ds / "keys-export.csv")
    (ds / "api_keys.csv").symlink_to(ds / "keys-export.csv")
    summary = load_dataset(graph, ds, progress=False)
    assert {t.table: t.loaded for t in summary.tables}["api_keys"] > 0


def test_an_unknown_file_s_first_line_is_never_stored_in_the_load_run(graph, tmp_path, monkeypatch):
    _tmp_home(monkeypatch, tmp_path)
    ds = tmp_path / "copied"
    generate(ds, 300, seed=2)
    (ds / "api_keys.csv").write_text(SECRET + "\n")  # a copy of the password file, not a link
    (ds / "proxies.csv").unlink()
    (ds / "proxies.csv.gz").write_text(SECRET + "\n")  # not gzip: the error must not quote its first bytes
    summary = load_dataset(graph, ds, progress=False)
    errors = {t.table: t.error for t in summary.tables if t.error}
    assert SECRET not in _load_runs_text(graph)
    assert "b'" + SECRET[:2] not in json.dumps(errors)  # gzip's message quoted the first two bytes
    assert set(errors) == {"api_keys", "proxies"}, errors
    assert "required column api_key_id is missing" in errors["api_keys"]
    assert "1 other column(s), not named here" in errors["api_keys"]


# --- item 6: extra columns named like ringtrace's own properties; item 12: rows of the wrong width ---------

def _attack_dataset(out: Path) -> tuple[Path, dict]:
    """A campaigns dataset whose accounts carry forged columns and a short row, whose payment cards' first row
    has one field too many (pandas would take it as an index and shift it), and whose account cards end in
    a short row."""
    generate(out, 300, seed=21)
    acc = pd.read_csv(out / "accounts.csv", dtype=str, keep_default_na=False)
    for column, value in FORGED.items():
        acc[column] = value
    acc.to_csv(out / "accounts.csv", index=False)
    header = acc.columns.tolist()
    short = acc.iloc[0].tolist()[:3]
    short[0] = "acc-short-row"
    with open(out / "accounts.csv", "a", encoding="utf-8") as fh:
        fh.write(",".join(short) + "\n")
    cards = (out / "payment_cards.csv").read_text().splitlines(keepends=True)
    cards[1] = cards[1].rstrip("\n") + ",one too many\n"
    (out / "payment_cards.csv").write_text("".join(cards))
    with open(out / "account_cards.csv", "a", encoding="utf-8") as fh:
        fh.write(f"{acc.iloc[1]['account_id']}\n")
    expect = {
        "accounts": (len(acc) + 2, header[3], "the row has 3 fields, the header has"),
        "payment_cards": (2, "(row)", "fields, the header has"),
        "account_cards": (len(pd.read_csv(out / "account_cards.csv", dtype=str, on_bad_lines="skip")) + 1,
                          "card_fingerprint", "the row has 1 fields, the header has"),
        "short_account": "acc-short-row",
        "first_card": cards[1].split(",")[0],
    }
    return out, expect


def _check_attack_outcome(graph, summary, expect: dict) -> None:
    """Every way the attack dataset gets through, collected (so a failure shows each of them)."""
    from detection.run import detect

    problems = []
    rejects = pd.read_csv(summary.rejects_file, dtype=str, keep_default_na=False)
    for table in ("accounts", "payment_cards", "account_cards"):
        row, column, reason = expect[table]
        hit = rejects[(rejects["file"] == f"{table}.csv") & (rejects["row"] == str(row))]
        if len(hit) != 1 or hit.iloc[0]["column"] != column or reason not in hit.iloc[0]["reason"]:
            problems.append(f"{table}.csv row {row} (wrong field count) not rejected on {column}: "
                            f"{hit.to_dict('records')}")
    if graph.read("MATCH (a:Account {account_id: $a}) RETURN count(a) AS n", {"a": expect["short_account"]}) \
            != [{"n": 0}]:
        problems.append("the short accounts row loaded")
    if graph.read("MATCH (c:PaymentCard {card_fingerprint: $c}) RETURN count(c) AS n", {"c": expect["first_card"]}) \
            != [{"n": 0}]:
        problems.append("the payment card row with a field too many loaded")
    by_table = {t.table: t for t in summary.tables}
    if getattr(by_table["accounts"], "renamed", None) != {c: "extra_" + c for c in FORGED}:
        problems.append("the summary does not say the forged columns were renamed")
    forged = graph.read("MATCH (a:Account) WHERE a.decision IS NOT NULL OR a.decision_case IS NOT NULL "
                        "RETURN count(a) AS n")[0]["n"]
    if forged:
        problems.append(f"{forged} accounts carry a forged decision")
    kept = graph.read("MATCH (a:Account) RETURN count(a.extra_decision) AS d, count(a.extra_requests) AS r, "
                      "count(a) AS n")[0]
    if not kept["d"] == kept["r"] == kept["n"] > 0:
        problems.append(f"the forged columns are not kept renamed: {kept}")
    texts = graph.read("MATCH (a:Account) WHERE a.requests IS NOT NULL AND NOT a.requests IS :: INTEGER "
                       "RETURN count(a) AS n")[0]["n"]
    if texts:
        problems.append(f"{texts} accounts hold requests as text")
    try:
        detect(graph, progress=False)  # reads requests and decisions
    except Exception as exc:  # noqa: BLE001 - the crash is what is checked
        problems.append(f"detect crashed: {type(exc).__name__}: {exc}")
    assert problems == []


def test_forged_columns_and_rows_of_the_wrong_width_on_the_incremental_path(graph, tmp_path, monkeypatch):
    _tmp_home(monkeypatch, tmp_path)
    ds, expect = _attack_dataset(tmp_path / "attack")
    summary = load_dataset(graph, ds, progress=False)
    _check_attack_outcome(graph, summary, expect)


@bulk_only
def test_forged_columns_and_rows_of_the_wrong_width_on_the_bulk_path(graph, tmp_path, monkeypatch):
    monkeypatch.setenv("RINGTRACE_HOME", os.environ["RINGTRACE_HOME"])
    ds, expect = _attack_dataset(tmp_path / "attack")
    summary = load_dataset(graph, ds, progress=False, mode="bulk")
    assert summary.mode == "bulk"
    graph.reconnect()
    _check_attack_outcome(graph, summary, expect)


# --- item 6: a refused or killed bulk load's log rows ------------------------------------------------

def _busiest_account(ds: Path) -> tuple[str, int]:
    ex = pd.read_parquet(ds / "exchanges.parquet")
    counts = ex["account_id"].value_counts()
    return counts.index[0], int(counts.iloc[0])


def _one_request_dataset(src: Path, out: Path, account: str) -> Path:
    """The accounts of `src` and one request of `account`, under an id no earlier load used."""
    out.mkdir()
    (out / "accounts.csv").write_bytes((src / "accounts.csv").read_bytes())
    ex = pd.read_parquet(src / "exchanges.parquet")
    one = ex[ex["account_id"] == account].head(1).copy()
    one["request_id"] = "req-the-only-one"
    one.drop(columns=["api_key_id"], errors="ignore").to_parquet(out / "exchanges.parquet", index=False)
    return out


def _requests_of(graph, account: str) -> int:
    return graph.read("MATCH (a:Account {account_id: $a}) RETURN a.requests AS n", {"a": account})[0]["n"]


def _store_rows(table: str) -> int:
    con = logstore.connect()
    try:
        return con.execute(f"SELECT count(*) FROM {logstore.source_view(con, table)}").fetchone()[0]
    except FileNotFoundError:
        return 0
    finally:
        con.close()


@bulk_only
def test_a_refused_bulk_load_leaves_no_log_rows_behind(graph, tmp_path, monkeypatch):
    monkeypatch.setenv("RINGTRACE_HOME", os.environ["RINGTRACE_HOME"])
    ds = tmp_path / "refused"
    generate(ds, 300, seed=8)
    people = pd.read_csv(ds / "people.csv", dtype=str, keep_default_na=False)
    people.loc[0, "device_ids"] = "dev-a\x1fdev-b"  # the importer's array delimiter: refused at conversion
    people.to_csv(ds / "people.csv", index=False)
    account, before = _busiest_account(ds)
    assert before > 1
    with pytest.raises(RingtraceError, match="--mode incremental"):
        load_dataset(graph, ds, progress=False, mode="bulk")
    graph.reconnect()
    assert graph.read("MATCH (n) WHERE NOT n:LoadRun RETURN count(n) AS n") == [{"n": 0}]
    assert _store_rows("exchanges") == 0
    load_dataset(graph, _one_request_dataset(ds, tmp_path / "one", account), progress=False)
    assert _requests_of(graph, account) == 1


@bulk_only
def test_a_bulk_load_killed_during_the_import_leaves_no_log_rows_behind(graph, tmp_path, monkeypatch):
    from ringtrace.server import local_neo4j

    monkeypatch.setenv("RINGTRACE_HOME", os.environ["RINGTRACE_HOME"])
    ds = tmp_path / "killed"
    generate(ds, 300, seed=9)
    account, before = _busiest_account(ds)
    assert before > 1
    work = config.home() / journal.WORK_DIR
    proc = subprocess.Popen(["ringtrace", "load", str(ds), "--mode", "bulk", "--no-progress"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    deadline = time.monotonic() + KILL_WAIT_S
    while not (work / "import.log").exists():  # validated, converted; the importer runs
        assert proc.poll() is None and time.monotonic() < deadline
        time.sleep(POLL_S)
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    local_neo4j.start(quiet=True)
    graph.reconnect()
    assert _store_rows("exchanges") == 0
    load_dataset(graph, _one_request_dataset(ds, tmp_path / "one", account), progress=False)
    assert _requests_of(graph, account) == 1
    assert not any((config.home() / "logstore" / logstore.PENDING).glob("*"))  # the killed load's staging


# --- item 13: one load, start or stop at a time per home ----------------------------------------------

def _holder_line(home: Path) -> dict:
    try:
        return json.loads((home / "ringtrace.lock").read_text() or "{}")
    except (OSError, ValueError):
        return {}


@bulk_only
def test_a_second_load_and_a_stop_during_a_bulk_load_are_refused_with_who_holds_the_home(graph, tmp_path,
                                                                                          monkeypatch):
    from ringtrace.server import local_neo4j

    monkeypatch.setenv("RINGTRACE_HOME", os.environ["RINGTRACE_HOME"])
    home = config.home()
    ds = tmp_path / "first"
    generate(ds, 2000, seed=4)
    runs = home / "loads"
    earlier = set(runs.iterdir()) if runs.exists() else set()
    first = subprocess.Popen(["ringtrace", "load", str(ds), "--mode", "bulk", "--no-progress"],
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + KILL_WAIT_S
    while not (set(runs.iterdir()) if runs.exists() else set()) - earlier:  # the first load's run has begun
        assert first.poll() is None and time.monotonic() < deadline, first.communicate()
        time.sleep(POLL_S)
    env = dict(os.environ, RINGTRACE_LOCK_WAIT="1")
    second = subprocess.run(["ringtrace", "load", str(ds), "--mode", "bulk", "--no-progress"],
                            capture_output=True, text=True, env=env)
    stop = subprocess.run(["ringtrace", "neo4j", "stop"], capture_output=True, text=True, env=env)
    out, err = first.communicate(timeout=KILL_WAIT_S)
    assert first.returncode == 0, err
    for refused, action in ((second, "ringtrace load"), (stop, "ringtrace neo4j stop")):
        said = " ".join(refused.stderr.split())
        assert refused.returncode == 1, (refused.stdout, said)
        assert f"`ringtrace load` (pid {first.pid}" in said and f"run `{action}` again" in said, said
    status = local_neo4j.status()
    assert status.running and processes.pid_alive(status.pid)
    servers = [p for p in Path("/proc").iterdir() if p.name.isdigit() and _is_server_of(p, home)]
    assert [int(p.name) for p in servers] == [status.pid]  # no untracked server beside it
    graph.reconnect()
    assert graph.read("MATCH (l:LoadRun) RETURN l.status AS s") == [{"s": "completed"}]


def _is_server_of(proc: Path, home: Path) -> bool:
    try:
        cmd = (proc / "cmdline").read_bytes().split(b"\0")
    except OSError:
        return False
    return b"org.neo4j.server.CommunityEntryPoint" in cmd and any(
        c.startswith(b"--home-dir=") and c[len(b"--home-dir="):].decode().startswith(str(home)) for c in cmd)


def test_the_home_lock_goes_with_a_killed_holder_and_names_a_live_one(tmp_path, monkeypatch):
    from ringtrace.server import home_lock

    home = _tmp_home(monkeypatch, tmp_path)
    holder = subprocess.Popen([sys.executable, "-c", "import time\nfrom ringtrace.server import home_lock\n"
                               "with home_lock.hold('ringtrace load'):\n    print('held', flush=True)\n"
                               "    time.sleep(600)\n"], stdout=subprocess.PIPE, text=True)
    assert holder.stdout.readline().strip() == "held"
    with pytest.raises(home_lock.HomeLocked, match=rf"`ringtrace load` \(pid {holder.pid},"):
        with home_lock.hold("ringtrace neo4j start", wait_s=0.5):
            pass
    holder.send_signal(signal.SIGKILL)
    holder.wait()
    started = time.monotonic()
    with home_lock.hold("ringtrace neo4j start", wait_s=5):
        with home_lock.hold("ringtrace neo4j stop", wait_s=0):  # the same process may take it again
            assert _holder_line(home)["pid"] == os.getpid()
    assert time.monotonic() - started < 2


def test_every_property_ringtrace_writes_on_loaded_data_is_a_contract_column_or_reserved(graph, tmp_path,
                                                                                         monkeypatch):
    """loaders/reserved.py must name every property a load writes beside the contract's columns, and an
    investigator's decision (cases/store.py), or an extra column could still forge one."""
    import re

    from cases.store import APPLY_DECISION
    from loaders import bulk_model, reserved
    from loaders.contract import TABLES

    _tmp_home(monkeypatch, tmp_path)
    ds = tmp_path / "everything"
    generate(ds, 300, seed=3)
    load_dataset(graph, ds, progress=False)
    contract = {c.name for t in TABLES for c in t.columns}
    written: dict[str, set[str]] = {}
    for label in bulk_model.LABELS:
        for r in graph.read(f"MATCH (n:{label.name}) UNWIND keys(n) AS k RETURN DISTINCT k"):
            written.setdefault(r["k"], set()).add(label.name)
    for r in graph.read("MATCH ()-[x]->() WHERE type(x) IN $types UNWIND keys(x) AS k RETURN DISTINCT k",
                        {"types": [rel.name for rel in bulk_model.RELATIONSHIPS] + [bulk_model.IN_NETWORK_OF]}):
        written.setdefault(r["k"], set()).add("relationship")
    for prop in re.findall(r"\ba\.(\w+) =", APPLY_DECISION):
        written.setdefault(prop, set()).add("Account (decision)")
    keys = {label.key for label in bulk_model.LABELS}
    unnamed = {k: v for k, v in written.items() if k not in contract | keys | reserved.RESERVED}
    assert unnamed == {}
    assert {"requests", "logins", "decision", "load_runs"} <= set(written)
