"""More accounts like these: rank every other account by how it calls the API compared with a seed set.

The seeds' waves are the time buckets in which at least WAVE_MIN_SEEDS of them were active. Each other
account is tested for co-activity with those waves under the null of cosync.py (active in bucket t with
probability ``a_x w_t``, independently of the seeds): its shared waves against the Poisson tail with mean
``a_x sum_{t in waves} w_t``. The ranking is by those decades, then by behavioural similarity (category mix
cosine, token shape, switch time to the newest model), which only breaks ties and gives reasons: behaviour
alike without acting together ranks below any account that acts with the seeds.
"""
from __future__ import annotations

import uuid
from dataclasses import dataclass

import numpy as np
import pandas as pd

from cases.store import accounts_of, resolve_case_id
from detection import behaviour, cosync
from detection.evidence import MODEL_RELEASES
from graph.cluster_ids import resolve_cluster_id
from ringtrace.core import audit, config
from ringtrace.core.errors import RingtraceError

WAVE_MIN_SEEDS = 2
CLUSTER_MEMBERS = "MATCH (a:Account)-[:MEMBER_OF]->(:Cluster {cluster_id: $id}) RETURN a.account_id AS account"
# A search's ranked accounts are stored as similarity links: (:SimilaritySearch)-[:SEEDED_BY]->(:Account) for its
# seeds and (:SimilaritySearch)-[:RANKED {rank, score, shared_waves, similarity, reasons}]->(:Account) for the
# accounts ranked (score: decades of co-activity with the seeds' waves against chance). Saved query
# `similar_accounts` reads them.
STORE_SEARCH = """
CREATE (s:SimilaritySearch {search_id: $search_id, at: datetime(), by: $by, seeds_from: $seeds_from,
                            seeds: size($seeds), ranked: size($rows)})
WITH s
CALL (s) { UNWIND $seeds AS seed MATCH (a:Account {account_id: seed}) CREATE (s)-[:SEEDED_BY]->(a) }
CALL (s) { UNWIND $rows AS row MATCH (a:Account {account_id: row.account})
           CREATE (s)-[:RANKED {rank: row.rank, score: row.score, shared_waves: row.shared_waves,
                                similarity: row.similarity, reasons: row.reasons}]->(a) }
RETURN s.search_id AS search_id
"""


@dataclass
class Similar:
    account: str
    decades: float
    shared_waves: int
    similarity: float
    reasons: str


