"""Plain baselines for the detection floor, computed from a dataset directory's files (never from Neo4j).

    python bench/baselines.py DATASET_DIR

* `components`: connected components over every identifying item two accounts share (cards, devices,
  sign-up / login / key-creation addresses, account identifiers, account links); every account in a
  component of two or more is flagged, ranked by component size.
* `components (rare items)`: the same without items held by more than sqrt(holders of the kind)
  accounts (a NAT or proxy exit address is nobody's identity).
* `shares <kind>`: accounts that share an item of one kind with another account, ranked by how many
  accounts they share it with; `best single kind` is the one with the highest F1, chosen with the truth
  table (an oracle's choice: a ceiling for that family of rules, not something a user could pick).

* `synchrony (SynchroTrap-style)`: accounts x 15-minute activity buckets from the request log; two accounts
  are linked when they share at least 5 buckets with Jaccard >= 0.1, and every account in a connected
  component of two or more is flagged, ranked by component size (Cao et al., CCS 2014, simplified; no
  infrastructure at all). Only where the dataset has a request log.

Request addresses are not read: at real scale they are mostly proxy exits.
"""
from __future__ import annotations

import sys
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components

sys.path.insert(0, str(Path(__file__).resolve().parent))
from metrics_table import account_metrics  # noqa: E402
from score_detection import read_truth  # noqa: E402


def _read(dataset: Path, name: str, columns: list[str]) -> pd.DataFrame:
    for suffix in (".csv", ".csv.gz", ".parquet"):
        p = dataset / f"{name}{suffix}"
        if p.exists():
            if suffix == ".parquet":
                df = pd.read_parquet(p)
            else:
                df = pd.read_csv(p, dtype=str, keep_default_na=False)
            return df[[c for c in columns if c in df.columns]].astype(str)
    return pd.DataFrame(columns=columns)


def incidence(dataset: Path) -> pd.DataFrame:
    """(account, kind, item) for every identifying item in the files."""
    parts = []
    acc = _read(dataset, "accounts", ["account_id", "signup_ip"])
    if "signup_ip" in acc:
        parts.append(pd.DataFrame({"account": acc["account_id"], "kind": "ip", "item": acc["signup_ip"]}))
    logins = _read(dataset, "logins", ["account_id", "ip", "device_id"])
    for col, kind in (("ip", "ip"), ("device_id", "device")):
        if col in logins:
            parts.append(pd.DataFrame({"account": logins["account_id"], "kind": kind, "item": logins[col]}))
    cards = _read(dataset, "account_cards", ["account_id", "card_fingerprint"])
    if len(cards):
        parts.append(pd.DataFrame({"account": cards["account_id"], "kind": "card", "item": cards["card_fingerprint"]}))
    keys = _read(dataset, "api_keys", ["account_id", "created_from_ip"])
    if "created_from_ip" in keys:
        parts.append(pd.DataFrame({"account": keys["account_id"], "kind": "key_ip", "item": keys["created_from_ip"]}))
    ids = _read(dataset, "account_identifiers", ["account_id", "kind", "value"])
    if len(ids):
        parts.append(pd.DataFrame({"account": ids["account_id"], "kind": "identifier:" + ids["kind"],
                                   "item": ids["value"].str.strip().str.lower()}))
    links = _read(dataset, "account_links", ["src_account_id", "dst_account_id"])
    if len(links):
        item = links["src_account_id"] + ">" + links["dst_account_id"]
        parts.append(pd.DataFrame({"account": links["src_account_id"], "kind": "link", "item": item}))
        parts.append(pd.DataFrame({"account": links["dst_account_id"], "kind": "link", "item": item}))
    if not parts:
        return pd.DataFrame(columns=["account", "kind", "item"])
    inc = pd.concat(parts, ignore_index=True)
    inc = inc[(inc["item"] != "") & (inc["item"] != "nan")].drop_duplicates()
    inc["item"] = inc["kind"] + "|" + inc["item"]
    return inc


