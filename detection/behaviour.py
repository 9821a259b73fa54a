"""Behavioural fingerprints per account, computed in the log store (DuckDB) from the request log.

A fingerprint is how an account calls the API, not what infrastructure it uses: the time buckets it was
active in (an accounts x buckets 0/1 matrix, `activity_matrix`), its category mix, its token shape (median
input tokens, median output/input ratio), its client metadata (most common user agent and the most common
value of every extra `exchanges` column, such as a TLS fingerprint) and, for each released model, how many
hours after the release it first used it. Only per-account aggregates leave DuckDB; the log never does.
"""
from __future__ import annotations

import numpy as np
import pandas as pd
from scipy.sparse import csr_matrix

from loaders import logstore
from loaders.contract import CATEGORIES, TABLE_BY_NAME
from loaders.validate import ROW

EXCHANGE_COLUMNS = {c.name for c in TABLE_BY_NAME["exchanges"].columns} | {ROW, "filename"}
CATEGORY_SHARES = ", ".join(f"avg((category = '{c}')::INT)::DOUBLE AS cat_{c}" for c in CATEGORIES)


# each active account's rank in account-id order: the matrix's row
ACCOUNT_RANKS = """CREATE OR REPLACE TEMP TABLE fp_ranks AS
    SELECT account_id, (row_number() OVER (ORDER BY account_id) - 1)::INTEGER AS i
    FROM (SELECT DISTINCT account_id FROM fp_cells WHERE account_id IS NOT NULL)"""


def _members_table(con, accounts: list[str] | None) -> str:
    """A WHERE clause restricting to `accounts` (a temp table), or nothing for every account."""
    if accounts is None:
        return ""
    con.execute("CREATE OR REPLACE TEMP TABLE fp_members AS SELECT unnest(?::VARCHAR[]) AS account_id", [accounts])
    return "WHERE account_id IN (SELECT account_id FROM fp_members)"


def activity_matrix(bucket_s: int, accounts: list[str] | None = None) -> tuple[np.ndarray, np.ndarray, csr_matrix]:
    """(account ids, bucket numbers, accounts x buckets 0/1 CSR matrix): which buckets each account was
    active in, accounts and buckets in ascending order. Only the distinct (account, bucket) pairs leave DuckDB,
    as integers (the account's rank, the bucket): at seed scale (15 M cells) reading them with the account ids
    as strings took 12.6 s and 2.2 GB, as integers 8.4 s and 1.0 GB."""
    empty = (np.array([], dtype=object), np.array([], dtype=np.int64), csr_matrix((0, 0)))
    if not logstore.has("exchanges"):
        return empty
    con = logstore.connect()
    try:
        view = logstore.source_view(con, "exchanges")
        where = _members_table(con, accounts)
        con.execute(f"""CREATE OR REPLACE TEMP TABLE fp_cells AS
            SELECT account_id, epoch(ts::TIMESTAMPTZ)::BIGINT // ? AS bucket FROM {view} {where} GROUP BY ALL""",
                    [bucket_s])
        con.execute(ACCOUNT_RANKS)
        ids = con.execute("SELECT account_id FROM fp_ranks ORDER BY i").fetchnumpy()["account_id"]
        cells = con.execute("SELECT r.i, c.bucket FROM fp_cells c JOIN fp_ranks r USING (account_id)").fetchnumpy()
    finally:
        con.close()
    if not len(ids):
        return empty
    buckets, col = np.unique(np.asarray(cells["bucket"], dtype=np.int64), return_inverse=True)
    m = csr_matrix((np.ones(len(col), dtype=np.float32), (np.asarray(cells["i"]), col)),
                   shape=(len(ids), len(buckets)))
    return np.asarray(ids, dtype=object), buckets, m


def extra_columns(con, view: str) -> list[str]:
    """Columns of the stored request log beyond the contract's (a TLS or header fingerprint...)."""
    cols = [r[0] for r in con.execute(f"DESCRIBE {view}").fetchall()]
    return [c for c in cols if c not in EXCHANGE_COLUMNS and c.replace("_", "").isalnum()]


