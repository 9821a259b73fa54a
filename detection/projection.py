"""The account projection: accounts linked by rare evidence they share, bounded per account.

Weighting follows the log-discounted column weights of Fraudar (Hooi et al., KDD 2016):
an item shared by `df` accounts adds `KIND_WEIGHT[kind] / log(df + LOG_OFFSET)` to each
pair that shares it, so a card shared by 25 accounts says much, an address shared by 500
strangers little, and items past their kind's cap (`DF_CAP`) nothing: those never enter
pairing, which keeps a hydra pool's exit addresses from making a near-complete graph.
Each account then keeps only its `TOP_K` strongest links (a k-nearest-neighbour
sparsification), bounding memory at `TOP_K` edges per account.

Addresses that are shared by design never link accounts (`without_shared_exits`): a proxy
service's exit nodes and consumer-VPN exits carry every customer's traffic whoever runs the
account, so sharing one says nothing about a common operator, whatever its `df`. A fixed cap
alone does not hold: the same exit pool falls under the cap as soon as fewer accounts use it
(a smaller batch of the same data), and its privacy-minded customers join the operator's
cluster. Proxy traffic still counts as behaviour in the score.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from ringtrace.core import config

# Why each kind weighs what it does:
#  card      a payment card is the costliest thing to fake; sharing one is strong evidence
#  device    a device fingerprint shared across accounts means one machine runs them
#  key_ip    creating API keys from one address is deliberate operator activity
#  ip        sign-up, login and request addresses: often shared innocently (NAT, offices, carrier pools); under
#            MIN_EDGE_WEIGHT even when only two accounts share one, so an address links a pair only beside
#            other evidence (on the blind scenario carrier pools otherwise made 700-account mixed communities)
#  template  a rare prompt template shared by accounts: scripted traffic
#  identifier any other identifier (phone, exact email, bank account, postal address, browser or TLS
#            fingerprint, referral code... an open vocabulary): like a device, one identity behind both
#  link      a transfer, referral or invite observed between two accounts: a direct relation, but
#            friends refer friends, so it weighs less than a shared instrument
KIND_WEIGHT = {"card": 3.0, "device": 2.5, "identifier": 2.5, "key_ip": 1.5, "link": 1.5, "ip": 0.45,
               "template": 0.6}
# Items shared by more accounts than this are too common to link pairs (hydra pools,
# carrier NAT, popular templates); they still count in the cluster score.
DF_CAP = {"card": 200, "device": 200, "identifier": 200, "key_ip": 100, "link": 2, "ip": 100, "template": 60}
LOG_OFFSET = 1.0   # log(df + 1): df = 2 gives the largest weight, decreasing slowly
TOP_K = config.DETECT_TOP_K  # strongest links kept per account
WEIGHT_DECIMALS = 9
MIN_EDGE_WEIGHT = 0.5  # one shared common address alone does not make a link


def item_weight(kind: str, df: np.ndarray | int, kind_weight: dict[str, float] | None = None
                ) -> np.ndarray | float:
    """What one shared item adds to a pair: the kind's base weight, log-discounted by df."""
    return (kind_weight or KIND_WEIGHT)[kind] / np.log(np.asarray(df, dtype=float) + LOG_OFFSET)


def _pairs_of_groups(codes: np.ndarray, item_codes: np.ndarray, weights: np.ndarray
                     ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """All (u, v, w) pairs of accounts sharing an item; accounts as integer codes."""
    order = np.argsort(item_codes, kind="stable")
    codes, item_codes, weights = codes[order], item_codes[order], weights[order]
    boundaries = np.flatnonzero(np.diff(item_codes)) + 1
    starts = np.concatenate([[0], boundaries])
    ends = np.concatenate([boundaries, [len(item_codes)]])
    us, vs, ws = [], [], []
    for s, e in zip(starts, ends):
        n = e - s
        if n < 2:
            continue
        iu, iv = np.triu_indices(n, k=1)
        members = codes[s:e]
        us.append(members[iu])
        vs.append(members[iv])
        ws.append(np.full(len(iu), weights[s]))
    if not us:
        empty = np.array([], dtype=np.int64)
        return empty, empty, np.array([], dtype=float)
    return np.concatenate(us), np.concatenate(vs), np.concatenate(ws)


SHARED_EXIT_KINDS = ("ip",)  # sign-up, login and request addresses; an API key's creation address stays


def without_shared_exits(incidence: dict[str, pd.DataFrame], exits: set[str]) -> dict[str, pd.DataFrame]:
    """The incidence lists without proxy-service and VPN exit addresses in the address kinds."""
    if not exits:
        return incidence
    return {kind: (df[~df["item"].isin(exits)] if kind in SHARED_EXIT_KINDS else df)
            for kind, df in incidence.items()}


def project(incidence: dict[str, pd.DataFrame], top_k: int = TOP_K,
            kind_weight: dict[str, float] | None = None) -> pd.DataFrame:
    """Weighted account-account edges (u, v, weight, and weight per kind), top-k per account."""
    return sparsify(pair_weights(incidence, kind_weight), top_k)


def pair_weights(incidence: dict[str, pd.DataFrame], kind_weight: dict[str, float] | None = None
                 ) -> pd.DataFrame:
    """Every account pair that shares evidence, with its summed weight (before sparsification)."""
    all_accounts = pd.Index(sorted({a for df in incidence.values() for a in df["account"]}))
    parts = []
    for kind, df in incidence.items():
        if df.empty:
            continue
        df = df.drop_duplicates(["account", "item"])
        acc = all_accounts.get_indexer(df["account"])
        items, item_codes = np.unique(df["item"].to_numpy(), return_inverse=True)
        w = item_weight(kind, df["df"].to_numpy(), kind_weight)
        u, v, ww = _pairs_of_groups(acc, item_codes, w)
        lo, hi = np.minimum(u, v), np.maximum(u, v)
        parts.append(pd.DataFrame({"u": lo, "v": hi, "kind": kind, "weight": ww}))
    if not parts:
        return pd.DataFrame(columns=["u", "v", "weight"])
    pairs = pd.concat(parts, ignore_index=True)
    by_kind = pairs.groupby(["u", "v", "kind"], sort=False)["weight"].sum().unstack("kind", fill_value=0.0)
    by_kind["weight"] = by_kind.sum(axis=1).round(WEIGHT_DECIMALS)  # independent of summation order
    edges = by_kind.reset_index().sort_values(["u", "v"], kind="mergesort")
    edges = edges[edges["weight"] >= MIN_EDGE_WEIGHT].reset_index(drop=True)
    edges["u"] = all_accounts[edges["u"].to_numpy()]
    edges["v"] = all_accounts[edges["v"].to_numpy()]
    return edges


def sparsify(edges: pd.DataFrame, top_k: int = TOP_K) -> pd.DataFrame:
    """Keep each account's `top_k` strongest links (an edge stays if either end keeps it)."""
    if edges.empty:
        return edges
    both = pd.concat([edges[["u", "v", "weight"]].assign(node=edges["u"]),
                      edges[["u", "v", "weight"]].assign(node=edges["v"])])
    both = both.sort_values(["node", "weight", "u", "v"], ascending=[True, False, True, True],
                            kind="mergesort")
    kept = both.groupby("node", sort=False).head(top_k)[["u", "v"]].drop_duplicates()
    return edges.merge(kept, on=["u", "v"]).reset_index(drop=True)
