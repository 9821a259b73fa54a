"""Campaigns above clusters: flagged clusters that one operator runs, joined by operator-level evidence.

An operator often splits its accounts into groups that share nothing an account touches daily, but
keeps what the operator itself makes or owns: its prompt kit, its billing identities, its machines, the
addresses it creates API keys from. Two flagged clusters X and Y are one campaign only when

* their identifying items tie them beyond chance: for each item both hold, with ``h_X`` and ``h_Y``
  holders in each of its ``df``, the chance that ``h_Y`` of the ``df - h_X`` holders outside X land in Y
  is a binomial tail with rate ``n_Y / A_K`` (the configuration null of shared_evidence.py), and the
  pair's decades (the sum over items) are a discovery at false-discovery rate CAMPAIGN_FDR over every
  pair of clusters that holds anything in common (Benjamini & Hochberg 1995); and
* at least ``MIN_AGREEING_KINDS`` independent kinds agree: kinds of identifying item both hold,
  synchronised activity (the 10-minute buckets both clusters act in, against the hypergeometric
  chance of that overlap; its decades count with the items'), and the prompt kit (at least
  MIN_SHARED_KIT templates that almost only flagged accounts use) counts as one kind. A kit alone
  never joins: a vendor sells one kit to many operators.

So one stray item between two large clusters, or one shared vendor kit, or a kit plus a stray item,
does not join them; a chain A-B-C whose neighbours share one item each stays three campaigns; an
operator's card groups tied by its key-creation address and its kit become one. Joined pairs are then
closed transitively. Proxy exit nodes and datacenter or VPN addresses are rented infrastructure, never
operator evidence. A campaign's score is its strongest cluster's.
"""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy.stats import hypergeom

from detection import fdr, shared_evidence
from ringtrace.core import config

MIN_AGREEING_KINDS = 2
KIT_KIND = "template"
SYNC_KIND = "synchronised activity"
SYNC_MIN_MEMBERS = 2   # a cluster acts in a time bucket when at least this many of its accounts do
MIN_SHARED_KIT = 3
TEMPLATE_EXCLUSIVE_SHARE = 0.9
KIT_NAMES_SHOWN = 3
WHY_SHOWN = 3  # the strongest cluster's reasons a campaign repeats
INFRASTRUCTURE_KINDS = ("ip", "key_ip")  # kinds whose items may be rented exit nodes


@dataclass
class Campaign:
    campaign_id: str
    cluster_ids: list[str]
    accounts: int
    score: float
    reasons: list[str] = field(default_factory=list)


class _Union:
    def __init__(self, order: list[str]) -> None:
        self.order = {c: i for i, c in enumerate(order)}
        self.parent = {c: c for c in order}

    def find(self, c: str) -> str:
        while self.parent[c] != c:
            self.parent[c] = self.parent[self.parent[c]]
            c = self.parent[c]
        return c

    def join(self, a: str, b: str) -> None:
        ra, rb = self.find(a), self.find(b)
        if ra != rb:
            first, second = sorted((ra, rb), key=self.order.get)
            self.parent[second] = first


def _kits(label: dict[str, str], activity: pd.DataFrame, template_users: dict[str, int]) -> dict[str, set[str]]:
    """Per cluster: the templates it sends that (almost) only flagged accounts use."""
    kits: dict[str, set[str]] = {}
    if not len(activity) or "prompt_fingerprint" not in activity.columns:
        return kits
    used = activity[activity["account_id"].isin(label)].dropna(subset=["prompt_fingerprint"])
    users = used.groupby("prompt_fingerprint")["account_id"].nunique()
    overall = users.index.map(lambda t: template_users.get(t, 0)).to_numpy(dtype=float)
    own = set(users.index[users.to_numpy() >= TEMPLATE_EXCLUSIVE_SHARE * overall])
    pairs = used[used["prompt_fingerprint"].isin(own)].assign(cluster=lambda d: d["account_id"].map(label))
    for cid, grp in pairs.groupby("cluster"):
        kits[cid] = set(grp["prompt_fingerprint"])
    return kits


