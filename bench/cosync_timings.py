"""The synchronised-activity step's time and links at several sizes, from dataset directories (no Neo4j).

    python bench/cosync_timings.py DATASET_DIR [DATASET_DIR ...]

For each dataset: the accounts x 15-minute buckets matrix read from exchanges.parquet with DuckDB, then
detection/cosync.py's candidate pairs, tests and components, timed (the open-identity explanation needs the
graph and is left out, so look-alike groups with an open identity still appear here). Then, scored with the
truth table and lookalikes.csv: the fleets' accounts in their largest component, and the links between
accounts of no group (false links between ordinary people).
"""
from __future__ import annotations

import sys
import time
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
from scipy.sparse import csr_matrix

from detection import cosync
from ringtrace.core import config


def main(paths: list[Path]) -> None:
    print("accounts | activity cells | candidates | links | seconds | fleets in their largest component | "
          "links between ordinary accounts | other groups")
    for d in paths:
        t0 = time.monotonic()
        df = duckdb.connect().execute(
            f"SELECT DISTINCT account_id, epoch(ts::TIMESTAMPTZ)::BIGINT // {config.COSYNC_BUCKET_S} AS b "
            "FROM read_parquet(?)", [str(d / "exchanges.parquet")]).df()
        acc, ids = pd.factorize(df["account_id"], sort=True)
        col, buckets = pd.factorize(df["b"], sort=True)
        m = csr_matrix((np.ones(len(df), dtype=np.float32), (acc, col)))
        links = cosync.co_activity_links(np.asarray(ids, dtype=object), m, buckets=np.asarray(buckets), hours=True)
        groups = cosync.components(links, 2)
        seconds = time.monotonic() - t0
        truth = pd.read_csv(d / "truth.csv", keep_default_na=False)
        look = pd.read_csv(d / "lookalikes.csv")
        label = truth.set_index("account_id")["campaign_id"].replace("", np.nan)
        label = label.fillna(look.set_index("account_id")["group"].reindex(label.index)).fillna("ordinary")
        fleets = []
        for fleet, members in label[label.str.startswith("fleet")].groupby(label):
            best = max((len(set(g) & set(members.index)) for g in groups), default=0)
            fleets.append(f"{fleet} {best}/{len(members)}")
        lu, lv = label.reindex(ids[links.u]).to_numpy(), label.reindex(ids[links.v]).to_numpy()
        ordinary = int(((lu == "ordinary") & (lv == "ordinary")).sum())
        other = pd.Series(lu[(lu == lv) & ~pd.Series(lu).str.startswith("fleet").to_numpy() & (lu != "ordinary")])
        print(f"{len(truth):,} | {m.nnz:,} | {links.candidates:,} | {len(links.u):,} | {seconds:.1f} | "
              f"{', '.join(fleets)} | {ordinary} | {other.value_counts().to_dict()}", flush=True)


if __name__ == "__main__":
    main([Path(p) for p in sys.argv[1:]])
