"""How surprising a cluster's shared evidence is by chance, one test per kind of evidence.

A coordinated group is many accounts behind few identities: ten accounts, two devices, one
phone. For each evidence kind K (payment cards, devices, sign-up/login/request addresses,
API-key creation addresses, and every identifier kind in the data, an open vocabulary) the
**identity collapse** of a group is

    c_K = n_K - D_K   (members holding a kind-K item, minus the distinct kind-K items they hold),

counting only items rare enough to identify one holder. The null model is that each member
after the first reuses another member's item independently with the rate at which accounts of
this dataset share a kind-K item at all (``s_K``, estimated from the whole graph with Laplace's
rule of succession), so ``c_K ~ Binomial(n_K - 1, s_K)`` and the surprise is
``-log10 P(X >= c_K)``. In this data-fitted null a kind that honest users often share (a home
address) weighs little and a kind nobody shares (a phone) weighs a lot, with no per-kind constant.
This is the suspiciousness idea of CrossSpot (Jiang, Beutel, Cui, Hooi, Yang & Faloutsos, "A
General Suspiciousness Metric for Dense Blocks in Multimodal Data", ICDM 2015: the negative log
likelihood of a block's mass under a model fitted to the data's own density), applied per kind.

An item used by ``df`` of the ``A_K`` accounts that hold kind K only identifies a holder when
``df**2 <= A_K``: with frequency-based match weights (Winkler, "Frequency-based matching in
Fellegi-Sunter model of record linkage", 1989), agreement on a value that common carries odds
below even that two holders are one entity. A carrier NAT address shared by 300 accounts is such
an item; it counts as each holder's own.

Links between accounts (transfers, referrals, invites) are tested the same way: each member after
the first is tied to the others by a link of its own with the rate at which accounts of the
dataset have any link, and the group's linked pairs (at most ``n - 1``) are the successes.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy.stats import binom

LN10 = np.log(10.0)
IDENTIFIER_PREFIX = "identifier:"
LINK_KIND = "link"


@dataclass
class KindTest:
    """One kind's test for one group."""

    kind: str
    holders: int      # members holding an item of this kind
    items: int        # distinct items they hold
    collapse: int     # holders - items (or linked pairs, for links)
    rate: float       # the null's per-trial rate, fitted on the whole dataset
    surprise: float   # -log10 P(X >= collapse) under the null


def identity_bound(holders: int) -> int:
    """Largest number of accounts an item may have and still identify one holder (df**2 <= A)."""
    return int(np.floor(np.sqrt(max(holders, 1))))


def tail_surprise(k: np.ndarray, trials: np.ndarray, rate: np.ndarray) -> np.ndarray:
    """-log10 P(Binomial(trials, rate) >= k), 0 where k <= 0."""
    k, trials, rate = (np.asarray(x, dtype=float) for x in (k, trials, rate))
    out = np.zeros(np.broadcast(k, trials, rate).shape)
    hit = k > 0
    if hit.any():
        kk, tt, rr = (np.broadcast_to(x, out.shape)[hit] for x in (k, trials, rate))
        log_tail = binom.logsf(kk - 1, tt, rr)
        # where the tail underflows, its first term P(X = k) bounds it from below and stays finite in logs
        log_tail = np.where(np.isfinite(log_tail), log_tail, binom.logpmf(kk, tt, rr))
        out[hit] = -log_tail / LN10
    return np.maximum(out, 0.0)


class SharedEvidenceTests:
    """Per-kind rates fitted once on the whole graph, then tests for any number of groups."""

    def __init__(self, holdings: pd.DataFrame, shared: pd.DataFrame, links: pd.DataFrame, accounts: int,
                 holders: pd.Series) -> None:
        """`holdings` (account, kind, items): how many items of each kind the accounts to test hold;
        `shared` (account, kind, item, df): incidences of items held by two accounts or more;
        `links` (src, dst): links between accounts; `accounts`: all accounts in the graph;
        `holders` (kind -> count): how many accounts of the whole graph hold an item of each kind."""
        self.holdings = holdings
        bound = holders.map(identity_bound)
        shared = shared[(shared["df"] >= 2) & (shared["df"] <= shared["kind"].map(bound).fillna(0))]
        self.shared = shared.drop_duplicates(["account", "kind", "item"])
        sharers = self.shared.groupby("kind")["account"].nunique().reindex(holders.index, fill_value=0)
        self.rate = (sharers + 1) / (holders + 2)  # Laplace's rule of succession
        pairs = links[links["src"] != links["dst"]]
        self.links = pd.DataFrame({"u": np.minimum(pairs["src"], pairs["dst"]),
                                   "v": np.maximum(pairs["src"], pairs["dst"])}).drop_duplicates()
        linked = pd.unique(self.links[["u", "v"]].to_numpy().ravel())
        self.link_rate = (len(linked) + 1) / (accounts + 2)

    def test_groups(self, groups: list[list[str]]) -> pd.DataFrame:
        """One row per (group, kind) with any holder: holders, items, collapse, rate, surprise."""
        label = pd.Series({a: i for i, g in enumerate(groups) for a in g}, dtype="int64")
        sizes = np.array([len(g) for g in groups])
        held = self.holdings.assign(group=self.holdings["account"].map(label)).dropna(subset=["group"])
        per = held.groupby(["group", "kind"]).agg(holders=("account", "nunique"), total=("items", "sum"))
        sh = self.shared.assign(group=self.shared["account"].map(label)).dropna(subset=["group"])
        used = sh.groupby(["group", "kind", "item"]).size()
        reuse = (used[used >= 2] - 1).groupby(["group", "kind"]).sum()
        per["reuse"] = reuse.reindex(per.index, fill_value=0)
        per["items"] = per["total"] - per["reuse"]
        per["collapse"] = (per["holders"] - per["items"]).clip(lower=0)
        per = per.reset_index()
        per["rate"] = per["kind"].map(self.rate)
        per["surprise"] = tail_surprise(per["collapse"], per["holders"] - 1, per["rate"])
        per = per[["group", "kind", "holders", "items", "collapse", "rate", "surprise"]]
        if len(self.links):
            lk = self.links.assign(g=self.links["u"].map(label), h=self.links["v"].map(label))
            inside = lk[lk["g"].notna() & (lk["g"] == lk["h"])].groupby("g").size()
            if len(inside):
                g = inside.index.to_numpy(dtype=int)
                trials = sizes[g] - 1
                rows = pd.DataFrame({"group": g, "kind": LINK_KIND, "holders": sizes[g],
                                     "items": inside.to_numpy(), "collapse": np.minimum(inside.to_numpy(), trials),
                                     "rate": self.link_rate})
                rows["surprise"] = tail_surprise(rows["collapse"], trials, self.link_rate)
                per = pd.concat([per, rows], ignore_index=True)
        per["group"] = per["group"].astype(int)
        return per.sort_values(["group", "surprise"], ascending=[True, False]).reset_index(drop=True)


def kind_label(kind: str) -> str:
    """'identifier:phone' -> 'phone', 'key_ip' -> 'API-key creation address'."""
    names = {"card": "payment card", "device": "device", "ip": "address", "key_ip": "API-key creation address",
             LINK_KIND: "link"}
    return kind[len(IDENTIFIER_PREFIX):].replace("_", " ") if kind.startswith(IDENTIFIER_PREFIX) \
        else names.get(kind, kind)


def plural(count: int, kind: str) -> str:
    """The kind's label for `count` items: 'phone', 'phones', 'addresses'."""
    label = kind_label(kind)
    if count == 1:
        return label
    return label + ("es" if label.endswith("s") else "s")