def _identity_links(label: dict[str, str], identity: pd.DataFrame, infrastructure: set[str],
                    sizes: dict[str, int], holders: pd.Series | None) -> dict[tuple[str, str], dict[str, list]]:
    """Per pair of clusters: per kind, [items both hold, decades against chance]."""
    if identity.empty:
        return {}
    held = identity[identity["account"].isin(label)]
    rented = held["kind"].isin(INFRASTRUCTURE_KINDS) & held["item"].isin(infrastructure)
    held = held[~rented].assign(cluster=lambda d: d["account"].map(label))
    if "df" not in held.columns:
        held = held.assign(df=held.groupby("item")["account"].transform("nunique"))
    counts = held.groupby(["item", "kind", "cluster"]).agg(h=("account", "nunique"), df=("df", "max")).reset_index()
    multi = counts[counts.groupby("item")["cluster"].transform("size") >= 2]
    default_holders = max(sum(sizes.values()), 1)
    links: dict[tuple[str, str], dict[str, list]] = {}
    for (item, kind), grp in multi.groupby(["item", "kind"], sort=True):
        rows = sorted(zip(grp["cluster"], grp["h"], grp["df"]))
        a_k = float(holders.get(kind, default_holders)) if holders is not None else default_holders
        for i, (x, hx, df) in enumerate(rows):
            for y, hy, _ in rows[i + 1:]:
                # the larger side ties the item; the other side's holders are the coincidence
                (big, hb), (small, hs) = sorted([(x, hx), (y, hy)], key=lambda t: -t[1])
                rate = min(1.0, sizes[small] / max(a_k - sizes[big], 1.0))
                decades = float(shared_evidence.tail_surprise(hs, max(int(df) - hb, hs), rate))
                entry = links.setdefault((x, y), {}).setdefault(kind, [0, 0.0])
                entry[0] += 1
                entry[1] += decades
    return links


def _synchrony(label: dict[str, str], activity: pd.DataFrame) -> dict[tuple[str, str], tuple[int, float]]:
    """Per pair of clusters: the time buckets both acted in, and -log10 of the hypergeometric chance of that
    many shared buckets among all buckets of the log's span, given how many each acted in (SynchroTrap's
    loosely synchronised actions, Cao et al. CCS 2014, between groups instead of accounts)."""
    if not len(activity) or "bucket" not in activity.columns:
        return {}
    act = activity[activity["account_id"].isin(label)].assign(cluster=lambda d: d["account_id"].map(label))
    per = act.groupby(["cluster", "bucket"])["account_id"].nunique()
    acting = per[per >= SYNC_MIN_MEMBERS].reset_index()[["cluster", "bucket"]]
    if acting.empty:
        return {}
    span = int(activity["bucket"].max() - activity["bucket"].min() + 1)
    sizes = acting.groupby("cluster").size()
    both = acting.merge(acting, on="bucket")
    both = both[both["cluster_x"] < both["cluster_y"]].groupby(["cluster_x", "cluster_y"]).size()
    out = {}
    for (x, y), shared in both.items():
        tail = hypergeom.sf(shared - 1, span, int(sizes[x]), int(sizes[y]))
        out[(x, y)] = (int(shared), float(-np.log10(max(tail, 1e-300))))
    return out


def group_campaigns(run_id: str, flagged: list[tuple[str, list[str], float]], activity: pd.DataFrame,
                    template_users: dict[str, int], identity: pd.DataFrame | None = None,
                    infrastructure: set[str] | None = None, facts: dict[str, dict] | None = None,
                    holders: pd.Series | None = None, q: float | None = None) -> list[Campaign]:
    """Campaigns of the flagged clusters (cluster id, members, score), largest first.

    `identity` (account, kind, item) lists identifying items held by two accounts or more;
    `infrastructure` holds the proxy-exit and datacenter addresses that never join clusters;
    `facts` (per cluster: its proxy service, its move to a new model) only go into the reasons;
    `holders` (kind -> accounts holding the kind) sets each kind's chance level; `q` the FDR."""
    if not flagged:
        return []
    label = {a: cid for cid, members, _ in flagged for a in members}
    order = [cid for cid, _, _ in flagged]
    kits = _kits(label, activity, template_users)
    if identity is None:
        identity = pd.DataFrame(columns=["account", "kind", "item"])
    sizes = {cid: len(m) for cid, m, _ in flagged}
    q = config.CAMPAIGN_FDR if q is None else q
    ids = _identity_links(label, identity, infrastructure or set(), sizes, holders)
    sync = _synchrony(label, activity)
    for pair, (_, d) in sync.items():
        if d >= -np.log10(q):  # synchronised beyond chance at the join's error rate on its own
            ids.setdefault(pair, {})[SYNC_KIND] = [1, d]
    pairs = sorted(ids)
    decades = np.array([sum(d for _, d in ids[p].values()) for p in pairs])
    significant, _ = fdr.benjamini_hochberg(-decades, q)
    union = _Union(order)
    for (a, b), sig in zip(pairs, significant):
        kinds = set(ids[(a, b)])
        if len(kits.get(a, set()) & kits.get(b, set())) >= MIN_SHARED_KIT:
            kinds.add(KIT_KIND)
        if sig and len(kinds) >= MIN_AGREEING_KINDS:
            union.join(a, b)
    members = {cid: m for cid, m, _ in flagged}
    scores = {cid: s for cid, _, s in flagged}
    groups: dict[str, list[str]] = {}
    for cid in order:
        groups.setdefault(union.find(cid), []).append(cid)
    ranked = sorted(groups.values(), key=lambda g: (-sum(len(members[c]) for c in g), g[0]))
    campaigns = []
    for i, clusters in enumerate(ranked):
        accounts = sum(len(members[c]) for c in clusters)
        campaigns.append(Campaign(f"{run_id}-k{i + 1:04d}", clusters, accounts,
                                  round(max(scores[c] for c in clusters), 3),
                                  _why(clusters, accounts, scores, facts or {})
                                  + _reasons(clusters, accounts, kits, ids)[1:] + _fact_reasons(clusters, facts or {})))
    return campaigns