def _components(inc: pd.DataFrame, accounts: pd.Index) -> pd.Series:
    """Per account: the size of its connected component (1 when it shares nothing)."""
    a = accounts.get_indexer(inc["account"])
    keep = a >= 0
    items, item_code = np.unique(inc["item"].to_numpy()[keep], return_inverse=True)
    n = len(accounts)
    m = coo_matrix((np.ones(keep.sum()), (a[keep], n + item_code)), shape=(n + len(items), n + len(items)))
    _, label = connected_components(m, directed=False)
    sizes = np.bincount(label[:n], minlength=label.max() + 1)
    return pd.Series(sizes[label[:n]], index=accounts)


SYNC_BUCKET_S, SYNC_MIN_SHARED, SYNC_MIN_JACCARD = 900, 5, 0.1
SYNC_ROWS = 2000  # accounts per block of the pair product


def synchrony_baseline(dataset: Path, accounts: pd.Index) -> pd.Series | None:
    """Per account: the size of its component of synchronised pairs (0 when in none)."""
    path = next((dataset / f"exchanges{s}" for s in (".parquet", ".csv", ".csv.gz") if (dataset / f"exchanges{s}").exists()),
                None)
    if path is None:
        return None
    reader = "read_parquet" if path.suffix == ".parquet" else "read_csv_auto"
    df = duckdb.connect().execute(f"SELECT DISTINCT account_id, epoch(ts::TIMESTAMPTZ)::BIGINT // {SYNC_BUCKET_S} AS b "
                                  f"FROM {reader}(?)", [str(path)]).df()
    a = accounts.get_indexer(df["account_id"].astype(str))
    keep = a >= 0
    _, b = np.unique(df["b"].to_numpy()[keep], return_inverse=True)
    n = len(accounts)
    m = coo_matrix((np.ones(keep.sum(), dtype=np.float32), (a[keep], b)), shape=(n, b.max() + 1)).tocsr()
    m.data[:] = 1
    deg = np.asarray(m.sum(axis=1)).ravel()
    us, vs = [], []
    mt = m.T.tocsc()
    for s in range(0, n, SYNC_ROWS):
        block = (m[s:s + SYNC_ROWS] @ mt).tocoo()
        u, v, shared = block.row + s, block.col, block.data
        jac = shared / (deg[u] + deg[v] - shared)
        ok = (u < v) & (shared >= SYNC_MIN_SHARED) & (jac >= SYNC_MIN_JACCARD)
        us.append(u[ok])
        vs.append(v[ok])
    u, v = np.concatenate(us), np.concatenate(vs)
    _, label = connected_components(coo_matrix((np.ones(len(u)), (u, v)), shape=(n, n)), directed=False)
    sizes = np.bincount(label, minlength=n)[label]
    return pd.Series(np.where(sizes >= 2, sizes, 0).astype(float), index=accounts)


def baselines(dataset: Path) -> dict[str, pd.Series]:
    """Per method: a score per account (0 = not flagged, higher = more suspicious)."""
    truth = read_truth(dataset)
    accounts = pd.Index(truth["account_id"])
    inc = incidence(dataset)
    inc["df"] = inc.groupby("item")["account"].transform("nunique")
    shared = inc[inc["df"] >= 2]
    holders = inc.groupby("kind")["account"].nunique()
    rare = shared[shared["df"] <= np.sqrt(shared["kind"].map(holders))]
    out = {}
    for name, part in (("components", shared), ("components (rare items)", rare)):
        size = _components(part, accounts)
        out[name] = size.where(size >= 2, 0).astype(float)
    sync = synchrony_baseline(dataset, accounts)
    if sync is not None:
        out["synchrony (SynchroTrap-style)"] = sync
    for kind, part in shared.groupby("kind"):
        out[f"shares {kind}"] = (part.groupby("account")["df"].max() - 1).reindex(accounts, fill_value=0).astype(float)
    return out


def main(dataset: Path) -> None:
    truth = read_truth(dataset).set_index("account_id")["is_fraud"]
    for name, score in baselines(dataset).items():
        m = account_metrics(truth, score)
        print(f"{name}: " + ", ".join(f"{k} {v:.3f}" if isinstance(v, float) else f"{k} {v}" for k, v in m.items()))


if __name__ == "__main__":
    main(Path(sys.argv[1]))