def profiles(accounts: list[str] | None, releases: pd.DataFrame) -> pd.DataFrame:
    """One row per account: requests, active days, category shares (cat_*), token shape (in_median,
    ratio_median), top user agent and its share, the top value of each extra column (client_*), and hours
    from each release to the account's first request on that model (switch_<model>; NaN when never)."""
    if not logstore.has("exchanges"):
        return pd.DataFrame(columns=["account_id", "requests"])
    con = logstore.connect()
    try:
        view = logstore.source_view(con, "exchanges")
        where = _members_table(con, accounts)
        extras = extra_columns(con, view)
        client = "".join(f", mode({c}) AS client_{c}" for c in extras)
        base = con.execute(f"""
            SELECT account_id, count(*) AS requests, count(DISTINCT CAST(ts AS DATE)) AS active_days,
                   {CATEGORY_SHARES},
                   median(input_tokens)::DOUBLE AS in_median,
                   median(output_tokens::DOUBLE / greatest(input_tokens, 1)) AS ratio_median,
                   mode(user_agent) AS user_agent {client}
            FROM {view} {where} GROUP BY account_id""").df()
        ua_share = con.execute(f"""
            SELECT account_id, max(n)::DOUBLE / sum(n) AS user_agent_share FROM
              (SELECT account_id, user_agent, count(*) AS n FROM {view} {where} GROUP BY ALL) GROUP BY account_id
            """).df()
        base = base.merge(ua_share, on="account_id", how="left")
        for model, released in zip(releases.get("model", []), releases.get("released", [])):
            first = con.execute(f"""
                SELECT account_id, (min(epoch(ts::TIMESTAMPTZ)) - ?) / 3600.0 AS hours FROM {view}
                {where + ' AND' if where else 'WHERE'} model = ? AND epoch(ts::TIMESTAMPTZ) >= ?
                GROUP BY account_id""", [float(released), str(model), float(released)]).df()
            base = base.merge(first.rename(columns={"hours": f"switch_{model}"}), on="account_id", how="left")
    finally:
        con.close()
    return base


def wave_counts(accounts: list[str], window_s: int) -> pd.DataFrame:
    """(window, active): per window of `window_s` seconds in which any of `accounts` made a request, how many of
    them did. Counted in DuckDB; only one row per window leaves it."""
    if not logstore.has("exchanges") or not accounts:
        return pd.DataFrame({"window": pd.Series([], dtype="int64"), "active": pd.Series([], dtype="int64")})
    con = logstore.connect()
    try:
        view = logstore.source_view(con, "exchanges")
        where = _members_table(con, accounts)
        return con.execute(f"""
            SELECT epoch(ts::TIMESTAMPTZ)::BIGINT // ? AS "window", count(DISTINCT account_id) AS active
            FROM {view} {where} GROUP BY ALL ORDER BY "window"
            """, [window_s]).df()
    finally:
        con.close()


RASTER_SQL = """
WITH span AS (
    SELECT min(epoch(ts::TIMESTAMPTZ)) AS t0, max(epoch(ts::TIMESTAMPTZ)) AS t1 FROM {view}
    WHERE account_id IN (SELECT account_id FROM fp_members)),
members AS (
    SELECT account_id, 'cluster' AS part FROM fp_members ORDER BY hash(account_id || ?) LIMIT ?),
ordinary AS (
    SELECT account_id, 'ordinary' AS part FROM (SELECT DISTINCT account_id FROM {view}, span
        WHERE epoch(ts::TIMESTAMPTZ) BETWEEN span.t0 AND span.t1
          AND account_id NOT IN (SELECT account_id FROM fp_members))
    ORDER BY hash(account_id || ?) LIMIT ?),
shown AS (SELECT * FROM members UNION ALL SELECT * FROM ordinary)
SELECT s.account_id, s.part,
       least(floor((epoch(e.ts::TIMESTAMPTZ) - span.t0) / greatest((span.t1 - span.t0) / ?, 1))::BIGINT, ? - 1) AS col,
       count(*) AS requests, any_value(span.t0) AS t0, any_value(span.t1) AS t1
FROM {view} e JOIN shown s USING (account_id), span
WHERE epoch(e.ts::TIMESTAMPTZ) BETWEEN span.t0 AND span.t1
GROUP BY ALL
"""


def raster(members: list[str], rows: int, columns: int, salt: str = "raster") -> pd.DataFrame:
    """The cells of an accounts x time picture: up to `rows` of `members` and as many other accounts active in
    the members' time span (a reproducible hash sample), that span cut into `columns` equal slices.
    Returns (account_id, part 'cluster' | 'ordinary', col, requests, t0, t1): one row per active cell, computed
    in DuckDB (at most 2 x rows x columns rows leave it)."""
    empty = pd.DataFrame(columns=["account_id", "part", "col", "requests", "t0", "t1"])
    if not logstore.has("exchanges") or not members:
        return empty
    con = logstore.connect()
    try:
        view = logstore.source_view(con, "exchanges")
        _members_table(con, members)
        return con.execute(RASTER_SQL.format(view=view), [salt, rows, salt, rows, columns, columns]).df()
    finally:
        con.close()
