"""The log store's aggregates: scoped to a load's accounts, they equal the aggregates of the whole
deduplicated store (first file's row wins) restricted to those accounts. DuckDB only, no server."""
from __future__ import annotations

import random
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from loaders import logstore
from loaders.validate import ROW

START = datetime(2026, 1, 1, tzinfo=timezone.utc)


def _exchange_rows(rng: random.Random, accounts: list[str], request_ids: list[str]) -> dict[str, list]:
    rows = {c: [] for c in ("request_id", "account_id", "ts", "ip", "api_key_id", "model", "category",
                            "prompt_fingerprint", "input_tokens", "output_tokens", ROW)}
    for n, request in enumerate(request_ids):
        account = rng.choice(accounts)
        rows["request_id"].append(request)
        rows["account_id"].append(account)
        rows["ts"].append(START + timedelta(minutes=rng.randrange(10_000)))
        rows["ip"].append(f"10.0.0.{rng.randrange(6)}")
        rows["api_key_id"].append(rng.choice([None, f"key-{account}", "key-shared"]))
        rows["model"].append(rng.choice(["m1", "m2", None]))
        rows["category"].append(rng.choice(["coding", "chat"]))
        rows["prompt_fingerprint"].append(rng.choice([None, "t1", "t2", "t3"]))
        rows["input_tokens"].append(rng.choice([None, rng.randrange(1000)]))
        rows["output_tokens"].append(rng.randrange(1000))
        rows[ROW].append(n + 2)
    return rows


def _login_rows(rng: random.Random, accounts: list[str], count: int) -> dict[str, list]:
    rows = {c: [] for c in ("account_id", "ts", "ip", "device_id", "user_agent", ROW)}
    for n in range(count):
        rows["account_id"].append(rng.choice(accounts))
        rows["ts"].append(START + timedelta(minutes=rng.randrange(50)))  # few distinct keys: duplicates
        rows["ip"].append(rng.choice([None, "10.0.0.1", "10.0.0.2"]))
        rows["device_id"].append(rng.choice(["d1", "d2"]) if rows["ip"][-1] is None else rng.choice([None, "d1"]))
        rows["user_agent"].append(f"agent {n}")  # differs between duplicates: which row wins shows
        rows[ROW].append(n + 2)
    return rows


def _store(table: str, name: str, rows: dict[str, list]) -> Path:
    path = logstore.store_dir(table) / f"{name}.parquet"
    path.parent.mkdir(parents=True, exist_ok=True)
    pq.write_table(pa.table(rows), path)
    return path


def _results(con, queries: dict[str, str]) -> dict[str, list[tuple]]:
    return {part: sorted(con.execute(sql).fetchall(), key=repr) for part, sql in queries.items()}


def _reference(table: str, new_file: Path) -> dict[str, list[tuple]]:
    """The same aggregates over the whole deduplicated store (`source_view`), filtered to the accounts."""
    con = logstore.connect()
    view = logstore.source_view(con, table)
    con.execute("CREATE TEMP TABLE touched AS SELECT DISTINCT account_id FROM read_parquet(?)", [str(new_file)])
    if table == "exchanges":
        con.execute("CREATE TEMP TABLE touched_keys AS SELECT DISTINCT api_key_id FROM read_parquet(?)",
                    [str(new_file)])
    scope = f"FROM {view} WHERE account_id IN (SELECT account_id FROM touched)"
    queries = logstore._exchange_queries(view, scope) if table == "exchanges" \
        else logstore._login_queries(view, scope)
    return _results(con, queries)


def _oracle_exchanges(files: list[dict[str, list]], new: dict[str, list]) -> dict[str, list[tuple]]:
    """Three of the aggregates worked out in Python from the rows themselves, none of the module's SQL:
    files in name order, the first row of a request id wins, then the new file's accounts and keys."""
    seen: set[str] = set()
    winners = []
    for rows in files:
        for i, request in enumerate(rows["request_id"]):
            if request not in seen:
                seen.add(request)
                winners.append({c: rows[c][i] for c in rows})
    accounts, keys = set(new["account_id"]), {k for k in new["api_key_id"] if k is not None}

    def grouped(rows, key, extra=lambda r: ()):
        out: dict[tuple, list] = {}
        for r in rows:
            out.setdefault(key(r), []).append(r)
        return sorted(((*k, len(rs), min(r["ts"] for r in rs), max(r["ts"] for r in rs), *extra(rs))
                       for k, rs in out.items()), key=repr)

    mine = [r for r in winners if r["account_id"] in accounts]
    return {
        "ip": grouped([r for r in mine if r["ip"] is not None], lambda r: (r["account_id"], r["ip"])),
        "model": grouped([r for r in mine if r["model"] is not None], lambda r: (r["account_id"], r["model"]),
                         lambda rs: (sum(r["input_tokens"] or 0 for r in rs), sum(r["output_tokens"] for r in rs))),
        "api_key": grouped([r for r in winners if r["api_key_id"] in keys], lambda r: (r["api_key_id"],)),
    }