def _cosine(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    na = np.linalg.norm(a, axis=1) * max(np.linalg.norm(b), 1e-12)
    return np.divide(a @ b, na, out=np.zeros(len(a)), where=na > 0)


def rank(seeds: list[str], releases: pd.DataFrame, top: int = 20) -> list[Similar]:
    """The `top` accounts most like `seeds` (which must have requests in the log store), with reasons."""
    ids, _, m = behaviour.activity_matrix(config.COSYNC_BUCKET_S)
    index = pd.Index(ids)
    rows = index.get_indexer(seeds)
    rows = rows[rows >= 0]
    if len(rows) == 0:
        raise RingtraceError("None of the given accounts has requests in the request log: similarity needs "
                             "their activity (load the exchanges first).")
    per_bucket = np.asarray(m[rows].sum(axis=0)).ravel()
    waves = per_bucket >= min(WAVE_MIN_SEEDS, len(rows))
    c = np.asarray(m.sum(axis=0)).ravel()
    w = c / max(c.sum(), 1)
    a = np.asarray(m.sum(axis=1)).ravel()
    shared = np.asarray(m[:, np.flatnonzero(waves)].sum(axis=1)).ravel()
    decades = -cosync.log10_tail(shared, a * w[waves].sum())
    decades[rows] = -np.inf  # the seeds themselves are not ranked
    prof = behaviour.profiles(None, releases).set_index("account_id").reindex(ids)
    cats = [c_ for c_ in prof.columns if c_.startswith("cat_")]
    mix = prof[cats].fillna(0).to_numpy(float)
    seed_mix = (mix[rows] * prof["requests"].to_numpy(float)[rows, None]).sum(axis=0)
    cos = _cosine(mix, seed_mix)
    log_in = np.log(prof["in_median"].to_numpy(float).clip(1))
    seed_in = float(np.nanmedian(log_in[rows]))
    token_close = np.exp(-np.abs(log_in - seed_in))
    switch_col, seed_switch = None, np.nan
    if len(releases):
        switch_col = f"switch_{releases.sort_values('released')['model'].iloc[-1]}"
        if switch_col in prof:
            seed_switch = float(np.nanmedian(prof[switch_col].to_numpy(float)[rows]))
    similarity = (cos + np.nan_to_num(token_close)) / 2
    order = np.lexsort((-similarity, -decades))[:top]
    out = []
    for i in order:
        if not np.isfinite(decades[i]):
            continue
        words = [f"co-active in {int(shared[i])} of the seeds' {int(waves.sum())} waves "
                 f"({decades[i]:.1f} decades against chance)" if decades[i] > 0 else "not co-active with the seeds "
                 "beyond chance",
                 f"category mix {cos[i]:.2f} cosine to the seeds'",
                 f"median {np.exp(log_in[i]):,.0f} input tokens (seeds {np.exp(seed_in):,.0f})"]
        if switch_col and switch_col in prof and np.isfinite(prof[switch_col].iloc[i]):
            words.append(f"first on {switch_col[7:]} {prof[switch_col].iloc[i]:.0f} h after its release "
                         f"(seeds' median {seed_switch:.0f} h)")
        out.append(Similar(str(ids[i]), round(float(decades[i]), 2), int(shared[i]), round(float(similarity[i]), 3),
                           "; ".join(words)))
    return out


def releases_of(graph) -> pd.DataFrame:
    """(model, released epoch seconds) of every model release in the graph."""
    releases = graph.read_df(MODEL_RELEASES)
    return releases if len(releases.columns) else releases.reindex(columns=["model", "released"])


def store(graph, seeds: list[str], seeds_from: str, ranked: list[Similar], by: str) -> str:
    """Store a search's ranked accounts (at most config.SIMILAR_STORED) as similarity links; returns its id."""
    rows = [{"account": r.account, "rank": i + 1, "score": r.decades, "shared_waves": r.shared_waves,
             "similarity": r.similarity, "reasons": r.reasons} for i, r in enumerate(ranked[:config.SIMILAR_STORED])]
    search_id = f"sim-{uuid.uuid4().hex[:12]}"
    graph.write(STORE_SEARCH, {"search_id": search_id, "by": by, "seeds_from": seeds_from, "seeds": sorted(seeds),
                               "rows": rows})
    return search_id


def search(graph, seeds: list[str], seeds_from: str, top: int, by: str) -> tuple[str, list[Similar]]:
    """More accounts like these, as `ringtrace similar` and the workbench run it: rank, store the links, audit."""
    ranked = rank(seeds, releases_of(graph), top)
    search_id = store(graph, seeds, seeds_from, ranked, by)
    audit.record(by, "similar", {"search_id": search_id, "seeds_from": seeds_from, "seeds": len(seeds),
                                 "ranked": len(ranked)})
    return search_id, ranked


def seed_source(graph, case_id: str | None, cluster_id: str | None, accounts: str | None) -> tuple[list[str], str]:
    """(seeds, where they came from: the case id, the cluster id or 'accounts') for exactly one of the three."""
    seeds = seeds_of(graph, case_id, cluster_id, accounts)
    if case_id:
        return seeds, resolve_case_id(graph, case_id)
    if cluster_id:
        return seeds, resolve_cluster_id(graph, cluster_id)
    return seeds, "accounts"


def seeds_of(graph, case_id: str | None, cluster_id: str | None, accounts: str | None) -> list[str]:
    """The seed accounts named by exactly one of a case, a cluster or a comma-separated list."""
    given = [x for x in (case_id, cluster_id, accounts) if x]
    if len(given) != 1:
        raise RingtraceError("Give exactly one of --case ID, --cluster ID or --accounts A,B.")
    if case_id:
        seeds = accounts_of(graph, resolve_case_id(graph, case_id))
    elif cluster_id:
        seeds = [r["account"] for r in graph.read(CLUSTER_MEMBERS, {"id": resolve_cluster_id(graph, cluster_id)})]
    else:
        seeds = [a.strip() for a in accounts.split(",") if a.strip()]
    if not seeds:
        raise RingtraceError("The seed set has no accounts.")
    return seeds