def _why(clusters: list[str], accounts: int, scores: dict[str, float], facts: dict[str, dict]) -> list[str]:
    """Why the campaign is suspicious, first: its size, then what its strongest cluster was flagged for (its
    strongest positive reasons, `facts[cluster]["why"]`), so a one-cluster campaign says more than its size."""
    size = f"{len(clusters)} flagged cluster{'s' if len(clusters) > 1 else ''}, {accounts:,} accounts"
    top = max(clusters, key=lambda c: (scores[c], c))
    why = list(facts.get(top, {}).get("why") or [])[:WHY_SHOWN]
    if not why:
        return [size]
    where = "" if len(clusters) == 1 else f" (in its strongest cluster, score {scores[top]:.1f})"
    return [f"{size}: {why[0]}{where}"] + why[1:]


def _reasons(clusters: list[str], accounts: int, kits: dict[str, set[str]],
             ids: dict[tuple[str, str], dict[str, list]]) -> list[str]:
    reasons = [f"{len(clusters)} flagged cluster{'s' if len(clusters) > 1 else ''}, {accounts:,} accounts"]
    if len(clusters) < 2:
        return reasons
    inside = set(clusters)
    kit = set.intersection(*(kits.get(c, set()) for c in clusters))
    with_kit = sum(1 for c in clusters if kits.get(c))
    if kit:
        shown = ", ".join(sorted(kit)[:KIT_NAMES_SHOWN])
        reasons.append(f"all {len(clusters)} send the same {len(kit)} prompt templates that only flagged accounts use"
                       f" ({shown}{', ...' if len(kit) > KIT_NAMES_SHOWN else ''})")
    elif with_kit > 1:
        reasons.append(f"{with_kit} of the clusters are joined cluster to cluster by prompt templates that only "
                       "flagged accounts use")
    held = Counter()
    joined = 0
    for (a, b), kinds in ids.items():
        if a in inside and b in inside:
            held.update({k: n for k, (n, _) in kinds.items() if k != SYNC_KIND})
            joined += 1
    if held:
        pairs = f"{joined} pairs of clusters hold" if joined > 1 else "1 pair of clusters holds"
        reasons.append(f"{pairs} the same identifying items ("
                       + ", ".join(f"{n} {shared_evidence.plural(n, k)}" for k, n in held.most_common()) + ")")
    return reasons


def _fact_reasons(clusters: list[str], facts: dict[str, dict]) -> list[str]:
    """What the campaign's clusters have in common beyond what joined them: proxy service, model move."""
    if len(clusters) < 2:
        return []
    reasons = []
    services = Counter(facts.get(c, {}).get("proxy_service") for c in clusters)
    services.pop(None, None)
    if services:
        name, k = services.most_common(1)[0]
        reasons.append(f"{'all' if k == len(clusters) else f'{k} of {len(clusters)}'} clusters through {name} "
                       "exit nodes")
    moves = [facts.get(c, {}).get("model_switch") for c in clusters]
    moves = [m for m in moves if m]
    if moves:
        models = Counter(m[0] for m in moves)
        model, k = models.most_common(1)[0]
        hours = [h for m, h in moves if m == model]
        reasons.append(f"{'all' if k == len(clusters) else f'{k} of {len(clusters)}'} clusters moved to {model} "
                       f"within {max(hours):.0f} h of its release")
    return reasons