def _utc(rows: list[tuple]) -> list[tuple]:
    return sorted((tuple(v.astimezone(timezone.utc) if isinstance(v, datetime) else v for v in r) for r in rows),
                  key=repr)


@pytest.fixture()
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("RINGTRACE_HOME", str(tmp_path))
    return tmp_path


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_exchange_aggregates_of_a_new_file_equal_the_whole_store_restricted(home: Path, seed: int) -> None:
    rng = random.Random(seed)
    accounts = [f"a{i}" for i in range(12)]
    ids = [f"r{i}" for i in range(400)]
    older = _exchange_rows(rng, accounts[:8], rng.sample(ids, 250))
    other = _exchange_rows(rng, accounts, rng.sample(ids, 150))
    # the new file names requests stored before under other accounts: the older file's rows win
    fresh = _exchange_rows(rng, accounts[5:], rng.sample(ids, 200))
    _store("exchanges", "a-older", older)
    _store("exchanges", "c-other", other)
    new = _store("exchanges", "b-new", fresh)
    con, queries = logstore.aggregate_queries("exchanges", new)
    found = _results(con, queries)
    assert found == _reference("exchanges", new)
    assert found["account"] and found["api_key"]
    oracle = _oracle_exchanges([older, fresh, other], fresh)
    for part in ("ip", "model", "api_key"):
        assert _utc(found[part]) == oracle[part], part


@pytest.mark.parametrize("seed", [4, 5])
def test_login_aggregates_of_a_new_file_equal_the_whole_store_restricted(home: Path, seed: int) -> None:
    rng = random.Random(seed)
    accounts = [f"a{i}" for i in range(6)]
    _store("logins", "a-older", _login_rows(rng, accounts[:4], 300))
    new = _store("logins", "b-new", _login_rows(rng, accounts[2:], 300))
    con, queries = logstore.aggregate_queries("logins", new)
    found = _results(con, queries)
    assert found == _reference("logins", new)
    assert found["device"]


def test_a_lone_file_is_read_in_place(home: Path) -> None:
    rng = random.Random(6)
    new = _store("exchanges", "only", _exchange_rows(rng, ["a1", "a2"], [f"r{i}" for i in range(50)]))
    con, queries = logstore.aggregate_queries("exchanges", new)
    kind = con.execute("SELECT table_type FROM information_schema.tables WHERE table_name = ?",
                       [logstore.SCOPED]).fetchone()[0]
    assert kind == "VIEW"
    assert _results(con, queries) == _reference("exchanges", new)


def test_in_file_duplicates_are_rejected_naming_the_first_row_even_with_empty_key_parts(home: Path) -> None:
    """The first row of a key stays; each later one is a reject naming it. A login's key holds an address or a
    device, the other empty: two rows alike in both count as one key."""
    import pandas as pd

    from loaders.contract import TABLE_BY_NAME

    t1 = pd.Timestamp("2026-01-01T10:00:00Z")
    frame = pd.DataFrame({
        "account_id": ["a1", "a1", "a1", "a2", "a1"],
        "ts": [t1] * 5,
        "ip": ["10.0.0.1", "10.0.0.1", None, "10.0.0.1", None],
        "device_id": [None, None, "d1", None, "d1"],
        "user_agent": ["x", "y", "z", "w", "v"],
        ROW: [2, 3, 4, 5, 6],
    })
    stager = logstore.Stager(TABLE_BY_NAME["logins"], "digest")
    stager.add(frame)
    loaded, rejects = stager.finish("logins.csv")
    assert loaded == 3
    assert sorted((r.row, r.reason) for r in rejects) == [(3, "duplicate of row 2"), (6, "duplicate of row 4")]
    kept = pq.read_table(stager.final).to_pandas()
    assert sorted(kept[ROW]) == [2, 4, 5] and sorted(kept["user_agent"]) == ["w", "x", "z"]


def test_a_file_without_duplicates_moves_into_the_store_whole(home: Path) -> None:
    import pandas as pd

    from loaders.contract import TABLE_BY_NAME

    rows = _exchange_rows(random.Random(8), ["a1", "a2"], [f"r{i}" for i in range(30)])
    frame = pd.DataFrame(rows)
    frame["ts"] = pd.to_datetime(frame["ts"], utc=True)
    stager = logstore.Stager(TABLE_BY_NAME["exchanges"], "digest")
    stager.add(frame)
    assert stager.finish("exchanges.csv") == (30, [])
    assert stager.final.exists() and not stager.path.exists()
